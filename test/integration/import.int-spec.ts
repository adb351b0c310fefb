import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { generateDemoData, DemoSummary } from '../../src/demo/generator';
import { ImportsService } from '../../src/imports/imports.service';
import { ClaimImportCounts, ImportRun } from '../../src/imports/import-run.entity';
import { createTestContext, readCsv } from '../support/app';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

/** Which words a reason must contain for each kind of planted problem. */
const REASON_FOR: Record<string, RegExp> = {
  missing_required: /is required/,
  bad_enum: /must be one of/,
  impossible_date: /not a real calendar date|not a date/,
  nonpositive_quantity: /must be greater than zero|is not a number/,
  total_mismatch: /differs from fund_paid \+ self_paid/,
  items_sum_mismatch: /differs from the sum of the claim's/,
  discharge_before_admission: /precedes admission_date/,
  amount_mismatch: /differs from unit_price × quantity/,
  orphan_line: /orphan line/,
};

describe('claims import end to end (PostgreSQL + Redis)', () => {
  const schema = uniqueName('t_imp');
  const { config, env } = testConfig(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'fg-demo-'));
  let summary: DemoSummary;
  let app: INestApplicationContext;
  let imports: ImportsService;
  let ds: DataSource;

  const run = async (kind: 'claims' | 'reference', dir: string): Promise<ImportRun> => {
    const { run: r, job } = await imports.startImport(kind, join(dataDir, dir));
    await job.finished();
    return imports.getRun(r.id);
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await ds.query(sql, params))[0].n);

  beforeAll(async () => {
    // The size of the acceptance check: 60k claims, every malformed one and orphan line found.
    summary = await generateDemoData({ outDir: dataDir, claims: 60_000, seed: 'import-test' });
    app = await createTestContext(config);
    imports = app.get(ImportsService);
    ds = app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  const expected = () => readCsv(join(dataDir, 'labels', 'expected_rejections.csv'));

  it('imports the reference data', async () => {
    const r = await run('reference', 'reference');
    expect(r.status).toBe('completed');
    const counts = r.counts as Record<string, { received: number; inserted: number; rejected: number }>;
    expect(counts['institutions.csv']).toMatchObject({ received: summary.institutions, inserted: summary.institutions, rejected: 0 });
    expect(counts['catalog_items.csv']).toMatchObject({ received: summary.catalogItems, inserted: summary.catalogItems, rejected: 0 });
    expect(await count('SELECT count(*) AS n FROM physician')).toBe(summary.physicians);
    // Re-importing identical reference data changes nothing.
    const again = await run('reference', 'reference');
    expect((again.counts as Record<string, { inserted: number; updated: number }>)['catalog_items.csv']).toMatchObject({ inserted: 0, updated: 0 });
  });

  it('rejects exactly the malformed claims and orphan lines of batch 1, with reasons, and stores the rest', async () => {
    const r = await run('claims', 'claims');
    expect(r.status).toBe('completed');
    const c = r.counts as ClaimImportCounts;
    const want = expected().filter((e) => e.batch === '1');
    const wantClaims = want.filter((e) => e.file === 'claims.csv');
    const wantOrphans = want.filter((e) => e.file === 'claim_items.csv');
    expect(c.claimsReceived).toBe(summary.batch1.claims);
    expect(c.linesReceived).toBe(summary.batch1.lines);
    expect(c.rejected).toBe(wantClaims.length);
    expect(c.orphanLines).toBe(wantOrphans.length);
    expect(c.accepted).toBe(summary.batch1.claims - wantClaims.length);

    const got: { kind: string; file: string; line: number; claim_id: string; reasons: { reason: string }[] }[] = await ds.query(
      'SELECT kind, file, line, claim_id, reasons FROM rejected_record WHERE import_id = $1',
      [r.id],
    );
    const key = (e: Record<string, unknown>) => `${String(e.file)}:${String(e.line)}:${String(e.claim_id)}`;
    expect(got.map(key).sort()).toEqual(want.map(key).sort());
    for (const e of want) {
      const rec = got.find((g) => key(g) === key(e))!;
      expect(rec.reasons.length).toBeGreaterThan(0);
      expect(rec.reasons.map((x) => x.reason).join(' | ')).toMatch(REASON_FOR[e.problem] ?? /./);
    }
    // Every stored claim has its lines; line amounts add up to the claim's total.
    expect(await count('SELECT count(*) AS n FROM claim WHERE is_current')).toBe(c.accepted);
    expect(await count('SELECT count(*) AS n FROM claim_item')).toBe(c.linesStored);
    expect(
      await count(`SELECT count(*) AS n FROM claim c WHERE total_amount <> (SELECT coalesce(sum(amount), 0) FROM claim_item i WHERE i.claim_pk = c.id)`),
    ).toBe(0);
  });

  it('changes nothing when the same files are imported again', async () => {
    const before = await count('SELECT count(*) AS n FROM claim');
    const r = await run('claims', 'claims');
    const c = r.counts as ClaimImportCounts;
    expect(c).toMatchObject({ accepted: 0, corrected: 0, linesStored: 0 });
    expect(c.unchanged).toBe(await count('SELECT count(*) AS n FROM claim WHERE is_current'));
    expect(await count('SELECT count(*) AS n FROM claim')).toBe(before);
  });

  it('applies batch 2: re-sends unchanged, corrections as new versions with history kept', async () => {
    const r = await run('claims', 'claims-batch2');
    const c = r.counts as ClaimImportCounts;
    const want = expected().filter((e) => e.batch === '2');
    expect(c.rejected).toBe(want.filter((e) => e.file === 'claims.csv').length);
    expect(c.orphanLines).toBe(want.filter((e) => e.file === 'claim_items.csv').length);
    expect(c.unchanged).toBe(summary.batch2.resent);
    expect(c.corrected).toBe(summary.batch2.corrected);
    expect(c.accepted).toBe(summary.batch2.new + summary.batch2.fixedResubmissions);
    // Each corrected claim: two versions, only the newest current, the old one retired with a time.
    expect(await count(`SELECT count(*) AS n FROM claim WHERE version = 2 AND is_current AND import_id = $1`, [r.id])).toBe(c.corrected);
    expect(await count(`SELECT count(*) AS n FROM claim WHERE version = 1 AND NOT is_current AND superseded_at IS NOT NULL`)).toBe(c.corrected);
    expect(await count(`SELECT count(*) AS n FROM (SELECT claim_id FROM claim WHERE is_current GROUP BY claim_id HAVING count(*) > 1) x`)).toBe(0);
  });

  it('never stores a patient id in clear', async () => {
    const ids = readCsv(join(dataDir, 'claims', 'claims.csv')).slice(0, 200).map((r) => r.patient_id).filter(Boolean);
    expect(ids.length).toBeGreaterThan(100);
    const leaks = await count(
      `SELECT count(*) AS n FROM (
         SELECT patient_key AS t FROM claim UNION ALL SELECT record::text FROM rejected_record UNION ALL SELECT patient_key FROM person
       ) x WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) id WHERE strpos(x.t, id) > 0)`,
      [ids],
    );
    expect(leaks).toBe(0);
  });

  it('lists rejections by import, with paging', async () => {
    const runs = await imports.listRuns();
    const batch1 = runs.filter((r) => r.kind === 'claims').at(-1)!;
    const page = await imports.listRejections({ importId: batch1.id, page: 1, pageSize: 5 });
    const c = batch1.counts as ClaimImportCounts;
    expect(page.total).toBe(c.rejected + c.orphanLines);
    expect(page.items).toHaveLength(Math.min(5, page.total));
    expect(page.items[0]).toEqual(expect.objectContaining({ importId: batch1.id, reasons: expect.any(Array), record: expect.any(Object) }));
    // A rejected claim keeps its lines with it.
    const claimRec = (await imports.listRejections({ importId: batch1.id, kind: 'claim', page: 1, pageSize: 1 })).items[0]!;
    expect((claimRec.record as { items?: unknown[] }).items).toEqual(expect.any(Array));
  });

  it('exports every rejection as CSV from the command line: claim_id,file,line,reason', async () => {
    const out = join(dataDir, 'rejections.csv');
    const cli = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first
    await promisify(execFile)(process.execPath, [cli, 'export', 'rejections', '--out', out], { env: { ...process.env, ...env } });
    const rows = readCsv(out);
    const total = await count('SELECT count(*) AS n FROM rejected_record');
    expect(rows).toHaveLength(total);
    expect(Object.keys(rows[0]!)).toEqual(['claim_id', 'file', 'line', 'reason']);
    const want = expected();
    for (const e of want.slice(0, 20)) {
      const row = rows.find((r) => r.file === e.file && r.line === e.line && r.claim_id === e.claim_id)!;
      // Each reason names where it is and why: "claims.csv line 12: admission_date "…" is not a real calendar date".
      expect(row.reason).toMatch(new RegExp(`(claims|claim_items)\\.csv line \\d+: .*${(REASON_FOR[e.problem] ?? /./).source}`));
    }
  });

  it('keeps a claims file with a missing required column from importing anything, and says why', async () => {
    const r = await imports.startImport('claims', join(__dirname, '..', 'fixtures', 'missing-column'));
    await expect(r.job.finished()).rejects.toThrow(/lacks required column\(s\) patient_gender/);
    const final = await imports.getRun(r.run.id);
    expect(final.status).toBe('failed');
    expect(final.attempts).toBe(1); // a permanent problem is not retried
    expect(readFileSync(join(__dirname, '..', 'fixtures', 'missing-column', 'claims.csv'), 'utf8')).toContain('claim_id');
  });
});
