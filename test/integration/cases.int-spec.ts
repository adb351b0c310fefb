import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobQueue } from '../../jobs/job-queue';
import { CasesService } from '../../src/cases/cases.service';
import { fenOf, yuanText } from '../../src/cases/money';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { RuleLibraryService } from '../../src/rules-engine/rules-engine.module';
import { createTestHttp } from '../support/app';
import { importAndOpenCases } from '../support/pipeline';
import { apiAs, createUserWithToken, TestUser, consoleLogin, csrfOf, expectAccessiblePage } from '../support/auth';
import { dropSchema, testConfig, uniqueName, waitFor } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

type Row = Record<string, unknown>;

/**
 * Cases end to end on PostgreSQL and Redis: opened from the demo data's findings and risk scores by
 * the jobs that follow screening and scoring, grouped per institution-month without duplicates,
 * worked through review, decision, appeal, recovery and closure over the API with every step
 * audited; illegal moves refused with nothing changed; outcomes feed rule precision.
 */
describe('cases (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_case');
  const { config, env } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-case-'));
  let app: INestApplication;
  let ds: DataSource;
  let cases: CasesService;
  const users: Record<string, TestUser> = {};
  const as = (u: TestUser) => apiAs(app, u);
  const caseRow = async (id: string) => ((await ds.query(`SELECT * FROM supervision_case WHERE id = $1`, [id])) as Row[])[0]!;
  const auditActions = async (entityType: string, id: string) =>
    ((await ds.query(`SELECT action FROM audit_entry WHERE entity_type = $1 AND entity_id = $2 ORDER BY seq`, [entityType, id])) as { action: string }[]).map((r) => r.action);
  /** A findings case in `open` with at least `n` findings, not used by another test yet. */
  const used = new Set<string>();
  const freshCase = async (n = 1, minAmount = '0'): Promise<Row> => {
    const rows: Row[] = await ds.query(
      `SELECT c.* FROM supervision_case c WHERE c.kind = 'findings' AND c.status = 'open' AND c.finding_count >= $1 AND c.amount_at_risk >= $2::numeric
         AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id AND f.status = 'retired')
       ORDER BY c.finding_count DESC, c.number`,
      [n, minAmount],
    );
    const c = rows.find((r) => !used.has(r.id as string))!;
    expect(c).toBeDefined();
    used.add(c.id as string);
    return c;
  };
  // Payments are dated today (UTC: never ahead of the bureau's local date).
  const today = new Date().toISOString().slice(0, 10);
  const institutionUser = async (code: string) => createUserWithToken(app, { role: 'institution', institutionCode: code });

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 3000, seed: 'cases-it' });
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    cases = app.get(CasesService);
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    for (const role of ['admin', 'supervisor', 'auditor'] as const) users[role] = await createUserWithToken(app, { role });
    users.supervisor2 = await createUserWithToken(app, { role: 'supervisor' });
    users.inspector = await createUserWithToken(app, { role: 'inspector' });
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('puts every open finding in exactly one case, one per institution and settlement month', async () => {
    const [{ loose }] = await ds.query(`SELECT count(*)::int AS loose FROM finding f WHERE f.status = 'open' AND NOT EXISTS (SELECT 1 FROM case_finding cf WHERE cf.finding_id = f.id)`);
    expect(loose).toBe(0);
    const groups: Row[] = await ds.query(
      `SELECT c.id, c.number, c.institution_code, c.period, c.grouping, c.claim_id, c.amount_at_risk, c.finding_count,
              count(*)::int AS n, sum(f.amount_at_risk)::text AS amount,
              count(DISTINCT f.institution_code)::int AS institutions, count(DISTINCT to_char(f.settle_month, 'YYYY-MM'))::int AS periods,
              min(f.institution_code) AS finding_institution, min(to_char(f.settle_month, 'YYYY-MM')) AS finding_period
       FROM supervision_case c JOIN case_finding cf ON cf.case_id = c.id JOIN finding f ON f.id = cf.finding_id
       WHERE c.kind = 'findings' GROUP BY c.id`,
    );
    expect(groups.length).toBeGreaterThan(5);
    for (const g of groups) {
      expect(g.number).toMatch(/^AJ-\d{4}-\d{6}$/);
      expect(g).toMatchObject({ grouping: 'institution-period', claim_id: null, institutions: 1, periods: 1, finding_institution: g.institution_code, finding_period: g.period });
      expect(g.finding_count).toBe(g.n);
      expect(fenOf(g.amount_at_risk as string)).toBe(fenOf(g.amount as string));
    }
    const keys = groups.map((g) => `${g.institution_code}|${g.period}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The expected groups are exactly the institution-months with findings.
    const expected: { k: string }[] = await ds.query(`SELECT DISTINCT institution_code || '|' || to_char(settle_month, 'YYYY-MM') AS k FROM finding`);
    expect(keys.sort()).toEqual(expected.map((e) => e.k).sort());
  });

  it('opens a risk case for every institution-month scored at or above the threshold, and only those', async () => {
    const high: { k: string; score: string }[] = await ds.query(
      `SELECT entity_code || '|' || period AS k, score::text AS score FROM risk_score WHERE entity_type = 'institution' AND score >= $1`,
      [config.cases.riskThreshold],
    );
    const risk: Row[] = await ds.query(`SELECT institution_code || '|' || period AS k, risk_snapshot, amount_at_risk FROM supervision_case WHERE kind = 'risk'`);
    expect(high.length).toBeGreaterThan(0);
    expect(risk.map((r) => r.k).sort()).toEqual(high.map((h) => h.k).sort());
    for (const r of risk) {
      const snap = r.risk_snapshot as { score: number; drivers: { zh: string }[]; peerGroup: string };
      expect(snap.score).toBeGreaterThanOrEqual(config.cases.riskThreshold);
      expect(snap.drivers[0]!.zh).toMatch(/中位数/);
    }
  });

  it('a re-run opens nothing twice; a later import adds to the open cases and keeps retired findings linked', async () => {
    const before: Row[] = await ds.query(`SELECT id, number, amount_at_risk, finding_count FROM supervision_case ORDER BY id`);
    const again = await cases.open();
    expect(again).toEqual({ findings: { opened: 0, extended: 0, findingsAdded: 0, refreshed: 0 }, risk: { opened: 0 } });
    expect(await ds.query(`SELECT id, number, amount_at_risk, finding_count FROM supervision_case ORDER BY id`)).toEqual(before);

    // Corrections and re-sends: some findings retire, new ones appear in months that have cases.
    await importAndOpenCases(app, join(dataDir, 'claims-batch2'));
    const [{ loose }] = await ds.query(`SELECT count(*)::int AS loose FROM finding f WHERE f.status = 'open' AND NOT EXISTS (SELECT 1 FROM case_finding cf WHERE cf.finding_id = f.id)`);
    expect(loose).toBe(0);
    const collecting: { k: string; n: number }[] = await ds.query(
      `SELECT institution_code || '|' || period AS k, count(*)::int AS n FROM supervision_case WHERE kind = 'findings' AND status IN ('open', 'in_review') GROUP BY 1`,
    );
    expect(collecting.every((c) => c.n === 1)).toBe(true);
    const beforeIds = new Set(before.map((b) => b.id));
    const [{ retiredLinked }] = await ds.query(
      `SELECT count(*)::int AS "retiredLinked" FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE f.status = 'retired' AND cf.case_id = ANY($1::uuid[])`,
      [[...beforeIds]],
    );
    expect(retiredLinked).toBeGreaterThan(0);
    // Amounts count only findings that still hold.
    const bad: Row[] = await ds.query(
      `SELECT c.number FROM supervision_case c JOIN case_finding cf ON cf.case_id = c.id JOIN finding f ON f.id = cf.finding_id
       WHERE c.kind = 'findings' GROUP BY c.id HAVING c.amount_at_risk <> coalesce(sum(f.amount_at_risk) FILTER (WHERE f.status NOT IN ('retired', 'dismissed')), 0)`,
    );
    expect(bad).toEqual([]);
    const [{ grown }] = await ds.query(`SELECT count(*)::int AS grown FROM audit_entry WHERE action IN ('case.add_findings', 'case.refresh')`);
    expect(grown).toBeGreaterThan(0);
  });

  it('walks a case: open → in review → confirmed → decided → appealed → amended → final → paid → closed, every step audited', async () => {
    const c = await freshCase(3, '100');
    const id = c.id as string;
    const number = c.number as string;
    const inst = await institutionUser(c.institution_code as string);
    const sup = as(users.supervisor!);

    // The queue: filters, and an institution sees only its own cases.
    const q = await sup.get(`/api/cases?institution=${c.institution_code}&period=${c.period}&kind=findings&sort=amount`).expect(200);
    expect(q.body.items.map((i: Row) => i.number)).toContain(number);
    // The review is due CASE_REVIEW_DAYS (30) calendar days after opening, as a calendar date.
    const listed = q.body.items.find((i: Row) => i.number === number) as Row;
    const [{ due }] = await ds.query(`SELECT ((opened_at AT TIME ZONE 'Asia/Shanghai')::date + 30)::text AS due FROM supervision_case WHERE number = $1`, [number]);
    expect(listed.reviewDueOn).toBe(due);
    const own = await as(inst).get('/api/cases?pageSize=500').expect(200);
    expect(own.body.total).toBeGreaterThan(0);
    expect(own.body.items.every((i: Row) => i.institutionCode === c.institution_code)).toBe(true);
    const other = (await ds.query(`SELECT institution_code FROM supervision_case WHERE institution_code <> $1 LIMIT 1`, [c.institution_code]))[0].institution_code as string;
    const forbidden = await as(inst).get(`/api/cases?institution=${other}`).expect(403);
    expect(forbidden.body.errors[0].path).toBe('institution');
    const otherInst = await institutionUser(other);
    await as(otherInst).get(`/api/cases/${id}`).expect(404);

    // Detail: findings with rule and why, claims with pseudonymised patients, risk drivers vs peers.
    const d0 = (await sup.get(`/api/cases/${number}`).expect(200)).body;
    expect(d0).toMatchObject({ id, number, status: 'open', allowedActions: ['assign', 'start_review'] });
    expect(d0.findings.length).toBe(c.finding_count);
    for (const f of d0.findings) {
      expect(f.ruleTitle.zh).toBeTruthy();
      expect(f.why.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(f.evidence).toBeDefined();
    }
    expect(d0.claims.length).toBeGreaterThan(0);
    const keys: { patient_key: string }[] = await ds.query(`SELECT DISTINCT c.patient_key FROM claim c JOIN finding f ON f.claim_pk = c.id JOIN case_finding cf ON cf.finding_id = f.id WHERE cf.case_id = $1`, [id]);
    const text = JSON.stringify(d0);
    for (const k of keys) expect(text).not.toContain(k.patient_key);
    for (const cl of d0.claims) {
      expect(cl.patient.pseudonym).toMatch(/^P-[0-9a-f]{6}$/);
      expect(cl.lines.length).toBeGreaterThan(0);
    }
    expect(d0.risk).toMatchObject({ peerGroup: expect.any(String) });
    expect(d0.risk.drivers[0].zh).toMatch(/中位数/);
    expect((await as(inst).get(`/api/cases/${id}`).expect(200)).body.allowedActions).toEqual([]);

    // An illegal move changes nothing.
    const auditBefore = await auditActions('case', id);
    const illegal = await sup.post(`/api/cases/${id}/decision`, { violationType: '超标准收费', article: '38', amountToRecover: '1', fineMultiple: '1', agreementAction: 'none' }).expect(409);
    expect(illegal.body.message).toBe(`case ${number} is open; allowed: assign, start_review`);
    expect((await caseRow(id)).status).toBe('open');
    expect(await auditActions('case', id)).toEqual(auditBefore);
    expect(await ds.query(`SELECT 1 FROM case_decision WHERE case_id = $1`, [id])).toEqual([]);

    // Roles: an inspector and an auditor may not act; an institution may not review.
    await as(users.inspector!).post(`/api/cases/${id}/start-review`).expect(403);
    await as(users.auditor!).post(`/api/cases/${id}/start-review`).expect(403);
    await as(inst).post(`/api/cases/${id}/start-review`).expect(403);

    // Assign (to someone else), then start the review: the assignee stays.
    const badAssign = await as(users.admin!).post(`/api/cases/${id}/assign`, { assigneeId: inst.id }).expect(400);
    expect(badAssign.body.errors[0].path).toBe('assigneeId');
    expect((await as(users.admin!).post(`/api/cases/${id}/assign`, { assigneeId: users.supervisor2!.id }).expect(200)).body.assigneeId).toBe(users.supervisor2!.id);
    const mine = await as(users.supervisor2!).get('/api/cases?assignee=me').expect(200);
    expect(mine.body.items.map((i: Row) => i.id)).toEqual([id]);
    const d1 = (await sup.post(`/api/cases/${id}/start-review`).expect(200)).body;
    expect(d1).toMatchObject({ status: 'in_review', assigneeId: users.supervisor2!.id });

    // Confirm with one finding dismissed: outcomes go to the findings.
    // The smallest finding is dismissed, the others (the largest among them) confirmed.
    const all = d0.findings as { id: string; amountAtRisk: string; ruleId: string }[];
    const dismissedF = all[all.length - 1];
    const confirmedF = all.slice(0, -1);
    const badOutcome = await sup.post(`/api/cases/${id}/confirm`, { outcomes: { '999999999': 'dismissed' } }).expect(400);
    expect(badOutcome.body.errors[0].path).toBe('outcomes.999999999');
    const d2 = (await sup.post(`/api/cases/${id}/confirm`, { outcomes: { [dismissedF!.id]: 'dismissed' }, reason: '核实属实' }).expect(200)).body;
    expect(d2.status).toBe('confirmed');
    const statuses: { id: string; status: string }[] = await ds.query(`SELECT f.id::text AS id, f.status FROM finding f JOIN case_finding cf ON cf.finding_id = f.id WHERE cf.case_id = $1`, [id]);
    for (const s of statuses) expect(s.status).toBe(s.id === dismissedF!.id ? 'dismissed' : 'confirmed');
    const confirmedAmount = confirmedF.reduce((s, f) => s + fenOf(f.amountAtRisk), 0n);
    expect(d2.amountAtRisk).toBe(yuanText(confirmedAmount));

    // A fine multiple outside art. 38's range: 400 naming the field; nothing changed.
    const recover = yuanText(confirmedAmount);
    const outOfRange = await sup.post(`/api/cases/${id}/decision`, { violationType: '超标准收费', article: '38', amountToRecover: recover, fineMultiple: '2.5', suspensionMonths: 0, agreementAction: 'rectify' }).expect(400);
    expect(outOfRange.body.errors).toEqual([{ path: 'fineMultiple', reason: "2.5 is outside 条例 art. 38's range: 1–2 times the amount to recover" }]);
    expect((await caseRow(id)).status).toBe('confirmed');
    const terminate = await sup.post(`/api/cases/${id}/decision`, { violationType: '超标准收费', article: '38', amountToRecover: recover, fineMultiple: '1.5', agreementAction: 'terminate' }).expect(400);
    expect(terminate.body.errors[0].path).toBe('agreementAction');

    // The decision: fine = recover × 1.5 rounded half up; two recoveries.
    const d3 = (await sup.post(`/api/cases/${id}/decision`, { violationType: '超标准收费', article: '38', clauseText: '第三十八条第（五）项', amountToRecover: recover, fineMultiple: '1.5', suspensionMonths: 0, agreementAction: 'rectify' }).expect(200)).body;
    expect(d3.status).toBe('decided');
    const fine = (confirmedAmount * 150n + 50n) / 100n;
    expect(d3.currentDecision).toMatchObject({ article: '38', amountToRecover: recover, fineMultiple: '1.50', fineAmount: yuanText(fine), agreementAction: 'rectify' });
    expect(d3.recoveries.map((r: Row) => [r.kind, r.amountDue, r.status]).sort()).toEqual([
      ['fine', yuanText(fine), 'open'],
      ['refund', recover, 'open'],
    ]);
    expect(new Date(d3.appealDeadline).getTime() - new Date(d3.decidedAt).getTime()).toBe(15 * 86_400_000);

    // The appeal: only the case's institution, with a reason.
    await sup.post(`/api/cases/${id}/appeal`, { reason: 'x' }).expect(403);
    await as(otherInst).post(`/api/cases/${id}/appeal`, { reason: 'x' }).expect(404);
    expect((await as(inst).post(`/api/cases/${id}/appeal`, {}).expect(400)).body.errors[0].path).toBe('reason');
    expect((await as(inst).get(`/api/cases/${id}`).expect(200)).body.allowedActions).toEqual(['appeal']);
    const d4 = (await as(inst).post(`/api/cases/${id}/appeal`, { reason: '部分项目有医嘱，属合理收费' }).expect(200)).body;
    expect(d4.status).toBe('appealed');
    expect(d4.appeals).toMatchObject([{ filedBy: inst.id, reason: '部分项目有医嘱，属合理收费', outcome: null }]);

    // Amended: a new decision supersedes the old one; the fine follows.
    const newRecover = yuanText(confirmedAmount - confirmedAmount / 10n);
    const amendOut = await sup.post(`/api/cases/${id}/appeal-decision`, { outcome: 'amended', reason: '部分采纳', decision: { violationType: '超标准收费', article: '38', amountToRecover: newRecover, fineMultiple: '0.5', agreementAction: 'warning' } }).expect(400);
    expect(amendOut.body.errors[0].path).toBe('decision.fineMultiple');
    const d5 = (await sup.post(`/api/cases/${id}/appeal-decision`, { outcome: 'amended', reason: '部分采纳', decision: { violationType: '超标准收费', article: '38', amountToRecover: newRecover, fineMultiple: '1.2', agreementAction: 'warning' } }).expect(200)).body;
    expect(d5.status).toBe('final');
    expect(d5.decisions).toHaveLength(2);
    expect(d5.decisions[0].supersededBy).toBe(d5.decisions[1].id);
    expect(d5.currentDecision.id).toBe(d5.decisions[1].id);
    const newFine = (fenOf(newRecover) * 120n + 50n) / 100n;
    expect(d5.recoveries.map((r: Row) => [r.kind, r.amountDue]).sort()).toEqual([
      ['fine', yuanText(newFine)],
      ['refund', newRecover],
    ]);
    expect(d5.appeals[0]).toMatchObject({ outcome: 'amended', outcomeReason: '部分采纳', newDecisionId: d5.decisions[1].id });

    // Payments: never more than outstanding; the last one closes the case.
    const refund = d5.recoveries.find((r: Row) => r.kind === 'refund');
    const fineRec = d5.recoveries.find((r: Row) => r.kind === 'fine');
    const over = await sup.post(`/api/recoveries/${refund.id}/payments`, { amount: yuanText(fenOf(newRecover) + 1n), paidOn: today, reference: 'BANK-1' }).expect(400);
    expect(over.body.errors[0]).toEqual({ path: 'amount', reason: `exceeds what is outstanding on this refund: ${newRecover}` });
    await as(inst).post(`/api/recoveries/${refund.id}/payments`, { amount: '1', paidOn: today, reference: 'x' }).expect(403);
    await sup.post(`/api/recoveries/${refund.id}/payments`, { amount: newRecover, paidOn: today, reference: 'BANK-1' }).expect(201);
    const half = fenOf(fineRec.amountDue) / 2n;
    const p1 = (await sup.post(`/api/recoveries/${fineRec.id}/payments`, { amount: yuanText(half), paidOn: today, reference: 'BANK-2' }).expect(201)).body;
    expect(p1).toMatchObject({ status: 'open', amountPaid: yuanText(half) });
    expect((await caseRow(id)).status).toBe('final');
    const p2 = (await sup.post(`/api/recoveries/${fineRec.id}/payments`, { amount: yuanText(fenOf(fineRec.amountDue) - half), paidOn: today, reference: 'BANK-3' }).expect(201)).body;
    expect(p2).toMatchObject({ status: 'paid', outstanding: '0.00' });
    expect(p2.payments).toHaveLength(2);
    expect(await caseRow(id)).toMatchObject({ status: 'closed' });
    const recs = await as(inst).get(`/api/recoveries?case=${id}`).expect(200);
    expect(recs.body.items.map((r: Row) => r.status)).toEqual(['paid', 'paid']);
    await as(inst).get(`/api/recoveries?institution=${other}`).expect(403);

    expect(await auditActions('case', id)).toEqual([
      'case.open',
      ...(await auditActions('case', id)).filter((a) => a === 'case.add_findings' || a === 'case.refresh'),
      'case.assign',
      'case.start_review',
      'case.confirm',
      'case.decide',
      'case.appeal',
      'case.appeal_decide',
      'case.close',
    ]);
    const recActions = [...(await auditActions('recovery', refund.id)), ...(await auditActions('recovery', fineRec.id))];
    expect(recActions.sort()).toEqual(['recovery.amend', 'recovery.amend', 'recovery.create', 'recovery.create', 'recovery.payment', 'recovery.payment', 'recovery.payment'].sort());
    const [decideEntry] = (await ds.query(`SELECT actor_name, actor_user_id, before, after FROM audit_entry WHERE entity_id = $1 AND action = 'case.decide'`, [id])) as Row[];
    expect(decideEntry).toMatchObject({ actor_user_id: users.supervisor!.id, before: { status: 'confirmed', decision: null }, after: { status: 'decided', decision: { article: '38', fineMultiple: '1.50' } } });
  });

  it('dismissing needs a reason, dismisses every finding, and a dismissed case only closes', async () => {
    const c = await freshCase(1);
    const id = c.id as string;
    const sup = as(users.supervisor!);
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    const noReason = await sup.post(`/api/cases/${id}/dismiss`, { reason: '  ' }).expect(400);
    expect(noReason.body.errors).toEqual([{ path: 'reason', reason: 'is required' }]);
    expect((await caseRow(id)).status).toBe('in_review');
    const d = (await sup.post(`/api/cases/${id}/dismiss`, { reason: '医嘱齐全，收费合规' }).expect(200)).body;
    expect(d).toMatchObject({ status: 'dismissed', dismissReason: '医嘱齐全，收费合规', amountAtRisk: '0.00', allowedActions: ['close'] });
    const st: { status: string }[] = await ds.query(`SELECT f.status FROM finding f JOIN case_finding cf ON cf.finding_id = f.id WHERE cf.case_id = $1`, [id]);
    expect(st.every((s) => s.status === 'dismissed')).toBe(true);
    const refused = await sup.post(`/api/cases/${id}/decision`, { violationType: 'x', article: '38', amountToRecover: '1', fineMultiple: '1' }).expect(409);
    expect(refused.body.message).toBe(`case ${c.number} is dismissed; allowed: close`);
    expect((await sup.post(`/api/cases/${id}/close`).expect(200)).body.status).toBe('closed');
    expect((await sup.post(`/api/cases/${id}/start-review`).expect(409)).body.message).toBe(`case ${c.number} is closed; allowed: none`);
    expect(await auditActions('case', id)).toEqual(expect.arrayContaining(['case.start_review', 'case.dismiss', 'case.close']));
  });

  it('refuses an appeal after the window; the case is then finalized without a waiver', async () => {
    const c = await freshCase(1);
    const id = c.id as string;
    const sup = as(users.supervisor!);
    const inst = await institutionUser(c.institution_code as string);
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await sup.post(`/api/cases/${id}/confirm`).expect(200);
    const decided = (await sup.post(`/api/cases/${id}/decision`, { violationType: '重复收费', article: '40', amountToRecover: '100.01', fineMultiple: '3', agreementAction: 'terminate' }).expect(200)).body;
    expect(decided.currentDecision.fineAmount).toBe('300.03');
    const early = await sup.post(`/api/cases/${id}/finalize`).expect(409);
    expect(early.body.message).toMatch(/appeal window is open until/);
    // Sixteen days pass.
    await ds.query(`UPDATE supervision_case SET decided_at = decided_at - interval '16 days', appeal_deadline = appeal_deadline - interval '16 days' WHERE id = $1`, [id]);
    const late = await as(inst).post(`/api/cases/${id}/appeal`, { reason: '迟到的申诉' }).expect(409);
    expect(late.body.message).toMatch(new RegExp(`^case ${c.number}: the appeal window closed on \\d{4}-\\d{2}-\\d{2}`));
    expect((await caseRow(id)).status).toBe('decided');
    expect(await ds.query(`SELECT 1 FROM case_appeal WHERE case_id = $1`, [id])).toEqual([]);
    expect((await sup.post(`/api/cases/${id}/finalize`).expect(200)).body.status).toBe('final');
    const noReason = await sup.post(`/api/cases/${id}/close`).expect(400);
    expect(noReason.body.errors[0]).toEqual({ path: 'reason', reason: 'is required: 2 recoveries are not paid in full' });
    expect((await sup.post(`/api/cases/${id}/close`, { reason: '机构已解除协议，移交追缴' }).expect(200)).body).toMatchObject({ status: 'closed', closeReason: '机构已解除协议，移交追缴' });
  });

  it('an overturned appeal dismisses the case, its findings, and cancels the recoveries; a waived appeal finalizes at once', async () => {
    const c = await freshCase(1);
    const id = c.id as string;
    const sup = as(users.supervisor!);
    const inst = await institutionUser(c.institution_code as string);
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await sup.post(`/api/cases/${id}/confirm`).expect(200);
    await sup.post(`/api/cases/${id}/decision`, { violationType: '串换项目', article: '38', amountToRecover: '50', fineMultiple: '1', suspensionMonths: 6, agreementAction: 'suspend' }).expect(200);
    await as(inst).post(`/api/cases/${id}/appeal`, { reason: '系统编码错误' }).expect(200);
    const d = (await sup.post(`/api/cases/${id}/appeal-decision`, { outcome: 'overturned', reason: '经复核，编码映射错误，非违规' }).expect(200)).body;
    expect(d).toMatchObject({ status: 'dismissed', dismissReason: '经复核，编码映射错误，非违规', amountAtRisk: '0.00' });
    expect(d.recoveries.every((r: Row) => r.status === 'cancelled')).toBe(true);
    const st: { status: string }[] = await ds.query(`SELECT f.status FROM finding f JOIN case_finding cf ON cf.finding_id = f.id WHERE cf.case_id = $1`, [id]);
    expect(st.every((s) => s.status === 'dismissed')).toBe(true);
    expect(await auditActions('case', id)).toContain('case.appeal_decide');

    // Waived: final at once, closed when nothing is left to pay (a warning only).
    const w = await freshCase(1);
    await sup.post(`/api/cases/${w.id}/start-review`).expect(200);
    await sup.post(`/api/cases/${w.id}/confirm`).expect(200);
    await sup.post(`/api/cases/${w.id}/decision`, { violationType: '超量开药', article: '38', amountToRecover: '0', fineMultiple: '1', agreementAction: 'warning' }).expect(200);
    const fin = (await sup.post(`/api/cases/${w.id}/finalize`, { waived: true }).expect(200)).body;
    expect(fin).toMatchObject({ status: 'closed', appealWaived: true, closeReason: expect.stringMatching(/nothing to recover/) });
    expect(await auditActions('case', w.id as string)).toEqual(expect.arrayContaining(['case.finalize', 'case.close']));
  });

  it('a risk case without findings is confirmed only with a reason', async () => {
    const [r] = (await ds.query(`SELECT id, number FROM supervision_case WHERE kind = 'risk' AND status = 'open' ORDER BY number LIMIT 1`)) as Row[];
    const sup = as(users.supervisor!);
    const d = (await sup.get(`/api/cases/${r!.id}`).expect(200)).body;
    expect(d.riskSnapshot.score).toBeGreaterThanOrEqual(config.cases.riskThreshold);
    expect(d.risk.drivers.length).toBeGreaterThan(0);
    await sup.post(`/api/cases/${r!.id}/start-review`).expect(200);
    expect((await sup.post(`/api/cases/${r!.id}/confirm`).expect(400)).body.errors[0].path).toBe('reason');
    expect((await sup.post(`/api/cases/${r!.id}/confirm`, { reason: '现场检查发现分解收费' }).expect(200)).body.status).toBe('confirmed');
  });

  it('reviewed outcomes give each rule its confirmed, dismissed and precision (GET /api/rules)', async () => {
    const expected: { rule_id: string; confirmed: number; dismissed: number }[] = await ds.query(
      `SELECT rule_id, count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed, count(*) FILTER (WHERE status = 'dismissed')::int AS dismissed
       FROM finding GROUP BY rule_id HAVING count(*) FILTER (WHERE status IN ('confirmed', 'dismissed')) > 0`,
    );
    expect(expected.some((e) => e.confirmed > 0)).toBe(true);
    expect(expected.some((e) => e.dismissed > 0)).toBe(true);
    const rules = (await as(users.supervisor!).get('/api/rules').expect(200)).body.rules as { id: string; hits: { confirmed: number; dismissed: number; precision: number | null } }[];
    for (const e of expected) {
      const r = rules.find((x) => x.id === e.rule_id)!;
      expect(r.hits).toMatchObject({ confirmed: e.confirmed, dismissed: e.dismissed, precision: e.confirmed / (e.confirmed + e.dismissed) });
    }
    // Every reviewed finding's status agrees with its case outcome.
    const mismatched = await ds.query(`SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.outcome IS NOT NULL AND f.status <> 'retired' AND f.status <> cf.outcome`);
    expect(mismatched).toEqual([]);
  });

  it('lists, filters and summarises for the dashboard; bad filters name the parameter', async () => {
    const sup = as(users.supervisor!);
    const byAmount = (await sup.get('/api/cases?sort=amount&order=desc&pageSize=20').expect(200)).body.items as { amountAtRisk: string }[];
    for (let i = 1; i < byAmount.length; i++) expect(fenOf(byAmount[i - 1]!.amountAtRisk) >= fenOf(byAmount[i]!.amountAtRisk)).toBe(true);
    const closed = (await sup.get('/api/cases?status=closed').expect(200)).body;
    expect(closed.total).toBeGreaterThanOrEqual(4);
    const [{ category }] = await ds.query(`SELECT f.category FROM finding f JOIN case_finding cf ON cf.finding_id = f.id LIMIT 1`);
    const byCat = (await sup.get(`/api/cases?category=${category}&minAmount=0.01&pageSize=500`).expect(200)).body.items as { categories: string[]; amountAtRisk: string }[];
    expect(byCat.length).toBeGreaterThan(0);
    for (const i of byCat) {
      expect(i.categories).toContain(category);
      expect(fenOf(i.amountAtRisk)).toBeGreaterThanOrEqual(1n);
    }
    const bad = await sup.get('/api/cases?status=pending&minAmount=abc&period=2026-13&assignee=bob').expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['assignee', 'minAmount', 'period', 'status']);

    const s = (await sup.get('/api/cases/summary').expect(200)).body;
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM supervision_case WHERE status IN ('open', 'in_review', 'confirmed')`);
    expect(s.activeCases).toBe(n);
    expect(s.byStatus.closed).toBe(closed.total);
    const [{ amount }] = await ds.query(`SELECT coalesce(sum(amount_at_risk), 0)::text AS amount FROM supervision_case WHERE status IN ('open', 'in_review', 'confirmed')`);
    expect(s.openAmountAtRisk).toBe(yuanText(fenOf(amount)));
    expect(s.perAssignee.reduce((t: number, a: { cases: number }) => t + a.cases, 0)).toBe(n);
    expect(s.overdueRecoveries).toEqual({ count: 0, outstanding: '0.00' });
  });

  it('works a case in the console: queue, assign to me, detail, forms with CSRF, flash messages, field errors', async () => {
    const loginAs = (u: TestUser) => consoleLogin(app, u);
    const accessible = expectAccessiblePage;
    const c = await freshCase(2, '10');
    const id = c.id as string;
    const agent = await loginAs(users.supervisor!);

    const q = await agent.get(`/console/cases?institution=${c.institution_code}&period=${c.period}&kind=findings`).expect(200);
    accessible(q.text);
    expect(q.text).toContain('<h1>案件队列</h1>');
    expect(q.text).toContain(`href="/console/cases/${id}">${c.number}</a>`);
    const csrf = csrfOf(q.text);
    const back = `/console/cases?institution=${c.institution_code}&period=${c.period}`;
    const assigned = await agent.post(`/console/cases/${id}/assign`).type('form').send({ _csrf: csrf, assigneeId: 'me', back }).expect(303);
    expect(assigned.headers.location).toBe(`${back}&ok=assigned`);
    expect((await caseRow(id)).assignee_id).toBe(users.supervisor!.id);
    expect((await agent.get(assigned.headers.location!).expect(200)).text).toContain('已分配');

    const d = await agent.get(`/console/cases/${id}`).expect(200);
    accessible(d.text);
    expect(d.text).toContain(`案件 ${c.number}`);
    const [f] = (await ds.query(`SELECT f.why_zh, c.patient_key FROM finding f JOIN claim c ON c.id = f.claim_pk JOIN case_finding cf ON cf.finding_id = f.id WHERE cf.case_id = $1 LIMIT 1`, [id])) as { why_zh: string; patient_key: string }[];
    expect(d.text).toContain(f!.why_zh.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#x27;').replaceAll('=', '&#x3D;'));
    expect(d.text).not.toContain(f!.patient_key);
    expect(d.text).toMatch(/P-[0-9a-f]{6}/);
    expect(d.text).toContain('中位数');
    expect(d.text).toContain(`action="/console/cases/${id}/start-review"`);

    // Without the CSRF field: refused, nothing changed.
    await agent.post(`/console/cases/${id}/start-review`).type('form').send({}).expect(403);
    expect((await caseRow(id)).status).toBe('open');
    const started = await agent.post(`/console/cases/${id}/start-review`).type('form').send({ _csrf: csrf }).expect(303);
    expect(started.headers.location).toBe(`/console/cases/${id}?ok=caseReviewStarted`);
    expect((await agent.get(started.headers.location!).expect(200)).text).toContain('已开始审核');

    // A refused form comes back with its field named, at the form.
    const noReason = await agent.post(`/console/cases/${id}/dismiss`).type('form').send({ _csrf: csrf, reason: ' ' }).expect(400);
    accessible(noReason.text);
    expect(noReason.text).toContain('理由 (<code>reason</code>): is required');
    expect((await caseRow(id)).status).toBe('in_review');

    const ids = ((await ds.query(`SELECT finding_id::text AS id FROM case_finding WHERE case_id = $1 ORDER BY finding_id`, [id])) as { id: string }[]).map((r) => r.id);
    await agent.post(`/console/cases/${id}/confirm`).type('form').send({ _csrf: csrf, [`outcome_${ids[0]}`]: 'dismissed' }).expect(303);
    const st = (await ds.query(`SELECT id::text AS id, status FROM finding WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids])) as { id: string; status: string }[];
    expect(st.map((x) => x.status)).toEqual(ids.map((x, i) => (i === 0 ? 'dismissed' : 'confirmed')));

    const outOfRange = await agent.post(`/console/cases/${id}/decision`).type('form').send({ _csrf: csrf, article: '40', violationType: '虚构医疗服务', amountToRecover: '10.00', fineMultiple: '1.5', suspensionMonths: '0', agreementAction: 'none' }).expect(400);
    expect(outOfRange.text).toContain("罚款倍数 (<code>fineMultiple</code>): 1.5 is outside 条例 art. 40&#x27;s range: 2–5 times the amount to recover");
    expect(outOfRange.text).toContain('value="虚构医疗服务"');
    const decided = await agent.post(`/console/cases/${id}/decision`).type('form').send({ _csrf: csrf, article: '40', violationType: '虚构医疗服务', amountToRecover: '10.00', fineMultiple: '2.5', suspensionMonths: '3', agreementAction: 'suspend' }).expect(303);
    expect(decided.headers.location).toBe(`/console/cases/${id}?ok=decided`);
    const page = (await agent.get(`${decided.headers.location}&lang=en`).expect(200)).text;
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('Record payment');
    expect(page).toContain('Decree 735 art. 40');
    const [fine] = (await ds.query(`SELECT id FROM recovery WHERE case_id = $1 AND kind = 'fine'`, [id])) as { id: string }[];
    const tooMuch = await agent.post(`/console/recoveries/${fine!.id}/payments`).type('form').send({ _csrf: csrf, caseId: id, amount: '25.01', paidOn: today, reference: 'B-1' }).expect(400);
    expect(tooMuch.text).toContain('(<code>amount</code>): exceeds what is outstanding on this fine: 25.00');
    const paid = await agent.post(`/console/recoveries/${fine!.id}/payments`).type('form').send({ _csrf: csrf, caseId: id, amount: '25.00', paidOn: today, reference: 'B-1' }).expect(303);
    expect(paid.headers.location).toBe(`/console/cases/${id}?ok=casePaymentRecorded`);

    // The institution appeals through its own form; other logins see no such form, an inspector no queue.
    const inst = await loginAs(await institutionUser(c.institution_code as string));
    const mine = (await inst.get(`/console/cases/${id}`).expect(200)).text;
    expect(mine).toContain(`action="/console/cases/${id}/appeal"`);
    expect(mine).not.toContain('/start-review"');
    const appealed = await inst.post(`/console/cases/${id}/appeal`).type('form').send({ _csrf: csrfOf(mine), reason: '已提供医嘱' }).expect(303);
    expect(appealed.headers.location).toBe(`/console/cases/${id}?ok=appealed`);
    expect((await caseRow(id)).status).toBe('appealed');
    const upheld = await agent.post(`/console/cases/${id}/appeal-decision`).type('form').send({ _csrf: csrf, outcome: 'upheld', reason: '证据充分', 'decision.amountToRecover': '10.00' }).expect(303);
    expect(upheld.headers.location).toBe(`/console/cases/${id}?ok=caseAppealDecided`);
    expect((await caseRow(id)).status).toBe('final');
    await (await loginAs(users.inspector!)).get('/console/cases').expect(403);
  });

  it('fundguard cases open / list', async () => {
    const run = (...args: string[]) => promisify(execFile)('node', [CLI, 'cases', ...args], { env: { ...process.env, ...env } });
    const opened = await run('open');
    expect(opened.stdout).toMatch(/from findings \(grouping institution-period\): 0 case\(s\) opened, 0 extended, 0 finding\(s\) added/);
    expect(opened.stdout).toMatch(/from risk scores \(≥ 60\): 0 case\(s\) opened/);
    const listed = await run('list', '--status', 'closed');
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM supervision_case WHERE status = 'closed'`);
    expect(listed.stdout.split('\n')[0]).toBe(`${n} case(s)`);
    expect(listed.stdout.match(/AJ-\d{4}-\d{6} /g)).toHaveLength(n);
    await expect(run('list', '--status', 'nonsense')).rejects.toMatchObject({ stderr: expect.stringMatching(/status: must be one or more/) });
  });
});

/** CASE_GROUPING=claim: claim-level findings one case per claim; institution-period rules' findings per institution-month. */
describe('cases grouped per claim', () => {
  const schema = uniqueName('t_casec');
  const { config } = testConfig(schema, { CASE_GROUPING: 'claim' });
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-casec-'));
  let app: INestApplication;
  let ds: DataSource;

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 1500, seed: 'cases-claim-it' });
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('opens one case per claim, and per institution-month for institution-period rules', async () => {
    const periodRules = app.get(RuleLibraryService).library.rules.filter((r) => r.scope === 'institution-period').map((r) => r.id);
    const rows: Row[] = await ds.query(
      `SELECT c.id, c.grouping, c.claim_id, c.institution_code, c.period, f.claim_id AS f_claim, f.rule_id, f.institution_code AS f_inst, to_char(f.settle_month, 'YYYY-MM') AS f_period
       FROM supervision_case c JOIN case_finding cf ON cf.case_id = c.id JOIN finding f ON f.id = cf.finding_id WHERE c.kind = 'findings'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      if (periodRules.includes(r.rule_id as string)) expect(r).toMatchObject({ grouping: 'institution-period', claim_id: null, institution_code: r.f_inst, period: r.f_period });
      else expect(r).toMatchObject({ grouping: 'claim', claim_id: r.f_claim, institution_code: r.f_inst });
    }
    const claimCases = new Map<string, Set<string>>();
    for (const r of rows.filter((x) => x.grouping === 'claim')) claimCases.set(r.claim_id as string, new Set([...(claimCases.get(r.claim_id as string) ?? []), r.id as string]));
    expect([...claimCases.values()].every((s) => s.size === 1)).toBe(true);
    const [{ loose }] = await ds.query(`SELECT count(*)::int AS loose FROM finding f WHERE f.status = 'open' AND NOT EXISTS (SELECT 1 FROM case_finding cf WHERE cf.finding_id = f.id)`);
    expect(loose).toBe(0);
    expect(await app.get(CasesService).openFromFindings()).toEqual({ opened: 0, extended: 0, findingsAdded: 0, refreshed: 0 });
    // Nothing queued is left behind.
    await waitFor(async () => {
      const counts = await app.get(JobQueue).counts();
      return Object.values(counts).every((c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0);
    }, 'quiet queues');
  });
});
