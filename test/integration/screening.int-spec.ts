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
import { FINDING_CATEGORIES } from '../../src/imports/interchange';
import { ImportsService } from '../../src/imports/imports.service';
import { ScreeningService } from '../../src/screening/screening.service';
import { oracleImport } from '../../src/demo/oracle';
import { screenAll } from '../../src/rules-engine/engine';
import { modelFromRows } from '../../src/rules-engine/from-rows';
import { RuleLibraryService } from '../../src/rules-engine/rules-engine.module';
import { fenText } from '../../src/rules-engine/values';
import { createTestHttp, readCsv } from '../support/app';
import { bearer, createUserWithToken } from '../support/auth';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first
const CONTRACT = new Set<string>(FINDING_CATEGORIES);
const key = (f: Record<string, string>) => `${f.claim_id!.toUpperCase()}|${f.item_seq ?? ''}|${f.category}|${f.amount_at_risk}`;

/**
 * Screening end to end on PostgreSQL and Redis: imports are followed by their screening jobs; the
 * exported findings of the twelve categories are exactly the generator's labels (corrections
 * included); re-runs change nothing; a correction retires what no longer holds.
 */
describe('screening (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_scr');
  const { config, env } = testConfig(schema, { SCREENING_BATCH_CLAIMS: '700' });
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-scr-'));
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let ds: DataSource;
  let screening: ScreeningService;

  const importAndScreen = async (kind: 'claims' | 'reference', dir: string) => {
    const { run, job } = await app.get(ImportsService).startImport(kind, join(dataDir, dir));
    await job.finished();
    if (kind === 'reference') return null;
    const sr = (await screening.listRuns(100)).find((r) => r.importId === run.id);
    expect(sr).toBeDefined();
    return screening.waitForRun(sr!.id, 50);
  };
  const cli = (...args: string[]) => promisify(execFile)('node', [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  const openFindings = async () =>
    (await ds.query(`SELECT claim_pk, item_seq, rule_id, amount_at_risk, evidence FROM finding WHERE status = 'open' ORDER BY 1, 2, 3`)) as Record<string, unknown>[];

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 3000, seed: 'screening-it' });
    app = (await createTestHttp(config)).app;
    const supervisor = await createUserWithToken(app, { role: 'supervisor' });
    http = request.agent(app.getHttpServer()).set(bearer(supervisor.token));
    ds = app.get(getDataSourceToken());
    screening = app.get(ScreeningService);
    await importAndScreen('reference', 'reference');
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('screens each import in batch jobs, and the twelve categories match the labels exactly after corrections', async () => {
    const first = await importAndScreen('claims', 'claims');
    expect(first).toMatchObject({ status: 'completed' });
    expect(first!.batchesTotal).toBeGreaterThan(3); // 3000 claims in batches of 700
    expect(first!.counts.claims).toBeGreaterThan(2900);
    const second = await importAndScreen('claims', 'claims-batch2');
    expect(second).toMatchObject({ status: 'completed' });
    expect(second!.counts.retired).toBeGreaterThan(0); // corrected claims' old findings

    const out = join(dataDir, 'findings.csv');
    await cli('export', 'findings', '--out', out);
    const exported = readCsv(out);
    expect(Object.keys(exported[0]!)).toEqual(['claim_id', 'item_seq', 'rule_id', 'category', 'amount_at_risk']);
    const got = exported.filter((f) => CONTRACT.has(f.category!)).map(key).sort();
    const want = readCsv(join(dataDir, 'labels', 'expected_findings.csv')).map(key).sort();
    expect(want.length).toBeGreaterThan(30);
    expect(got).toEqual(want);
    // The other rules of the library report in their own categories.
    expect(exported.some((f) => !CONTRACT.has(f.category!))).toBe(true);

    // Every rule, through batches, SQL statistics and incremental runs, finds what the engine finds
    // in memory over the same stored claims (the reference: screenAll over the files, corrections applied).
    const rows = (sub: string, f: string) => readCsv(join(dataDir, sub, f));
    const stored = oracleImport([
      { claims: rows('claims', 'claims.csv'), items: rows('claims', 'claim_items.csv') },
      { claims: rows('claims-batch2', 'claims.csv'), items: rows('claims-batch2', 'claim_items.csv') },
    ]);
    const { claims, kb } = modelFromRows({
      claims: stored.claims,
      items: stored.items,
      catalog: rows('reference', 'catalog_items.csv'),
      institutions: rows('reference', 'institutions.csv'),
      persons: rows('reference', 'persons.csv'),
    });
    const reference = screenAll(claims, kb, app.get(RuleLibraryService).library.rules)
      .map((h) => `${h.claim.claimId}|${h.itemSeq ?? ''}|${h.rule.id}|${fenText(h.amountFen)}`)
      .sort();
    expect(exported.map((f) => `${f.claim_id}|${f.item_seq}|${f.rule_id}|${f.amount_at_risk}`).sort()).toEqual(reference);
  });

  it('explains every finding: rule version and hash, the facts it read, a reason in Chinese', async () => {
    const rows: { rule_version: number; rule_hash: string; why_zh: string; why_en: string; evidence: Record<string, unknown> }[] = await ds.query(
      'SELECT rule_version, rule_hash, why_zh, why_en, evidence FROM finding',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.rule_version).toBeGreaterThanOrEqual(1);
      expect(r.rule_hash).toMatch(/^[0-9a-f]{16}$/);
      expect(r.why_zh).toMatch(/[\u4e00-\u9fff]/);
      expect(r.why_zh).not.toMatch(/\{[a-z_.]+\}/);
      expect(Object.keys(r.evidence).length).toBeGreaterThan(0);
    }
  });

  it('never leaves an open finding on a replaced claim version', async () => {
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM finding f JOIN claim c ON c.id = f.claim_pk WHERE NOT c.is_current AND f.status = 'open'`);
    expect(n).toBe(0);
    const [{ retired }] = await ds.query(`SELECT count(*)::int AS retired FROM finding WHERE status = 'retired'`);
    expect(retired).toBeGreaterThan(0);
  });

  it('a re-run of everything, and a repeated batch, change nothing and duplicate nothing', async () => {
    const before = await openFindings();
    const run = await screening.waitForRun((await screening.requestFull()).id, 50);
    expect(run.status).toBe('completed');
    expect(run.counts).toMatchObject({ inserted: 0, updated: 0, retired: 0 });
    expect(await openFindings()).toEqual(before);

    // A batch run again after its record is lost (a worker died after writing): same findings.
    const batch = (await ds.query(`SELECT run_id, from_pk FROM screening_batch WHERE run_id = $1 ORDER BY from_pk LIMIT 1`, [run.id]))[0];
    await ds.query('DELETE FROM screening_batch WHERE run_id = $1 AND from_pk = $2', [batch.run_id, batch.from_pk]);
    await screening.batch(run.id, batch.from_pk, String(BigInt(batch.from_pk) + 699n));
    expect(await openFindings()).toEqual(before);
    const [{ dup }] = await ds.query(`SELECT count(*)::int AS dup FROM (SELECT 1 FROM finding GROUP BY claim_pk, item_seq, rule_id HAVING count(*) > 1) d`);
    expect(dup).toBe(0);
  });

  it('re-screens the patient window a correction touches: a split admission disappears when the readmission is moved to day 16', async () => {
    const stay = (id: string, admission: string, discharge: string, over: Record<string, unknown> = {}) => ({
      claim_id: id,
      institution_code: 'HSPLIT0001',
      patient_id: '640105199001010077',
      patient_gender: 'F',
      patient_birth_date: '1990-01-01',
      insurance_type: 'resident',
      visit_type: 'inpatient',
      admission_date: admission,
      discharge_date: discharge,
      primary_diagnosis: 'J18.9',
      discharge_status: 'normal',
      total_amount: '1000.00',
      fund_paid: '700.00',
      self_paid: '300.00',
      settled_at: `${discharge}T12:00:00+08:00`,
      items: [{ item_seq: 1, item_code: 'BED-SPLIT', service_date: admission, unit_price: '1000.00', quantity: 1, amount: '1000.00' }],
      ...over,
    });
    const post = async (claims: unknown[]) => {
      const res = await http.post('/api/claims').send({ claims }).expect(200);
      expect(res.body.screeningRun).not.toBeNull();
      expect((await screening.waitForRun(res.body.screeningRun.id, 50)).status).toBe('completed');
      return res.body;
    };
    const splitFindings = async () => (await http.get('/api/findings').query({ category: 'SPLIT_ADMISSION', institution: 'HSPLIT0001', status: 'open' }).expect(200)).body;

    await post([stay('SPLIT-A', '2025-02-01', '2025-02-10'), stay('SPLIT-B', '2025-02-25', '2025-02-28')]); // 15 days after discharge
    const hit = await splitFindings();
    expect(hit.items).toHaveLength(1);
    expect(hit.items[0]).toMatchObject({ claimId: 'SPLIT-B', itemSeq: null, ruleId: 'split-admission', amountAtRisk: '700.00', relatedClaimId: 'SPLIT-A' });
    expect(hit.items[0].why.zh).toContain('15天');
    expect(hit.items[0].evidence['pair.gap_days']).toBe(15);

    await post([stay('SPLIT-B', '2025-02-26', '2025-02-28')]); // corrected: 16 days
    expect((await splitFindings()).items).toHaveLength(0);
    const retired = (await http.get('/api/findings').query({ category: 'SPLIT_ADMISSION', institution: 'HSPLIT0001', status: 'retired' }).expect(200)).body;
    expect(retired.items).toHaveLength(1);
  });

  it('GET /api/findings filters and pages; bad filters are a 400 naming the parameter', async () => {
    const page = (await http.get('/api/findings').query({ category: 'PRICE_CEILING', pageSize: 2 }).expect(200)).body;
    expect(page.total).toBeGreaterThan(2);
    expect(page.items).toHaveLength(2);
    expect(page.items.every((f: { category: string }) => f.category === 'PRICE_CEILING')).toBe(true);
    const period = page.items[0].period;
    const byPeriod = (await http.get('/api/findings').query({ period, rule: 'price-ceiling' }).expect(200)).body;
    expect(byPeriod.items.every((f: { period: string }) => f.period === period)).toBe(true);
    const one = (await http.get(`/api/findings/${page.items[0].id}`).expect(200)).body;
    expect(one.evidence['line.unit_price']).toBeGreaterThan(one.evidence['catalog.price_ceiling']);

    const bad = (await http.get('/api/findings').query({ period: '2025-13', status: 'nope' }).expect(400)).body;
    expect(JSON.stringify(bad)).toMatch(/period/);
    expect(JSON.stringify(bad)).toMatch(/status/);
  });

  it('GET /api/rules lists the library with hit counts; GET /api/rules/:id shows one rule', async () => {
    const list = (await http.get('/api/rules').expect(200)).body;
    expect(list.rules.length).toBeGreaterThanOrEqual(22);
    const pc = list.rules.find((r: { id: string }) => r.id === 'price-ceiling');
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM finding WHERE rule_id = 'price-ceiling' AND status = 'open'`);
    expect(pc.hits.open).toBe(n);
    const one = (await http.get('/api/rules/split-admission').expect(200)).body;
    expect(one).toMatchObject({ id: 'split-admission', category: 'SPLIT_ADMISSION', scope: 'history', parameters: { max_gap_days: 15 } });
    expect(one.examples.length).toBeGreaterThanOrEqual(2);
    await http.get('/api/rules/no-such-rule').expect(404);
  });

  it('fundguard rules backtest evaluates a draft without writing findings', async () => {
    const draft = join(dataDir, 'price-ceiling-draft.yaml');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const text = readFileSync(join(__dirname, '..', '..', 'rules', 'screening', 'price-ceiling.yaml'), 'utf8').replace('version: 1', 'version: 2');
    writeFileSync(draft, text);
    const before = await ds.query('SELECT count(*)::int AS n FROM finding');
    const { stdout } = await cli('rules', 'backtest', draft, '--json');
    const report = JSON.parse(stdout);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM finding WHERE rule_id = 'price-ceiling' AND status = 'open'`);
    expect(report).toMatchObject({ rule: { id: 'price-ceiling', version: 2 }, hits: n, versusStored: { open: n, newHits: 0, noLongerHit: 0 } });
    expect(await ds.query('SELECT count(*)::int AS n FROM finding')).toEqual(before);

    const windowed = JSON.parse((await cli('rules', 'backtest', draft, '--json', '--from', '2099-01-01')).stdout);
    expect(windowed.hits).toBe(0);
  });

  it('fundguard rules test runs every example; a broken rule file stops the CLI and the service, naming file and line', async () => {
    const { stdout } = await cli('rules', 'test');
    expect(stdout).toMatch(/(\d+) of \1 examples pass in \d+ rules/);
    const listed = (await cli('rules', 'list')).stdout;
    expect(listed).toMatch(/split-admission\s+v1\s+SPLIT_ADMISSION\s+history/);

    const { cpSync, readFileSync, writeFileSync } = await import('node:fs');
    const broken = join(dataDir, 'broken-rules');
    cpSync(join(__dirname, '..', '..', 'rules'), broken, { recursive: true });
    const file = join(broken, 'screening', 'gender-limit.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('fact: patient.gender', 'fact: patient.sex'));
    const fail = await cli('rules', 'list').then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(fail).toBeNull(); // the default library is untouched
    const bad = await promisify(execFile)('node', [CLI, 'screen'], { env: { ...process.env, ...env, RULES_DIR: broken } }).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(bad).not.toBeNull();
    expect(bad!.code).not.toBe(0);
    expect(bad!.stderr + bad!.stdout).toMatch(/broken-rules\/screening\/gender-limit\.yaml:\d+: unknown fact "patient\.sex"/);
  });
});
