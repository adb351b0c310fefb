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
import { ScoringService } from '../../src/scoring/scoring.service';
import { ScreeningService } from '../../src/screening/screening.service';
import { createTestHttp, readCsv } from '../support/app';
import { bearer, createUserWithToken } from '../support/auth';
import { dropSchema, testConfig, uniqueName, waitFor } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

/** Risk scoring after screening: every institution and period scored, ranked and explained. */
describe('risk scoring (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_risk');
  const { config, env } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-risk-'));
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let ds: DataSource;

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 6000, seed: 'risk-it' });
    app = (await createTestHttp(config)).app;
    const supervisor = await createUserWithToken(app, { role: 'supervisor' });
    http = request.agent(app.getHttpServer()).set(bearer(supervisor.token));
    ds = app.get(getDataSourceToken());
    const imports = app.get(ImportsService);
    await (await imports.startImport('reference', join(dataDir, 'reference'))).job.finished();
    const { run } = await imports.startImport('claims', join(dataDir, 'claims'));
    await waitFor(async () => (await app.get(ScreeningService).listRuns()).find((r) => r.importId === run.id), 'the screening run', 120_000);
    const sr = (await app.get(ScreeningService).listRuns()).find((r) => r.importId === run.id)!;
    await app.get(ScreeningService).waitForRun(sr.id, 50);
    // The finished run queued the scoring of its months: wait for that job.
    await (await app.get(ScreeningService).requestScoring(sr))!.finished();
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('scores every institution with claims in every period, with ranks 1…n and explanations', async () => {
    const expected: { code: string; period: string }[] = await ds.query(
      `SELECT DISTINCT institution_code AS code, to_char(settle_month, 'YYYY-MM') AS period FROM claim WHERE is_current ORDER BY 1, 2`,
    );
    const scored: { code: string; period: string; rank: number; drivers: { zh: string; peerMedian: number }[] }[] = await ds.query(
      `SELECT entity_code AS code, period, rank, drivers FROM risk_score WHERE entity_type = 'institution' ORDER BY 1, 2`,
    );
    expect(scored.map((s) => ({ code: s.code, period: s.period }))).toEqual(expected);
    for (const period of new Set(scored.map((s) => s.period))) {
      const ranks = scored.filter((s) => s.period === period).map((s) => s.rank).sort((a, b) => a - b);
      expect(ranks).toEqual(ranks.map((_, i) => i + 1));
    }
    for (const s of scored) {
      expect(s.drivers.length).toBeGreaterThanOrEqual(1);
      expect(s.drivers[0]!.zh).toMatch(/中位数/);
    }
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM risk_score WHERE entity_type = 'physician'`);
    expect(n).toBeGreaterThan(0);
  });

  it('re-scoring the same data gives the same scores', async () => {
    const before = await ds.query(`SELECT entity_type, entity_code, period, score, rank, drivers FROM risk_score ORDER BY 1, 2, 3`);
    await app.get(ScoringService).score();
    expect(await ds.query(`SELECT entity_type, entity_code, period, score, rank, drivers FROM risk_score ORDER BY 1, 2, 3`)).toEqual(before);
  });

  it('fundguard export risk writes institution_code,period,score,rank, riskiest first per period', async () => {
    const out = join(dataDir, 'risk.csv');
    await promisify(execFile)('node', [CLI, 'export', 'risk', '--out', out], { env: { ...process.env, ...env } });
    const rows = readCsv(out);
    expect(Object.keys(rows[0]!)).toEqual(['institution_code', 'period', 'score', 'rank']);
    const first = rows.filter((r) => r.period === rows[0]!.period);
    expect(first[0]!.rank).toBe('1');
    for (let i = 1; i < first.length; i++) expect(Number(first[i]!.score)).toBeLessThanOrEqual(Number(first[i - 1]!.score));
  });

  it('GET /api/risk lists a period; GET /api/institutions/:code/risk explains one institution', async () => {
    const list = (await http.get('/api/risk').query({ period: '2025-02', pageSize: 3 }).expect(200)).body;
    expect(list).toMatchObject({ period: '2025-02', page: 1, pageSize: 3 });
    expect(list.items).toHaveLength(3);
    expect(list.items[0].rank).toBe(1);
    const one = (await http.get(`/api/institutions/${list.items[0].code}/risk`).expect(200)).body;
    expect(one.periods.find((p: { period: string }) => p.period === '2025-02')).toMatchObject({ rank: 1, code: list.items[0].code });
    expect(one.periods[0].drivers[0]).toEqual(expect.objectContaining({ feature: expect.any(String), value: expect.any(Number), peerMedian: expect.any(Number), zh: expect.any(String) }));
    await http.get('/api/risk').query({ period: '2025-13' }).expect(400);
    await http.get('/api/institutions/NOPE/risk').expect(404);
    const docs = (await http.get('/api/risk').query({ entity: 'physician', period: '2025-02' }).expect(200)).body;
    expect(docs.items[0].peerGroup).toBeDefined();
  });

  it('trains a supervised model on reviewed outcomes once enough exist, blends it, and reproduces it', async () => {
    // Review outcomes as case review records them: the institution-months with the most findings
    // confirmed, others with findings dismissed.
    const periods: { code: string; period: string }[] = await ds.query(
      `SELECT institution_code AS code, settle_month::text AS period FROM finding GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 40`,
    );
    expect(periods.length).toBe(40);
    for (const [i, p] of periods.entries()) {
      await ds.query(`UPDATE finding SET status = $3 WHERE institution_code = $1 AND settle_month = $2`, [p.code, p.period, i < 20 ? 'confirmed' : 'dismissed']);
    }
    await app.get(ScoringService).score();
    const models = (await http.get('/api/risk/models').expect(200)).body.models;
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ version: 1, entityType: 'institution', rows: 40, positives: 20, seed: 42 });
    expect(models[0].metrics.rocAuc.folds).toHaveLength(5);
    expect(models[0].metrics.rocAuc.mean).toBeGreaterThan(0.5);
    const scored = await ds.query(`SELECT entity_code, period, score, rank, supervised, model_version FROM risk_score WHERE entity_type = 'institution' ORDER BY 2, 4`);
    expect(scored.every((r: { model_version: number; supervised: number }) => r.model_version === 1 && r.supervised >= 0 && r.supervised <= 1)).toBe(true);

    await app.get(ScoringService).score();
    const again = (await http.get('/api/risk/models').expect(200)).body.models;
    expect(again[0].version).toBe(2);
    expect(again[0].metrics).toEqual(models[0].metrics);
    expect((await ds.query(`SELECT entity_code, period, score, rank, supervised, model_version FROM risk_score WHERE entity_type = 'institution' ORDER BY 2, 4`)).map((r: { model_version: number }) => ({ ...r, model_version: 1 }))).toEqual(scored);
  });
});
