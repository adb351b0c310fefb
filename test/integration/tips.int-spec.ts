import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { systemActor } from '../../src/accounts/roles';
import { CaseEvents } from '../../src/cases/case-events';
import { CaseDecision, SupervisionCase } from '../../src/cases/case.entities';
import { enNumber } from '../../src/tips/tip-challenge';
import { defaultRewardPolicyFile, loadRewardPolicyFile } from '../../src/tips/tip-reward-policy';
import { createTestHttp } from '../support/app';
import { apiAs, consoleLogin, createUserWithToken, csrfOf, ensureInstitution, TestUser } from '../support/auth';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

type Row = Record<string, unknown>;

const WORDS = new Map(Array.from({ length: 100 }, (_, n) => [enNumber(n), n]));

/** Solves a challenge the way a person does: reads the English question. */
function solve(question: string): number {
  const m = /^What is ([a-z-]+) (plus|minus|times) ([a-z-]+)\?$/.exec(question);
  if (!m) throw new Error(`unexpected challenge question: ${question}`);
  const a = WORDS.get(m[1]!)!;
  const b = WORDS.get(m[3]!)!;
  return m[2] === 'plus' ? a + b : m[2] === 'minus' ? a - b : a * b;
}

const unescapeHtml = (s: string) => s.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&#x3D;/g, '=').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * Tips (举报) end to end on PostgreSQL and Redis: the public submits through the API and the form
 * with a challenge (a wrong or reused answer is a 400 naming `challenge`, the rate limit a 429),
 * tracks by code (a wrong code is a 404); the identity is unreadable in the database and in the
 * audit trail, and readable only by the assigned supervisor; a tip becomes a case, the case is
 * worked to final through the API and the reward is computed once under rules/tip-rewards.yaml.
 */
describe('tips (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_tips');
  const identityKey = randomBytes(32);
  const { config } = testConfig(schema, { TIP_IDENTITY_KEY: identityKey.toString('base64'), TIP_RATE_PER_HOUR: '1000' });
  const INSTITUTION = 'H64010500001';
  const OTHER_INSTITUTION = 'H64010500002';
  const policy = loadRewardPolicyFile(defaultRewardPolicyFile());
  let app: INestApplication;
  let ds: DataSource;
  const users: Record<string, TestUser> = {};
  const as = (u: TestUser) => apiAs(app, u);
  const anon = () => request(app.getHttpServer());

  /** Secrets of the named tip: none may appear in the database in clear, nor in any audit entry. */
  const person = { name: '王秀兰', phone: '13912345678', idNumber: '11010519491231002X', contact: '宁夏银川市兴庆区文化东街 88 号' };
  const named: { id?: string; number?: string; code?: string } = {};
  const anonymous: { id?: string; number?: string; code?: string } = {};

  const challenge = async () => {
    const r = await anon().get('/api/public/tips/challenge').expect(200);
    return { token: r.body.token as string, answer: String(solve(r.body.question.en)) };
  };
  const tipBody = async (extra: Row = {}) => ({
    institutionCode: INSTITUTION,
    category: 'fake_visits',
    description: '该院以免费体检为名收集参保人社保卡，虚构门诊就诊记录并申报医保结算。',
    occurredOn: '2025-11',
    anonymous: true,
    challenge: await challenge(),
    ...extra,
  });
  const count = async (sql: string, params: unknown[] = []) => ((await ds.query(sql, params)) as { n: number }[])[0]!.n;

  beforeAll(async () => {
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    await ensureInstitution(app, INSTITUTION, '银川市某某医院');
    await ensureInstitution(app, OTHER_INSTITUTION, '银川市某某诊所');
    for (const [key, role] of [['supervisor', 'supervisor'], ['supervisor2', 'supervisor'], ['admin', 'admin'], ['auditor', 'auditor'], ['inspector', 'inspector']] as const) {
      users[key] = await createUserWithToken(app, { role });
    }
    users.institution = await createUserWithToken(app, { role: 'institution', institutionCode: INSTITUTION });
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('hands out a challenge with the reward policy, never cached', async () => {
    const r = await anon().get('/api/public/tips/challenge').expect(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(r.body.question.zh).toMatch(/等于多少？$/);
    expect(new Date(r.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(r.body.rewardPolicy).toMatchObject({ basis: 'refund', minimum: '200.00', maximum: '200000.00', version: policy.version });
    expect(r.body.rewardPolicy.levels.map((l: Row) => l.percent)).toEqual(['3%', '2%', '1%']);
  });

  it('receives a named tip: number, tracking code once, identity sealed under the configured key', async () => {
    const r = await anon()
      .post('/api/public/tips')
      .send(await tipBody({ anonymous: false, identity: person }))
      .expect(201);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toMatchObject({ number: expect.stringMatching(/^JB-\d{4}-\d{6}$/), trackingCode: expect.stringMatching(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/), status: 'received' });
    named.number = r.body.number;
    named.code = r.body.trackingCode;
    const [row] = (await ds.query(`SELECT id, status, anonymous, identity_key_id, tracking_code_hash, institution_code FROM tip WHERE number = $1`, [named.number])) as Row[];
    named.id = row!.id as string;
    expect(row).toMatchObject({ status: 'received', anonymous: false, institution_code: INSTITUTION });
    expect(row!.identity_key_id).toBe(createHash('sha256').update(identityKey).digest('hex').slice(0, 16));
    expect(row!.tracking_code_hash).toBe(createHash('sha256').update(named.code!.replace(/-/g, '')).digest('hex'));
  });

  it('keeps the tip identity unreadable in the database: the raw row, the bytea, the timeline and every audit entry hold no name, phone, ID number, contact or tracking code', async () => {
    const secrets = [...Object.values(person), named.code!, named.code!.replace(/-/g, '')];
    const [{ row }] = (await ds.query(`SELECT row_to_json(t)::text AS row FROM tip t WHERE id = $1`, [named.id])) as { row: string }[];
    const [{ bytes }] = (await ds.query(`SELECT identity_ciphertext AS bytes FROM tip WHERE id = $1`, [named.id])) as { bytes: Buffer }[];
    expect(bytes.length).toBeGreaterThan(28);
    const events = JSON.stringify(await ds.query(`SELECT * FROM tip_event WHERE tip_id = $1`, [named.id]));
    const audit = ((await ds.query(`SELECT row_to_json(a)::text AS row FROM audit_entry a`)) as { row: string }[]).map((a) => a.row).join('\n');
    expect(audit).toContain(named.id); // the receipt is audited …
    for (const s of secrets) {
      expect(row).not.toContain(s);
      expect(bytes.toString('utf8')).not.toContain(s);
      expect(bytes.includes(Buffer.from(s, 'utf8'))).toBe(false);
      expect(events).not.toContain(s);
      expect(audit).not.toContain(s); // … without the tipster
    }
    // Nor the tipster's address.
    const [receipt] = (await ds.query(`SELECT actor_name, ip FROM audit_entry WHERE action = 'tip.receive' AND entity_id = $1`, [named.id])) as Row[];
    expect(receipt).toEqual({ actor_name: 'public', ip: null });
  });

  it('refuses a wrong answer, a reused challenge, a missing one and an unknown institution code: 400 naming the field', async () => {
    const wrong = await tipBody();
    wrong.challenge = { ...wrong.challenge, answer: String(Number(wrong.challenge.answer) + 1) };
    const r1 = (await anon().post('/api/public/tips').send(wrong).expect(400)).body;
    expect(r1.errors).toEqual([{ path: 'challenge', reason: expect.stringMatching(/wrong/) }]);

    const body = await tipBody();
    const first = (await anon().post('/api/public/tips').send(body).expect(201)).body;
    anonymous.number = first.number;
    anonymous.code = first.trackingCode;
    const r2 = (await anon().post('/api/public/tips').send(body).expect(400)).body;
    expect(r2.errors).toEqual([{ path: 'challenge', reason: expect.stringMatching(/already been used/) }]);
    expect(await count(`SELECT count(*)::int AS n FROM tip WHERE challenge_nonce IS NOT NULL`)).toBe(2);

    const { challenge: _c, ...noChallenge } = await tipBody();
    expect((await anon().post('/api/public/tips').send(noChallenge).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'challenge' })]);
    const forged = await tipBody();
    forged.challenge = { token: `${forged.challenge.token.split('.')[0]}.${'A'.repeat(43)}`, answer: forged.challenge.answer };
    expect((await anon().post('/api/public/tips').send(forged).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'challenge' })]);

    const unknown = (await anon().post('/api/public/tips').send(await tipBody({ institutionCode: 'H99999999999' })).expect(400)).body;
    expect(unknown.errors).toEqual([expect.objectContaining({ path: 'institutionCode' })]);
    const bad = (await anon().post('/api/public/tips').send(await tipBody({ anonymous: false, identity: { contact: 'x' } })).expect(400)).body;
    expect(bad.errors).toEqual([expect.objectContaining({ path: 'identity' })]);
    expect(await count(`SELECT count(*)::int AS n FROM tip`)).toBe(2);
  });

  it('stores an anonymous tip without any identity', async () => {
    const [row] = (await ds.query(`SELECT id, anonymous, identity_ciphertext, identity_key_id FROM tip WHERE number = $1`, [anonymous.number])) as Row[];
    anonymous.id = row!.id as string;
    expect(row).toMatchObject({ anonymous: true, identity_ciphertext: null, identity_key_id: null });
  });

  it('tracks a tip by its code (in the body), as typed; a wrong code is a 404, a malformed one a 400', async () => {
    const t = (await anon().post('/api/public/tips/track').send({ code: named.code!.toLowerCase().replace(/-/g, ' ') }).expect(200)).body;
    expect(t).toMatchObject({ number: named.number, status: 'received', reward: null });
    expect(t.timeline).toEqual([{ at: expect.any(String), status: 'received', note: null }]);
    expect(JSON.stringify(t)).not.toContain(person.name);
    const other = named.code!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const nf = (await anon().post('/api/public/tips/track').send({ code: other }).expect(404)).body;
    expect(nf.errors).toEqual([expect.objectContaining({ path: 'code' })]);
    expect((await anon().post('/api/public/tips/track').send({ code: 'abc' }).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'code' })]);
  });

  it('lets only the assigned supervisor read the identity; everyone else gets 403; every read is audited without the plaintext', async () => {
    const sup = as(users.supervisor!);
    // Not assigned yet: even a supervisor is refused.
    await sup.post(`/api/tips/${named.id}/identity`).expect(403);
    const assigned = (await as(users.admin!).post(`/api/tips/${named.number}/assign`, { assignee: users.supervisor!.name }).expect(200)).body;
    expect(assigned).toMatchObject({ status: 'assigned', assignee: { id: users.supervisor!.id }, identity: { sealed: true, readableByYou: false } });
    expect(JSON.stringify(assigned)).not.toContain(person.phone);
    expect((await sup.get(`/api/tips/${named.id}`).expect(200)).body.identity.readableByYou).toBe(true);

    const auditBefore = await count(`SELECT count(*)::int AS n FROM audit_entry WHERE action = 'tip.identity.read'`);
    const r = await sup.post(`/api/tips/${named.id}/identity`).expect(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toEqual({ id: named.id, number: named.number, anonymous: false, identity: person });
    expect(await count(`SELECT count(*)::int AS n FROM audit_entry WHERE action = 'tip.identity.read' AND entity_id = $1 AND actor_user_id = $2`, [named.id, users.supervisor!.id])).toBe(auditBefore + 1);

    for (const who of ['supervisor2', 'admin', 'auditor', 'inspector', 'institution']) {
      const res = await as(users[who]!).post(`/api/tips/${named.id}/identity`);
      expect([who, res.status]).toEqual([who, 403]);
      expect(JSON.stringify(res.body)).not.toContain(person.name);
    }
    expect(await count(`SELECT count(*)::int AS n FROM audit_entry WHERE action = 'tip.identity.refused' AND entity_id = $1 AND actor_user_id = $2`, [named.id, users.supervisor2!.id])).toBe(1);
    // Institutions and inspectors never see tips at all.
    for (const who of ['inspector', 'institution', 'auditor']) {
      await as(users[who]!).get('/api/tips').expect(403);
      await as(users[who]!).get(`/api/tips/${named.id}`).expect(403);
    }
    // Reassigned: the first supervisor loses access, the new one gains it.
    await as(users.admin!).post(`/api/tips/${named.id}/assign`, { assignee: users.supervisor2!.id }).expect(200);
    await sup.post(`/api/tips/${named.id}/identity`).expect(403);
    expect((await as(users.supervisor2!).post(`/api/tips/${named.id}/identity`).expect(200)).body.identity).toEqual(person);
    await as(users.admin!).post(`/api/tips/${named.id}/assign`, { assignee: users.supervisor!.name }).expect(200);
    // Once assigned, another supervisor cannot take the tip (and its identity) by assigning it to themselves.
    const grab = await as(users.supervisor2!).post(`/api/tips/${named.id}/assign`, { assignee: users.supervisor2!.name }).expect(403);
    expect(grab.body.message).toBe(`tip ${named.number} is assigned to another supervisor: only they or an admin may reassign it`);
    await as(users.supervisor2!).post(`/api/tips/${named.id}/identity`).expect(403);
    // Only supervisors can be assignees.
    expect((await as(users.admin!).post(`/api/tips/${named.id}/assign`, { assignee: users.auditor!.name }).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'assignee' })]);
    // Still nothing in clear anywhere in the audit trail.
    const audit = ((await ds.query(`SELECT row_to_json(a)::text AS row FROM audit_entry a`)) as { row: string }[]).map((a) => a.row).join('\n');
    for (const s of Object.values(person)) expect(audit).not.toContain(s);
  });

  it('answers an anonymous tip\'s identity with nothing', async () => {
    await as(users.supervisor!).post(`/api/tips/${anonymous.id}/assign`, { assignee: users.supervisor!.id }).expect(200);
    expect((await as(users.supervisor!).post(`/api/tips/${anonymous.id}/identity`).expect(200)).body).toEqual({ id: anonymous.id, number: anonymous.number, anonymous: true, identity: null });
  });

  it('shows the identity on the console page to the assigned supervisor only, after the "show identity" action', async () => {
    const page = await as(users.supervisor!).get(`/console/tips/${named.number}`).expect(200);
    expect(page.text).toContain(`/console/tips/${named.number}/identity`);
    expect(page.text).not.toContain(person.name);
    expect(page.text).not.toContain('<script');
    const shown = await anon().post(`/console/tips/${named.number}/identity`).set({ Authorization: `Bearer ${users.supervisor!.token}` }).expect(200);
    expect(shown.headers['cache-control']).toBe('no-store');
    for (const v of Object.values(person)) expect(shown.text).toContain(v);
    const other = await as(users.supervisor2!).get(`/console/tips/${named.number}`).expect(200);
    expect(other.text).not.toContain(`/console/tips/${named.number}/identity`);
    await anon().post(`/console/tips/${named.number}/identity`).set({ Authorization: `Bearer ${users.supervisor2!.token}` }).expect(403);
    await anon().post(`/console/tips/${named.number}/identity`).set({ Authorization: `Bearer ${users.admin!.token}` }).expect(403);
    const list = await as(users.admin!).get('/console/tips?status=assigned').expect(200);
    expect(list.text).toContain(named.number);
    await as(users.inspector!).get('/console/tips').expect(403);
  });

  /** Start review, confirm (no findings: a reason), decide under art. 40 with `refund`, finalize with the appeal waived. */
  const workCaseToFinal = async (caseId: string, refund: string) => {
    const sup = as(users.supervisor!);
    await sup.post(`/api/cases/${caseId}/start-review`).expect(200);
    await sup.post(`/api/cases/${caseId}/confirm`, { reason: '经调查，举报内容属实' }).expect(200);
    await sup.post(`/api/cases/${caseId}/decision`, { violationType: '虚构医疗服务', article: '40', amountToRecover: refund, fineMultiple: '2', suspensionMonths: 0, agreementAction: 'warning' }).expect(200);
    await sup.post(`/api/cases/${caseId}/finalize`, { waived: true }).expect(200);
  };

  it('turns a tip into a case; the final decision substantiates it and records the reward (level 1: 3% of ¥20,000.50, rounded half up)', async () => {
    const sup = as(users.supervisor!);
    // An illegal step names the status and what is allowed.
    const early = (await sup.post(`/api/tips/${named.id}/open-case`).expect(409)).body;
    expect(early.message).toBe(`tip ${named.number} is assigned: open_case is not possible (allowed now: assign, start_investigation, note, set_level, close)`);
    await sup.post(`/api/tips/${named.id}/start-investigation`).expect(200);
    expect((await sup.post(`/api/tips/${named.id}/reward-level`, { level: 4 }).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'level' })]);
    await sup.post(`/api/tips/${named.id}/reward-level`, { level: 1 }).expect(200);
    await sup.post(`/api/tips/${named.id}/notes`, { note: '已调取该院 2025 年 11 月门诊结算记录', visibility: 'internal' }).expect(200);
    await sup.post(`/api/tips/${named.id}/notes`, { note: '您的举报已转入调查', visibility: 'public' }).expect(200);
    const opened = (await sup.post(`/api/tips/${named.id}/open-case`, { amountAtRisk: '20000.50', note: '举报线索立案' }).expect(200)).body;
    expect(opened).toMatchObject({ status: 'case_opened', case: { number: expect.stringMatching(/^AJ-/), status: 'open' } });
    const [c] = (await ds.query(`SELECT id, kind, institution_code, amount_at_risk FROM supervision_case WHERE id = $1`, [opened.case.id])) as Row[];
    expect(c).toEqual({ id: opened.case.id, kind: 'tip', institution_code: INSTITUTION, amount_at_risk: '20000.50' });
    const [openAudit] = (await ds.query(`SELECT after FROM audit_entry WHERE action = 'case.open' AND entity_id = $1`, [c!.id])) as { after: Row }[];
    expect(openAudit!.after).toMatchObject({ kind: 'tip', tipId: named.id, tipNumber: named.number });
    // The case is still being handled: the tip cannot be closed.
    await sup.post(`/api/tips/${named.id}/close`, { reason: 'x' }).expect(409);

    await workCaseToFinal(c!.id as string, '20000.50');
    const [reward] = (await ds.query(`SELECT level, level_defaulted, basis_amount, share, computed_amount, amount, clamped_by, policy_version, recorded_by FROM tip_reward WHERE tip_id = $1`, [named.id])) as Row[];
    expect(reward).toEqual({
      level: 1,
      level_defaulted: false,
      basis_amount: '20000.50',
      share: '0.0300',
      computed_amount: '600.02', // 600.015 rounded half up
      amount: '600.02',
      clamped_by: null,
      policy_version: policy.version,
      recorded_by: users.supervisor!.id,
    });
    const t = (await sup.get(`/api/tips/${named.id}`).expect(200)).body;
    expect(t).toMatchObject({ status: 'substantiated', reward: { amount: '600.02', level: 1, paidOn: null }, case: { status: expect.stringMatching(/final|closed/) } });
    expect(t.events.map((e: Row) => e.action)).toEqual(['receive', 'assign', 'assign', 'assign', 'start_investigation', 'set_level', 'note', 'note', 'open_case', 'substantiate']);
    expect(await count(`SELECT count(*)::int AS n FROM audit_entry WHERE action = 'tip.substantiate' AND entity_id = $1`, [named.id])).toBe(1);

    // The tipster sees the status, the public note (never the internal one) and the reward amount.
    const tracked = (await anon().post('/api/public/tips/track').send({ code: named.code }).expect(200)).body;
    expect(tracked).toMatchObject({ status: 'substantiated', reward: { amount: '600.02', paidOn: null } });
    expect(tracked.timeline.map((e: Row) => e.status)).toEqual(['received', 'assigned', 'investigating', 'investigating', 'case_opened', 'substantiated']);
    expect(tracked.timeline.map((e: Row) => e.note)).toContain('您的举报已转入调查');
    const text = JSON.stringify(tracked);
    expect(text).not.toContain('已调取');
    expect(text).not.toContain('AJ-');
    expect(text).not.toContain('举报线索立案');

    // A supervisor records the payment: rewarded.
    expect((await sup.post(`/api/tips/${named.id}/reward-payment`, { paidOn: '2999-01-01' }).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'paidOn' })]);
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect((await sup.post(`/api/tips/${named.id}/reward-payment`, { paidOn: today }).expect(200)).body).toMatchObject({ status: 'rewarded', reward: { paidOn: today } });
    expect((await anon().post('/api/public/tips/track').send({ code: named.code }).expect(200)).body).toMatchObject({ status: 'rewarded', reward: { amount: '600.02', paidOn: today } });
    await sup.post(`/api/tips/${named.id}/reward-payment`, { paidOn: today }).expect(409);
  });

  it('raises a small reward to the minimum and uses the lowest level when none was set (1% of ¥1,000 → ¥200); a re-emitted final adds nothing', async () => {
    const sup = as(users.supervisor!);
    await sup.post(`/api/tips/${anonymous.id}/start-investigation`).expect(200);
    // The case goes against another institution than the one named.
    const opened = (await sup.post(`/api/tips/${anonymous.id}/open-case`, { institutionCode: OTHER_INSTITUTION.toLowerCase() }).expect(200)).body;
    await workCaseToFinal(opened.case.id, '1000.00');
    const [reward] = (await ds.query(`SELECT level, level_defaulted, computed_amount, amount, clamped_by FROM tip_reward WHERE tip_id = $1`, [anonymous.id])) as Row[];
    expect(reward).toEqual({ level: 3, level_defaulted: true, computed_amount: '10.00', amount: '200.00', clamped_by: 'minimum' });
    const t = (await sup.get(`/api/tips/${anonymous.id}`).expect(200)).body;
    expect(t.status).toBe('substantiated');
    expect(t.events.at(-1).internalNote).toContain('未设定奖励等级，按最低等级计');
    expect(t.events.at(-1).internalNote).toContain('¥200');

    // The same final event again (a retried job, a replay): no second reward, no new event, no audit entry.
    const sc = await ds.getRepository(SupervisionCase).findOneByOrFail({ id: opened.case.id });
    const decision = await ds.getRepository(CaseDecision).findOneByOrFail({ caseId: opened.case.id });
    const before = {
      rewards: await count(`SELECT count(*)::int AS n FROM tip_reward`),
      events: await count(`SELECT count(*)::int AS n FROM tip_event WHERE tip_id = $1`, [anonymous.id]),
      audit: await count(`SELECT count(*)::int AS n FROM audit_entry WHERE entity_type = 'tip'`),
    };
    await ds.transaction((m) => app.get(CaseEvents).emitFinal(m, { case: sc, decision, confirmedCategories: [], confirmedSeverities: [], actor: systemActor('test'), ip: null, at: new Date() }));
    expect({
      rewards: await count(`SELECT count(*)::int AS n FROM tip_reward`),
      events: await count(`SELECT count(*)::int AS n FROM tip_event WHERE tip_id = $1`, [anonymous.id]),
      audit: await count(`SELECT count(*)::int AS n FROM audit_entry WHERE entity_type = 'tip'`),
    }).toEqual(before);
    expect((await anon().post('/api/public/tips/track').send({ code: anonymous.code }).expect(200)).body.reward).toEqual({ amount: '200.00', paidOn: null });
  });

  it("rewards at the lowest level, and still lets the case become final, when the tip's level is no longer in the policy", async () => {
    const r = (await anon().post('/api/public/tips').send(await tipBody({ category: 'upcoding' })).expect(201)).body;
    const sup = as(users.supervisor!);
    await sup.post(`/api/tips/${r.number}/assign`, { assignee: users.supervisor!.name }).expect(200);
    await sup.post(`/api/tips/${r.number}/start-investigation`).expect(200);
    // A level set under an earlier policy that had more levels (the shipped one has 1–3).
    await ds.query(`UPDATE tip SET reward_level = 4 WHERE number = $1`, [r.number]);
    const opened = (await sup.post(`/api/tips/${r.number}/open-case`).expect(200)).body;
    await workCaseToFinal(opened.case.id, '50000.00');
    const t = (await sup.get(`/api/tips/${r.number}`).expect(200)).body;
    expect(t).toMatchObject({ status: 'substantiated', reward: { level: 3, levelDefaulted: true, amount: '500.00' } });
    expect(t.events.at(-1).internalNote).toContain('设定的第 4 级已不在现行奖励办法中');
  });

  it('works a tip through the console forms: CSRF, a flash after each step, a refused form shown again with its field error', async () => {
    const r = (await anon().post('/api/public/tips').send(await tipBody({ category: 'bed_hanging' })).expect(201)).body;
    const agent = await consoleLogin(app, users.supervisor!);
    const page = async () => (await agent.get(`/console/tips/${r.number}`).expect(200)).text;
    const token = csrfOf(await page());
    const post = (path: string, form: Record<string, string>) => agent.post(`/console/tips/${r.number}/${path}`).type('form').send({ _csrf: token, ...form }).redirects(0);
    // Without the token: refused.
    await agent.post(`/console/tips/${r.number}/assign`).type('form').send({ assignee: users.supervisor!.name }).expect(403);
    const assigned = await post('assign', { assignee: users.supervisor!.name }).expect(303);
    expect(assigned.headers.location).toBe(`/console/tips/${r.number}?ok=tipAssigned`);
    expect((await agent.get(assigned.headers.location).expect(200)).text).toContain('已分派');
    await post('start-investigation', {}).expect(303);
    // A note without text: the page again (400) with the field named, nothing written.
    const refused = await post('notes', { note: '', visibility: 'public' }).expect(400);
    expect(refused.text).toContain("<li>说明: is required</li>");
    expect(await count(`SELECT count(*)::int AS n FROM tip_event e JOIN tip t ON t.id = e.tip_id WHERE t.number = $1 AND e.action = 'note'`, [r.number])).toBe(0);
    await post('notes', { note: '已联系举报人核实线索', visibility: 'public' }).expect(303);
    await post('reward-level', { level: '2' }).expect(303);
    const t = (await as(users.supervisor!).get(`/api/tips/${r.number}`).expect(200)).body;
    expect(t).toMatchObject({ status: 'investigating', rewardLevel: 2 });
    expect(t.events.map((e: Row) => e.action)).toEqual(['receive', 'assign', 'start_investigation', 'note', 'set_level']);
    // A step the status does not allow: the page again with the 409 reason.
    const early = await post('reward-payment', { paidOn: '2026-01-01' }).expect(409);
    expect(early.text).toContain('is investigating');
  });

  it('closes a tip as unsubstantiated: the tipster reads the public note, never the internal reason', async () => {
    const r = (await anon().post('/api/public/tips').send(await tipBody({ institutionCode: undefined, institutionName: '某某大药房', category: 'drug_resale' })).expect(201)).body;
    const sup = as(users.supervisor!);
    await sup.post(`/api/tips/${r.number}/assign`, { assignee: users.supervisor!.name }).expect(200);
    await sup.post(`/api/tips/${r.number}/start-investigation`).expect(200);
    // The tip names no institution code: a case needs one.
    expect((await sup.post(`/api/tips/${r.number}/open-case`).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'institutionCode' })]);
    expect((await sup.post(`/api/tips/${r.number}/close`, {}).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'reason' })]);
    await sup.post(`/api/tips/${r.number}/close`, { reason: '现场核查未发现倒卖药品线索，药店进销存记录一致', publicNote: '经核查，未发现举报所述问题' }).expect(200);
    const t = (await anon().post('/api/public/tips/track').send({ code: r.trackingCode }).expect(200)).body;
    expect(t).toMatchObject({ status: 'unsubstantiated', reward: null });
    expect(t.timeline.at(-1)).toMatchObject({ status: 'unsubstantiated', note: '经核查，未发现举报所述问题' });
    expect(JSON.stringify(t)).not.toContain('进销存');
    const again = (await sup.post(`/api/tips/${r.number}/start-investigation`).expect(409)).body;
    expect(again.message).toContain('is unsubstantiated');
  });

  it('closes a tip whose case was dismissed (不予立案), and only then', async () => {
    const r = (await anon().post('/api/public/tips').send(await tipBody({ category: 'overtreatment' })).expect(201)).body;
    const sup = as(users.supervisor!);
    await sup.post(`/api/tips/${r.number}/assign`, { assignee: users.supervisor!.name }).expect(200);
    await sup.post(`/api/tips/${r.number}/start-investigation`).expect(200);
    const opened = (await sup.post(`/api/tips/${r.number}/open-case`).expect(200)).body;
    expect((await sup.post(`/api/tips/${r.number}/close`, { reason: '案件审核中' }).expect(409)).body.message).toContain(opened.case.number);
    await sup.post(`/api/cases/${opened.case.id}/start-review`).expect(200);
    await sup.post(`/api/cases/${opened.case.id}/dismiss`, { reason: '病历显示诊疗符合规范' }).expect(200);
    const closed = (await sup.post(`/api/tips/${r.number}/close`, { reason: '案件不予立案', publicNote: '经调查，未发现违规' }).expect(200)).body;
    expect(closed).toMatchObject({ status: 'unsubstantiated', reward: null, case: { status: 'dismissed' } });
    expect(await count(`SELECT count(*)::int AS n FROM tip_reward WHERE tip_id = $1`, [closed.id])).toBe(0);
  });

  it('renders the public form: Chinese by default, the fields, the reward levels and bounds, no script', async () => {
    const page = await anon().get('/public/tips').expect(200);
    expect(page.text).toContain('<html lang="zh-CN">');
    for (const field of ['name="category"', 'name="institutionName"', 'name="institutionCode"', 'name="description"', 'name="occurredOn"', 'name="anonymous"', 'name="identity_name"', 'name="identity_phone"', 'name="identity_idNumber"', 'name="identity_contact"', 'name="challenge_token"', 'name="challenge_answer"']) {
      expect(page.text).toContain(field);
    }
    expect(page.text).toContain('action="/public/tips"');
    expect(page.text).toContain('提供被举报方的详细违法事实及直接证据');
    expect(page.text).toMatch(/<td class="num">3%<\/td>[\s\S]*<td class="num">2%<\/td>[\s\S]*<td class="num">1%<\/td>/);
    expect(page.text).toContain('¥200.00');
    expect(page.text).toContain('¥200,000.00');
    expect(page.text).toMatch(/等于多少？/);
    expect(page.text).not.toMatch(/<script/i);
    expect(page.headers['content-security-policy']).toContain("script-src 'none'");
    const en = await anon().get('/public/tips?lang=en').expect(200);
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toMatch(/What is [a-z-]+ (plus|minus|times) [a-z-]+\?/);
  });

  it('takes a tip through the form: a wrong answer shows the form again (400), the right one the receipt with the code once; tracking pages work', async () => {
    const formOf = async () => {
      const page = await anon().get('/public/tips?lang=en').expect(200);
      const token = /name="challenge_token" value="([^"]+)"/.exec(page.text)![1]!;
      const question = unescapeHtml(/<label for="tip-challenge">([^<]+)<\/label>/.exec(page.text)![1]!);
      return { token: unescapeHtml(token), answer: String(solve(question)) };
    };
    const fields = { category: 'upcoding', institutionName: '银川市某某医院', description: '住院期间未做的检查也被计费', anonymous: 'no', identity_name: '赵', identity_phone: '13700000001' };
    const f1 = await formOf();
    const wrong = await anon()
      .post('/public/tips')
      .type('form')
      .send({ ...fields, challenge_token: f1.token, challenge_answer: String(Number(f1.answer) + 1) })
      .expect(400);
    expect(wrong.text).toContain('验证问题'); // the field's label
    expect(wrong.text).toContain('value="银川市某某医院"'); // what was typed comes back …
    expect(wrong.text).not.toContain(f1.token); // … with a new challenge
    const f2 = await formOf();
    const ok = await anon()
      .post('/public/tips')
      .type('form')
      .send({ ...fields, challenge_token: f2.token, challenge_answer: f2.answer })
      .expect(201);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.text).toContain('<html lang="zh-CN">');
    expect(ok.text).not.toMatch(/<script/i);
    const code = /<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<\/code>/.exec(ok.text)![1]!;
    expect(ok.text).toContain('只显示这一次');
    expect(ok.text).toMatch(/您的举报已受理，编号 JB-\d{4}-\d{6}。/);
    const [row] = (await ds.query(`SELECT anonymous, identity_key_id FROM tip WHERE tracking_code_hash = $1`, [createHash('sha256').update(code.replace(/-/g, '')).digest('hex')])) as Row[];
    expect(row).toMatchObject({ anonymous: false, identity_key_id: expect.any(String) });

    const trackForm = await anon().get('/public/tips/track').expect(200);
    expect(trackForm.text).toContain('<html lang="zh-CN">');
    expect(trackForm.text).toContain('name="code"');
    expect(trackForm.text).toContain('method="post" action="/public/tips/track"');
    expect(trackForm.text).not.toMatch(/<script/i);
    const tracked = await anon().post('/public/tips/track').type('form').send({ code }).expect(200);
    expect(tracked.text).toContain('已受理');
    expect(tracked.text).toContain('虚计多计费用');
    expect(tracked.text).not.toContain('赵');
    expect(tracked.text).not.toMatch(/<script/i);
    const missing = await anon().post('/public/tips/track').type('form').send({ code: code.replace(/^./, (c) => (c === '0' ? '1' : '0')) }).expect(404);
    expect(missing.text).toContain('没有与此查询码对应的举报');
  });

  it('limits submissions per client address: 429 once the hourly budget is spent, while the form still shows', async () => {
    const schema2 = uniqueName('t_tips_rate');
    const limited = (await createTestHttp(testConfig(schema2, { TIP_IDENTITY_KEY: identityKey.toString('base64'), TIP_RATE_PER_HOUR: '3' }).config, 'api')).app;
    try {
      const http = () => request(limited.getHttpServer());
      const fresh = async () => {
        const c = (await http().get('/api/public/tips/challenge').expect(200)).body;
        return { token: c.token as string, answer: String(solve(c.question.en)) };
      };
      const body = async (right: boolean) => {
        const c = await fresh();
        return { institutionName: '某某诊所', category: 'other', description: '频率测试', anonymous: true, challenge: right ? c : { ...c, answer: String(Number(c.answer) + 1) } };
      };
      // Wrong answers count (the challenge cannot be guessed by trying), a malformed body does not.
      for (let i = 0; i < 5; i++) await http().post('/api/public/tips').send({}).expect(400);
      await http().post('/api/public/tips').send(await body(false)).expect(400);
      await http().post('/api/public/tips').send(await body(false)).expect(400);
      await http().post('/api/public/tips').send(await body(true)).expect(201);
      const r = await http().post('/api/public/tips').send(await body(true)).expect(429);
      expect(r.body.message).toMatch(/^too many tips from this address; try again in \d+ min$/);
      expect(r.body.errors).toEqual([{ path: 'rate', reason: 'at most 3 tips per hour from one address' }]);
      // The form page posts into the same budget and says so; reading the form is not limited.
      const page = await http().get('/public/tips').expect(200);
      const token = unescapeHtml(/name="challenge_token" value="([^"]+)"/.exec(page.text)![1]!);
      const limitedPage = await http().post('/public/tips').type('form').send({ category: 'other', institutionName: '某某诊所', description: 'x', anonymous: 'yes', challenge_token: token, challenge_answer: '1' }).expect(429);
      expect(limitedPage.text).toContain('too many tips from this address');
      await http().get('/public/tips').expect(200);
      await http().get('/api/public/tips/challenge').expect(200);
    } finally {
      await limited.close();
      await dropSchema(schema2);
    }
  });
});
