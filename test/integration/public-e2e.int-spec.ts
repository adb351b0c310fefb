import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import axe from 'axe-core';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { generateDemoData } from '../../src/demo/generator';
import { DisclosureService } from '../../src/disclosure/disclosure.service';
import { ImportsService } from '../../src/imports/imports.service';
import { createTestHttp } from '../support/app';
import { apiAs, createUserWithToken, TestUser } from '../support/auth';
import { importAndOpenCases } from '../support/pipeline';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

/** Debian's Chromium (.ci/run installs it, with fonts-noto-cjk); playwright-core never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** A full-page screenshot of every page, and the axe findings, kept for people to look at (gitignored). */
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'public-e2e');
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

/**
 * WCAG 2.0 A and AA, plus the best-practice rules the public site promises to keep: headings in
 * order and one h1, valid table scopes, and content inside landmarks.
 */
const AXE_TAGS = ['wcag2a', 'wcag2aa'];
const AXE_EXTRA_RULES = [
  'heading-order',
  'page-has-heading-one',
  'empty-heading',
  'empty-table-header',
  // Experimental in axe, but tables are most of these pages: every data cell has a header, captions are real.
  'td-has-header',
  'table-fake-caption',
  'scope-attr-valid',
  'landmark-one-main',
  'landmark-unique',
  'landmark-no-duplicate-banner',
  'landmark-no-duplicate-contentinfo',
  'landmark-no-duplicate-main',
  'landmark-banner-is-top-level',
  'landmark-contentinfo-is-top-level',
  'landmark-main-is-top-level',
  'region',
  'skip-link',
];
/** Rules the run must include (a newer axe renaming one would otherwise silently drop it). */
const AXE_REQUIRED_RULES = ['color-contrast', 'html-has-lang', 'html-lang-valid', 'heading-order', 'th-has-data-cells', 'td-headers-attr', 'td-has-header', 'scope-attr-valid', 'page-has-heading-one', 'landmark-one-main', 'region', 'image-alt', 'svg-img-alt', 'label'];

interface AxeNode { target: unknown[]; failureSummary?: string; html: string }
interface AxeViolation { id: string; impact: string | null; help: string; helpUrl: string; nodes: AxeNode[] }

type Row = Record<string, unknown>;

/** One page to check: where it is, the language it must declare, and what it must show. */
interface PublicPageCase {
  name: string;
  path: () => string;
  lang: 'zh-CN' | 'en';
  /** The least number of charts (svg role=img) the page shows. */
  minCharts: number;
}

/**
 * The public disclosure site as people see it, in headless Chromium: every page of the live site
 * (and two pages of the static export opened from disk) renders with its stylesheet and charts,
 * declares its language, has one h1, carries no script (CSP script-src 'none' on the live site),
 * logs no error, and passes axe-core's WCAG 2 A/AA rules (contrast, headings, table headers,
 * landmarks, names of charts and form fields). Screenshots and axe findings go to
 * test-artifacts/public-e2e/.
 */
describe('public disclosure site in a browser (Chromium, axe-core, PostgreSQL, Redis)', () => {
  const schema = uniqueName('t_pube2e');
  const { config, env } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-pube2e-'));
  const outDir = join(mkdtempSync(join(tmpdir(), 'fg-pube2e-out-')), 'site');
  let app: INestApplication;
  let url: string;
  let ds: DataSource;
  let browser: Browser;
  let supervisor: TestUser;
  let busiest: string;
  let drawId: string;
  let period: string;
  let publishedNumber: string;
  type Finding = { id: string; impact: string | null; help: string; targets: string[]; summary: string };
  const findings: Record<string, { violations: Finding[]; incomplete: Finding[]; errors: string[] }> = {};

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await generateDemoData({ outDir: dataDir, claims: 3000, seed: 'public-e2e' });
    ({ app, url } = await createTestHttp(config));
    ds = app.get(getDataSourceToken());
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    supervisor = await createUserWithToken(app, { role: 'supervisor' });
    const sup = apiAs(app, supervisor);

    // A case worked to its final decision and marked for publication: the exposure page has a row.
    const [c] = (await ds.query(
      `SELECT c.* FROM supervision_case c WHERE c.kind = 'findings' AND c.status = 'open' AND c.amount_at_risk > 1
         AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id AND f.status = 'retired')
       ORDER BY c.finding_count DESC, c.number LIMIT 1`,
    )) as Row[];
    expect(c).toBeDefined();
    const caseId = c!.id as string;
    publishedNumber = c!.number as string;
    await sup.post(`/api/cases/${caseId}/start-review`).expect(200);
    await sup.post(`/api/cases/${caseId}/confirm`).expect(200);
    await sup
      .post(`/api/cases/${caseId}/decision`, { violationType: '串换药品', article: '38', clauseText: '第三十八条第（二）项', amountToRecover: c!.amount_at_risk, fineMultiple: '1.5', suspensionMonths: 0, agreementAction: 'rectify', reason: '内部备注' })
      .expect(200);
    await sup.post(`/api/cases/${caseId}/finalize`, { waived: true }).expect(200);
    await sup.post(`/api/cases/${caseId}/publication`, { summaryZh: '该机构将目录外药品串换为目录内药品申报结算，已责令退回并处罚款。' }).expect(200);

    // A double-random plan, committed and drawn: the inspections page and a draw page have content.
    const plan = (
      await sup
        .post('/api/inspection-plans', { name: '2026年第一季度双随机检查', period: '2026-Q1', matters: ['fund-use', 'charges', 'inpatient-records'], samplingRatio: { A: 0.2, B: 0.2 }, minPerStratum: 1, teamSize: 2, loadCap: 10, avoidSameRegion: false, avoidPrevious: true })
        .expect(201)
    ).body as Row;
    await sup.post(`/api/inspection-plans/${plan.id}/commit`).expect(200);
    drawId = ((await sup.post(`/api/inspection-plans/${plan.id}/draw`).expect(200)).body as { draw: { id: string } }).draw.id;

    [{ institution_code: busiest }] = (await ds.query(
      `SELECT institution_code FROM claim WHERE is_current AND visit_type = 'inpatient' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
    )) as { institution_code: string }[];
    period = await app.get(DisclosureService).resolvePeriod(undefined);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 600_000);

  afterAll(async () => {
    writeFileSync(join(ARTIFACTS, 'axe-findings.json'), `${JSON.stringify(findings, null, 2)}\n`);
    await browser?.close();
    await app?.close();
    await dropSchema(schema);
  });

  /** Opens a page in a context that keeps the page's own CSP, recording every error it logs. */
  async function openStrict(target: string, lang: 'zh-CN' | 'en'): Promise<{ context: BrowserContext; page: Page; errors: string[]; body: string; csp: string | undefined }> {
    const context = await browser.newContext({ locale: lang, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    const res = await page.goto(target, { waitUntil: 'load' });
    expect(res).not.toBeNull();
    if (!target.startsWith('file:')) expect(res!.status()).toBe(200);
    // The served HTML (before anything is injected): no script element, no inline handler.
    const body = await res!.text();
    return { context, page, errors, body, csp: res!.headers()['content-security-policy'] };
  }

  /** axe-core on the page, in a context that bypasses the CSP so axe's script may run. */
  async function runAxe(target: string, lang: 'zh-CN' | 'en'): Promise<{ violations: AxeViolation[]; incomplete: AxeViolation[] }> {
    const context = await browser.newContext({ locale: lang, bypassCSP: true, viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(target, { waitUntil: 'load' });
      await page.addScriptTag({ content: axe.source });
      const { ruleIds, violations, incomplete } = await page.evaluate(
        async ({ tags, extra }) => {
          const a = (globalThis as unknown as { axe: typeof axe }).axe;
          // Experimental rules are left out, as axe itself does by default: they are heuristics still being tuned.
          const ids = [...new Set([...a.getRules(tags).filter((r) => !r.tags.includes('experimental')).map((r) => r.ruleId), ...extra])];
          // No context: the whole document.
          const r = await a.run({ runOnly: { type: 'rule', values: ids }, resultTypes: ['violations'] });
          const plain = (vs: typeof r.violations) => vs.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target as unknown[], failureSummary: n.failureSummary, html: n.html })) }));
          return { ruleIds: ids, violations: plain(r.violations), incomplete: plain(r.incomplete) };
        },
        { tags: AXE_TAGS, extra: AXE_EXTRA_RULES },
      );
      expect(ruleIds).toEqual(expect.arrayContaining(AXE_REQUIRED_RULES));
      return { violations, incomplete };
    } finally {
      await context.close();
    }
  }

  /** One line per failing element: rule, impact, help, the element, and axe's summary (colours and ratio for contrast). */
  function describeViolations(vs: AxeViolation[]): string[] {
    return vs.flatMap((v) =>
      v.nodes.map((n) => `${v.id} [${v.impact}] ${v.help} — ${n.target.map(String).join(' ')} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 300)}`),
    );
  }

  /** What every page must be: language, one h1, named charts that have been drawn, the stylesheets applied. */
  async function checkStructure(page: Page, lang: 'zh-CN' | 'en', minCharts: number) {
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
    expect(await page.locator('h1').count()).toBe(1);
    expect((await page.locator('h1').innerText()).trim()).not.toBe('');
    // The stylesheets loaded: the public header colour (public.css) and the hidden skip link (console.css).
    const styles = {
      header: await page.evaluate<string>(`getComputedStyle(document.querySelector('header.top')).backgroundColor`),
      skip: await page.evaluate<string>(`getComputedStyle(document.querySelector('a.skip')).position`),
    };
    expect(styles).toEqual({ header: 'rgb(11, 79, 138)', skip: 'absolute' });
    // Every chart has an accessible name (Chromium's own computation) and is drawn at a readable size.
    const charts = page.locator('svg[role="img"]');
    const n = await charts.count();
    expect(n).toBeGreaterThanOrEqual(minCharts);
    expect(await page.getByRole('img', { name: /\S/ }).and(page.locator('svg')).count()).toBe(n);
    for (let i = 0; i < n; i++) {
      const box = await charts.nth(i).boundingBox();
      expect(box).not.toBeNull();
      expect(box!.width).toBeGreaterThanOrEqual(200);
      expect(box!.height).toBeGreaterThanOrEqual(80);
      expect(await charts.nth(i).locator('rect, path, line, polyline, circle').count()).toBeGreaterThan(0);
    }
  }

  async function checkPage(name: string, target: string, lang: 'zh-CN' | 'en', minCharts: number, live: boolean) {
    const { context, page, errors, body, csp } = await openStrict(target, lang);
    try {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      // axe runs in its own context, so the errors above are only the page's own.
      const { violations, incomplete } = await runAxe(target, lang);
      const flat = (vs: AxeViolation[]) => vs.flatMap((v) => v.nodes.map((n) => ({ id: v.id, impact: v.impact, help: v.help, targets: n.target.map(String), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ') })));
      // Violations fail the test; "incomplete" (axe could not decide, e.g. contrast over an image) are kept for a person to review.
      findings[name] = { violations: flat(violations), incomplete: flat(incomplete), errors: [...errors] };
      // Every check runs and each failure is listed, so one run tells everything wrong with a page.
      const failures: string[] = [];
      const check = async (what: string, fn: () => unknown) => {
        try {
          await fn();
        } catch (e) {
          failures.push(`${what}: ${stripVTControlCharacters((e as Error).message)}`);
        }
      };
      await check('no script element or inline handler in the served HTML', () => {
        expect(body).not.toMatch(/<script\b/i);
        expect(body).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
      });
      if (live) await check("Content-Security-Policy has script-src 'none'", () => expect(csp).toMatch(/(^|;)\s*script-src 'none'\s*(;|$)/));
      // CSP violations are logged as console errors; failed requests and 4xx/5xx responses count too.
      await check('no console error or warning, failed request or error response while loading', () => expect(errors).toEqual([]));
      await check('language, one h1, stylesheets applied, named and drawn charts', () => checkStructure(page, lang, minCharts));
      await check('axe-core finds no violation', () => expect(describeViolations(violations)).toEqual([]));
      expect(failures).toEqual([]);
    } finally {
      await context.close();
    }
  }

  const LIVE: PublicPageCase[] = [
    { name: 'fund', path: () => '/public', lang: 'zh-CN', minCharts: 3 },
    { name: 'fund-en', path: () => '/public?lang=en', lang: 'en', minCharts: 3 },
    { name: 'institutions', path: () => '/public/institutions', lang: 'zh-CN', minCharts: 0 },
    { name: 'institution', path: () => `/public/institutions/${busiest}`, lang: 'zh-CN', minCharts: 1 },
    { name: 'inspections', path: () => '/public/inspections', lang: 'zh-CN', minCharts: 0 },
    { name: 'draw', path: () => `/public/draws/${drawId}`, lang: 'zh-CN', minCharts: 0 },
    { name: 'exposure', path: () => '/public/exposure', lang: 'zh-CN', minCharts: 0 },
    { name: 'data', path: () => '/public/data', lang: 'zh-CN', minCharts: 0 },
    { name: 'tips', path: () => '/public/tips', lang: 'zh-CN', minCharts: 0 },
    { name: 'tips-track', path: () => '/public/tips/track', lang: 'zh-CN', minCharts: 0 },
  ];

  it.each(LIVE)('live page $name renders with its stylesheet and charts, no script or error, and passes axe', async ({ name, path, lang, minCharts }) => {
    await checkPage(name, `${url}${path()}`, lang, minCharts, true);
  });

  it('the pages show their content: reserve bands, the busiest hospital, the drawn institutions, the exposed case', async () => {
    const text = async (path: string) => {
      const context = await browser.newContext({ locale: 'zh-CN' });
      try {
        const page = await context.newPage();
        await page.goto(`${url}${path}`);
        return await page.locator('main').innerText();
      } finally {
        await context.close();
      }
    };
    expect(await text('/public')).toMatch(/可支付月数[\s\S]*(合理|偏低|偏高|不足（预警）|过多（预警）)/);
    expect(await text(`/public/institutions/${busiest}`)).toContain('常见病种费用结构（住院）');
    const drawn = ((await ds.query(`SELECT institution_code FROM inspection_assignment WHERE draw_id = $1`, [drawId])) as { institution_code: string }[]).map((r) => r.institution_code);
    expect(drawn.length).toBeGreaterThan(0);
    const drawPage = await text(`/public/draws/${drawId}`);
    for (const code of drawn) expect(drawPage).toContain(code);
    expect(await text('/public/inspections')).toContain('2026年第一季度双随机检查');
    expect(await text('/public/exposure')).toContain(publishedNumber);
  });

  describe('static export opened from disk', () => {
    beforeAll(async () => {
      const { stdout } = await promisify(execFile)('node', [CLI, 'publish', '--period', period, '--out', outDir], { env: { ...process.env, ...env } });
      expect(stdout).toContain(`published ${period}`);
    }, 120_000);

    it('index.html loads its stylesheet and draws its charts from file://, and passes axe', async () => {
      await checkPage('static-index', pathToFileURL(join(outDir, 'index.html')).href, 'zh-CN', 3, false);
    });

    it('an institution page loads its stylesheet and draws its charts from file://, and passes axe', async () => {
      await checkPage('static-institution', pathToFileURL(join(outDir, 'institutions', `${busiest}.html`)).href, 'zh-CN', 1, false);
    });
  });
});
