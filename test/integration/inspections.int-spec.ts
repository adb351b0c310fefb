import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { commitmentOf } from '../../src/inspections/draw-algorithm';
import { createTestHttp } from '../support/app';
import { apiAs, createUserWithToken, TestUser } from '../support/auth';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

type Row = Record<string, unknown>;

/**
 * 双随机、一公开 end to end on PostgreSQL and Redis: a plan is created, committed (the seed stays
 * secret), drawn; the published draw verifies by the CLI and the public endpoint and page without a
 * login; a tampered result or a swapped seed fails verification naming the problem; a redraw needs a
 * reason and leaves the first draw intact; an inspector sees only its assignments and records a
 * result that reaches credit and (violations) opens a case.
 */
describe('inspections (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_insp');
  const { config, env } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-insp-'));
  let app: INestApplication;
  let ds: DataSource;
  const users: Record<string, TestUser> = {};
  const as = (u: TestUser) => apiAs(app, u);
  const anon = () => request(app.getHttpServer());
  const cli = (args: string[]) => promisify(execFile)('node', [CLI, ...args], { env: { ...process.env, ...env } });
  /** Runs the CLI and returns its exit code and output (execFile rejects on a non-zero exit). */
  const cliExit = async (args: string[]): Promise<{ code: number; stdout: string }> => {
    try {
      const r = await cli(args);
      return { code: 0, stdout: r.stdout };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? -1, stdout: `${err.stdout ?? ''}${err.stderr ?? ''}` };
    }
  };
  /** Edits a published draw around its append-only trigger (what an attacker with DB access could do). */
  const tamper = async (sql: string, params: unknown[]) => {
    await ds.transaction(async (m) => {
      await m.query(`ALTER TABLE inspection_draw DISABLE TRIGGER trg_inspection_draw_no_update`);
      await m.query(sql, params);
      await m.query(`ALTER TABLE inspection_draw ENABLE TRIGGER trg_inspection_draw_no_update`);
    });
  };

  const plan = {
    name: '2026年第一季度双随机检查',
    period: '2026-Q1',
    matters: ['fund-use', 'charges', 'inpatient-records'],
    samplingRatio: { A: 0.2, B: 0.2 },
    minPerStratum: 1,
    teamSize: 2,
    loadCap: 10,
    avoidSameRegion: false,
    avoidPrevious: true,
  };
  let planId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let firstDraw: any;

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 300, seed: 'insp-it' });
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    for (const role of ['admin', 'supervisor', 'auditor', 'inspector', 'institution'] as const) {
      users[role] = await createUserWithToken(app, role === 'institution' ? { role, institutionCode: ((await ds.query(`SELECT code FROM institution ORDER BY code LIMIT 1`)) as Row[])[0]!.code as string } : { role });
    }
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('lists the inspection matters with their legal basis, and the grades with the credit policy\'s ratios', async () => {
    const r = (await as(users.supervisor!).get('/api/inspection-matters').expect(200)).body;
    expect(r.matters.map((m: Row) => m.code)).toEqual(expect.arrayContaining(['fund-use', 'drug-consumables', 'inpatient-records', 'charges']));
    expect(r.matters.every((m: Row) => typeof m.basis === 'string' && (m.basis as string).includes('条例'))).toBe(true);
    expect(r.grades.map((g: Row) => g.grade)).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('refuses a team of one, naming the field; refuses unknown matters', async () => {
    const r = (await as(users.supervisor!).post('/api/inspection-plans', { ...plan, teamSize: 1 }).expect(400)).body;
    expect(r.errors).toEqual([expect.objectContaining({ path: 'teamSize' })]);
    const r2 = (await as(users.supervisor!).post('/api/inspection-plans', { ...plan, matters: ['nope'] }).expect(400)).body;
    expect(r2.errors).toEqual([expect.objectContaining({ path: 'matters[0]' })]);
    await as(users.inspector!).post('/api/inspection-plans', plan).expect(403);
  });

  it('creates a plan (ratios default from the credit policy) and commits without ever showing the seed', async () => {
    const p = (await as(users.supervisor!).post('/api/inspection-plans', plan).expect(201)).body;
    planId = p.id;
    expect(p).toMatchObject({ status: 'draft', periodFrom: '2026-01-01', periodTo: '2026-03-31', teamSize: 2, samplingRatio: { A: 0.2, B: 0.2, C: 0.25, D: 0.5, E: 1 } });
    const c = (await as(users.supervisor!).post(`/api/inspection-plans/${planId}/commit`).expect(200)).body;
    expect(c.status).toBe('committed');
    expect(c.commitment).toMatch(/^[0-9a-f]{64}$/);
    const [{ seed }] = (await ds.query(`SELECT seed FROM inspection_plan WHERE id = $1`, [planId])) as { seed: string }[];
    expect(commitmentOf(seed)).toBe(c.commitment);
    // The seed appears in no response, page or audit entry before the draw.
    const seen = [
      JSON.stringify(c),
      JSON.stringify((await as(users.supervisor!).get(`/api/inspection-plans/${planId}`).expect(200)).body),
      JSON.stringify((await as(users.supervisor!).get('/api/inspection-plans').expect(200)).body),
      (await as(users.supervisor!).get(`/console/inspections/${planId}`).expect(200)).text,
      JSON.stringify(await ds.query(`SELECT before, after FROM audit_entry WHERE entity_id = $1`, [planId])),
    ];
    for (const text of seen) expect(text).not.toContain(seed);
    await as(users.supervisor!).post(`/api/inspection-plans/${planId}/commit`).expect(409);
  });

  it('draws: objects with grades and inspectors snapshotted, the seed revealed, one assignment per drawn institution', async () => {
    const [{ seed }] = (await ds.query(`SELECT seed FROM inspection_plan WHERE id = $1`, [planId])) as { seed: string }[];
    const d = (await as(users.supervisor!).post(`/api/inspection-plans/${planId}/draw`).expect(200)).body;
    firstDraw = d;
    expect(d.seed).toBe(seed);
    expect(d.verification).toEqual({ ok: true, problems: [] });
    expect(d.assignments.length).toBeGreaterThan(0);
    for (const a of d.assignments) expect(a.team).toHaveLength(2);
    const [row] = (await ds.query(`SELECT seed, jsonb_array_length(objects) AS objects, jsonb_array_length(inspectors) AS inspectors FROM inspection_draw WHERE id = $1`, [d.draw.id])) as Row[];
    expect(row).toMatchObject({ seed, objects: Number(((await ds.query(`SELECT count(*)::int AS n FROM institution`)) as Row[])[0]!.n) });
    expect(row!.inspectors).toBeGreaterThan(0);
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM inspection_assignment WHERE draw_id = $1 AND status = 'open'`, [d.draw.id])) as { n: number }[];
    expect(n).toBe(d.assignments.length);
    const [{ plan_seed }] = (await ds.query(`SELECT seed AS plan_seed FROM inspection_plan WHERE id = $1`, [planId])) as { plan_seed: string | null }[];
    expect(plan_seed).toBeNull();
    // Declared conflicts are never on the team.
    const conflicts = new Map(((await ds.query(`SELECT code, conflicts FROM inspector`)) as { code: string; conflicts: string[] }[]).map((r) => [r.code, r.conflicts]));
    for (const a of d.assignments) for (const t of a.team) expect(conflicts.get(t.code)).not.toContain(a.institution);
    // The published draw cannot be edited.
    await expect(ds.query(`UPDATE inspection_draw SET seed = $2 WHERE id = $1`, [d.draw.id, '0'.repeat(64)])).rejects.toThrow(/append-only/);
  });

  it('verifies by the CLI (exit 0) and publicly without a login (JSON, page, published data)', async () => {
    const ok = await cliExit(['draw', 'verify', '--plan', planId]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('the draw matches');
    const v = (await anon().get(`/api/public/draws/${firstDraw.draw!.id}/verify`).expect(200)).body;
    expect(v).toMatchObject({ ok: true, problems: [], number: 1 });
    const page = await anon().get(`/public/draws/${firstDraw.draw!.id}`).expect(200);
    expect(page.text).toContain('lang="zh-CN"');
    expect(page.text).toContain(firstDraw.commitment as string);
    expect(page.text).toContain(firstDraw.seed as string);
    expect(page.text).toContain('复算结果与公布的抽取一致');
    const j = (await anon().get(`/public/draws/${firstDraw.draw!.id}.json`).expect(200)).body;
    expect(j).toMatchObject({ seed: firstDraw.seed, commitment: firstDraw.commitment, input: { seed: firstDraw.seed, planId } });
    await anon().get(`/api/inspection-draws/${firstDraw.draw!.id}`).expect(401);
  });

  it('detects a tampered result and a swapped seed (exit 1, naming the problem)', async () => {
    const id = firstDraw.draw!.id as string;
    const [orig] = (await ds.query(`SELECT seed, result FROM inspection_draw WHERE id = $1`, [id])) as { seed: string; result: Row }[];
    const result = orig!.result as { assignments: { institution: string; team: string[] }[] };
    const swapped = { ...result, assignments: result.assignments.map((a, i) => (i === 0 ? { ...a, team: [...a.team].reverse() } : a)) };
    await tamper(`UPDATE inspection_draw SET result = $2 WHERE id = $1`, [id, JSON.stringify(swapped)]);
    const bad = await cliExit(['draw', 'verify', '--plan', planId, '--draw', '1']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/result hash|edited/);
    expect((await anon().get(`/api/public/draws/${id}/verify`).expect(200)).body.ok).toBe(false);
    await tamper(`UPDATE inspection_draw SET result = $2 WHERE id = $1`, [id, JSON.stringify(orig!.result)]);
    expect((await cliExit(['draw', 'verify', '--plan', planId])).code).toBe(0);

    await tamper(`UPDATE inspection_draw SET seed = $2 WHERE id = $1`, [id, 'a'.repeat(64)]);
    const badSeed = await cliExit(['draw', 'verify', '--plan', planId]);
    expect(badSeed.code).toBe(1);
    expect(badSeed.stdout).toContain('does not match the commitment');
    await tamper(`UPDATE inspection_draw SET seed = $2 WHERE id = $1`, [id, orig!.seed]);
    expect((await cliExit(['draw', 'verify', '--plan', planId])).code).toBe(0);
  });

  it('a redraw needs a reason, publishes a new commitment and leaves the first draw intact', async () => {
    const r = (await as(users.supervisor!).post(`/api/inspection-plans/${planId}/redraw`, {}).expect(400)).body;
    expect(r.errors).toEqual([expect.objectContaining({ path: 'reason' })]);
    const [before] = (await ds.query(`SELECT * FROM inspection_draw WHERE id = $1`, [firstDraw.draw!.id])) as Row[];
    const c = (await as(users.supervisor!).post(`/api/inspection-plans/${planId}/redraw`, { reason: '检查人员名录更新' }).expect(200)).body;
    expect(c.commitment).not.toBe(firstDraw.commitment);
    const d = (await as(users.supervisor!).post(`/api/inspection-plans/${planId}/draw`).expect(200)).body;
    expect(d.draw).toMatchObject({ number: 2, replacesDrawId: firstDraw.draw!.id, reason: '检查人员名录更新' });
    expect(d.verification.ok).toBe(true);
    const [after] = (await ds.query(`SELECT * FROM inspection_draw WHERE id = $1`, [firstDraw.draw!.id])) as Row[];
    expect(after).toEqual(before);
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM inspection_assignment WHERE draw_id = $1 AND status <> 'superseded'`, [firstDraw.draw!.id])) as { n: number }[];
    expect(n).toBe(0);
    expect((await cliExit(['draw', 'verify', '--plan', planId, '--draw', '1'])).code).toBe(0);
    expect((await cliExit(['draw', 'verify', '--plan', planId])).stdout).toContain('draw 2');
    firstDraw = d;
  });

  it('an inspector sees only its assignments and records a result once: credit entry, and a case for violations', async () => {
    const [a] = (await ds.query(`SELECT id, institution_code, team FROM inspection_assignment WHERE draw_id = $1 AND status = 'open' ORDER BY institution_code LIMIT 1`, [firstDraw.draw!.id])) as {
      id: string;
      institution_code: string;
      team: string[];
    }[];
    // Not linked yet: nothing.
    expect((await as(users.inspector!).get('/api/assignments?mine=true').expect(200)).body.items).toEqual([]);
    await as(users.inspector!).post(`/api/assignments/${a!.id}/result`, { outcome: 'compliant' }).expect(404);
    // Linking needs an inspector login.
    await as(users.admin!).post(`/api/inspectors/${a!.team[0]}/link`, { user: users.auditor!.name }).expect(400);
    const link = await cliExit(['inspections', 'link-inspector', '--user', users.inspector!.name, '--inspector', a!.team[0]!]);
    expect(link.code).toBe(0);
    const mine = (await as(users.inspector!).get('/api/assignments').expect(200)).body;
    expect(mine.inspectorCode).toBe(a!.team[0]);
    expect(mine.items.length).toBeGreaterThan(0);
    for (const it of mine.items) expect(it.team.map((t: Row) => t.code)).toContain(a!.team[0]);
    const all = (await as(users.supervisor!).get('/api/assignments').expect(200)).body.items;
    expect(all.length).toBeGreaterThanOrEqual(mine.items.length);

    const page = await as(users.inspector!).get('/console/inspections/mine').expect(200);
    expect(page.text).toContain(a!.institution_code);

    const bad = (await as(users.inspector!).post(`/api/assignments/${a!.id}/result`, { outcome: 'violations', notes: '串换项目' }).expect(400)).body;
    expect(bad.errors).toEqual([expect.objectContaining({ path: 'amountFound' })]);
    // While a redraw is pending (the plan committed again) no result is taken: the assignment is about to be replaced.
    await ds.query(`UPDATE inspection_plan SET status = 'committed' WHERE id = $1`, [planId]);
    const pending = (await as(users.inspector!).post(`/api/assignments/${a!.id}/result`, { outcome: 'compliant' }).expect(409)).body;
    expect(pending.message).toBe('a redraw of this plan is pending: the assignment will be replaced, record results on the new draw');
    await ds.query(`UPDATE inspection_plan SET status = 'drawn' WHERE id = $1`, [planId]);
    const r = (await as(users.inspector!).post(`/api/assignments/${a!.id}/result`, { outcome: 'violations', amountFound: '1234.50', notes: '串换项目收费' }).expect(200)).body;
    expect(r.result).toMatchObject({ outcome: 'violations', amountFound: '1234.50', caseNumber: expect.stringMatching(/^AJ-/) });
    const [c] = (await ds.query(`SELECT kind, institution_code, amount_at_risk FROM supervision_case WHERE id = $1`, [r.result.caseId])) as Row[];
    expect(c).toEqual({ kind: 'inspection', institution_code: a!.institution_code, amount_at_risk: '1234.50' });
    const credit = (await ds.query(`SELECT kind, cause_id, points FROM credit_entry WHERE cause_type = 'inspection' AND cause_id = $1`, [a!.id])) as Row[];
    expect(credit).toEqual([expect.objectContaining({ kind: 'inspection', cause_id: a!.id })]);
    expect(Number(credit[0]!.points)).toBeLessThan(0);
    await as(users.inspector!).post(`/api/assignments/${a!.id}/result`, { outcome: 'compliant' }).expect(409);
    // Once a result exists the draw can no longer be redrawn.
    await as(users.supervisor!).post(`/api/inspection-plans/${planId}/redraw`, { reason: 'x' }).expect(409);

    // Publication: due 20 working days later; late ones listed; publishing shows it on the public page.
    expect(r.result.publishDueOn > new Date().toISOString().slice(0, 10)).toBe(true);
    await ds.query(`UPDATE inspection_result SET publish_due_on = '2020-01-01' WHERE assignment_id = $1`, [a!.id]);
    const late = (await as(users.supervisor!).get('/api/inspection-results/late').expect(200)).body;
    expect(late).toEqual([expect.objectContaining({ assignmentId: a!.id, institutionCode: a!.institution_code })]);
    // The dashboard flags it, and the case it opened is labelled as an on-site inspection.
    const lateTile = (html: string) => /逾期未公开的检查结果<\/h2>\s*<p class="big"><a href="\/console\/inspections">(\d+)<\/a>/.exec(html)?.[1];
    expect(lateTile((await as(users.supervisor!).get('/console').expect(200)).text)).toBe('1');
    expect((await as(users.supervisor!).get('/console/cases?kind=inspection').expect(200)).text).toContain('现场检查');
    await as(users.supervisor!).post(`/api/assignments/${a!.id}/publish`).expect(200);
    expect(lateTile((await as(users.supervisor!).get('/console').expect(200)).text)).toBe('0');
    expect((await as(users.supervisor!).get('/api/inspection-results/late').expect(200)).body).toEqual([]);
    const pub = (await as(users.supervisor!).get(`/api/inspection-draws/${firstDraw.draw!.id}`).expect(200)).body;
    expect(pub.results).toEqual([expect.objectContaining({ institution: a!.institution_code, outcome: 'violations' })]);
  });

  it('shows the supervisors\' console pages: plans with the create form and the late list; the plan with its draws', async () => {
    const list = await as(users.supervisor!).get('/console/inspections').expect(200);
    expect(list.text).toContain(plan.name);
    expect(list.text).toContain('医保基金使用情况专项检查');
    expect(list.text).toContain('name="_csrf"');
    const one = await as(users.auditor!).get(`/console/inspections/${planId}`).expect(200);
    expect(one.text).toContain(`/public/draws/${firstDraw.draw.id}`);
    expect(one.text).not.toContain('/redraw'); // an auditor reads only
    await as(users.inspector!).get('/console/inspections').expect(403);
  });

  it('audits every change', async () => {
    const actions = ((await ds.query(`SELECT action FROM audit_entry WHERE entity_type IN ('inspection_plan', 'inspection_draw', 'inspection_assignment', 'inspector_account') ORDER BY seq`)) as Row[]).map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'inspection_plan.create',
        'inspection_plan.commit',
        'inspection_draw.draw',
        'inspection_plan.redraw_request',
        'inspection_draw.redraw',
        'inspector.link',
        'inspection_result.record',
        'inspection_result.publish',
      ]),
    );
  });
});
