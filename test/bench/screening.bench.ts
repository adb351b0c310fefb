/**
 * `npm run bench:screening`: 1M claims (≈5.6M lines) screened end to end — read from PostgreSQL,
 * every rule of the library including history and institution-period rules, findings written —
 * through the real screening jobs on Redis with the workers in this process.
 *
 * The claims are synthesised straight into the tables with COPY (the import path has its own
 * benchmark): realistic mixes of visit types, 1–12 lines per claim over the demo knowledge base,
 * prices near their ceilings, repeat patients, a few percent of deliberate violations.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fundguard_bench),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_SCREEN_CLAIMS (default 1000000).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AppModule } from '../../src/app.module';
import { loadConfig } from '../../src/config/config';
import { generateDemoData } from '../../src/demo/generator';
import { Rng } from '../../src/demo/random';
import { ImportsService } from '../../src/imports/imports.service';
import { ScreeningService } from '../../src/screening/screening.service';
import { writeBenchSection } from './bench-report';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fundguard_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLAIMS = Number(process.env.BENCH_SCREEN_CLAIMS ?? 1_000_000);
const SCHEMA = 'bench_screening';

async function ensureDatabase() {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Streams synthesised claims and lines into the claim tables; returns the counts. */
async function synthesise(c: Client, importId: string): Promise<{ claims: number; lines: number }> {
  interface Item {
    code: string;
    kind: string;
    ceilFen: number | null;
    setting: string | null;
    gender: string | null;
    minAge: number | null;
    maxAge: number | null;
    maxDaily: number | null;
    maxDays: number | null;
    indication: string | null;
    group: string | null;
  }
  const catalog: Item[] = (
    await c.query(
      `SELECT code, kind, price_ceiling, setting_limit, gender_limit, min_age, max_age, max_daily_qty, max_days_supply, indications, exclusive_group FROM ${SCHEMA}.catalog_item`,
    )
  ).rows.map((r) => ({
    code: r.code,
    kind: r.kind,
    ceilFen: r.price_ceiling === null ? null : Math.round(Number(r.price_ceiling) * 100),
    setting: r.setting_limit,
    gender: r.gender_limit,
    minAge: r.min_age,
    maxAge: r.max_age,
    maxDaily: r.max_daily_qty === null ? null : Math.floor(Number(r.max_daily_qty)),
    maxDays: r.max_days_supply,
    indication: r.indications?.[0] ?? null,
    group: r.exclusive_group,
  }));
  const institutions = (await c.query<{ code: string; kind: string }>(`SELECT code, kind FROM ${SCHEMA}.institution`)).rows;
  const physicians = (await c.query<{ code: string; institution_code: string }>(`SELECT code, institution_code FROM ${SCHEMA}.physician`)).rows;
  const byInst = new Map<string, string[]>();
  for (const p of physicians) byInst.set(p.institution_code, [...(byInst.get(p.institution_code) ?? []), p.code]);
  const hospitals = institutions.filter((i) => i.kind !== 'pharmacy');
  const pharmacies = institutions.filter((i) => i.kind === 'pharmacy');
  const drugs = catalog.filter((i) => i.kind === 'drug');
  const rng = Rng.fromSeed('screening-bench');
  const patients = Math.max(1000, Math.round(CLAIMS / 4));
  const patientKey = (n: number) => (n * 2654435761 % 2 ** 32).toString(16).padStart(8, '0').repeat(4);
  const start = Date.UTC(2025, 0, 1);
  const dx = ['I10', 'E11.9', 'J18.9', 'J06.9', 'K29.7', 'I63.9', 'M54.5', 'N39.0', 'C34.9', 'O80'];

  const claimStream = c.query(
    copyFrom(`COPY ${SCHEMA}.claim (claim_id, version, content_hash, import_id, is_current, institution_code, physician_code, patient_key, patient_gender, patient_birth_date, insurance_type, visit_type, admission_date, discharge_date, primary_diagnosis, secondary_diagnoses, discharge_status, total_amount, fund_paid, self_paid, settled_at, settle_month) FROM STDIN`),
  );
  // One COPY per connection: a client runs one statement at a time.
  const c2 = new Client({ connectionString: DB_URL });
  await c2.connect();
  const itemStream = c2.query(copyFrom(`COPY ${SCHEMA}.claim_item (claim_pk, item_seq, item_code, service_date, unit_price, quantity, amount, days_supply, settle_month) FROM STDIN`));
  let lines = 0;
  let cbuf = '';
  let ibuf = '';
  const flush = async (force = false) => {
    if (force || cbuf.length > 1 << 20) {
      if (!claimStream.write(cbuf)) await new Promise((r) => claimStream.once('drain', r));
      cbuf = '';
    }
    if (force || ibuf.length > 1 << 20) {
      if (!itemStream.write(ibuf)) await new Promise((r) => itemStream.once('drain', r));
      ibuf = '';
    }
  };
  // claim ids are BIGSERIAL from 1 in a fresh schema: line rows name them directly.
  for (let n = 1; n <= CLAIMS; n++) {
    const p = rng.int(0, patients - 1);
    const visitRoll = rng.float();
    const visit = visitRoll < 0.1 ? 'inpatient' : visitRoll < 0.3 ? 'pharmacy' : 'outpatient';
    const inst = visit === 'pharmacy' ? rng.pick(pharmacies) : rng.pick(hospitals);
    const adm = start + rng.int(0, 364) * DAY;
    const los = visit === 'inpatient' ? rng.int(1, 14) : 0;
    const dis = adm + los * DAY;
    const nLines = visit === 'inpatient' ? rng.int(6, 16) : rng.int(1, 8);
    const settled = dis + rng.int(0, 3) * DAY + 36_000_000;
    const month = `${iso(settled).slice(0, 7)}-01`;
    let totalFen = 0;
    const gender = p % 2 ? 'M' : 'F';
    const birthYear = 1940 + (p % 80);
    const age = 2025 - birthYear - 1;
    const setting = visit === 'inpatient' ? 'inpatient' : 'outpatient';
    const extraDx = new Set<string>();
    const groupsUsed = new Set<string>();
    for (let s = 1; s <= nLines; s++) {
      // Mostly what the knowledge base allows; about 1% of lines break one of its limits on purpose.
      const violate = rng.float() < 0.01;
      let item = visit === 'pharmacy' ? rng.pick(drugs) : rng.pick(catalog);
      for (let tries = 0; !violate && tries < 20; tries++) {
        const ok =
          (item.setting === null || item.setting === setting) &&
          (item.gender === null || item.gender === gender) &&
          (item.minAge === null || age >= item.minAge) &&
          (item.maxAge === null || age <= item.maxAge) &&
          (item.group === null || !groupsUsed.has(item.group));
        if (ok) break;
        item = visit === 'pharmacy' ? rng.pick(drugs) : rng.pick(catalog);
      }
      if (item.group) groupsUsed.add(item.group);
      if (item.indication && !violate) extraDx.add(item.indication);
      const ceil = item.ceilFen ?? rng.int(100, 20000);
      const priceFen = violate && rng.chance(0.3) ? ceil + rng.int(1, 500) : Math.max(1, ceil - rng.int(0, Math.ceil(ceil / 5)));
      const qty = Math.max(1, Math.min(rng.int(1, 3), violate ? 99 : (item.maxDaily ?? 99)));
      const amountFen = priceFen * qty;
      totalFen += amountFen;
      const day = adm + rng.int(0, los) * DAY;
      const ds = item.kind === 'drug' ? String(Math.min(rng.int(3, 30), violate ? 99 : (item.maxDays ?? 99))) : '\\N';
      ibuf += `${n}\t${s}\t${item.code}\t${iso(day)}\t${(priceFen / 100).toFixed(2)}\t${qty}\t${(amountFen / 100).toFixed(2)}\t${ds}\t${month}\n`;
    }
    lines += nLines;
    const fund = Math.round(totalFen * 0.7);
    const docs = byInst.get(inst.code);
    const birth = iso(Date.UTC(birthYear, 0, 1));
    const status = visit === 'inpatient' ? (rng.float() < 0.002 ? 'death' : 'normal') : '\\N';
    const diag = visit === 'pharmacy' ? '\\N' : rng.pick(gender === 'M' ? dx.filter((d) => d[0] !== 'O') : dx);
    const secondary = `{${[...extraDx].join(',')}}`;
    cbuf += `C${n}\t1\t${randomUUID().replace(/-/g, '')}\t${importId}\tt\t${inst.code}\t${docs ? rng.pick(docs) : '\\N'}\t${patientKey(p)}\t${gender}\t${birth}\tresident\t${visit}\t${iso(adm)}\t${iso(dis)}\t${diag}\t${secondary}\t${status}\t${(totalFen / 100).toFixed(2)}\t${(fund / 100).toFixed(2)}\t${((totalFen - fund) / 100).toFixed(2)}\t${new Date(settled).toISOString()}\t${month}\n`;
    await flush();
  }
  await flush(true);
  const done = (st: NodeJS.WritableStream) => new Promise((resolve, reject) => st.on('finish', resolve).on('error', reject));
  const finished = Promise.all([done(claimStream), done(itemStream)]);
  claimStream.end();
  itemStream.end();
  await finished;
  await c2.end();
  return { claims: CLAIMS, lines };
}

async function main() {
  await ensureDatabase();
  const c = new Client({ connectionString: DB_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await c.query(`CREATE SCHEMA ${SCHEMA}`);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: DB_URL,
    DATABASE_SCHEMA: SCHEMA,
    REDIS_URL,
    QUEUE_PREFIX: `bench-screen-${Date.now()}`,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'fg-bench-screen-')),
    PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    WORKER_CONCURRENCY: '2',
    JOB_LOCK_MS: '120000',
  } as NodeJS.ProcessEnv);
  const app: INestApplicationContext = await NestFactory.createApplicationContext(AppModule.forRoot(config, 'cli', { migrate: true }), {
    logger: ['error', 'warn', ...(process.env.BENCH_LOG_LEVEL === 'log' ? (['log'] as const) : [])],
  });
  try {
    const refDir = mkdtempSync(join(tmpdir(), 'fg-bench-ref-'));
    await generateDemoData({ outDir: refDir, claims: 200, seed: 'bench' });
    const ref = await app.get(ImportsService).startImport('reference', join(refDir, 'reference'));
    await ref.job.finished();

    const importId = randomUUID();
    await c.query(`INSERT INTO ${SCHEMA}.import_run (id, kind, status, source, counts) VALUES ($1, 'claims', 'completed', 'bench', '{}')`, [importId]);
    process.stdout.write(`synthesising ${CLAIMS} claims …\n`);
    const t0 = Date.now();
    const { claims, lines } = await synthesise(c, importId);
    await c.query(`ANALYZE ${SCHEMA}.claim; ANALYZE ${SCHEMA}.claim_item`);
    process.stdout.write(`  ${claims} claims, ${lines} lines in ${((Date.now() - t0) / 1000).toFixed(1)} s\nscreening …\n`);

    const screening = app.get(ScreeningService);
    const ts = Date.now();
    const run = await screening.waitForRun((await screening.requestForImport(importId)).id, 100);
    const seconds = (Date.now() - ts) / 1000;
    if (run.status !== 'completed') throw new Error(`screening failed: ${run.error}`);
    const phases = (
      await c.query<{ batches: string; first: Date; last: Date }>(`SELECT count(*) AS batches, min(finished_at) AS first, max(finished_at) AS last FROM ${SCHEMA}.screening_batch WHERE run_id = $1`, [run.id])
    ).rows[0]!;
    const batchSeconds = (phases.last.getTime() - ts) / 1000;
    const finishSeconds = (run.finishedAt!.getTime() - phases.last.getTime()) / 1000;
    const findings = (await c.query<{ category: string; n: string }>(`SELECT category, count(*) AS n FROM ${SCHEMA}.finding WHERE status = 'open' GROUP BY 1 ORDER BY 2 DESC`)).rows;
    const total = findings.reduce((s, f) => s + Number(f.n), 0);
    const pg = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
    const md = `## Screening end to end: ${fmt(claims)} claims from PostgreSQL

Measured by \`npm run bench:screening\` (test/bench/screening.bench.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30)} GiB,
Node ${process.version}, PostgreSQL ${pg}, Redis with the BullMQ workers in the benchmark's process (concurrency 2).

Data: ${fmt(claims)} synthesised claims with ${fmt(lines)} lines (${(lines / claims).toFixed(1)} per claim) over the demo knowledge base, written by COPY.
Every rule of the library (${screening.compiledRules().length} rules: line, claim, history and institution-period), findings written with their evidence and explanations.

| phase | seconds |
|---|---:|
| line and claim rules: ${phases.batches} batch jobs of ${fmt(config.screening.batchClaims)} claims (read claims and lines, evaluate, write digests and findings) | ${batchSeconds.toFixed(1)} |
| history rules over every patient, institution-period rules over every month, retire replaced versions | ${finishSeconds.toFixed(1)} |
| **total, request to completed run** | **${seconds.toFixed(1)}** |

**${fmt(claims / seconds)} claims/s, ${fmt(lines / seconds)} lines/s end to end**${claims >= 1_000_000 ? ` (target: 1M claims in under 60 s: **${seconds < 60 ? 'met' : 'not met'}**)` : ` (a run of ${fmt(claims)} claims; the target is stated for 1M claims in under 60 s)`}.

Open findings: ${fmt(total)} (${findings.slice(0, 8).map((f) => `${f.category} ${fmt(Number(f.n))}`).join(', ')}${findings.length > 8 ? ', …' : ''}).
`;
    writeBenchSection('screening-e2e', md);
    process.stdout.write(md);
  } finally {
    await app.close();
    await c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await c.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
