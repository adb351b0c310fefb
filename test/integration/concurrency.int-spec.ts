import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { generateDemoData } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { ClaimImportCounts } from '../../src/imports/import-run.entity';
import { createTestContext } from '../support/app';
import { dropSchema, testConfig, uniqueName, waitFor } from '../support/test-env';

const WORKER = join(__dirname, '..', '..', 'dist', 'src', 'worker.js');

describe('imports under concurrency and failure (PostgreSQL + Redis)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-conc-'));

  beforeAll(async () => {
    await generateDemoData({ outDir: dataDir, claims: 20_000, seed: 'concurrency' });
  });

  describe('the same files imported twice at once', () => {
    const schema = uniqueName('t_conc');
    const { config } = testConfig(schema, { WORKER_CONCURRENCY: '2' });
    let app: INestApplicationContext;

    afterAll(async () => {
      await app?.close();
      await dropSchema(schema);
    });

    it('stores every claim once', async () => {
      app = await createTestContext(config);
      const imports = app.get(ImportsService);
      const ds = app.get<DataSource>(getDataSourceToken());
      const dir = join(dataDir, 'claims');
      const [a, b] = await Promise.all([imports.startImport('claims', dir), imports.startImport('claims', dir)]);
      await Promise.all([a.job.finished(), b.job.finished()]);
      const ca = (await imports.getRun(a.run.id)).counts as ClaimImportCounts;
      const cb = (await imports.getRun(b.run.id)).counts as ClaimImportCounts;
      const stored = Number((await ds.query('SELECT count(*) AS n FROM claim'))[0].n);
      // One import stored the claims, the other found them unchanged.
      expect(ca.accepted + cb.accepted).toBe(stored);
      expect([ca.unchanged, cb.unchanged].sort((x, y) => x - y)).toEqual([0, stored]);
      expect(Number((await ds.query('SELECT count(*) AS n FROM (SELECT claim_id FROM claim GROUP BY claim_id HAVING count(*) > 1) d'))[0].n)).toBe(0);
      expect(Number((await ds.query('SELECT count(*) AS n FROM claim_item'))[0].n)).toBe(ca.linesStored + cb.linesStored);
    });
  });

  describe('a worker killed in the middle of an import', () => {
    const schema = uniqueName('t_kill');
    // A short lock so the stalled job is noticed quickly by the second worker.
    const { config, env } = testConfig(schema, { JOB_LOCK_MS: '2000', WORKER_CONCURRENCY: '1' });
    const children: ChildProcess[] = [];
    let app: INestApplicationContext;

    const startWorker = () => {
      const child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...env }, stdio: ['ignore', process.env.TEST_WORKER_LOG ? require('node:fs').openSync(process.env.TEST_WORKER_LOG + children.length, 'w') : 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') process.stderr.write(`worker exited ${code}: ${stderr}\n`);
      });
      children.push(child);
      return child;
    };

    afterAll(async () => {
      for (const c of children) c.kill('SIGKILL');
      await app?.close();
      await dropSchema(schema);
    });

    it('completes on retry by another worker, without duplicates', async () => {
      expect(existsSync(WORKER)).toBe(true); // `npm test` builds dist/ first
      // This process only enqueues (API role): the import must run in the child workers.
      const { createTestHttp } = await import('../support/app');
      const http = await createTestHttp(config, 'api');
      app = http.app;
      const imports = app.get(ImportsService);
      const ds = app.get<DataSource>(getDataSourceToken());
      const first = startWorker();
      const { run, job } = await imports.startImport('claims', join(dataDir, 'claims'));
      // Kill the worker once it is inside the import (staging rows), before it can finish.
      await waitFor(async () => (await imports.getRun(run.id)).status === 'running', 'the import to start', 60_000, 20);
      await new Promise((r) => setTimeout(r, 300));
      first.kill('SIGKILL');
      expect((await imports.getRun(run.id)).status).not.toBe('completed');
      startWorker();
      await job.finished();
      const final = await imports.getRun(run.id);
      const c = final.counts as ClaimImportCounts;
      expect(final.status).toBe('completed');
      expect(final.attempts).toBeGreaterThanOrEqual(2);
      expect(c.claimsReceived).toBe(20_000);
      const stored = Number((await ds.query('SELECT count(*) AS n FROM claim'))[0].n);
      expect(stored).toBe(c.accepted);
      expect(Number((await ds.query('SELECT count(*) AS n FROM claim_item'))[0].n)).toBe(c.linesStored);
      expect(Number((await ds.query('SELECT count(*) AS n FROM rejected_record WHERE import_id = $1', [run.id]))[0].n)).toBe(c.rejected + c.orphanLines);
    });
  });
});
