import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { patientPseudonym } from '../../src/cases/pseudonym';
import { generateDemoData } from '../../src/demo/generator';
import { DisclosureService, windowOf } from '../../src/disclosure/disclosure.service';
import { ImportsService } from '../../src/imports/imports.service';
import { InspectionsService } from '../../src/inspections/inspections.service';
import { systemActor } from '../../src/accounts/roles';
import { createTestContext, createTestHttp, readCsv } from '../support/app';
import { apiAs, createUserWithToken, TestUser } from '../support/auth';
import { importAndOpenCases } from '../support/pipeline';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

type Row = Record<string, unknown>;

/** Every file under a folder, relative paths. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p, base) : [relative(base, p)];
  });
}

/**
 * The public disclosure site on PostgreSQL and Redis, over the demo data: the pages answer without a
 * login in Chinese (and English), with server-rendered charts and their tables; a bad period is a 400
 * naming it; small cells are suppressed (with a companion cell) exactly where the raw counts are
 * small; the exposure lists only final cases marked for publication; the open data matches; and the
 * static export links up, verifies against its manifest and holds no patient identifier.
 */
describe('public disclosure site (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_disc');
  const { config, env } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-disc-'));
  const outDir = join(mkdtempSync(join(tmpdir(), 'fg-disc-out-')), 'site');
  let app: INestApplication;
  let ds: DataSource;
  let strict: INestApplicationContext | undefined;
  let period: string;
  let drawId: string;
  const users: Record<string, TestUser> = {};
  const anon = () => request(app.getHttpServer());
  const ctx: { published?: Row; unpublished?: Row; withdrawn?: Row } = {};

  const workToFinal = async (c: Row) => {
    const sup = apiAs(app, users.supervisor!);
    const id = c.id as string;
    await sup.post(`/api/cases/${id}/start-review`).expect(200);
    await sup.post(`/api/cases/${id}/confirm`).expect(200);
    await sup
      .post(`/api/cases/${id}/decision`, { violationType: '串换药品', article: '38', clauseText: '第三十八条第（二）项', amountToRecover: c.amount_at_risk, fineMultiple: '1.5', suspensionMonths: 0, agreementAction: 'rectify', reason: 'INTERNAL-NOTE-DISC' })
      .expect(200);
    await sup.post(`/api/cases/${id}/finalize`, { waived: true }).expect(200);
  };

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 3000, seed: 'disclosure-it' });
    app = (await createTestHttp(config)).app;
    ds = app.get(getDataSourceToken());
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    users.supervisor = await createUserWithToken(app, { role: 'supervisor' });
    const cases: Row[] = await ds.query(
      `SELECT c.* FROM supervision_case c WHERE c.kind = 'findings' AND c.status = 'open' AND c.amount_at_risk > 1
         AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id AND f.status = 'retired')
       ORDER BY c.finding_count DESC, c.number LIMIT 3`,
    );
    expect(cases).toHaveLength(3);
    [ctx.published, ctx.unpublished, ctx.withdrawn] = cases;
    for (const c of cases) await workToFinal(c);
    const sup = apiAs(app, users.supervisor);
    await sup.post(`/api/cases/${ctx.published!.id}/publication`, { summaryZh: '该机构将目录外药品串换为目录内药品申报结算，已责令退回并处罚款。' }).expect(200);
    await sup.post(`/api/cases/${ctx.withdrawn!.id}/publication`, { summaryZh: '撤回前的曝光摘要 WITHDRAWN-SUMMARY' }).expect(200);
    await sup.post(`/api/cases/${ctx.withdrawn!.id}/publication/withdraw`, { reason: '复核后不宜公开' }).expect(200);
    period = await app.get(DisclosureService).resolvePeriod(undefined);
    // A committed and drawn inspection plan: its draw is published with the site.
    const inspections = app.get(InspectionsService);
    const by = { actor: systemActor('disclosure-it'), ip: null };
    const plan = await inspections.createPlan(
      inspections.parsePlan({ name: '2026年第四季度双随机检查', period: '2026-Q4', matters: inspections.matters.slice(0, 2).map((m) => m.code), minPerStratum: 1, teamSize: 2, loadCap: 10, avoidSameRegion: false, avoidPrevious: true }),
      by,
    );
    await inspections.commit(plan.id, by);
    drawId = (await inspections.draw(plan.id, by)).draw.id;
  }, 600_000);

  afterAll(async () => {
    await strict?.close();
    await app?.close();
    await dropSchema(schema);
  });

  it('serves the fund overview without a login, in Chinese, with reserve bands, charts and their tables, and no script', async () => {
    const res = await anon().get('/public').expect(200);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain('累计结存可支付月数');
    expect(res.text).toMatch(/可支付月数[\s\S]*(合理|偏低|偏高|不足（预警）|过多（预警）)/);
    expect(res.text).not.toMatch(/<script/i);
    const svgs = res.text.match(/<svg[^>]*role="img"/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(3);
    expect(res.text).toContain('图表数据');
    expect(res.text).toMatch(/<th scope="col"/);
    // The newest month is the default; the ledger months shown are the 12 to it.
    const ledgerMonths = (await ds.query(`SELECT DISTINCT period FROM fund_ledger WHERE period <= $1 ORDER BY period DESC LIMIT 12`, [period])) as { period: string }[];
    for (const m of ledgerMonths) expect(res.text).toContain(`<th scope="row">${m.period}</th>`);
    const en = await anon().get('/public?lang=en').expect(200);
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Months of reserve');
  });

  it('refuses a malformed period naming it, and shows an earlier period', async () => {
    const bad = await anon().get('/public?period=2025-13').expect(400);
    expect(bad.text).toContain('period');
    const earlier = windowOf(period)[10]!;
    const res = await anon().get(`/public?period=${earlier}`).expect(200);
    expect(res.text).toContain(`<option value="${earlier}" selected>`);
  });

  it('lists every institution with its credit grade, and a page per institution with its fee structure against peers', async () => {
    const institutions = (await ds.query(`SELECT code, name FROM institution ORDER BY code`)) as { code: string; name: string }[];
    const insp = await anon().get('/public/inspections').expect(200);
    expect(insp.text).toContain(`/public/draws/${drawId}`);
    expect((await anon().get(`/public/draws/${drawId}`).expect(200)).text).toContain('<body class="public">');
    const dir = await anon().get('/public/institutions').expect(200);
    for (const i of institutions) expect(dir.text).toContain(`/public/institutions/${i.code}`);
    // The hospital with the most inpatient claims has a fee table with stays and a peer line.
    const [busiest] = (await ds.query(`SELECT institution_code FROM claim WHERE is_current AND visit_type = 'inpatient' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)) as { institution_code: string }[];
    const page = await anon().get(`/public/institutions/${busiest!.institution_code}`).expect(200);
    expect(page.text).toContain('常见病种费用结构（住院）');
    expect(page.text).toContain('平均住院日');
    expect(page.text).toMatch(/同类同级（\d+ 家）/);
    expect(page.text).toMatch(/信用等级[\s\S]*class="grade grade-[A-E]"/);
    expect((page.text.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(1);
    await anon().get('/public/institutions/NO-SUCH-CODE').expect(404);
  });

  it('exposes only final cases marked for publication, with date, institution, behaviour, basis, amounts and outcome', async () => {
    const res = await anon().get('/public/exposure').expect(200);
    expect(res.text).toContain(ctx.published!.number as string);
    expect(res.text).toContain('该机构将目录外药品串换为目录内药品申报结算');
    expect(res.text).toContain('《医疗保障基金使用监督管理条例》第三十八条');
    expect(res.text).not.toContain(ctx.unpublished!.number as string);
    expect(res.text).not.toContain(ctx.withdrawn!.number as string);
    expect(res.text).not.toContain('WITHDRAWN-SUMMARY');
    expect(res.text).not.toContain('INTERNAL-NOTE-DISC');
    const inst = await anon().get(`/public/institutions/${ctx.published!.institution_code}`).expect(200);
    expect(inst.text).toContain(ctx.published!.number as string);
  });

  it('publishes open data as CSV (BOM, header) and JSON with the page figures, and refuses an unknown dataset', async () => {
    const csv = await anon().get(`/public/data/claims-monthly.csv?period=${period}`).expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.text.charCodeAt(0)).toBe(0xfeff);
    expect(csv.text.slice(1).split('\r\n')[0]).toBe('period,dimension,key,claims,patients,total,fund_paid,fund_share,suppressed');
    const json = (await anon().get(`/public/data/claims-monthly.json?period=${period}`).expect(200)).body as { rows: Row[]; suppression: { minPatients: number } };
    expect(json.suppression.minPatients).toBe(5);
    // The month's total claims equal the database's count of current claims settled that month.
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM claim WHERE is_current AND settle_month = $1::date`, [`${period}-01`])) as { n: number }[];
    const total = json.rows.find((r) => r.period === period && r.dimension === 'insurance' && r.key === 'all')!;
    expect(total.claims).toBe(n);
    await anon().get('/public/data/patients.csv').expect(404);
    const data = await anon().get('/public/data').expect(200);
    expect(data.text).toContain('/public/data/fee-structure.csv');
  });

  it('suppresses exactly the cells under the threshold, with a companion cell in each group', async () => {
    const k = 60;
    strict = await createTestContext(testConfig(schema, { DISCLOSURE_MIN_CELL: String(k) }).config);
    const groups = await strict.get(DisclosureService).spending(period);
    const raw = (await ds.query(
      `SELECT to_char(c.settle_month, 'YYYY-MM') AS period, c.insurance_type, c.visit_type, i.kind, count(DISTINCT c.patient_key)::int AS patients
       FROM claim c JOIN institution i ON i.code = c.institution_code WHERE c.is_current GROUP BY GROUPING SETS ((1, 2), (1, 3), (1, 4))`,
    )) as { period: string; insurance_type: string | null; visit_type: string | null; kind: string | null; patients: number }[];
    const rawCount = (p: string, dim: string, key: string) =>
      raw.find((r) => r.period === p && (dim === 'insurance' ? r.insurance_type === key && r.visit_type === null && r.kind === null : dim === 'visit' ? r.visit_type === key && r.insurance_type === null : r.kind === key && r.insurance_type === null && r.visit_type === null))?.patients ?? 0;
    let small = 0;
    for (const g of groups) {
      const counts = g.cells.map((c) => rawCount(g.period, g.dimension, c.key));
      g.cells.forEach((c, i) => {
        if (counts[i]! > 0 && counts[i]! < k) {
          small++;
          expect({ period: g.period, dim: g.dimension, key: c.key, suppressed: c.suppressed, patients: c.patients, total: c.total }).toEqual({ period: g.period, dim: g.dimension, key: c.key, suppressed: true, patients: null, total: null });
        }
        if (!c.suppressed) expect(c.patients).toBe(counts[i]);
      });
      // Never exactly one suppressed non-empty cell under a published total.
      expect(g.cells.filter((c, i) => c.suppressed && counts[i]! > 0).length).not.toBe(1);
    }
    expect(small).toBeGreaterThan(0);
  });

  it('counts only members with published figures in a peer group, so subtraction recovers nothing withheld', async () => {
    const rows = await app.get(DisclosureService).feeRows(period);
    const groupOf = new Map(((await ds.query(`SELECT code, kind, level FROM institution`)) as { code: string; kind: string; level: number | null }[]).map((i) => [i.code, `${i.kind}|${i.level ?? ''}`]));
    const own = rows.filter((r) => r.institutionCode !== null);
    const groups = rows.filter((r) => r.peerKey !== null);
    let withheldMembers = 0;
    for (const g of groups) {
      const members = own.filter((r) => groupOf.get(r.institutionCode!) === g.peerKey && r.setting === g.setting && r.dx === g.dx);
      const published = members.filter((r) => r.patients >= 5);
      withheldMembers += members.length - published.length;
      expect({ key: `${g.peerKey} ${g.setting} ${g.dx}`, claims: g.claims, institutions: g.institutions, total: g.total }).toEqual({
        key: `${g.peerKey} ${g.setting} ${g.dx}`,
        claims: published.reduce((n, r) => n + r.claims, 0),
        institutions: published.length,
        total: published.reduce((n, r) => n + r.total, 0n),
      });
    }
    expect(withheldMembers).toBeGreaterThan(0);
    // A group with no published member has no row at all.
    for (const r of own.filter((x) => x.patients >= 5)) expect(groups.some((g) => g.peerKey === groupOf.get(r.institutionCode!) && g.setting === r.setting && g.dx === r.dx)).toBe(true);
  });

  it('exports the static site: both languages, every draw and dataset, links that resolve, a manifest that verifies, no patient identifier', async () => {
    const { stdout } = await promisify(execFile)('node', [CLI, 'publish', '--period', period, '--out', outDir], { env: { ...process.env, ...env } });
    expect(stdout).toContain(`published ${period}`);
    const files = walk(outDir);
    const institutions = (await ds.query(`SELECT code FROM institution`)) as { code: string }[];
    for (const f of ['index.html', 'en/index.html', 'institutions.html', 'inspections.html', 'exposure.html', 'data.html', 'data/fund-ledger.csv', 'data/fee-structure.json', 'assets/public.css', 'manifest.json']) expect(files).toContain(f);
    for (const i of institutions) expect(files).toContain(`institutions/${i.code}.html`);
    for (const f of [`draws/${drawId}.html`, `en/draws/${drawId}.html`, `draws/${drawId}.json`]) expect(files).toContain(f);
    expect(readFileSync(join(outDir, 'inspections.html'), 'utf8')).toContain(`href="draws/${drawId}.html"`);
    // The static draw page still verifies (computed at export) and links its published JSON.
    const drawPage = readFileSync(join(outDir, 'draws', `${drawId}.html`), 'utf8');
    expect(drawPage).toContain(`href="../draws/${drawId}.json"`);
    expect(drawPage).toContain('flash-ok');

    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { period: string; files: { path: string; sha256: string }[] };
    expect(manifest.period).toBe(period);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(files.filter((f) => f !== 'manifest.json').sort());
    for (const f of manifest.files) expect(createHash('sha256').update(readFileSync(join(outDir, f.path))).digest('hex')).toBe(f.sha256);

    // Every relative link and stylesheet of every page points at a file of the export.
    const broken: string[] = [];
    for (const f of files.filter((x) => x.endsWith('.html'))) {
      const html = readFileSync(join(outDir, f), 'utf8');
      expect(html).not.toMatch(/<script/i);
      for (const [, href] of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
        if (/^(https?:|#|mailto:|data:)/.test(href!)) continue;
        const target = resolve(dirname(join(outDir, f)), href!.split('#')[0]!);
        if (!existsSync(target)) broken.push(`${f} → ${href}`);
      }
    }
    expect(broken).toEqual([]);

    // No patient identifier from the imported data, in clear or as the case pages' pseudonym, anywhere.
    const ids = new Set<string>();
    for (const p of readCsv(join(dataDir, 'reference', 'persons.csv'))) ids.add(p.patient_id!);
    for (const c of readCsv(join(dataDir, 'claims', 'claims.csv'))) if (c.patient_id) ids.add(c.patient_id);
    const keys = ((await ds.query(`SELECT DISTINCT trim(patient_key) AS k FROM claim`)) as { k: string }[]).map((r) => r.k);
    const claimIds = ((await ds.query(`SELECT DISTINCT claim_id FROM claim`)) as { claim_id: string }[]).map((r) => r.claim_id);
    expect(ids.size).toBeGreaterThan(100);
    const needles = [...ids, ...keys, ...keys.map(patientPseudonym), ...claimIds].filter((x) => x.length >= 6);
    expect(needles.length).toBeGreaterThan(ids.size + claimIds.length);
    const leaks: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(outDir, f), 'utf8');
      for (const n of needles) if (text.includes(n)) leaks.push(`${f}: ${n}`);
    }
    expect(leaks).toEqual([]);
  }, 300_000);

  it('refuses to overwrite a folder that is not an earlier export, and replaces an earlier one', async () => {
    const other = mkdtempSync(join(tmpdir(), 'fg-disc-other-'));
    mkdirSync(join(other, 'keep'));
    writeFileSync(join(other, 'keep', 'file.txt'), 'precious');
    const cli = promisify(execFile);
    await expect(cli('node', [CLI, 'publish', '--out', other], { env: { ...process.env, ...env } })).rejects.toMatchObject({ stderr: expect.stringContaining('is not an earlier export') });
    expect(readFileSync(join(other, 'keep', 'file.txt'), 'utf8')).toBe('precious');
    await cli('node', [CLI, 'publish', '--period', period, '--out', outDir], { env: { ...process.env, ...env } });
    expect(existsSync(join(outDir, 'manifest.json'))).toBe(true);
    await expect(cli('node', [CLI, 'publish', '--period', '2025-13', '--out', outDir], { env: { ...process.env, ...env } })).rejects.toMatchObject({ stderr: expect.stringContaining('--period must be a month written YYYY-MM') });
  }, 120_000);
});
