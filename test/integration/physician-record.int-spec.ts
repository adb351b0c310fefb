import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { QueueName } from '../../jobs/job.types';
import { systemActor } from '../../src/accounts/roles';
import { CaseDecision, SupervisionCase } from '../../src/cases/case.entities';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { dayText, lastDayOfMonths, localDay } from '../../src/physician-record/physician-points';
import { PhysicianRecordService } from '../../src/physician-record/physician-record.service';
import { ScreeningService } from '../../src/screening/screening.service';
import { createTestHttp } from '../support/app';
import { apiAs, createUserWithToken, TestUser } from '../support/auth';
import { importAndOpenCases } from '../support/pipeline';
import { dropSchema, testConfig, uniqueName, waitFor } from '../support/test-env';

type Row = Record<string, unknown>;

/**
 * The physicians' points record on PostgreSQL and Redis: final decisions naming a responsible
 * physician add points; 5 + 4 points suspend the physician on the day the second decision becomes
 * final, a single 12-point decision (here an amended one) terminates with a 3-year bar, last year's
 * points do not count; the sanction reaches screening (claims served inside the window get a
 * PHYSICIAN_SANCTIONED finding, before it none; claims stored earlier are screened again); every
 * change is audited; an institution reads only its own physicians.
 */
describe("physicians' points (PostgreSQL + Redis)", () => {
  const schema = uniqueName('t_phys');
  const { config } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-phys-'));
  let app: INestApplication;
  let ds: DataSource;
  let record: PhysicianRecordService;
  let screening: ScreeningService;
  const users: Record<string, TestUser> = {};
  const as = (u: TestUser) => apiAs(app, u);
  const today = localDay(new Date(), 'Asia/Shanghai');
  const thisYear = Number(dayText(today).slice(0, 4));

  /** Two or more open findings cases per institution, each with physicians of that institution. */
  let groups: { institution: string; cases: Row[]; physicians: string[] }[] = [];
  const used = new Set<string>();
  const caseAt = (institution: string): Row => {
    const c = groups.find((g) => g.institution === institution)!.cases.find((x) => !used.has(x.id as string))!;
    used.add(c.id as string);
    return c;
  };
  const decision = (physician: string | undefined, points: number | undefined, over: Row = {}) => ({
    violationType: '超标准收费',
    article: '38',
    amountToRecover: '10.00',
    fineMultiple: '1',
    suspensionMonths: 0,
    agreementAction: 'none',
    ...(physician !== undefined ? { responsiblePhysicianCode: physician } : {}),
    ...(points !== undefined ? { physicianPoints: points } : {}),
    ...over,
  });
  const toConfirmed = async (id: string) => {
    const sup = as(users.supervisor!);
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await sup.post(`/api/cases/${id}/confirm`).expect(200);
  };
  const decideAndFinalize = async (id: string, physician: string, points: number) => {
    await toConfirmed(id);
    await as(users.supervisor!).post(`/api/cases/${id}/decision`, decision(physician, points)).expect(200);
    return (await as(users.supervisor!).post(`/api/cases/${id}/finalize`, { waived: true }).expect(200)).body;
  };
  const points = async (code: string, u = users.auditor!) => (await as(u).get(`/api/physicians/${code}/points`).expect(200)).body;
  const audit = async (action: string, entityId?: string) =>
    (await ds.query(`SELECT action, entity_id, actor_name, after FROM audit_entry WHERE action = $1 ${entityId ? 'AND entity_id = $2' : ''} ORDER BY seq`, entityId ? [action, entityId] : [action])) as Row[];

  /** A catalog service item no other rule has an opinion about, to bill in the claims below. */
  let item: { code: string; price: string };
  /** Submits claims as JSON and waits for their screening (and what it queues after). */
  const submitClaims = async (claims: Row[]) => {
    const res = await as(users.supervisor!).post('/api/claims', { claims }).expect(200);
    expect(res.body.results.map((r: Row) => r.status)).toEqual(claims.map(() => 'accepted'));
    await waitForRunChain(res.body.screeningRun.id);
  };
  const waitForRunChain = async (runId: string) => {
    const done = await screening.waitForRun(runId, 50);
    expect(done.status).toBe('completed');
    const queue = app.get<Queue>(getQueueToken(QueueName.Screening));
    for (const id of [`cases-open-screen-${runId}`, `cases-open-score-${runId}`]) {
      await waitFor(async () => (await (await queue.getJob(id))?.getState()) === 'completed', `job ${id}`, 120_000, 100);
    }
  };
  const claim = (id: string, institution: string, physician: string, admission: string, discharge: string, lines: { date: string; price: string }[], fund: string): Row => {
    const totalFen = lines.reduce((s, l) => s + Math.round(Number(l.price) * 100), 0);
    const fundFen = Math.round(Number(fund) * 100);
    return {
      claim_id: id,
      institution_code: institution,
      physician_code: physician,
      patient_id: `64010519800101${id.slice(-4).padStart(4, '0')}`,
      patient_gender: 'M',
      patient_birth_date: '1980-01-01',
      insurance_type: 'employee',
      visit_type: admission === discharge ? 'outpatient' : 'inpatient',
      admission_date: admission,
      discharge_date: discharge,
      primary_diagnosis: 'I10',
      ...(admission === discharge ? {} : { discharge_status: 'normal' }),
      total_amount: (totalFen / 100).toFixed(2),
      fund_paid: (fundFen / 100).toFixed(2),
      self_paid: ((totalFen - fundFen) / 100).toFixed(2),
      settled_at: `${discharge}T00:30:00+08:00`,
      items: lines.map((l, i) => ({ item_seq: i + 1, item_code: item.code, service_date: l.date, unit_price: l.price, quantity: 1, amount: l.price })),
    };
  };
  const sanctionFindings = async (claimId: string) =>
    (await ds.query(`SELECT item_seq, amount_at_risk::text AS amount, evidence, why_zh, status FROM finding WHERE claim_id = $1 AND category = 'PHYSICIAN_SANCTIONED' ORDER BY item_seq`, [claimId])) as Row[];

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 1500, seed: 'physician-it' });
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    record = app.get(PhysicianRecordService);
    screening = app.get(ScreeningService);
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    for (const role of ['admin', 'supervisor', 'auditor'] as const) users[role] = await createUserWithToken(app, { role });

    const rows = (await ds.query(
      `SELECT c.institution_code, json_agg(c ORDER BY c.number) AS cases,
              (SELECT json_agg(p.code ORDER BY p.code) FROM physician p WHERE p.institution_code = c.institution_code) AS physicians
       FROM supervision_case c
       WHERE c.kind = 'findings' AND c.status = 'open'
         AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id AND f.status = 'retired')
       GROUP BY c.institution_code HAVING count(*) >= 2 ORDER BY count(*) DESC, c.institution_code`,
    )) as { institution_code: string; cases: Row[]; physicians: string[] | null }[];
    groups = rows.filter((r) => (r.physicians?.length ?? 0) >= 2).map((r) => ({ institution: r.institution_code, cases: r.cases, physicians: r.physicians! }));
    expect(groups.length).toBeGreaterThanOrEqual(3);
    // Cases used below: 3 at the first institution, 2 at the second and the third.
    expect(groups.slice(0, 3).map((g) => g.cases.length >= 2)).toEqual([true, true, true]);
    expect(groups[0]!.cases.length).toBeGreaterThanOrEqual(3);
    const [it] = (await ds.query(
      `SELECT code, coalesce(least(price_ceiling, 80), 80)::numeric(16,2)::text AS price FROM catalog_item
       WHERE kind = 'service' AND gender_limit IS NULL AND min_age IS NULL AND max_age IS NULL AND setting_limit IS NULL AND indications IS NULL
         AND exclusive_group IS NULL AND max_daily_qty IS NULL ORDER BY code LIMIT 1`,
    )) as { code: string; price: string }[];
    item = it!;
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('refuses a responsible physician who does not exist, belongs elsewhere, or comes without points (a field error, nothing stored)', async () => {
    const g = groups[0]!;
    const other = groups[1]!;
    const c = caseAt(g.institution);
    const id = c.id as string;
    await toConfirmed(id);
    const sup = as(users.supervisor!);
    const refused = async (body: Row, path: string, reason: RegExp) => {
      const res = await sup.post(`/api/cases/${id}/decision`, body).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path, reason: expect.stringMatching(reason) })]);
    };
    await refused(decision('NO-SUCH-DOCTOR', 3), 'responsiblePhysicianCode', /no physician NO-SUCH-DOCTOR/);
    // A physician of another institution who treated none of the case's claims.
    const stranger = (
      (await ds.query(
        `SELECT p.code FROM physician p WHERE p.institution_code = $1
           AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id JOIN claim cl ON cl.id = f.claim_pk WHERE cf.case_id = $2 AND cl.physician_code = p.code)
         ORDER BY p.code LIMIT 1`,
        [other.institution, id],
      )) as { code: string }[]
    )[0]!.code;
    await refused(decision(stranger, 3), 'responsiblePhysicianCode', new RegExp(`belongs to ${other.institution}, not to ${g.institution}`));
    await refused(decision(g.physicians[0], undefined), 'physicianPoints', /is required when a responsible physician is named/);
    await refused(decision(undefined, 5), 'responsiblePhysicianCode', /is required when physician points are given/);
    await refused(decision(g.physicians[0], 13), 'physicianPoints', /from 1 to 12/);
    expect(await ds.query(`SELECT 1 FROM case_decision WHERE case_id = $1`, [id])).toEqual([]);

    // A decision without a physician stays possible, and adds no points when final.
    await sup.post(`/api/cases/${id}/decision`, decision(undefined, undefined)).expect(200);
    await sup.post(`/api/cases/${id}/finalize`, { waived: true }).expect(200);
    expect(await ds.query(`SELECT 1 FROM physician_point_entry WHERE case_id = $1`, [id])).toEqual([]);
  });

  it('takes the physician and the points in the console decision form, naming a refused field and keeping what was typed', async () => {
    const g = groups[1]!;
    const c = caseAt(g.institution);
    const id = c.id as string;
    await toConfirmed(id);
    const agent = request.agent(app.getHttpServer());
    await agent.post('/login').type('form').send({ name: users.supervisor!.name, password: users.supervisor!.password, next: '/console' }).expect(303);
    const form = await agent.get(`/console/cases/${id}`).expect(200);
    expect(form.text).toContain('name="responsiblePhysicianCode"');
    expect(form.text).toContain('name="physicianPoints"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const fields = { _csrf: csrf, article: '38', violationType: '分解收费', amountToRecover: '10.00', fineMultiple: '1', suspensionMonths: '0', agreementAction: 'none' };
    const refused = await agent.post(`/console/cases/${id}/decision`).type('form').send({ ...fields, responsiblePhysicianCode: 'nobody-1', physicianPoints: '3' }).expect(400);
    expect(refused.text).toContain('责任医师编码（可选） (<code>responsiblePhysicianCode</code>): no physician NOBODY-1 in the physician directory');
    expect(refused.text).toContain('value="nobody-1"');
    const p = g.physicians[0]!;
    await agent.post(`/console/cases/${id}/decision`).type('form').send({ ...fields, responsiblePhysicianCode: p, physicianPoints: '2', _csrf: csrf }).expect(303);
    const [d] = (await ds.query(`SELECT responsible_physician_code, physician_points, physician_severity_band FROM case_decision WHERE case_id = $1`, [id])) as Row[];
    expect(d).toEqual({ responsible_physician_code: p, physician_points: 2, physician_severity_band: 'minor' });
    const page = (await agent.get(`/console/cases/${id}`).expect(200)).text;
    expect(page).toContain(`href="/console/physicians/${p}"`);
    expect(page).toContain('一般');
  });

  it('suspends a physician on the day a second decision (5 + 4 points) becomes final; screening flags the lines served inside the window', async () => {
    const g = groups[0]!;
    const p1 = g.physicians[0]!;
    const a = caseAt(g.institution);
    const b = caseAt(g.institution);

    const afterA = await decideAndFinalize(a.id as string, p1, 5);
    expect(afterA.currentDecision).toMatchObject({ responsiblePhysicianCode: p1, physicianPoints: 5, physicianSeverityBand: 'moderate' });
    const decideAudit = (await audit('case.decide', a.id as string))[0]!;
    expect((decideAudit.after as { decision: Row }).decision).toMatchObject({ responsiblePhysicianCode: p1, physicianPoints: 5 });
    let r = await points(p1);
    expect(r.status).toMatchObject({ on: dayText(today), state: 'qualified', sanction: null });
    expect(r.years[0]).toEqual({ year: thisYear, points: 5, entries: 1, remaining: 7 });
    expect(r.entries).toEqual([expect.objectContaining({ points: 5, severityBand: 'moderate', caseId: a.id, caseNumber: a.number, incidentDate: dayText(today) })]);
    expect(r.sanctions).toEqual([]);

    // Stored before the sanction: served today by the physician (screened now without a hit).
    const yesterday = dayText(today - 1);
    const todayText = dayText(today);
    await submitClaims([claim('PHYS-IT-0001', g.institution, p1, todayText, todayText, [{ date: todayText, price: '80.00' }], '56.00')]);
    expect(await sanctionFindings('PHYS-IT-0001')).toEqual([]);

    // The second decision: 9 points this year → suspended from today for 1 month.
    await decideAndFinalize(b.id as string, p1, 4);
    r = await points(p1);
    const until = dayText(lastDayOfMonths(today, 1));
    expect(r.years[0]).toEqual({ year: thisYear, points: 9, entries: 2, remaining: 3 });
    expect(r.status).toMatchObject({ state: 'suspended', sanction: { kind: 'suspension', startsOn: todayText, endsOn: until, months: 1, yearTotal: 9, active: true } });
    expect(r.sanctions).toHaveLength(1);
    const sanctionId = r.sanctions[0].id as string;
    expect(r.sanctions[0].causeEntryId).toBe(r.entries.find((e: Row) => e.caseId === b.id).id);

    // Audited: both entries, the sanction, and the re-screening it asked for.
    const recorded = (await audit('physician_points.record')).filter((e) => (e.after as Row).physicianCode === p1);
    expect(recorded.map((e) => [(e.after as Row).points, (e.after as Row).yearTotal, e.actor_name])).toEqual([
      [5, 5, users.supervisor!.name],
      [4, 9, users.supervisor!.name],
    ]);
    const created = await audit('physician_sanction.create', sanctionId);
    expect(created).toHaveLength(1);
    expect(created[0]!.after).toMatchObject({ kind: 'suspension', startsOn: todayText, endsOn: until, yearTotal: 9, outcome: 'suspended', caseNumber: b.number });

    // The claim stored before is screened again by a run scoped to the physician's window.
    const [scoped] = (await ds.query(`SELECT id FROM screening_run WHERE claim_scope->>'physicianCode' = $1`, [p1])) as { id: string }[];
    expect(scoped).toBeDefined();
    expect((await audit('screening.request', scoped!.id))[0]!.after).toMatchObject({ scope: { physicianCode: p1, from: todayText, to: until } });
    await waitForRunChain(scoped!.id);
    expect((await sanctionFindings('PHYS-IT-0001')).map((f) => [f.item_seq, f.amount])).toEqual([[1, '56.00']]);

    // Imported afterwards: a stay from yesterday to today (only today's line is inside the window)
    // and a visit yesterday (the day before the suspension starts).
    await submitClaims([
      claim('PHYS-IT-0002', g.institution, p1, yesterday, todayText, [{ date: yesterday, price: '100.00' }, { date: todayText, price: '60.00' }], '120.00'),
      claim('PHYS-IT-0003', g.institution, p1, yesterday, yesterday, [{ date: yesterday, price: '80.00' }], '56.00'),
    ]);
    const hits = await sanctionFindings('PHYS-IT-0002');
    expect(hits.map((f) => [f.item_seq, f.amount, f.status])).toEqual([[2, '45.00', 'open']]);
    expect(hits[0]!.evidence).toMatchObject({ 'line.physician_sanction': 'suspended', 'line.physician_sanction_from': todayText, 'line.physician_sanction_until': until, 'line.service_date': todayText });
    expect(hits[0]!.why_zh).toContain('暂停医保支付资格');
    expect(await sanctionFindings('PHYS-IT-0003')).toEqual([]);

    // A repeated final event for the same decision counts nothing twice.
    const bCase = (await ds.getRepository(SupervisionCase).findOneBy({ id: b.id as string }))!;
    const bDecision = (await ds.getRepository(CaseDecision).findOneBy({ caseId: b.id as string }))!;
    const again = await ds.transaction((m) => record.recordFinal(m, { case: bCase, decision: bDecision, confirmedCategories: [], confirmedSeverities: [], actor: systemActor('test'), ip: null, at: new Date() }));
    expect(again).toBeNull();
    expect((await points(p1)).years[0].points).toBe(9);

    // Active sanctions: supervisors see it; the physician's institution sees it, another does not.
    const active = (await as(users.supervisor!).get('/api/physician-sanctions?active=true').expect(200)).body;
    expect(active.items.map((s: Row) => s.id)).toContain(sanctionId);
    const own = await createUserWithToken(app, { role: 'institution', institutionCode: g.institution });
    const stranger = await createUserWithToken(app, { role: 'institution', institutionCode: groups[1]!.institution });
    expect((await as(own).get('/api/physician-sanctions?active=true').expect(200)).body.items.map((s: Row) => s.id)).toContain(sanctionId);
    expect((await as(stranger).get('/api/physician-sanctions?active=true').expect(200)).body.items.every((s: Row) => s.institutionCode === groups[1]!.institution)).toBe(true);
    await as(stranger).get(`/api/physician-sanctions?institution=${g.institution}`).expect(403);
    expect((await points(p1, own)).status.state).toBe('suspended');
    await as(stranger).get(`/api/physicians/${p1}/points`).expect(404);
    await as(users.supervisor!).get('/api/physician-sanctions?active=maybe').expect(400);

    // The console: the list shows the suspension, the record links the cases, the case shows the physician.
    const list = await as(users.supervisor!).get('/console/physicians').expect(200);
    expect(list.text).toContain(`/console/physicians/${p1}`);
    expect(list.text).toContain('暂停');
    const page = await as(users.supervisor!).get(`/console/physicians/${p1}`).expect(200);
    expect(page.text).toContain(`/console/cases/${b.id}`);
    expect(page.text).toContain(until);
    const casePage = await as(users.supervisor!).get(`/console/cases/${b.id}`).expect(200);
    expect(casePage.text).toContain(`/console/physicians/${p1}`);
    await as(stranger).get(`/console/physicians/${p1}`).expect(404);
  });

  it('terminates with a 3-year bar when one (amended) decision carries all 12 points; the final decision is the one that counts', async () => {
    const g = groups[1]!;
    const p3 = g.physicians[g.physicians.length - 1]!;
    const c = caseAt(g.institution);
    const id = c.id as string;
    const inst = await createUserWithToken(app, { role: 'institution', institutionCode: g.institution });
    await toConfirmed(id);
    const sup = as(users.supervisor!);
    await sup.post(`/api/cases/${id}/decision`, decision(p3, 6)).expect(200);
    await as(inst).post(`/api/cases/${id}/appeal`, { reason: '医师不应承担全部责任' }).expect(200);
    expect((await points(p3)).entries).toEqual([]); // not final yet: no points
    const amended = await sup.post(`/api/cases/${id}/appeal-decision`, { outcome: 'amended', reason: '情节特别严重', decision: decision(p3, 12) }).expect(200);
    expect(amended.body.status).toMatch(/final|closed/);

    const r = await points(p3);
    expect(r.entries).toEqual([expect.objectContaining({ points: 12, severityBand: 'grave', decisionId: amended.body.currentDecision.id })]);
    expect(r.status.state).toBe('terminated');
    const barEnd = dayText(lastDayOfMonths(today, 36));
    expect(r.sanctions).toEqual([
      expect.objectContaining({ kind: 'termination', startsOn: dayText(today), endsOn: barEnd, barYears: 3, months: null, yearTotal: 12, reRegistrationFrom: dayText(lastDayOfMonths(today, 36) + 1) }),
    ]);
    expect(await audit('physician_sanction.create', r.sanctions[0].id)).toHaveLength(1);

    // A terminated physician's claims are flagged too.
    const todayText = dayText(today);
    await submitClaims([claim('PHYS-IT-0004', g.institution, p3, todayText, todayText, [{ date: todayText, price: '80.00' }], '56.00')]);
    const hits = await sanctionFindings('PHYS-IT-0004');
    expect(hits.map((f) => [f.item_seq, f.amount])).toEqual([[1, '56.00']]);
    expect(hits[0]!.evidence).toMatchObject({ 'line.physician_sanction': 'terminated', 'line.physician_sanction_until': barEnd });

    // The physician moves to another institution: its login sees the points, which follow the
    // physician, but not the former institution's case; staff still see the case.
    const moved = groups[2]!.institution;
    await ds.query(`UPDATE physician SET institution_code = $2 WHERE code = $1`, [p3, moved]);
    try {
      const newEmployer = await createUserWithToken(app, { role: 'institution', institutionCode: moved });
      const seen = (await as(newEmployer).get(`/api/physicians/${p3}/points`).expect(200)).body;
      expect(seen.entries).toEqual([expect.objectContaining({ points: 12, institutionCode: g.institution, caseId: null, caseNumber: null, violationType: null, decisionId: null })]);
      expect(JSON.stringify(seen)).not.toContain(c.number as string);
      const page = await as(newEmployer).get(`/console/physicians/${p3}`).expect(200);
      expect(page.text).not.toContain(c.number as string);
      expect((await points(p3)).entries[0]).toMatchObject({ caseNumber: c.number });
    } finally {
      await ds.query(`UPDATE physician SET institution_code = $2 WHERE code = $1`, [p3, g.institution]);
    }
  });

  it("does not count last year's points: 8 on 31 December (Asia/Shanghai) and 4 this year suspend nobody", async () => {
    const g = groups[2]!;
    const p2 = g.physicians[0]!;
    const d = caseAt(g.institution);
    const e = caseAt(g.institution);
    // Case D's decision became final at 23:59:59 on 31 December last year, Shanghai time.
    await toConfirmed(d.id as string);
    await as(users.supervisor!).post(`/api/cases/${d.id}/decision`, decision(p2, 8)).expect(200);
    const dCase = (await ds.getRepository(SupervisionCase).findOneBy({ id: d.id as string }))!;
    const dDecision = (await ds.getRepository(CaseDecision).findOneBy({ caseId: d.id as string }))!;
    const lastYearEnd = new Date(`${thisYear - 1}-12-31T15:59:59Z`);
    const recorded = await ds.transaction((m) => record.recordFinal(m, { case: dCase, decision: dDecision, confirmedCategories: [], confirmedSeverities: [], actor: systemActor('test'), ip: null, at: lastYearEnd }));
    expect(recorded).toMatchObject({ entry: { year: thisYear - 1, points: 8, incidentDate: `${thisYear - 1}-12-31` }, decision: { outcome: 'below_threshold' }, sanction: null });

    await decideAndFinalize(e.id as string, p2, 4);
    const r = await points(p2);
    expect(r.years).toEqual([
      { year: thisYear, points: 4, entries: 1, remaining: 8 },
      { year: thisYear - 1, points: 8, entries: 1, remaining: 4 },
    ]);
    expect(r.status.state).toBe('qualified');
    expect(r.sanctions).toEqual([]);
    expect(await ds.query(`SELECT 1 FROM physician_sanction WHERE physician_code = $1`, [p2])).toEqual([]);
  });
});
