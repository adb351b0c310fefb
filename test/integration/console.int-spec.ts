import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { formatMoney, formatNumber } from '../../src/console/format';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { ScoringService } from '../../src/scoring/scoring.service';
import { ScreeningService } from '../../src/screening/screening.service';
import { createTestHttp } from '../support/app';
import { TestUser, createUserWithToken, csrfOf, expectAccessiblePage } from '../support/auth';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

type Agent = ReturnType<typeof request.agent>;

/** Set-Cookie lines of a response (one string or several). */
const cookiesOf = (res: { headers: Record<string, unknown> }): string[] => {
  const c = res.headers['set-cookie'];
  return Array.isArray(c) ? c : typeof c === 'string' ? [c] : [];
};

/**
 * The console through HTTP as a browser uses it: the login form and its cookie, pages in Chinese and
 * English, role limits as 403 pages, logout, security headers, and the figures pages show matching
 * the database.
 */
describe('web console (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_console');
  const { config } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-console-'));
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let ds: DataSource;
  const users: Partial<Record<'admin' | 'supervisor' | 'auditor' | 'inspector' | 'institution', TestUser>> = {};
  let institutionCode: string;
  let otherInstitution: string;

  /** Logs in through the form; the agent keeps the cookie like a browser. */
  async function loginAs(user: TestUser): Promise<Agent> {
    const agent = request.agent(server);
    const res = await agent.post('/login').type('form').send({ name: user.name, password: user.password, next: '/console' }).expect(303);
    expect(cookiesOf(res).join(';')).toMatch(/fg_session=/);
    return agent;
  }

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 1500, seed: 'console-it' });
    app = (await createTestHttp(config)).app;
    server = app.getHttpServer();
    ds = app.get(getDataSourceToken());
    const imports = app.get(ImportsService);
    const screening = app.get(ScreeningService);
    await (await imports.startImport('reference', join(dataDir, 'reference'))).job.finished();
    const { run, job } = await imports.startImport('claims', join(dataDir, 'claims'));
    await job.finished();
    const sr = (await screening.listRuns(100)).find((r) => r.importId === run.id);
    await screening.waitForRun(sr!.id, 50);
    await app.get(ScoringService).score();
    const codes = (await ds.query(`SELECT entity_code FROM risk_score WHERE entity_type = 'institution' ORDER BY period DESC, rank LIMIT 2`)) as { entity_code: string }[];
    institutionCode = codes[0]!.entity_code;
    otherInstitution = codes[1]!.entity_code;
    for (const role of ['admin', 'supervisor', 'auditor', 'inspector'] as const) users[role] = await createUserWithToken(app, { role });
    users.institution = await createUserWithToken(app, { role: 'institution', institutionCode });
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('sends a visitor without a session to the login form and back to where they were going', async () => {
    const res = await request(server).get('/console/rules?sort=precision').expect(303);
    expect(res.text).toBe('');
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent('/console/rules?sort=precision')}`);
    const form = await request(server).get(res.headers.location!).expect(200);
    expectAccessiblePage(form.text);
    expect(form.text).toContain('<h1>登录</h1>');
    expect(form.text).toContain('value="/console/rules?sort&#x3D;precision"');
    expect((await request(server).get('/').expect(302)).headers.location).toBe('/console');

    const agent = request.agent(server);
    const login = await agent.post('/login').type('form').send({ name: users.supervisor!.name, password: users.supervisor!.password, next: '/console/rules?sort=precision' }).expect(303);
    expect(login.headers.location).toBe('/console/rules?sort=precision');
    // Only local paths: another origin falls back to the dashboard.
    const evil = await request(server).post('/login').type('form').send({ name: users.supervisor!.name, password: users.supervisor!.password, next: '//evil.example/x' }).expect(303);
    expect(evil.headers.location).toBe('/console');
  });

  it('shows login failures on the form with a fitting status', async () => {
    const wrong = await request(server).post('/login').type('form').send({ name: users.auditor!.name, password: 'not-the-password', next: '/console' }).expect(401);
    expectAccessiblePage(wrong.text);
    expect(wrong.text).toContain('用户名或密码错误');
    expect(wrong.text).toContain(`value="${users.auditor!.name}"`);
    expect(cookiesOf(wrong).join(';')).not.toMatch(/fg_session=[^;]/);
    const empty = await request(server).post('/login').type('form').send({ name: '', password: '' }).expect(400);
    expect(empty.text).toContain('请输入用户名和密码');
    // Login CSRF: another site's page posting the form (its Origin) gets no session, even with the right password.
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const crossSite = await request(server).post('/login').set('Origin', 'https://evil.example').type('form').send({ name: users.auditor!.name, password: users.auditor!.password }).expect(403);
    expect(crossSite.text).toContain('登录请求来自其他网站');
    expect(cookiesOf(crossSite).join(';')).not.toMatch(/fg_session=[^;]/);
    await request(server).post('/login').set({ Origin: `http://${host}`, Host: host }).type('form').send({ name: users.auditor!.name, password: users.auditor!.password }).expect(303);
  });

  it('shows the dashboard in Chinese, then in English after the switch, with figures from the database', async () => {
    const agent = await loginAs(users.supervisor!);
    const zh = await agent.get('/console').expect(200);
    expectAccessiblePage(zh.text);
    expect(zh.text).toContain('<h1>工作台</h1>');
    expect(zh.text).toContain(`${users.supervisor!.name}</strong> (稽核员`);
    const csp = zh.headers['content-security-policy'];
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(zh.headers['cache-control']).toBe('no-store');

    const [{ n, amount }] = (await ds.query(`SELECT count(*)::int AS n, sum(amount_at_risk)::text AS amount FROM finding WHERE status = 'open'`)) as { n: number; amount: string }[];
    expect(n).toBeGreaterThan(0);
    expect(zh.text).toContain(`<p class="big">${formatNumber(n)}</p>`);
    expect(zh.text).toContain(formatMoney(amount));
    const [{ period }] = (await ds.query(`SELECT max(period) AS period FROM risk_score WHERE entity_type = 'institution'`)) as { period: string }[];
    expect(zh.text).toContain(`风险最高的机构（${period}）`);
    expect(zh.text).toContain(`href="/console/institutions/${institutionCode}"`);
    // The supervisor's navigation has no audit trail nor queues.
    expect(zh.text).not.toContain('href="/console/audit"');
    expect(zh.text).not.toContain('href="/console/queues"');

    const en = await agent.get('/console?lang=en').expect(200);
    expectAccessiblePage(en.text, 'en');
    expect(en.text).toContain('<h1>Dashboard</h1>');
    expect(cookiesOf(en).join(';')).toMatch(/fg_lang=en/);
    const again = await agent.get('/console/rules').expect(200);
    expectAccessiblePage(again.text, 'en');
    expect(again.text).toContain('<h1>Rule library</h1>');
    const back = await agent.get('/console/rules?lang=zh').expect(200);
    expect(back.text).toContain('<h1>规则库</h1>');
  });

  it('lists the rules with hits and precision, sortable, and shows one rule with how to backtest it', async () => {
    const agent = await loginAs(users.auditor!);
    const list = await agent.get('/console/rules?sort=precision').expect(200);
    expectAccessiblePage(list.text);
    const [{ rule_id, open }] = (await ds.query(`SELECT rule_id, count(*)::int AS open FROM finding WHERE status = 'open' GROUP BY rule_id ORDER BY 2 DESC LIMIT 1`)) as { rule_id: string; open: number }[];
    expect(list.text).toMatch(new RegExp(`href="/console/rules/${rule_id}"><code>${rule_id}</code>[\\s\\S]*?<td class="num">${formatNumber(open)}</td>`));
    await agent.get('/console/rules?sort=bogus').expect(400);

    // Reviewed outcomes give the precision: one confirmed and one dismissed hit make 50.0%.
    const [{ ids }] = (await ds.query(`SELECT array_agg(id ORDER BY id) AS ids FROM (SELECT id FROM finding WHERE status = 'open' AND rule_id = $1 ORDER BY id LIMIT 2) x`, [rule_id])) as { ids: string[] }[];
    await ds.query(`UPDATE finding SET status = CASE WHEN id = $1 THEN 'confirmed' ELSE 'dismissed' END WHERE id = ANY($2::bigint[])`, [ids[0], ids]);
    const reviewed = await agent.get('/console/rules?sort=precision').expect(200);
    expect(reviewed.text).toMatch(new RegExp(`href="/console/rules/${rule_id}"><code>${rule_id}</code>[\\s\\S]*?<td class="num">${formatNumber(open - 2)}</td>\\s*<td class="num">1</td>\\s*<td class="num">1</td>\\s*<td class="num">50.0%</td>`));
    // Lowest precision first: the only reviewed rule heads the list.
    expect(/<tbody>\s*<tr>\s*<th scope="row"><a href="\/console\/rules\/([a-z0-9-]+)"/.exec(reviewed.text)?.[1]).toBe(rule_id);

    const one = await agent.get(`/console/rules/${rule_id}`).expect(200);
    expectAccessiblePage(one.text);
    expect(one.text).toContain('fundguard rules backtest');
    expect(one.text).toContain('法律依据');
    const missing = await agent.get('/console/rules/no-such-rule').expect(404);
    expectAccessiblePage(missing.text);
    expect(missing.text).toContain('页面不存在');
  });

  it('shows institutions and a profile with drivers against peers; an institution login sees only its own', async () => {
    const sup = await loginAs(users.supervisor!);
    const list = await sup.get('/console/institutions').expect(200);
    expectAccessiblePage(list.text);
    expect(list.text).toContain(`href="/console/institutions/${institutionCode}"`);
    const profile = await sup.get(`/console/institutions/${institutionCode}`).expect(200);
    expectAccessiblePage(profile.text);
    expect(profile.text).toContain('主要风险因素');
    expect(profile.text).toContain('稳健 Z 值');
    expect(profile.text).toMatch(/同级同类（\d级医院）|同类（|全部机构/);
    expect(profile.text).toContain(`href="/console/cases?institution&#x3D;${institutionCode}"`);
    await sup.get('/console/institutions/NOPE00000000').expect(404);

    const inst = await loginAs(users.institution!);
    const home = await inst.get('/console').expect(303);
    expect(home.headers.location).toBe(`/console/institutions/${institutionCode}`);
    const own = await inst.get(home.headers.location!).expect(200);
    expectAccessiblePage(own.text);
    const other = await inst.get(`/console/institutions/${otherInstitution}`).expect(403);
    expectAccessiblePage(other.text);
    expect(other.text).toContain('无权访问');
    expect(other.text).not.toContain(otherInstitution + '</code></dd>');
    await inst.get('/console/institutions').expect(403);
    await inst.get('/console/rules').expect(403);
  });

  it('answers pages a role may not see with a 403 page, and the API with JSON', async () => {
    const sup = await loginAs(users.supervisor!);
    const audit = await sup.get('/console/audit').expect(403);
    expectAccessiblePage(audit.text);
    expect(audit.headers['content-type']).toMatch(/text\/html/);
    expect(audit.text).toContain('<h1>无权访问</h1>');
    await sup.get('/console/queues').expect(403);
    const insp = await loginAs(users.inspector!);
    const home = await insp.get('/console').expect(200);
    expectAccessiblePage(home.text);
    await insp.get('/console/rules').expect(403);
    const unknown = await insp.get('/console/no-such-page').expect(404);
    expectAccessiblePage(unknown.text);
    expect((await request(server).get('/api/no-such-endpoint').expect(404)).body.error).toBe('NOT_FOUND');
    const api = await request(server).get('/api/findings').expect(401);
    expect(api.body.error).toBe('UNAUTHENTICATED');
  });

  it('shows the audit trail with filters, readable changes and the chain check to auditors', async () => {
    const agent = await loginAs(users.auditor!);
    const page = await agent.get('/console/audit').expect(200);
    expectAccessiblePage(page.text);
    // The chain is verified on request (it re-hashes the whole trail), not on every view.
    expect(page.text).not.toContain('哈希链完整');
    expect(page.text).toMatch(/href="\/console\/audit\?verify(=|&#x3D;)1"/); // Handlebars escapes '='
    const verified = await agent.get('/console/audit?verify=1').expect(200);
    expect(verified.text).toMatch(/哈希链完整：已校验 \d+ 条记录/);
    const filtered = await agent.get(`/console/audit?actor=${encodeURIComponent(users.supervisor!.name)}&action=auth.login`).expect(200);
    expectAccessiblePage(filtered.text);
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM audit_entry WHERE actor_name = $1 AND action = 'auth.login'`, [users.supervisor!.name])) as { n: number }[];
    expect(n).toBeGreaterThan(0);
    expect(filtered.text.match(/<code>auth\.login<\/code>/g) ?? []).toHaveLength(Math.min(n, 50));
    expect(filtered.text).toContain('<ins>');
    const bad = await agent.get('/console/audit?from=yesterday').expect(400);
    expect(bad.text).toContain('<code>from</code>');
  });

  it('shows the queues to admins, with the Bull Board link when Redis is configured', async () => {
    const agent = await loginAs(users.admin!);
    const page = await agent.get('/console/queues').expect(200);
    expectAccessiblePage(page.text);
    expect(page.text).toContain('href="/admin/queues"');
    expect(page.text).toMatch(/<code>[a-z-]+<\/code>/);
    const dash = await agent.get('/console').expect(200);
    expect(dash.text).toContain('href="/console/queues"');
    expect(dash.text).toContain('href="/console/audit"');
  });

  it('logs out with the CSRF token and ends the session', async () => {
    const agent = await loginAs(users.supervisor!);
    const page = await agent.get('/console').expect(200);
    const token = csrfOf(page.text);
    expect(token).toBeTruthy();
    await agent.post('/logout').type('form').send({ _csrf: 'forged' }).expect(403);
    await agent.get('/console').expect(200); // still logged in
    const out = await agent.post('/logout').type('form').send({ _csrf: token }).expect(303);
    expect(out.headers.location).toBe('/login?ok=loggedOut');
    const login = await agent.get(out.headers.location!).expect(200);
    expect(login.text).toContain('已退出登录');
    await agent.get('/console').expect(303);
  });

  it('serves the stylesheet to anyone and keeps the strict CSP off the API explorer', async () => {
    const css = await request(server).get('/console/static/console.css').expect(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
    expect(css.text).toContain(':focus-visible');
    const docs = await request(server).get('/api/docs/').redirects(1).expect(200);
    expect(docs.text).toContain('swagger');
    expect(docs.headers['content-security-policy'] ?? '').not.toContain("script-src 'none'");
  });
});
