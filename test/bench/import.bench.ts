/**
 * `npm run bench`: claim lines per second through the import path, next to a raw COPY of the same
 * rows into bare tables in the same run (the physical limit of this machine), and the import's
 * peak memory at two file sizes (it must stream: flat as files grow). Writes BENCHMARKS.md.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fundguard_bench),
 * BENCH_CLAIMS (default 250000 claims ≈ 1M lines), BENCH_RUNS (default 3).
 */
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { writeBenchSection } from './bench-report';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { generateDemoData } from '../../src/demo/generator';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fundguard_bench';
const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 250_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const run = promisify(execFile);

async function ensureDatabase() {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
}

async function dataset(claims: number): Promise<{ dir: string; claims: number; lines: number }> {
  const dir = join(tmpdir(), `fundguard-bench-${claims}`);
  if (!existsSync(join(dir, 'labels', 'summary.json'))) await generateDemoData({ outDir: dir, claims, seed: 'bench' });
  const summary = require(join(dir, 'labels', 'summary.json'));
  return { dir: join(dir, 'claims'), claims: summary.batch1.claims, lines: summary.batch1.lines };
}

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: DB_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The physical limit: the same two files streamed by COPY into bare text tables. */
async function rawCopy(dir: string): Promise<number> {
  return withClient(async (c) => {
    await c.query('DROP SCHEMA IF EXISTS bench_raw CASCADE; CREATE SCHEMA bench_raw');
    const cols = (file: string) => require('node:fs').readFileSync(join(dir, file), 'utf8').slice(0, 2000).split('\n')[0].split(',');
    for (const f of ['claims', 'claim_items']) {
      await c.query(`CREATE TABLE bench_raw.${f} (${cols(`${f}.csv`).map((n: string) => `"${n}" text`).join(', ')})`);
    }
    const t0 = process.hrtime.bigint();
    for (const f of ['claims', 'claim_items']) {
      await pipeline(createReadStream(join(dir, `${f}.csv`)), c.query(copyFrom(`COPY bench_raw.${f} FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await c.query('DROP SCHEMA bench_raw CASCADE');
    return seconds;
  });
}

/** The import path, as an operator runs it: `fundguard import claims DIR` into a fresh schema. */
async function importPath(
  dir: string,
  schema: string,
  opts: { heapMb?: number } = {},
): Promise<{ seconds: number; maxRssMb: number; counts: Record<string, number>; phases: [string, number][] }> {
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  const env = {
    ...process.env,
    DATABASE_URL: DB_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: '',
    DATA_DIR: join(tmpdir(), 'fundguard-bench-data'),
    REPORT_MAX_RSS: 'true',
    LOG_LEVEL: 'debug',
    NO_COLOR: '1',
    NODE_OPTIONS: opts.heapMb ? `--max-old-space-size=${opts.heapMb}` : '',
  };
  await run(process.execPath, [CLI, 'db', 'migrate'], { env });
  const { stdout, stderr } = await run(process.execPath, [CLI, 'import', 'claims', dir], { env, maxBuffer: 64 * 1024 * 1024 });
  const maxRssMb = Number(/max-rss-kb (\d+)/.exec(stderr)?.[1] ?? 0) / 1024;
  // The importer logs each phase's duration at debug level.
  const phases = [...(stdout + stderr).matchAll(/\[ClaimsImport\]\s+\S+ ([a-z ]+): (\d+) ms/g)].map((m) => [m[1]!, Number(m[2])] as [string, number]);
  return withClient(async (c) => {
    const [r] = (await c.query(`SELECT extract(epoch FROM finished_at - created_at) AS s, counts FROM ${schema}.import_run ORDER BY created_at DESC LIMIT 1`)).rows;
    return { seconds: Number(r.s), maxRssMb, counts: r.counts, phases };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main() {
  await ensureDatabase();
  const pgVersion = await withClient(async (c) => (await c.query('SHOW server_version')).rows[0].server_version as string);
  const big = await dataset(CLAIMS);
  const small = await dataset(Math.max(1000, Math.round(CLAIMS / 4)));
  process.stderr.write(`data: ${big.claims} claims / ${big.lines} lines (and ${small.lines} lines for the memory check)\n`);

  const raw: number[] = [];
  const imp: number[] = [];
  let rss = 0;
  let counts: Record<string, number> = {};
  let phases: [string, number][] = [];
  for (let i = 0; i < RUNS; i++) {
    raw.push(await rawCopy(big.dir));
    const r = await importPath(big.dir, 'bench_import');
    imp.push(r.seconds);
    rss = Math.max(rss, r.maxRssMb);
    counts = r.counts;
    phases = r.phases;
    process.stderr.write(`run ${i + 1}: raw COPY ${raw.at(-1)!.toFixed(2)} s, import ${r.seconds.toFixed(2)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB\n`);
  }
  const smallRun = await importPath(small.dir, 'bench_import_small');
  // With the V8 heap capped, RSS shows what the import needs rather than how lazily V8 collects.
  const HEAP = 160;
  const smallCapped = await importPath(small.dir, 'bench_import_small', { heapMb: HEAP });
  const bigCapped = await importPath(big.dir, 'bench_import', { heapMb: HEAP });
  await withClient((c) => c.query('DROP SCHEMA IF EXISTS bench_import CASCADE; DROP SCHEMA IF EXISTS bench_import_small CASCADE'));

  const rows = big.claims + big.lines;
  const rawS = median(raw);
  const impS = median(imp);
  const ratio = rawS / impS;
  const md = `## Claims import vs raw COPY

Measured by \`npm run bench\` (test/bench/import.bench.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30)} GiB,
Node ${process.version}, PostgreSQL ${pgVersion}. Median of ${RUNS} runs, each pair in the same process and database.

Data: the seeded demo generator, ${fmt(big.claims)} claims with ${fmt(big.lines)} lines (${fmt(rows)} rows in the two files).

| path | seconds | claim lines / s | rows / s (claims + lines) |
|---|---:|---:|---:|
| raw \`COPY … FROM STDIN (FORMAT csv)\` of both files into bare text tables (the physical limit) | ${rawS.toFixed(2)} | ${fmt(big.lines / rawS)} | ${fmt(rows / rawS)} |
| \`fundguard import claims\` (detect encoding, parse, validate every field, pseudonymise, stage by COPY, check, version, store) | ${impS.toFixed(2)} | ${fmt(big.lines / impS)} | ${fmt(rows / impS)} |

**Import path / raw COPY: ${ratio.toFixed(2)}×** (target ≥ 0.5×: ${ratio >= 0.5 ? 'met' : '**not met**'}).

Outcome of the measured import: ${JSON.stringify(counts)}.

Where the import's time goes (last run, \`LOG_LEVEL=debug\`):

| phase | ms |
|---|---:|
${phases.map(([p, ms]) => `| ${p} | ${fmt(ms)} |`).join('\n')}

Why the import path is where it is. Raw COPY into text columns is PostgreSQL's C parser writing each
row once. The import does three things it does not: (1) Node parses the CSV (Papa Parse, the fastest
of the parsers measured here) and checks every field of every row against the contract, on one core
— the *stage* phases, during which Node is at 100% and PostgreSQL at ~20%; (2) the rows are written
twice, first to staging (so that a claim, its lines and the cross-row checks are decided together and
a crash leaves nothing half-stored), then to the versioned tables with their keys and indexes;
(3) the set-based checks (sums per claim, duplicates, orphans, identical content, corrections).
Moving the field checks into SQL, parsing in worker threads, or writing valid lines straight into
monthly partitions are the next steps to close the gap; each is measured here before it lands.

## Memory (the import streams)

| file size | claim lines | peak RSS, default heap | peak RSS, heap capped at ${HEAP} MB |
|---|---:|---:|---:|
| small | ${fmt(small.lines)} | ${fmt(smallRun.maxRssMb)} MB | ${fmt(smallCapped.maxRssMb)} MB |
| large | ${fmt(big.lines)} | ${fmt(rss)} MB | ${fmt(bigCapped.maxRssMb)} MB |

With the default heap V8 collects lazily, so RSS follows the work done. With the heap capped, the
4× larger import completes within the same cap: nothing is held per row. What grows a little with
the file is bounded: the cache of recent pseudonyms (at most 200,000 persons) and the rejected
claims, which are kept together until their reasons are written.

All runs: raw ${raw.map((s) => s.toFixed(2)).join(', ')} s; import ${imp.map((s) => s.toFixed(2)).join(', ')} s.
`;
  writeBenchSection('import', md);
  process.stdout.write(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
