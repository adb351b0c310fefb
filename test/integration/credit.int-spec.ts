import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { CreditJobs } from '../../jobs/credit.jobs';
import { JobQueue } from '../../jobs/job-queue';
import { QueueName } from '../../jobs/job.types';
import { CaseEvents } from '../../src/cases/case-events';
import { CaseDecision, SupervisionCase } from '../../src/cases/case.entities';
import { CreditPolicy, defaultPolicyFile, gradeOf, loadPolicyFile } from '../../src/credit/credit-policy';
import { CreditService } from '../../src/credit/credit.service';
import { cycleOf } from '../../src/credit/ledger';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { systemActor } from '../../src/accounts/roles';
import { createTestHttp } from '../support/app';
import { apiAs, bearer, createUserWithToken, TestUser, consoleLogin, csrfOf } from '../support/auth';
import { importAndOpenCases } from '../support/pipeline';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

type Row = Record<string, unknown>;

/**
 * Credit end to end on PostgreSQL and Redis: a final case decision deducts exactly once (in the
 * case's transaction), an overdue recovery once, an appeal reverses a deduction, a repair is granted
 * after the waiting period and refused before it, what-if writes nothing, a broken policy stops the
 * CLI naming the line, the rollover archives a cycle once, a new policy content becomes a version;
 * every change is audited; an institution sees only its own record.
 */
describe('credit (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_credit');
  const { config, env } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-credit-'));
  const policy: CreditPolicy = loadPolicyFile(defaultPolicyFile()).policy;
  const cycle = cycleOf(new Date(), 'Asia/Shanghai');
  let app: INestApplication;
  let ds: DataSource;
  let credit: CreditService;
  const users: Record<string, TestUser> = {};
  const as = (u: TestUser) => apiAs(app, u);
  const cli = (args: string[], extra: Record<string, string> = {}) => promisify(execFile)('node', [CLI, ...args], { env: { ...process.env, ...env, ...extra } });
  const count = async (sql: string, params: unknown[] = []) => ((await ds.query(sql, params)) as { n: number }[])[0]!.n;
  const auditOf = async (entityType: string, id: string) =>
    ((await ds.query(`SELECT action FROM audit_entry WHERE entity_type = $1 AND entity_id = $2 ORDER BY seq`, [entityType, id])) as { action: string }[]).map((r) => r.action);
  const standing = async (code: string, year = cycle) =>
    ((await ds.query(`SELECT score, grade, closed_at FROM credit_standing WHERE institution_code = $1 AND cycle = $2`, [code, year])) as Row[])[0];

  /** An open findings case of an institution not used yet, without retired findings. */
  const usedInstitutions = new Set<string>();
  const freshCase = async (): Promise<Row> => {
    const rows: Row[] = await ds.query(
      `SELECT c.* FROM supervision_case c WHERE c.kind = 'findings' AND c.status = 'open' AND c.finding_count >= 1 AND c.amount_at_risk > 0
         AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id AND f.status = 'retired')
       ORDER BY c.finding_count DESC, c.number`,
    );
    const c = rows.find((r) => !usedInstitutions.has(r.institution_code as string))!;
    expect(c).toBeDefined();
    usedInstitutions.add(c.institution_code as string);
    return c;
  };

  /** Review, confirm every finding, decide under `article`, and make it final (waived, or after moving the decision `monthsAgo` back). */
  const workToFinal = async (c: Row, article: '38' | '40', monthsAgo = 0) => {
    const sup = as(users.supervisor!);
    const id = c.id as string;
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await sup.post(`/api/cases/${id}/confirm`).expect(200);
    const body =
      article === '38'
        ? { violationType: '超标准收费', article, amountToRecover: c.amount_at_risk, fineMultiple: '1', suspensionMonths: 0, agreementAction: 'rectify' }
        : { violationType: '虚构医疗服务', article, amountToRecover: c.amount_at_risk, fineMultiple: '2', suspensionMonths: 0, agreementAction: 'warning' };
    await sup.post(`/api/cases/${id}/decision`, body).expect(200);
    if (monthsAgo > 0) {
      // Time passes: the decision was taken months ago, and its appeal window is long closed.
      await ds.query(`UPDATE case_decision SET decided_at = decided_at - make_interval(months => $2) WHERE case_id = $1`, [id, monthsAgo]);
      await ds.query(`UPDATE supervision_case SET decided_at = decided_at - make_interval(months => $2), appeal_deadline = appeal_deadline - make_interval(months => $2) WHERE id = $1`, [id, monthsAgo]);
      await sup.post(`/api/cases/${id}/finalize`).expect(200);
    } else {
      await sup.post(`/api/cases/${id}/finalize`, { waived: true }).expect(200);
    }
  };

  /** What the shipped policy deducts for the case, computed from its confirmed findings in the database. */
  const expectedDeduction = async (caseId: string, article: '38' | '40') => {
    const rows: { category: string; severity: 'low' | 'medium' | 'high' }[] = await ds.query(
      `SELECT DISTINCT f.category, f.severity FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1 AND f.status = 'confirmed'`,
      [caseId],
    );
    expect(rows.length).toBeGreaterThan(0);
    const category = Math.max(0, ...rows.map((r) => policy.violation.byCategory[r.category] ?? 0));
    const severity = Math.max(...rows.map((r) => policy.violation.bySeverity[r.severity]));
    return -(policy.violation.byArticle[article] + category + severity);
  };

  const ctx: { a?: Row; aEntry?: string; b?: Row; bEntry?: string; overdueEntries?: string[] } = {};

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 3000, seed: 'credit-it' });
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    credit = app.get(CreditService);
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    for (const role of ['admin', 'supervisor', 'auditor', 'inspector'] as const) users[role] = await createUserWithToken(app, { role });
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('schedules the daily overdue scan and the 1 January rollover in Asia/Shanghai (BullMQ job schedulers of API and worker processes)', async () => {
    const queue = app.get<Queue>(getQueueToken(QueueName.Screening));
    // This all-in-one test process runs the jobs itself; API and worker processes schedule them.
    expect(await queue.getJobSchedulers()).toEqual([]);
    await app.get(CreditJobs).schedule();
    await app.get(CreditJobs).schedule(); // idempotent
    const schedulers = (await queue.getJobSchedulers()).map((j) => ({ key: j.key, name: j.name, pattern: j.pattern, tz: j.tz }));
    expect(schedulers.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'credit-overdue-scan', name: 'credit.overdue-scan', pattern: '30 1 * * *', tz: 'Asia/Shanghai' },
      { key: 'credit-rollover', name: 'credit.rollover', pattern: '5 0 1 1 *', tz: 'Asia/Shanghai' },
    ]);
    for (const s of schedulers) await queue.removeJobScheduler(s.key);
  });

  it('stores the policy as version 1 at start and serves it with the meaning of each grade', async () => {
    const versions: Row[] = await ds.query(`SELECT version, hash, source FROM credit_policy_version`);
    expect(versions).toEqual([{ version: 1, hash: loadPolicyFile(defaultPolicyFile()).hash, source: defaultPolicyFile() }]);
    expect(await auditOf('credit_policy_version', '1')).toEqual([]); // the installation's policy: its row is the record
    const p = (await as(users.inspector!).get('/api/credit/policy').expect(200)).body;
    expect(p).toMatchObject({ version: 1, scale: { minimum: 0, base: 850, maximum: 1000 }, baseGrade: 'B', cycle: { current: cycle, timeZone: 'Asia/Shanghai' } });
    expect(p.grades.map((g: Row) => [g.grade, g.minScore, g.maxScore, g.samplingRatio])).toEqual([
      ['A', 950, 1000, 0.05],
      ['B', 850, 949, 0.1],
      ['C', 700, 849, 0.25],
      ['D', 550, 699, 0.5],
      ['E', 0, 549, 1],
    ]);
  });

  it('a case worked to final through the API deducts once, in its transaction, audited; re-emitting adds nothing', async () => {
    const c = await freshCase();
    ctx.a = c;
    const code = c.institution_code as string;
    await workToFinal(c, '38');
    const entries: Row[] = await ds.query(`SELECT id::text AS id, kind, points, cycle, cause_type, cause_id, cause_facts, policy_version FROM credit_entry WHERE cause_id = $1`, [c.id]);
    const expected = await expectedDeduction(c.id as string, '38');
    expect(entries).toHaveLength(1);
    const e = entries[0]!;
    expect(e).toMatchObject({ kind: 'violation', points: expected, cycle, cause_type: 'case', policy_version: 1 });
    expect(e.cause_facts).toMatchObject({ caseNumber: c.number, article: '38', violationType: '超标准收费' });
    ctx.aEntry = e.id as string;
    expect(await standing(code)).toMatchObject({ score: 850 + expected });
    expect(await auditOf('credit_entry', e.id as string)).toEqual(['credit.violation']);

    // The same final event again (a retried step, a listener called twice): nothing more.
    const sc = await ds.getRepository(SupervisionCase).findOneByOrFail({ id: c.id as string });
    const decision = await ds.getRepository(CaseDecision).findOneByOrFail({ caseId: c.id as string });
    const auditBefore = await count(`SELECT count(*)::int AS n FROM audit_entry`);
    await ds.transaction((m) => app.get(CaseEvents).emitFinal(m, { case: sc, decision, confirmedCategories: [], confirmedSeverities: [], actor: systemActor('test'), ip: null, at: new Date() }));
    expect(await count(`SELECT count(*)::int AS n FROM credit_entry WHERE cause_id = $1`, [c.id])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM audit_entry`)).toBe(auditBefore);
    expect(await standing(code)).toMatchObject({ score: 850 + expected });

    // The profile shows it with its cause and a link to the case.
    const prof = (await as(users.auditor!).get(`/api/credit/${code}`).expect(200)).body;
    expect(prof.standing).toMatchObject({ score: 850 + expected, grade: gradeOf(policy, 850 + expected).grade });
    expect(prof.entries).toMatchObject([{ id: e.id, kind: 'violation', points: expected, scoreAfter: 850 + expected, cause: { type: 'case', id: c.id, link: { href: `/console/cases/${c.id}`, label: c.number } } }]);
    expect(prof.history.map((h: Row) => h.score)).toEqual([850, 850 + expected]);
    expect((await credit.gradesFor([code, 'H00000000000'])).get(code)).toEqual({ score: 850 + expected, grade: prof.standing.grade, samplingRatio: prof.standing.samplingRatio });
    expect((await credit.gradesFor(['H00000000000'])).get('H00000000000')).toEqual({ score: 850, grade: 'B', samplingRatio: 0.1 });
  });

  it('deducts once per overdue recovery, however often the scan runs (CLI and job)', async () => {
    const c = ctx.a!;
    const code = c.institution_code as string;
    const before = (await standing(code))!.score as number;
    // Nothing is overdue yet.
    expect((await cli(['credit', 'scan'])).stdout).toMatch(/new deductions: 0/);
    await ds.query(`UPDATE recovery SET due_date = current_date - 3 WHERE case_id = $1`, [c.id]);
    const recoveries: { id: string }[] = await ds.query(`SELECT id FROM recovery WHERE case_id = $1 AND amount_paid < amount_due`, [c.id]);
    expect(recoveries.length).toBe(2);
    const first = await cli(['credit', 'scan']);
    expect(first.stdout).toMatch(/overdue recoveries: 2; new deductions: 2/);
    expect((await cli(['credit', 'scan'])).stdout).toMatch(/overdue recoveries: 2; new deductions: 0/);
    expect(await credit.scanOverdueRecoveries()).toEqual({ overdue: 2, deducted: 0 });
    // The job the daily scheduler enqueues runs the same scan (a retry or a second run adds nothing).
    const job = await app.get(JobQueue).enqueue('credit.overdue-scan', { trigger: 'test' }, `credit-scan-test-${Date.now()}`);
    expect(await job.finished()).toEqual({ overdue: 2, deducted: 0 });
    const rows: Row[] = await ds.query(`SELECT id::text AS id, cause_id, points, actor_name FROM credit_entry WHERE kind = 'overdue_recovery' AND institution_code = $1 ORDER BY id`, [code]);
    expect(rows.map((r) => r.cause_id).sort()).toEqual(recoveries.map((r) => r.id).sort());
    expect(rows.every((r) => r.points === -policy.overdueRecovery && String(r.actor_name).startsWith('cli:'))).toBe(true);
    ctx.overdueEntries = rows.map((r) => r.id as string);
    expect(await standing(code)).toMatchObject({ score: before - 2 * policy.overdueRecovery });
    for (const r of rows) expect(await auditOf('credit_entry', r.id as string)).toEqual(['credit.overdue_recovery']);
  });

  it('the institution appeals a deduction and a supervisor reverses it; illegal steps are refused', async () => {
    const code = ctx.a!.institution_code as string;
    const inst = await createUserWithToken(app, { role: 'institution', institutionCode: code });
    const other = await createUserWithToken(app, { role: 'institution', institutionCode: (await freshCase()).institution_code as string });
    const entryId = ctx.overdueEntries![0]!;
    const before = (await standing(code))!.score as number;

    await as(users.supervisor!).post(`/api/credit/entries/${entryId}/appeal`, { reason: 'x' }).expect(403);
    await as(other).post(`/api/credit/entries/${entryId}/appeal`, { reason: 'x' }).expect(404);
    expect((await as(inst).post(`/api/credit/entries/${entryId}/appeal`, {}).expect(400)).body.errors).toEqual([{ path: 'reason', reason: 'is required' }]);
    expect((await as(inst).post(`/api/credit/entries/abc/appeal`, { reason: 'x' }).expect(400)).body.errors[0].path).toBe('id');
    const filed = (await as(inst).post(`/api/credit/entries/${entryId}/appeal`, { reason: '已于到期日前通过医保结算抵扣，银行回单附后' }).expect(201)).body;
    expect(filed).toMatchObject({ type: 'appeal', status: 'open', entryId, institutionCode: code, overdue: false });
    expect(filed.dueOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await as(inst).post(`/api/credit/entries/${entryId}/appeal`, { reason: 'again' }).expect(409)).body.message).toMatch(/already appealed/);

    const queue = (await as(users.supervisor!).get('/api/credit/requests').expect(200)).body;
    expect(queue.items.map((r: Row) => r.id)).toContain(filed.id);
    expect((await as(inst).get('/api/credit/requests').expect(200)).body.items.every((r: Row) => r.institutionCode === code)).toBe(true);
    expect((await as(other).get('/api/credit/requests').expect(200)).body.items.map((r: Row) => r.id)).not.toContain(filed.id);

    expect((await as(users.supervisor!).post(`/api/credit/appeals/${filed.id}/decision`, { outcome: 'maybe', reason: 'x' }).expect(400)).body.errors[0].path).toBe('outcome');
    await as(inst).post(`/api/credit/appeals/${filed.id}/decision`, { outcome: 'reversed', reason: 'x' }).expect(403);
    const decided = (await as(users.supervisor!).post(`/api/credit/appeals/${filed.id}/decision`, { outcome: 'reversed', reason: '缴款凭证核实无误' }).expect(200)).body;
    expect(decided).toMatchObject({ status: 'reversed', decisionReason: '缴款凭证核实无误', decidedBy: users.supervisor!.id });
    const reversal: Row[] = await ds.query(`SELECT id::text AS id, kind, points, reverses_entry_id::text AS reverses FROM credit_entry WHERE reverses_entry_id = $1`, [entryId]);
    expect(reversal).toEqual([{ id: decided.resultEntryId, kind: 'appeal_reversal', points: policy.overdueRecovery, reverses: entryId }]);
    expect(await standing(code)).toMatchObject({ score: before + policy.overdueRecovery });
    expect((await as(users.supervisor!).post(`/api/credit/appeals/${filed.id}/decision`, { outcome: 'upheld', reason: 'x' }).expect(409)).body.message).toMatch(/is reversed/);
    expect(await auditOf('credit_request', filed.id)).toEqual(['credit.appeal', 'credit.appeal_decide']);
    expect(await auditOf('credit_entry', decided.resultEntryId)).toEqual(['credit.appeal_reversal']);

    // A bonus cannot be appealed; the other overdue deduction can, and an upheld appeal changes nothing.
    const second = ctx.overdueEntries![1]!;
    const f2 = (await as(inst).post(`/api/credit/entries/${second}/appeal`, { reason: '同上' }).expect(201)).body;
    const score = (await standing(code))!.score;
    expect((await as(users.admin!).post(`/api/credit/appeals/${f2.id}/decision`, { outcome: 'upheld', reason: '逾期属实' }).expect(200)).body).toMatchObject({ status: 'upheld', resultEntryId: null });
    expect((await standing(code))!.score).toBe(score);
  });

  it('bonuses: recorded by a supervisor, a pledge once a cycle, an unknown institution refused', async () => {
    const code = ctx.a!.institution_code as string;
    const before = (await standing(code))!.score as number;
    const b = (await as(users.supervisor!).post('/api/credit/bonuses', { institutionCode: code, kind: 'pledge_signed', reference: 'CN-2026-001', reason: '签署信用承诺书' }).expect(201)).body;
    expect(b).toMatchObject({ kind: 'bonus', points: policy.bonuses.pledge_signed.points, cause: { type: 'bonus', id: `pledge_signed:${cycle}` } });
    expect((await as(users.supervisor!).post('/api/credit/bonuses', { institutionCode: code, kind: 'pledge_signed', reference: 'CN-2026-002' }).expect(409)).body.message).toMatch(/once a cycle/);
    expect((await as(users.supervisor!).post('/api/credit/bonuses', { institutionCode: 'H99999999999', kind: 'self_correction', reference: 'R1' }).expect(400)).body.errors).toEqual([
      { path: 'institutionCode', reason: 'is not an imported institution' },
    ]);
    expect((await as(users.supervisor!).post('/api/credit/bonuses', { institutionCode: code, kind: 'gift' }).expect(400)).body.errors.map((e: Row) => e.path)).toEqual(['kind', 'reference']);
    await as(users.auditor!).post('/api/credit/bonuses', { institutionCode: code, kind: 'self_correction', reference: 'R1' }).expect(403);
    expect(await standing(code)).toMatchObject({ score: before + policy.bonuses.pledge_signed.points });
    expect(await auditOf('credit_entry', b.id)).toEqual(['credit.bonus']);
  });

  it('inspection results (the API the inspections module calls): violations deduct, a clean one earns the bonus, once per inspection', async () => {
    const code = ctx.a!.institution_code as string;
    const before = (await standing(code))!.score as number;
    const record = (inspectionId: string, outcome: 'compliant' | 'violations' | 'referred') =>
      ds.transaction((m) => credit.recordInspectionResult(m, { institutionCode: code, inspectionId, outcome, at: new Date(), actor: systemActor('inspections') }));
    expect(await record('JC-2026-001', 'violations')).toMatchObject({ created: true, points: -policy.inspection.violations });
    expect(await record('JC-2026-001', 'violations')).toMatchObject({ created: false });
    expect(await record('JC-2026-002', 'compliant')).toMatchObject({ created: true, points: policy.bonuses.clean_inspection.points });
    expect(await standing(code)).toMatchObject({ score: before - policy.inspection.violations + policy.bonuses.clean_inspection.points });
    await expect(record('', 'nonsense' as 'referred')).rejects.toMatchObject({ errors: [{ path: 'inspectionId', reason: expect.any(String) }, { path: 'outcome', reason: expect.any(String) }] });
    const rows: Row[] = await ds.query(`SELECT id::text AS id FROM credit_entry WHERE kind = 'inspection' AND institution_code = $1`, [code]);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(await auditOf('credit_entry', r.id as string)).toEqual(['credit.inspection']);
  });

  it('repair: refused before the waiting period, granted after it once the fault is confirmed rectified', async () => {
    // A's violation was decided today: too early.
    const aCode = ctx.a!.institution_code as string;
    const aInst = await createUserWithToken(app, { role: 'institution', institutionCode: aCode });
    const early = await as(aInst).post('/api/credit/repairs', { entryId: ctx.aEntry, reason: '已整改' }).expect(409);
    expect(early.body.message).toMatch(new RegExp(`^entry ${ctx.aEntry} can be repaired from \\d{4}-\\d{2}-\\d{2}: 6 months after the decision`));
    expect(await count(`SELECT count(*)::int AS n FROM credit_request WHERE type = 'repair'`)).toBe(0);

    // B's violation (fraud) was decided seven months ago.
    const b = await freshCase();
    ctx.b = b;
    const bCode = b.institution_code as string;
    await workToFinal(b, '40', 7);
    const [entry] = (await ds.query(`SELECT id::text AS id, points FROM credit_entry WHERE cause_id = $1`, [b.id])) as { id: string; points: number }[];
    expect(entry!.points).toBe(await expectedDeduction(b.id as string, '40'));
    ctx.bEntry = entry!.id;
    const bInst = await createUserWithToken(app, { role: 'institution', institutionCode: bCode });
    await as(aInst).post('/api/credit/repairs', { entryId: entry!.id, reason: 'x' }).expect(404); // not A's entry
    expect((await as(bInst).post('/api/credit/repairs', { entryId: 'x' }).expect(400)).body.errors.map((e: Row) => e.path)).toEqual(['entryId', 'reason']);
    const filed = (await as(bInst).post('/api/credit/repairs', { entryId: entry!.id, reason: '已完成整改并退回全部违规费用' }).expect(201)).body;
    expect(filed).toMatchObject({ type: 'repair', status: 'open', institutionCode: bCode });
    expect((await as(bInst).post('/api/credit/repairs', { entryId: entry!.id, reason: 'again' }).expect(409)).body.message).toMatch(/already has a repair request/);

    const sup = as(users.supervisor!);
    expect((await sup.post(`/api/credit/repairs/${filed.id}/decision`, { outcome: 'granted', reason: '核实' }).expect(400)).body.errors).toEqual([
      { path: 'rectified', reason: 'must be true: confirm that the institution rectified the fault' },
    ]);
    const granted = (await sup.post(`/api/credit/repairs/${filed.id}/decision`, { outcome: 'granted', reason: '现场核实整改到位', rectified: true }).expect(200)).body;
    expect(granted).toMatchObject({ status: 'granted', rectified: true });
    const repair: Row[] = await ds.query(`SELECT kind, points, reverses_entry_id::text AS reverses FROM credit_entry WHERE id = $1`, [granted.resultEntryId]);
    expect(repair).toEqual([{ kind: 'repair', points: -entry!.points, reverses: entry!.id }]);
    expect(await standing(bCode)).toMatchObject({ score: 850, grade: 'B' });
    expect(await auditOf('credit_request', filed.id)).toEqual(['credit.repair_request', 'credit.repair_decide']);
    expect(await auditOf('credit_entry', granted.resultEntryId)).toEqual(['credit.repair']);
    // Repaired once: neither a second repair nor an appeal of it.
    expect((await as(bInst).post('/api/credit/repairs', { entryId: entry!.id, reason: 'again' }).expect(409)).body.message).toMatch(/already has a repair request|already undone/);
    expect((await as(bInst).post(`/api/credit/entries/${entry!.id}/appeal`, { reason: 'x' }).expect(409)).body.message).toMatch(/already undone/);
  });

  it('what-if through the API recomputes every grade under a draft and writes nothing; a broken draft is a 400 naming the line', async () => {
    const tables = ['credit_entry', 'credit_standing', 'credit_policy_version', 'credit_request', 'credit_cycle', 'audit_entry'];
    const snapshot = async () => Promise.all(tables.map((t) => ds.query(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h, count(*)::int AS n FROM ${t} t`)));
    const before = await snapshot();
    const shipped = readFileSync(defaultPolicyFile(), 'utf8');
    // Heavier fraud, and B from 860: the base is C now.
    const draft = shipped.replace('"40": 120', '"40": 400').replace('min_score: 850', 'min_score: 860');
    const r = (await request(app.getHttpServer()).post('/api/credit/what-if').set(bearer(users.supervisor!.token)).set('Content-Type', 'application/yaml').send(draft).expect(200)).body;
    const institutions = await count(`SELECT count(*)::int AS n FROM institution`);
    expect(r.summary.institutions).toBe(institutions);
    expect(r.draft.sameAsCurrent).toBe(false);
    expect(r.summary.moves.find((m: Row) => m.move === 'B→C').count).toBeGreaterThan(institutions / 2);
    const a = r.institutions.find((i: Row) => i.institutionCode === ctx.a!.institution_code);
    expect(a.current.score).toBe((await standing(ctx.a!.institution_code as string))!.score);
    const b = r.institutions.find((i: Row) => i.institutionCode === ctx.b!.institution_code);
    expect(b).toMatchObject({ current: { score: 850, grade: 'B' }, draft: { score: 850, grade: 'C' } }); // the repair restores the heavier deduction too
    expect(await snapshot()).toEqual(before);

    // JSON too: the policy object, or { policy: "<yaml>" }; the policy in force moves nobody.
    const same = (await as(users.admin!).post('/api/credit/what-if', { policy: shipped }).expect(200)).body;
    expect(same).toMatchObject({ draft: { sameAsCurrent: true }, summary: { gradeMoved: 0, scoreChanged: 0 } });
    expect((await as(users.admin!).post('/api/credit/what-if', loadPolicyFile(defaultPolicyFile()).content).expect(200)).body.summary.gradeMoved).toBe(0);

    const broken = shipped.replace('  base: 850', '  base: 1850');
    const line = broken.split('\n').findIndex((l) => l.includes('base: 1850')) + 1;
    const bad = (await request(app.getHttpServer()).post('/api/credit/what-if').set(bearer(users.supervisor!.token)).set('Content-Type', 'text/plain').send(broken).expect(400)).body;
    expect(bad.errors).toEqual([{ path: `draft:${line}`, reason: 'scale.base: must lie between minimum (0) and maximum (1000)' }]);
    expect((await as(users.supervisor!).post('/api/credit/what-if', {}).expect(400)).body.errors[0].path).toBe('body');
    await as(users.auditor!).post('/api/credit/what-if', { policy: shipped }).expect(403);
    expect(await snapshot()).toEqual(before);

    // The CLI prints the same comparison from a file.
    const file = join(dataDir, 'draft.yaml');
    writeFileSync(file, draft);
    const out = await cli(['credit', 'what-if', '--policy', file]);
    expect(out.stdout).toMatch(/B→C \d+/);
    expect(await snapshot()).toEqual(before);
  });

  it('a broken policy file stops the CLI, naming the file and line', async () => {
    const file = join(dataDir, 'broken-credit-policy.yaml');
    const shipped = readFileSync(defaultPolicyFile(), 'utf8');
    writeFileSync(file, shipped.replace('    min_score: 700', '    min_score: 900'));
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('min_score: 900')) + 1;
    const fail = await cli(['credit', 'scan'], { CREDIT_POLICY_FILE: file }).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(fail).not.toBeNull();
    expect(fail!.code).not.toBe(0);
    expect(fail!.stderr + fail!.stdout).toContain(`${file}:${line}: grades[2].min_score: must be below the previous grade's (B: 850)`);
    // A broken draft for what-if names its line too, and changes nothing.
    const wi = await cli(['credit', 'what-if', '--policy', file]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(wi!.code).not.toBe(0);
    expect(wi!.stderr).toMatch(new RegExp(`broken-credit-policy\\.yaml:${line}: grades\\[2\\]\\.min_score`));
  });

  it('the rollover archives the closed cycle once and the next cycle starts at the base', async () => {
    const code = ctx.a!.institution_code as string;
    const last = cycle - 1;
    // A year-old ledger: two deductions recorded last year.
    for (const [i, points] of [[1, -200], [2, -130]] as const) {
      await ds.query(
        `INSERT INTO credit_entry (institution_code, cycle, points, kind, cause_type, cause_id, cause_facts, policy_version, reason_zh, reason_en, actor_name, actor_role, effective_at)
         VALUES ($1, $2, $3, 'inspection', 'inspection', $4, $5, 1, '检查发现违规', 'inspection: violations', 'test', 'system', now() - interval '1 year')`,
        [code, last, points, `old-${i}`, JSON.stringify({ type: 'inspection', inspectionId: `old-${i}`, outcome: 'violations', at: new Date().toISOString() })],
      );
    }
    const currentBefore = await standing(code);
    await expect(credit.rollover(cycle, systemActor('test'))).rejects.toThrow(`cycle ${cycle} has not ended`);
    const out = await cli(['credit', 'rollover', '--year', String(last)]);
    expect(out.stdout).toMatch(new RegExp(`cycle ${last} closed: \\d+ institutions archived .*; cycle ${cycle} starts at the base`));
    const archived = await standing(code, last);
    expect(archived).toMatchObject({ score: 520, grade: 'E' });
    expect(archived!.closed_at).not.toBeNull();
    expect(await standing(code)).toEqual(currentBefore); // the current cycle is untouched
    const institutions = await count(`SELECT count(*)::int AS n FROM institution`);
    expect(await count(`SELECT count(*)::int AS n FROM credit_standing WHERE cycle = $1 AND closed_at IS NOT NULL`, [last])).toBe(institutions);
    const [cy] = (await ds.query(`SELECT institutions, grade_counts FROM credit_cycle WHERE year = $1`, [last])) as Row[];
    expect(cy).toMatchObject({ institutions, grade_counts: expect.objectContaining({ E: 1, B: institutions - 1 }) });
    expect(await auditOf('credit_cycle', String(last))).toEqual(['credit.rollover']);
    // Once per year.
    expect((await cli(['credit', 'rollover', '--year', String(last)])).stdout).toMatch(/already closed/);
    expect(await auditOf('credit_cycle', String(last))).toEqual(['credit.rollover']);
    // The archived year is still readable in the profile.
    const prof = (await as(users.supervisor!).get(`/api/credit/${code}?cycle=${last}`).expect(200)).body;
    expect(prof).toMatchObject({ cycle: last, closed: true, standing: { score: 520, grade: 'E' } });
    expect(prof.cycles.map((c: Row) => c.cycle)).toEqual([cycle, last]);
  });

  it('lists institutions with grade counts and filters; an institution sees only its own record', async () => {
    const aCode = ctx.a!.institution_code as string;
    const list = (await as(users.auditor!).get('/api/credit?pageSize=500').expect(200)).body;
    const institutions = await count(`SELECT count(*)::int AS n FROM institution`);
    expect(list.total).toBe(institutions);
    expect(list.gradeCounts.reduce((s: number, g: Row) => s + (g.count as number), 0)).toBe(institutions);
    expect(list.items[0].score).toBeLessThanOrEqual(list.items[list.items.length - 1].score); // worst first
    const a = list.items.find((i: Row) => i.institutionCode === aCode);
    expect(a.score).toBe((await standing(aCode))!.score);
    const c = (await as(users.auditor!).get(`/api/credit?grade=${a.grade}`).expect(200)).body;
    expect(c.items.every((i: Row) => i.grade === a.grade)).toBe(true);
    expect((await as(users.auditor!).get('/api/credit?grade=7&level=x').expect(400)).body.errors.map((e: Row) => e.path)).toEqual(['grade', 'level']);

    const inst = await createUserWithToken(app, { role: 'institution', institutionCode: aCode });
    await as(inst).get('/api/credit').expect(403);
    expect((await as(inst).get(`/api/credit/${ctx.b!.institution_code}`).expect(403)).body.errors[0].path).toBe('code');
    const own = (await as(inst).get(`/api/credit/${aCode.toLowerCase()}`).expect(200)).body;
    expect(own.institution.code).toBe(aCode);
    await as(users.inspector!).get(`/api/credit/${aCode}`).expect(403);

    // The console: the institution is sent to its own page, which draws the score and lists the entries.
    const page = await request(app.getHttpServer()).get('/console/credit').set(bearer(inst.token)).redirects(0).expect(303);
    expect(page.headers.location).toBe(`/console/credit/${aCode}`);
    const html = (await request(app.getHttpServer()).get(`/console/credit/${aCode}`).set(bearer(inst.token)).expect(200)).text;
    expect(html).toContain('<svg');
    expect(html).toContain(`/console/cases/${ctx.a!.id}`);
    expect(html).toContain(ctx.a!.number as string);
    await request(app.getHttpServer()).get(`/console/credit/${ctx.b!.institution_code}`).set(bearer(inst.token)).expect(403);
    const supPage = (await request(app.getHttpServer()).get('/console/credit?lang=en').set(bearer(users.supervisor!.token)).expect(200)).text;
    expect(supPage).toContain('Institutions per grade');
    expect((await request(app.getHttpServer()).get('/console/credit/requests').set(bearer(users.supervisor!.token)).expect(200)).text).toContain('<h1>');
  });

  it('the console forms: a supervisor records a bonus, a refused form shows its field errors, an institution appeals', async () => {
    const code = ctx.a!.institution_code as string;
    const login = (u: TestUser) => consoleLogin(app, u);
    const sup = await login(users.supervisor!);
    const page = await sup.get(`/console/credit/${code}`).expect(200);
    expect(page.text).not.toMatch(/<script\b/i);
    const token = csrfOf(page.text);
    const refused = await sup.post(`/console/credit/${code}/bonuses`).type('form').send({ _csrf: token, kind: 'self_correction', reference: '' }).expect(400);
    expect(refused.text).toMatch(/凭证编号[^<]*\(<code>reference<\/code>\)/);
    const ok = await sup.post(`/console/credit/${code}/bonuses`).type('form').send({ _csrf: token, kind: 'self_correction', reference: 'ZC-2026-07', reason: '主动退回' }).redirects(0).expect(303);
    expect(ok.headers.location).toBe(`/console/credit/${code}?ok=creditBonusRecorded`);
    expect((await sup.get(ok.headers.location).expect(200)).text).toContain('已记录加分');
    expect(await count(`SELECT count(*)::int AS n FROM credit_entry WHERE institution_code = $1 AND cause_id = 'self_correction:ZC-2026-07'`, [code])).toBe(1);

    // The institution appeals its latest deduction from its page; the supervisor decides it from the queue.
    const inst = await createUserWithToken(app, { role: 'institution', institutionCode: code });
    const ia = await login(inst);
    const own = await ia.get(`/console/credit/${code}`).expect(200);
    const m = /action="\/console\/credit\/entries\/(\d+)\/appeal"/.exec(own.text);
    expect(m).not.toBeNull(); // the violation of A is still within its appeal window
    const res = await ia.post(`/console/credit/entries/${m![1]}/appeal`).type('form').send({ _csrf: csrfOf(own.text), reason: '页面申诉' }).redirects(0).expect(303);
    expect(res.headers.location).toBe(`/console/credit/${code}?ok=creditAppealFiled`);
    expect((await sup.get('/console/credit/requests').expect(200)).text).toContain('页面申诉');
  });

  it('a new policy content becomes version 2 at the next start and regrades the standings; entries keep their version', async () => {
    const code = ctx.b!.institution_code as string; // at 850 after the repair
    const file = join(dataDir, 'policy-v2.yaml');
    writeFileSync(file, readFileSync(defaultPolicyFile(), 'utf8').replace('min_score: 850', 'min_score: 860'));
    const out = await cli(['credit', 'recompute'], { CREDIT_POLICY_FILE: file });
    expect(out.stdout).toMatch(/standing\(s\) recomputed/);
    const versions: Row[] = await ds.query(`SELECT version, source FROM credit_policy_version ORDER BY version`);
    expect(versions).toEqual([
      { version: 1, source: defaultPolicyFile() },
      { version: 2, source: file },
    ]);
    expect(await auditOf('credit_policy_version', '2')).toEqual(['credit.policy_version']);
    const [changed] = (await ds.query(`SELECT before, after FROM audit_entry WHERE action = 'credit.policy_version'`)) as { before: Row; after: Row }[];
    expect(changed).toMatchObject({ before: { version: 1, source: defaultPolicyFile() }, after: { version: 2, source: file } });
    expect(await standing(code)).toMatchObject({ score: 850, grade: 'C' });
    expect(await count(`SELECT count(*)::int AS n FROM credit_entry WHERE policy_version <> 1`)).toBe(0);
    const [recompute] = (await ds.query(`SELECT after FROM audit_entry WHERE action = 'credit.recompute' ORDER BY seq DESC LIMIT 1`)) as { after: { policyVersion: number; changed: number } }[];
    expect(recompute!.after).toMatchObject({ policyVersion: 2 });
    expect(recompute!.after.changed).toBeGreaterThan(0);
    // Starting again with the same content adds no version.
    await cli(['credit', 'recompute'], { CREDIT_POLICY_FILE: file });
    expect(await count(`SELECT count(*)::int AS n FROM credit_policy_version`)).toBe(2);
  });
});
