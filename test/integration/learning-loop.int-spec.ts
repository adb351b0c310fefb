import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Actor } from '../../src/accounts/roles';
import { CasesService } from '../../src/cases/cases.service';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { FindingsService } from '../../src/screening/findings.service';
import { ScoringService } from '../../src/scoring/scoring.service';
import { MIN_PER_CLASS } from '../../src/scoring/supervised';
import { createTestHttp, readCsv } from '../support/app';
import { createUserWithToken } from '../support/auth';
import { importAndOpenCases } from '../support/pipeline';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

/**
 * The learning loop: supervisors' outcomes on cases are the labels of the risk model and the
 * precision of each rule. A supervisor confirms the cases of the institutions the generator made
 * abusive and dismisses the others; the next scoring run trains a model on those outcomes, and the
 * rules' confirmed/dismissed counts are exactly the reviewed findings.
 */
describe('learning loop: case outcomes → rule precision and the risk model (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_loop');
  const { config } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-loop-'));
  let app: INestApplication;
  let ds: DataSource;
  let supervisor: Actor;

  beforeAll(async () => {
    ({ app } = await createTestHttp(config));
    ds = app.get<DataSource>(getDataSourceToken());
    await generateDemoData({ outDir: dataDir, claims: 6000, months: 6, seed: 'loop' });
    await (await app.get(ImportsService).startImport('reference', join(dataDir, 'reference'))).job.finished();
    await importAndOpenCases(app, join(dataDir, 'claims'));
    const u = await createUserWithToken(app, { role: 'supervisor' });
    supervisor = { userId: u.id, name: u.name, role: 'supervisor', institutionCode: null };
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('reviews become labels: the model trains on them and separates the confirmed institution-months', async () => {
    const abusive = new Set(readCsv(join(dataDir, 'labels', 'institution_labels.csv')).filter((r) => r.abusive === '1').map((r) => r.institution_code));
    const cases = app.get(CasesService);
    const queue = await cases.list({ kind: 'findings', status: ['open'], sort: 'amount', order: 'desc', page: 1, pageSize: 500 }, supervisor);
    const by = { actor: supervisor, ip: null };
    const reviewed = { confirmed: new Set<string>(), dismissed: new Set<string>() };
    for (const c of queue.items) {
      await cases.startReview(c.id, by);
      if (abusive.has(c.institutionCode)) {
        await cases.confirm(c.id, { outcomes: new Map(), reason: null }, by);
        reviewed.confirmed.add(`${c.institutionCode}|${c.period}`);
      } else {
        await cases.dismiss(c.id, { reason: '经核查，诊疗合理（测试）' }, by);
        reviewed.dismissed.add(`${c.institutionCode}|${c.period}`);
      }
    }
    expect(reviewed.confirmed.size).toBeGreaterThanOrEqual(MIN_PER_CLASS);
    expect(reviewed.dismissed.size).toBeGreaterThanOrEqual(MIN_PER_CLASS);

    // Rule precision counts exactly the reviewed findings.
    const [counts] = (await ds.query(
      `SELECT count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed, count(*) FILTER (WHERE status = 'dismissed')::int AS dismissed FROM finding`,
    )) as { confirmed: number; dismissed: number }[];
    const stats = [...(await app.get(FindingsService).ruleStats()).values()];
    expect(stats.reduce((n, s) => n + s.confirmed, 0)).toBe(counts!.confirmed);
    expect(stats.reduce((n, s) => n + s.dismissed, 0)).toBe(counts!.dismissed);
    expect(counts!.confirmed).toBeGreaterThan(0);
    expect(counts!.dismissed).toBeGreaterThan(0);

    // The next scoring run trains on the outcomes and blends the model into the scores.
    const scoring = app.get(ScoringService);
    await scoring.score();
    const [model] = (await scoring.models()) as { entityType: string; rows: number; positives: number; version: number }[];
    expect(model).toMatchObject({ entityType: 'institution', positives: reviewed.confirmed.size });
    expect(model!.rows).toBe(reviewed.confirmed.size + reviewed.dismissed.size);
    const scored = (await ds.query(
      `SELECT entity_code || '|' || period AS key, supervised FROM risk_score WHERE entity_type = 'institution' AND model_version = $1`,
      [model!.version],
    )) as { key: string; supervised: number }[];
    const mean = (keys: Set<string>) => {
      const xs = scored.filter((s) => keys.has(s.key)).map((s) => s.supervised);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean(reviewed.confirmed)).toBeGreaterThan(mean(reviewed.dismissed) + 0.2);
  });
});
