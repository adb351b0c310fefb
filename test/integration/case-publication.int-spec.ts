import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CasePublicationService, localDateOf } from '../../src/cases/case-publication.service';
import { fenOf, yuanText } from '../../src/cases/money';
import { fineFen } from '../../src/cases/penalties';
import { patientPseudonym } from '../../src/cases/pseudonym';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { createTestHttp } from '../support/app';
import { apiAs, createUserWithToken, TestUser, consoleLogin, csrfOf, expectAccessiblePage } from '../support/auth';
import { importAndOpenCases } from '../support/pipeline';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

type Row = Record<string, unknown>;

/**
 * 曝光台 end to end on PostgreSQL and Redis: nothing about a case can be marked before its violation
 * decision is final (409 naming the status), dismissed cases never; a final case marked by a
 * supervisor is listed with its date, institution, behaviour, legal basis, exact amounts and outcome
 * and nothing about patients, claims or physicians; re-marking and withdrawing are audited; a case
 * whose status changes drops out of the list on the next read; the console form works with CSRF.
 */
describe('case publication (曝光台) (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_pub');
  const { config } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-pub-'));
  let app: INestApplication;
  let ds: DataSource;
  let pub: CasePublicationService;
  const users: Record<string, TestUser> = {};
  const as = (u: TestUser) => apiAs(app, u);
  const caseRow = async (id: string) => ((await ds.query(`SELECT * FROM supervision_case WHERE id = $1`, [id])) as Row[])[0]!;
  const audits = async (id: string) =>
    (await ds.query(`SELECT action, before, after, actor_name FROM audit_entry WHERE entity_type = 'case' AND entity_id = $1 AND action LIKE 'case.publication.%' ORDER BY seq`, [id])) as {
      action: string;
      before: Row | null;
      after: Row | null;
      actor_name: string;
    }[];

  /** An open findings case of an institution not used yet, without retired findings, with money at risk. */
  const usedInstitutions = new Set<string>();
  const freshCase = async (): Promise<Row> => {
    const rows: Row[] = await ds.query(
      `SELECT c.* FROM supervision_case c WHERE c.kind = 'findings' AND c.status = 'open' AND c.finding_count >= 1 AND c.amount_at_risk > 1
         AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id AND f.status = 'retired')
       ORDER BY c.finding_count DESC, c.number`,
    );
    const c = rows.find((r) => !usedInstitutions.has(r.institution_code as string))!;
    expect(c).toBeDefined();
    usedInstitutions.add(c.institution_code as string);
    return c;
  };

  /** Everything that identifies people or claims of a case: what the public list must never contain. */
  const identifiersOf = async (caseId: string) => {
    const rows = (await ds.query(
      `SELECT cl.patient_key, cl.claim_id, cl.physician_code, p.name AS physician_name
       FROM case_finding cf JOIN finding f ON f.id = cf.finding_id JOIN claim cl ON cl.id = f.claim_pk LEFT JOIN physician p ON p.code = cl.physician_code
       WHERE cf.case_id = $1`,
      [caseId],
    )) as { patient_key: string; claim_id: string; physician_code: string | null; physician_name: string | null }[];
    const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))];
    const patientKeys = uniq(rows.map((r) => r.patient_key.trim()));
    return {
      patientKeys,
      pseudonyms: patientKeys.map(patientPseudonym),
      claimIds: uniq(rows.map((r) => r.claim_id)),
      physicianCodes: uniq(rows.map((r) => r.physician_code)),
      physicianNames: uniq(rows.map((r) => r.physician_name)),
    };
  };

  const decision38 = (c: Row) => ({ violationType: '超标准收费', article: '38', clauseText: '第三十八条第（三）项', amountToRecover: c.amount_at_risk, fineMultiple: '1.5', suspensionMonths: 0, agreementAction: 'rectify', reason: '内部意见：机构负责人态度配合 INTERNAL-NOTE-38' });

  /** Review, confirm every finding, decide, and make the decision final at once (the institution waived its appeal). */
  const workToFinal = async (c: Row, decision: Record<string, unknown>) => {
    const sup = as(users.supervisor!);
    const id = c.id as string;
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await sup.post(`/api/cases/${id}/confirm`).expect(200);
    await sup.post(`/api/cases/${id}/decision`, decision).expect(200);
    await sup.post(`/api/cases/${id}/finalize`, { waived: true }).expect(200);
    expect((await caseRow(id)).status).toBe('final');
  };

  const ctx: { a?: Row; b?: Row; bPhysician?: string } = {};

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 3000, seed: 'publication-it' });
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    pub = app.get(CasePublicationService);
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    for (const role of ['admin', 'supervisor', 'auditor'] as const) users[role] = await createUserWithToken(app, { role });
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('refuses to mark a case whose decision is not final (open, in_review, confirmed, decided): 409 naming the status, nothing written', async () => {
    const c = await freshCase();
    ctx.a = c;
    const id = c.id as string;
    const sup = as(users.supervisor!);
    const body = { summaryZh: '经查，该机构存在超标准收费行为。' };
    const tryMark = async (status: string) => {
      const res = await sup.post(`/api/cases/${id}/publication`, body).expect(409);
      expect(res.body.message).toBe(`case ${c.number} is ${status}; only a case whose violation decision is final (status final or closed) can be published`);
    };
    await tryMark('open');
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await tryMark('in_review');
    await sup.post(`/api/cases/${id}/confirm`).expect(200);
    await tryMark('confirmed');
    await sup.post(`/api/cases/${id}/decision`, decision38(c)).expect(200);
    await tryMark('decided');
    // By case number too.
    expect((await sup.post(`/api/cases/${c.number}/publication`, body).expect(409)).body.message).toMatch(/is decided;/);
    const view = (await as(users.auditor!).get(`/api/cases/${id}/publication`).expect(200)).body;
    expect(view).toMatchObject({ caseId: id, caseNumber: c.number, status: 'decided', publication: null, listed: null });
    expect(view.refusal).toMatch(/is decided;/);
    expect(await ds.query(`SELECT * FROM case_publication`)).toEqual([]);
    expect(await audits(id)).toEqual([]);
    expect(await pub.listPublished()).toEqual([]);
  });

  it('never publishes a dismissed case, nor one closed after its dismissal', async () => {
    const c = await freshCase();
    const id = c.id as string;
    const sup = as(users.supervisor!);
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await sup.post(`/api/cases/${id}/dismiss`, { reason: '医嘱齐全，不构成违规' }).expect(200);
    const dismissed = await sup.post(`/api/cases/${id}/publication`, { summaryZh: '测试' }).expect(409);
    expect(dismissed.body.message).toMatch(new RegExp(`^case ${c.number} is dismissed;`));
    await sup.post(`/api/cases/${id}/close`, {}).expect(200);
    expect((await caseRow(id)).status).toBe('closed');
    const closed = await sup.post(`/api/cases/${id}/publication`, { summaryZh: '测试' }).expect(409);
    expect(closed.body.message).toBe(`case ${c.number} is closed without a final violation decision (it was dismissed); nothing to publish`);
    expect(await ds.query(`SELECT * FROM case_publication WHERE case_id = $1`, [id])).toEqual([]);
  });

  it('a final case is marked by a supervisor (not by an institution or an auditor) and listed with exactly the public fields', async () => {
    const c = ctx.a!;
    const id = c.id as string;
    const sup = as(users.supervisor!);
    await sup.post(`/api/cases/${id}/finalize`, { waived: true }).expect(200);
    expect((await caseRow(id)).status).toBe('final');

    // Bad summaries: 400 naming the field.
    const missing = await sup.post(`/api/cases/${id}/publication`, { summaryEn: 'x' }).expect(400);
    expect(missing.body.errors).toEqual([{ path: 'summaryZh', reason: expect.stringMatching(/^is required/) }]);
    const long = await sup.post(`/api/cases/${id}/publication`, { summaryZh: '违'.repeat(1001) }).expect(400);
    expect(long.body.errors).toEqual([{ path: 'summaryZh', reason: 'must be at most 1000 characters (it has 1001)' }]);
    const ids = await identifiersOf(id);
    const naming = await sup.post(`/api/cases/${id}/publication`, { summaryZh: `单据 ${ids.claimIds[0]} 超标准收费`, summaryEn: `Patient ${ids.pseudonyms[0]}` }).expect(400);
    expect(naming.body.errors).toEqual([
      { path: 'summaryZh', reason: 'must not identify a patient, claim or physician: contains a claim id of the case' },
      { path: 'summaryEn', reason: 'must not identify a patient, claim or physician: contains a patient pseudonym' },
    ]);

    // Only supervisors and admins mark: the institution itself and an auditor are refused.
    const inst = await createUserWithToken(app, { role: 'institution', institutionCode: c.institution_code as string });
    expect((await as(inst).post(`/api/cases/${id}/publication`, { summaryZh: '经查' }).expect(403)).body.error).toBe('FORBIDDEN');
    await as(inst).get(`/api/cases/${id}/publication`).expect(403);
    await as(users.auditor!).post(`/api/cases/${id}/publication`, { summaryZh: '经查' }).expect(403);
    expect(await ds.query(`SELECT * FROM case_publication`)).toEqual([]);

    const summaryZh = '经查，该机构在结算中存在超过限价收取费用的行为。';
    const marked = (await sup.post(`/api/cases/${id}/publication`, { summaryZh }).expect(200)).body;
    expect(marked.publication).toMatchObject({ state: 'published', summaryZh, summaryEn: null, markedBy: users.supervisor!.id, markedByName: users.supervisor!.name, withdrawnAt: null });

    const sc = await caseRow(id);
    const [inst0] = (await ds.query(`SELECT code, name, kind, level, region FROM institution WHERE code = $1`, [c.institution_code])) as Row[];
    const cats = ((await ds.query(`SELECT DISTINCT f.category FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1 AND f.status = 'confirmed' ORDER BY 1`, [id])) as { category: string }[]).map((r) => r.category);
    expect(cats.length).toBeGreaterThan(0);
    const refundFen = fenOf(c.amount_at_risk as string);
    const [row, ...rest] = await pub.listPublished();
    expect(rest).toEqual([]);
    expect(row).toEqual({
      caseNumber: c.number,
      finalOn: localDateOf(sc.final_at as Date),
      institution: { code: inst0!.code, name: inst0!.name, kind: inst0!.kind, level: inst0!.level, region: inst0!.region },
      behaviour: { violationType: '超标准收费', categories: cats, summaryZh, summaryEn: null },
      legalBasis: {
        article: '38',
        clause: '第三十八条第（三）项',
        text: { zh: '《医疗保障基金使用监督管理条例》第三十八条', en: 'Article 38 of the Regulations on the Supervision and Administration of the Use of Medical Security Funds' },
      },
      amounts: { refund: yuanText(refundFen), fine: yuanText(fineFen(refundFen, 150n)) },
      outcome: { fineMultiple: '1.50', suspensionMonths: 0, agreementAction: 'rectify', agreementActionZh: '限期整改', agreementTerminated: false, appeal: null },
      markedAt: expect.any(Date),
    });
    // The staff view shows exactly the public row.
    expect(marked.listed).toEqual(JSON.parse(JSON.stringify(row)));

    const json = JSON.stringify(await pub.listPublished());
    for (const s of [...ids.patientKeys, ...ids.pseudonyms, ...ids.claimIds, ...ids.physicianCodes, ...ids.physicianNames, 'INTERNAL-NOTE-38', users.supervisor!.name, users.supervisor!.id]) {
      expect([s, json.includes(s)]).toEqual([s, false]);
    }
    expect(ids.patientKeys.length).toBeGreaterThan(0);
    expect(ids.claimIds.length).toBeGreaterThan(0);

    const a = await audits(id);
    expect(a.map((x) => x.action)).toEqual(['case.publication.mark']);
    expect(a[0]).toMatchObject({ before: null, after: { caseNumber: c.number, state: 'published', summaryZh, summaryEn: null }, actor_name: users.supervisor!.name });
  });

  it('marking again replaces the summary (audited before/after); the same text again changes nothing', async () => {
    const c = ctx.a!;
    const id = c.id as string;
    const admin = as(users.admin!);
    const summaryZh = '经查，该机构存在超过限价收费的行为，已责令退回并处罚款。';
    const summaryEn = 'The institution charged above the price ceiling; it was ordered to refund and fined.';
    await admin.post(`/api/cases/${id}/publication`, { summaryZh, summaryEn }).expect(200);
    await admin.post(`/api/cases/${id}/publication`, { summaryZh: ` ${summaryZh} `, summaryEn }).expect(200);
    const a = await audits(id);
    expect(a.map((x) => x.action)).toEqual(['case.publication.mark', 'case.publication.mark']);
    expect(a[1]!.before).toMatchObject({ summaryZh: '经查，该机构在结算中存在超过限价收取费用的行为。', summaryEn: null, state: 'published' });
    expect(a[1]!.after).toMatchObject({ summaryZh, summaryEn, state: 'published' });
    expect(a[1]!.actor_name).toBe(users.admin!.name);
    const [row] = await pub.listPublished();
    expect(row!.behaviour).toMatchObject({ summaryZh, summaryEn });
    const [p] = (await ds.query(`SELECT marked_by, marked_by_name FROM case_publication WHERE case_id = $1`, [id])) as Row[];
    expect(p).toEqual({ marked_by: users.admin!.id, marked_by_name: users.admin!.name });
  });

  it('lists newest final decision first, filters by institution and final date, and keeps a closed case listed', async () => {
    const b = await freshCase();
    ctx.b = b;
    const id = b.id as string;
    const [{ physician_code: physician }] = (await ds.query(
      `SELECT cl.physician_code FROM case_finding cf JOIN finding f ON f.id = cf.finding_id JOIN claim cl ON cl.id = f.claim_pk JOIN physician p ON p.code = cl.physician_code WHERE cf.case_id = $1 LIMIT 1`,
      [id],
    )) as { physician_code: string }[];
    ctx.bPhysician = physician;
    await workToFinal(b, {
      violationType: '虚构医疗服务',
      article: '40',
      amountToRecover: b.amount_at_risk,
      fineMultiple: '2.5',
      suspensionMonths: 6,
      agreementAction: 'suspend',
      responsiblePhysicianCode: physician,
      physicianPoints: 6,
      reason: '内部意见 INTERNAL-NOTE-40',
    });
    await as(users.supervisor!).post(`/api/cases/${id}/publication`, { summaryZh: '经查，该机构虚构医疗服务骗取医保基金。' }).expect(200);
    // Time passes for case A: its decision became final ten days ago.
    await ds.query(`UPDATE supervision_case SET final_at = final_at - interval '10 days' WHERE id = $1`, [ctx.a!.id]);
    const a = await caseRow(ctx.a!.id as string);
    const bRow = await caseRow(id);

    const all = await pub.listPublished();
    expect(all.map((r) => r.caseNumber)).toEqual([b.number, ctx.a!.number]);
    expect(all[1]!.finalOn).toBe(localDateOf(a.final_at as Date));
    const refundFen = fenOf(b.amount_at_risk as string);
    expect(all[0]).toMatchObject({
      legalBasis: { article: '40', clause: null, text: { zh: '《医疗保障基金使用监督管理条例》第四十条' } },
      amounts: { refund: yuanText(refundFen), fine: yuanText(fineFen(refundFen, 250n)) },
      outcome: { fineMultiple: '2.50', suspensionMonths: 6, agreementAction: 'suspend', agreementActionZh: '暂停医保服务', agreementTerminated: false, appeal: null },
    });

    expect((await pub.listPublished({ institutionCode: (b.institution_code as string).toLowerCase() })).map((r) => r.caseNumber)).toEqual([b.number]);
    expect(await pub.listPublished({ institutionCode: 'H99999999999' })).toEqual([]);
    const aFinal = a.final_at as Date;
    expect((await pub.listPublished({ until: aFinal })).map((r) => r.caseNumber)).toEqual([ctx.a!.number]);
    expect((await pub.listPublished({ until: new Date(aFinal.getTime() - 1) })).map((r) => r.caseNumber)).toEqual([]);
    expect((await pub.listPublished({ from: new Date(aFinal.getTime() + 1) })).map((r) => r.caseNumber)).toEqual([b.number]);
    expect((await pub.listPublished({ from: aFinal, until: bRow.final_at as Date })).map((r) => r.caseNumber)).toEqual([b.number, ctx.a!.number]);

    // Closing (money still outstanding, so with a reason) keeps it listed.
    await as(users.supervisor!).post(`/api/cases/${id}/close`, { reason: '移交强制执行' }).expect(200);
    expect((await caseRow(id)).status).toBe('closed');
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([b.number, ctx.a!.number]);

    // Nothing about the responsible physician, the claims or the patients of either case.
    const json = JSON.stringify(await pub.listPublished());
    const [pname] = (await ds.query(`SELECT name FROM physician WHERE code = $1`, [physician])) as { name: string }[];
    const idsB = await identifiersOf(id);
    for (const s of [physician, pname!.name, 'INTERNAL-NOTE-40', ...idsB.patientKeys, ...idsB.pseudonyms, ...idsB.claimIds, ...idsB.physicianCodes]) {
      expect([s, json.includes(s)]).toEqual([s, false]);
    }
  });

  it('a marked case whose status changes drops out of the list on the next read, and cannot be re-marked until final again', async () => {
    const b = ctx.b!;
    const id = b.id as string;
    // No workflow step leads back from closed; a correction made directly in the database (or a future reopening) must still hide it.
    await ds.query(`UPDATE supervision_case SET status = 'appealed' WHERE id = $1`, [id]);
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([ctx.a!.number]);
    const view = (await as(users.supervisor!).get(`/api/cases/${id}/publication`).expect(200)).body;
    expect(view).toMatchObject({ status: 'appealed', listed: null, publication: { state: 'published' } });
    expect(view.refusal).toMatch(/is appealed;/);
    const again = await as(users.supervisor!).post(`/api/cases/${id}/publication`, { summaryZh: '新的摘要' }).expect(409);
    expect(again.body.message).toMatch(new RegExp(`^case ${b.number} is appealed;`));

    // A final status without the final decision date (e.g. dismissed data) is not enough either.
    await ds.query(`UPDATE supervision_case SET status = 'closed', final_at = NULL WHERE id = $1`, [id]);
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([ctx.a!.number]);
    // A decision that is superseded with no replacement in force hides it too.
    await ds.query(`UPDATE supervision_case SET final_at = now() WHERE id = $1`, [id]);
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([b.number, ctx.a!.number]);
    await ds.query(`UPDATE case_decision SET superseded_by = id WHERE case_id = $1`, [id]);
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([ctx.a!.number]);
    await ds.query(`UPDATE case_decision SET superseded_by = NULL WHERE case_id = $1`, [id]);
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([b.number, ctx.a!.number]);
  });

  it('withdrawal needs a reason, takes the case off the list, is audited, and cannot be repeated', async () => {
    const b = ctx.b!;
    const id = b.id as string;
    const sup = as(users.supervisor!);
    const noReason = await sup.post(`/api/cases/${id}/publication/withdraw`, { reason: ' ' }).expect(400);
    expect(noReason.body.errors).toEqual([{ path: 'reason', reason: expect.stringMatching(/^is required/) }]);
    const inst = await createUserWithToken(app, { role: 'institution', institutionCode: b.institution_code as string });
    await as(inst).post(`/api/cases/${id}/publication/withdraw`, { reason: '请撤下' }).expect(403);

    const view = (await sup.post(`/api/cases/${id}/publication/withdraw`, { reason: '行政复议中，暂停公开' }).expect(200)).body;
    expect(view).toMatchObject({ listed: null, publication: { state: 'withdrawn', withdrawnBy: users.supervisor!.id, withdrawnByName: users.supervisor!.name, withdrawReason: '行政复议中，暂停公开' } });
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([ctx.a!.number]);
    const again = await sup.post(`/api/cases/${id}/publication/withdraw`, { reason: '再次' }).expect(409);
    expect(again.body.message).toMatch(new RegExp(`^the publication of case ${b.number} is already withdrawn`));
    const unmarked = await freshCase();
    expect((await sup.post(`/api/cases/${unmarked.id}/publication/withdraw`, { reason: '无' }).expect(409)).body.message).toBe(`case ${unmarked.number} is not marked for publication; nothing to withdraw`);

    const a = await audits(id);
    expect(a.map((x) => x.action)).toEqual(['case.publication.mark', 'case.publication.withdraw']);
    expect(a[1]).toMatchObject({ before: { state: 'published' }, after: { state: 'withdrawn', withdrawReason: '行政复议中，暂停公开' } });

    // Marked again later: listed again, and the history keeps all three steps.
    await sup.post(`/api/cases/${id}/publication`, { summaryZh: '经查，该机构虚构医疗服务骗取医保基金，已依法处理。' }).expect(200);
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toEqual([b.number, ctx.a!.number]);
    expect((await audits(id)).map((x) => x.action)).toEqual(['case.publication.mark', 'case.publication.withdraw', 'case.publication.mark']);
  });

  it('works in the console: the section on the case page, marking and withdrawing with CSRF, field errors at the form', async () => {
    const loginAs = (u: TestUser) => consoleLogin(app, u);
    const accessible = expectAccessiblePage;
    const c = await freshCase();
    const id = c.id as string;
    const agent = await loginAs(users.supervisor!);

    // Before the decision is final: no section.
    const open = (await agent.get(`/console/cases/${id}`).expect(200)).text;
    expect(open).not.toContain('id="publication"');
    await workToFinal(c, decision38(c));

    const page = (await agent.get(`/console/cases/${id}`).expect(200)).text;
    accessible(page);
    expect(page).toContain('<h2 id="publication">公开曝光（曝光台）</h2>');
    expect(page).toContain(`action="/console/cases/${id}/publication"`);
    expect(page).not.toContain(`action="/console/cases/${id}/publication/withdraw"`);
    // A first draft from the confirmed categories' labels.
    expect(page).toMatch(/<textarea id="pub-summary-zh" name="summaryZh"[^>]*>经查，该机构存在[^<]+等超标准收费行为。<\/textarea>/);
    const csrf = csrfOf(page);

    await agent.post(`/console/cases/${id}/publication`).type('form').send({ summaryZh: '经查' }).expect(403);
    const empty = await agent.post(`/console/cases/${id}/publication`).type('form').send({ _csrf: csrf, summaryZh: ' ', summaryEn: 'typed' }).expect(400);
    accessible(empty.text);
    expect(empty.text).toContain('公开摘要（中文） (<code>summaryZh</code>): is required');
    expect(empty.text).toContain('>typed</textarea>');
    expect(await ds.query(`SELECT * FROM case_publication WHERE case_id = $1`, [id])).toEqual([]);

    const summaryZh = '经查，该机构存在超标准收费行为，已责令退回并处罚款。';
    const marked = await agent.post(`/console/cases/${id}/publication`).type('form').send({ _csrf: csrf, summaryZh, summaryEn: '' }).expect(303);
    expect(marked.headers.location).toBe(`/console/cases/${id}?ok=casePublished`);
    const after = (await agent.get(marked.headers.location!).expect(200)).text;
    accessible(after);
    expect(after).toContain('已标记公开');
    expect(after).toContain('<strong>已公开</strong>');
    expect(after).toContain('《医疗保障基金使用监督管理条例》第三十八条');
    expect(after).toContain(`action="/console/cases/${id}/publication/withdraw"`);
    expect((await pub.listPublished()).map((r) => r.caseNumber)).toContain(c.number);

    // An auditor sees the state, without forms; the institution sees no section at all.
    const audPage = (await (await loginAs(users.auditor!)).get(`/console/cases/${id}`).expect(200)).text;
    expect(audPage).toContain('<strong>已公开</strong>');
    expect(audPage).not.toContain(`action="/console/cases/${id}/publication`);
    const inst = await createUserWithToken(app, { role: 'institution', institutionCode: c.institution_code as string });
    const instPage = (await (await loginAs(inst)).get(`/console/cases/${id}`).expect(200)).text;
    expect(instPage).not.toContain('id="publication"');

    const noReason = await agent.post(`/console/cases/${id}/publication/withdraw`).type('form').send({ _csrf: csrf, reason: '' }).expect(400);
    expect(noReason.text).toContain('(<code>reason</code>): is required');
    const withdrawn = await agent.post(`/console/cases/${id}/publication/withdraw`).type('form').send({ _csrf: csrf, reason: '案件信息有误，待核实' }).expect(303);
    expect(withdrawn.headers.location).toBe(`/console/cases/${id}?ok=casePublicationWithdrawn`);
    const gone = (await agent.get(`${withdrawn.headers.location}&lang=en`).expect(200)).text;
    expect(gone).toContain('Publication withdrawn');
    expect(gone).toContain('案件信息有误，待核实');
    expect(gone).toContain('Not shown on the exposure list now.');
    expect((await pub.listPublished()).map((r) => r.caseNumber)).not.toContain(c.number);
    expect((await audits(id)).map((x) => x.action)).toEqual(['case.publication.mark', 'case.publication.withdraw']);
  });
});
