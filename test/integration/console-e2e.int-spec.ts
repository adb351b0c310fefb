import 'reflect-metadata';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Browser, chromium, Page } from 'playwright-core';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { createTestHttp } from '../support/app';
import { createUserWithToken, TestUser } from '../support/auth';
import { importAndOpenCases } from '../support/pipeline';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

/** Debian's Chromium (.ci/run installs it); playwright-core never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of each step, kept for people to look at (gitignored). */
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'console-e2e');

/**
 * A supervisor works a case in a real browser: logs in, opens the riskiest case of the demo queue,
 * starts the review, confirms it, records a decision under article 38 and sees the recoveries it
 * created; an auditor then finds every step, by that supervisor, in the audit trail, whose hash chain
 * holds. No script runs in the pages (their CSP forbids it): this is plain forms and links.
 */
describe('console end to end (Chromium, PostgreSQL, Redis)', () => {
  const schema = uniqueName('t_e2e');
  const { config } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-e2e-'));
  let app: INestApplication;
  let url: string;
  let browser: Browser;
  let supervisor: TestUser;
  let auditor: TestUser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ({ app, url } = await createTestHttp(config));
    await generateDemoData({ outDir: dataDir, claims: 1500, seed: 'e2e' });
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    supervisor = await createUserWithToken(app, { role: 'supervisor', name: 'wang.jh' });
    auditor = await createUserWithToken(app, { role: 'auditor', name: 'zhao.audit' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await dropSchema(schema);
  });

  async function logIn(page: Page, user: TestUser, next: string) {
    await page.goto(`${url}${next}`);
    // Not logged in: the console sends the browser to the login form, keeping where it was going.
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name="name"]', user.name);
    await page.fill('input[name="password"]', user.password);
    await Promise.all([page.waitForURL((u) => u.pathname === next), page.click('form[action^="/login"] button[type="submit"]')]);
  }

  async function submit(page: Page, action: string) {
    const form = page.locator(`form[action$="${action}"]`);
    await Promise.all([page.waitForLoadState('load'), page.waitForURL(/.*/), form.locator('button[type="submit"]').click()]);
  }

  it('a supervisor confirms a case with a decision, and the audit trail shows who did it', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));

    await logIn(page, supervisor, '/console/cases');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.screenshot({ path: join(ARTIFACTS, '1-queue.png'), fullPage: true });

    // The queue, biggest amount at risk first; open the top case.
    await page.goto(`${url}/console/cases?sort=amount&status=open`);
    const first = page.locator('table tbody tr th a').first();
    const number = (await first.textContent())!.trim();
    expect(number).toMatch(/^AJ-\d{4}-\d{6}$/);
    await Promise.all([page.waitForURL(/\/console\/cases\/[0-9a-f-]{36}$/), first.click()]);
    const caseUrl = page.url();
    const caseId = caseUrl.split('/').pop()!;
    expect(await page.locator('h1').textContent()).toContain(number);
    // Patients appear only as short pseudonyms.
    expect(await page.content()).not.toMatch(/patient_key|[0-9a-f]{64}/);

    await submit(page, '/start-review');
    await submit(page, '/confirm');
    await page.screenshot({ path: join(ARTIFACTS, '2-confirmed.png'), fullPage: true });

    // The decision: article 38, the violation, the amount to recover (prefilled), a fine of 1.5×.
    const decision = page.locator('form[action$="/decision"]');
    await decision.locator('select[name="article"]').selectOption('38');
    await decision.locator('input[name="violationType"]').fill('超标准收费');
    const recover = await decision.locator('input[name="amountToRecover"]').inputValue();
    if (!recover) await decision.locator('input[name="amountToRecover"]').fill('100.00');
    await decision.locator('input[name="fineMultiple"]').fill('1.5');
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith(caseId)), decision.locator('button[type="submit"]').click()]);
    const detail = await page.content();
    expect(detail).toContain('flash-ok');
    // The recoveries the decision created: the refund and the fine.
    expect(await page.locator('form[action^="/console/recoveries/"]').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, '3-decided.png'), fullPage: true });

    // The case's own history names the supervisor for each step.
    const history = await page.locator('table', { has: page.locator('code', { hasText: 'case.decide' }) }).textContent();
    for (const action of ['case.start_review', 'case.confirm', 'case.decide']) expect(history).toContain(action);
    expect(history).toContain(supervisor.name);

    // An illegal step is refused with the reason, and a forged form is refused outright.
    const csrf = await page.locator('form[action="/logout"] input[name="_csrf"]').inputValue();
    const again = await context.request.post(`${url}/console/cases/${caseId}/confirm`, { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(again.status()).toBe(409);
    expect(await again.text()).toMatch(/decided/);
    const forged = await context.request.post(`${url}/console/cases/${caseId}/close`, { form: { _csrf: 'forged', reason: 'x' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);

    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.locator('form[action="/logout"] button').click()]);
    await context.close();

    // The auditor finds the supervisor's steps on this case in the audit trail, and the chain holds.
    const auditContext = await browser.newContext({ locale: 'zh-CN' });
    const auditPage = await auditContext.newPage();
    await logIn(auditPage, auditor, '/console/audit');
    await auditPage.goto(`${url}/console/audit?entityId=${caseId}&actor=${supervisor.name}&verify=1`);
    const trail = (await auditPage.locator('main').textContent())!;
    for (const action of ['case.start_review', 'case.confirm', 'case.decide']) expect(trail).toContain(action);
    expect(await auditPage.locator('.flash-ok[role="status"]').count()).toBe(1);
    await auditPage.screenshot({ path: join(ARTIFACTS, '4-audit.png'), fullPage: true });
    await auditContext.close();
    expect(scriptErrors).toEqual([]);
  });
});
