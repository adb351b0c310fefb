import { Actor, systemActor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PoolClient } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { withPgClient } from '../database/pg-client';
import { JobQueue, PermanentJobError } from '../../jobs/job-queue';
import { RuleHit, byPatient, screenClaims, screenPatient, screenPeriod } from '../rules-engine/engine';
import { ScreenClaim } from '../rules-engine/model';
import { CompiledRule } from '../rules-engine/rule-compiler';
import { RuleLibraryService } from '../rules-engine/rules-engine.module';
import { ClaimScope, ScreeningCounts, ScreeningRun } from './screening.entities';
import {
  BulkMode,
  ReconcileCounts,
  loadAllDeaths,
  loadDeaths,
  loadKnowledgeBase,
  loadPeriodStats,
  readClaimBatch,
  readClaimsWithDigests,
  reconcileFindings,
  retireSuperseded,
  scopePredicate,
  writeDigests,
} from './screening.store';

/** Serialises the cross-claim phases of screening runs (they read and rewrite patients' windows). */
const FINISH_LOCK = 7270002;
/** Patients per history chunk of an import's run. */
const PATIENT_CHUNK = 5000;
/** A full run reads patients by the first hex digit of their key: 16 chunks. */
const KEY_PREFIXES = '0123456789abcdef'.split('');

const countByCategory = (hits: readonly RuleHit[], into: Record<string, number> = {}): Record<string, number> => {
  for (const h of hits) into[h.rule.spec.category] = (into[h.rule.spec.category] ?? 0) + 1;
  return into;
};

/** Screening runs: planned per import (or over everything), executed as batch jobs, then the cross-claim phases. */
@Injectable()
export class ScreeningService {
  private readonly logger = new Logger('Screening');
  private readonly bulkMode: BulkMode;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobQueue,
    private readonly rules: RuleLibraryService,
    private readonly audit: AuditService,
  ) {
    this.bulkMode = config.database.embedded ? 'unnest' : 'copy';
  }

  private get library() {
    return this.rules.library;
  }

  private withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return withPgClient(this.ds, fn);
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  /** The screening of an import's claims: one run per import, created once, planned by a job. */
  async requestForImport(importId: string): Promise<ScreeningRun> {
    const run = await this.withClient(async (c) => {
      await c.query(
        `INSERT INTO screening_run (import_id, library_hash) VALUES ($1, $2) ON CONFLICT (import_id) WHERE import_id IS NOT NULL DO NOTHING`,
        [importId, this.library.hash],
      );
      // A failed run is planned afresh (its finished batches are kept: batches are idempotent).
      const reset = await c.query(`UPDATE screening_run SET status = 'planned', error = NULL, updated_at = now() WHERE import_id = $1 AND status = 'failed'`, [importId]);
      const row = (await c.query<{ id: string; status: string; plans: number }>('SELECT id, status, plans FROM screening_run WHERE import_id = $1', [importId])).rows[0]!;
      return { ...row, retry: (reset.rowCount ?? 0) > 0 };
    });
    // A duplicate request joins the same plan job; a retry of a failed run needs a new job id (BullMQ
    // keeps failed jobs, and an id it has seen is not added again). Two plan jobs are harmless: only
    // one moves the run out of 'planned'.
    const jobId = `screen-plan-${run.id}-${run.plans}${run.retry ? `-retry-${Date.now()}` : ''}`;
    if (run.status === 'planned') await this.jobs.enqueue('screen.plan', { runId: run.id }, jobId);
    return this.getRun(run.id);
  }

  /** Re-screens every current claim with the library as it is now. */
  async requestFull(actor: Actor = systemActor()): Promise<ScreeningRun> {
    const run = await this.ds.transaction(async (m) => {
      const saved = await m.getRepository(ScreeningRun).save({ importId: null, libraryHash: this.library.hash });
      await this.audit.record(m, { actor, action: 'screening.request', entityType: 'screening_run', entityId: saved.id, after: { scope: 'all current claims', libraryHash: saved.libraryHash } });
      return saved;
    });
    await this.jobs.enqueue('screen.plan', { runId: run.id }, `screen-plan-${run.id}-0`);
    return run;
  }

  /**
   * A screening of one physician's current claims admitted or served within [from, to] (a sanction
   * recorded for the physician changes what their lines owe). Created in the caller's transaction,
   * so the run exists only if that commits; `startRun` queues its plan once it has. Null when no
   * stored claim falls in the scope.
   */
  async createScopedRun(m: EntityManager, scope: ClaimScope, actor: Actor): Promise<string | null> {
    const p = scopePredicate(scope, 1);
    const [any] = (await m.query(`SELECT 1 FROM claim c WHERE c.is_current AND ${p.sql} LIMIT 1`, p.values)) as unknown[];
    if (!any) return null; // nothing stored in the window yet: imports to come are screened with the sanction
    const saved = await m.getRepository(ScreeningRun).save({ importId: null, claimScope: scope, libraryHash: this.library.hash });
    await this.audit.record(m, { actor, action: 'screening.request', entityType: 'screening_run', entityId: saved.id, after: { scope, libraryHash: saved.libraryHash } });
    return saved.id;
  }

  /** Queues the plan of a run created in a transaction that has committed. */
  async startRun(runId: string): Promise<void> {
    await this.jobs.enqueue('screen.plan', { runId }, `screen-plan-${runId}-0`);
  }

  /** The claims a run screens, as `SELECT claim_id …` with its parameters from $1; null for a full run. */
  private touchedClaims(run: ScreeningRun): { sql: string; args: unknown[] } | null {
    if (run.importId) return { sql: 'SELECT claim_id FROM claim WHERE import_id = $1', args: [run.importId] };
    if (run.claimScope) {
      const p = scopePredicate(run.claimScope, 1);
      return { sql: `SELECT c.claim_id FROM claim c WHERE c.is_current AND ${p.sql}`, args: p.values };
    }
    return null;
  }

  /** Completed claim imports whose screening has not completed. */
  async unscreenedImports(): Promise<string[]> {
    const { rows } = await this.ds.query(
      `SELECT i.id FROM import_run i
       WHERE i.kind = 'claims' AND i.status = 'completed'
         AND NOT EXISTS (SELECT 1 FROM screening_run s WHERE s.import_id = i.id AND s.status = 'completed')
       ORDER BY i.created_at`,
    ).then((rows: { id: string }[]) => ({ rows }));
    return rows.map((r) => r.id);
  }

  async getRun(id: string): Promise<ScreeningRun> {
    const run = await this.ds.getRepository(ScreeningRun).findOneBy({ id });
    if (!run) throw new DomainException(DomainErrorCode.NotFound, `screening run ${id} does not exist`);
    return run;
  }

  async listRuns(limit = 20): Promise<ScreeningRun[]> {
    return this.ds.getRepository(ScreeningRun).find({ order: { createdAt: 'DESC' }, take: limit });
  }

  /** Waits until the run completes or fails (polls: batches may run in other processes). */
  async waitForRun(id: string, pollMs = 250): Promise<ScreeningRun> {
    for (;;) {
      const run = await this.getRun(id);
      if (run.status === 'completed' || run.status === 'failed') return run;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Jobs

  /** screen.plan: splits the run's claims into id windows of about SCREENING_BATCH_CLAIMS claims. */
  async plan(runId: string): Promise<{ batches: number }> {
    const run = await this.ds.getRepository(ScreeningRun).findOneBy({ id: runId });
    if (!run) throw new PermanentJobError(`screening run ${runId} does not exist`);
    if (run.status !== 'planned') return { batches: run.batchesTotal };
    const bounds = await this.withClient(async (c) => {
      const scoped = !run.importId && run.claimScope ? scopePredicate(run.claimScope, 1) : null;
      const { rows } = await c.query<{ lo: string | null; hi: string | null }>(
        `SELECT min(c.id) AS lo, max(c.id) AS hi FROM claim c WHERE c.is_current ${run.importId ? 'AND c.import_id = $1' : scoped ? `AND ${scoped.sql}` : ''}`,
        run.importId ? [run.importId] : scoped ? scoped.values : [],
      );
      return rows[0]!;
    });
    const size = BigInt(this.config.screening.batchClaims);
    const windows: [string, string][] = [];
    if (bounds.lo !== null && bounds.hi !== null) {
      for (let from = BigInt(bounds.lo); from <= BigInt(bounds.hi); from += size) {
        const to = from + size - 1n < BigInt(bounds.hi) ? from + size - 1n : BigInt(bounds.hi);
        windows.push([String(from), String(to)]);
      }
    }
    const plan = await this.withClient(
      async (c) =>
        (
          await c.query<{ plans: number }>(
            `UPDATE screening_run SET status = 'running', plans = plans + 1, started_at = coalesce(started_at, now()), batches_total = $2, library_hash = $3, error = NULL, updated_at = now()
             WHERE id = $1 AND status = 'planned' RETURNING plans`,
            [runId, windows.length, this.library.hash],
          )
        ).rows[0],
    );
    if (!plan) return { batches: 0 }; // another plan job got there first
    if (windows.length === 0) await this.jobs.enqueue('screen.finish', { runId }, `screen-finish-${runId}-${plan.plans}`);
    for (const [fromPk, toPk] of windows) {
      await this.jobs.enqueue('screen.batch', { runId, fromPk, toPk }, `screen-batch-${runId}-${plan.plans}-${fromPk}`);
    }
    this.logger.log(`run ${runId}: ${windows.length} batch(es) of up to ${size} claims`);
    return { batches: windows.length };
  }

  /** screen.batch: line and claim rules over one window of claims, in one pass; digests for the cross-claim phase. */
  async batch(runId: string, fromPk: string, toPk: string): Promise<{ claims: number; hits: number }> {
    const run = await this.ds.getRepository(ScreeningRun).findOneBy({ id: runId });
    if (!run) throw new PermanentJobError(`screening run ${runId} does not exist`);
    const result = await this.withClient(async (c) => {
      const done = await c.query('SELECT 1 FROM screening_batch WHERE run_id = $1 AND from_pk = $2', [runId, fromPk]);
      if (done.rowCount) return null;
      const kb = await loadKnowledgeBase(c);
      const claims = await readClaimBatch(c, fromPk, toPk, run.importId, run.claimScope);
      const rules = this.library.rules.filter((r) => r.scope === 'line' || r.scope === 'claim');
      const hits: RuleHit[] = [];
      screenClaims(claims, kb, rules, (h) => hits.push(h));
      await writeDigests(c, this.bulkMode, claims);
      const counts = await reconcileFindings(
        c,
        this.bulkMode,
        runId,
        { where: 'f.claim_pk = ANY($1::bigint[])', values: [claims.map((x) => x.pk)] },
        rules.map((r) => r.id),
        hits,
      );
      const lines = claims.reduce((s, x) => s + x.lines.length, 0);
      await c.query(
        `INSERT INTO screening_batch (run_id, from_pk, claims, lines, hits, inserted, updated, retired) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (run_id, from_pk) DO NOTHING`,
        [runId, fromPk, claims.length, lines, JSON.stringify(countByCategory(hits)), counts.inserted, counts.updated, counts.retired],
      );
      const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM screening_batch WHERE run_id = $1', [runId]);
      return { claims: claims.length, hits: hits.length, last: rows[0]!.n >= run.batchesTotal };
    });
    if (result === null || result.last) await this.jobs.enqueue('screen.finish', { runId }, `screen-finish-${runId}-${run.plans}`);
    return result ?? { claims: 0, hits: 0 };
  }

  /** screen.finish: history rules over every touched patient, period rules over every touched month; closes the run. */
  async finish(runId: string): Promise<Partial<ScreeningCounts>> {
    const run = await this.ds.getRepository(ScreeningRun).findOneBy({ id: runId });
    if (!run) throw new PermanentJobError(`screening run ${runId} does not exist`);
    if (run.status === 'completed') return run.counts;
    const pending = await this.ds.query(`SELECT count(*)::int AS n FROM screening_batch WHERE run_id = $1`, [runId]);
    if ((pending[0] as { n: number }).n < run.batchesTotal) {
      throw new Error(`run ${runId}: ${(pending[0] as { n: number }).n} of ${run.batchesTotal} batches done; finishing later`);
    }
    try {
      const counts = await this.withClient(async (c) => {
        await c.query('SELECT pg_advisory_lock($1)', [FINISH_LOCK]);
        try {
          return await this.finishLocked(c, run);
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [FINISH_LOCK]);
        }
      });
      // Risk scores read the findings: the months this run touched are scored again. (After the
      // client is released: in embedded mode the pool holds one connection.)
      await this.requestScoring(run);
      return counts;
    } catch (err) {
      await this.ds.query(`UPDATE screening_run SET error = $2, updated_at = now() WHERE id = $1`, [runId, (err as Error).message]);
      throw err;
    }
  }

  private async finishLocked(c: PoolClient, run: ScreeningRun): Promise<ScreeningCounts> {
    const t0 = Date.now();
    const historyRules = this.library.rules.filter((r) => r.scope === 'history');
    const periodRules = this.library.rules.filter((r) => r.scope === 'institution-period');
    const hits: Record<string, number> = {};
    const total: ReconcileCounts = { inserted: 0, updated: 0, retired: 0 };
    const add = (x: ReconcileCounts) => {
      total.inserted += x.inserted;
      total.updated += x.updated;
      total.retired += x.retired;
    };
    let kb = await loadKnowledgeBase(c);
    // The claims of this import and every other version of them: their patients and months are touched.
    const touchedQuery = this.touchedClaims(run);
    const touched = touchedQuery?.sql ?? null;
    const touchedArgs = touchedQuery?.args ?? [];

    // Institution-period rules: every current claim of a touched month is evaluated against its
    // month's statistics (computed in SQL), during the patient pass when it reads the claim anyway.
    const months = periodRules.length
      ? (
          await c.query<{ m: string }>(
            touched ? `SELECT DISTINCT settle_month::text AS m FROM claim WHERE claim_id IN (${touched})` : 'SELECT DISTINCT settle_month::text AS m FROM claim WHERE is_current',
            touchedArgs,
          )
        ).rows.map((r) => r.m)
      : [];
    const stats = await loadPeriodStats(c, months);
    const periodHits: RuleHit[] = [];
    const screenMonths = (claims: readonly ScreenClaim[]) => {
      const byMonth = new Map<string, ScreenClaim[]>();
      for (const x of claims) {
        const s = stats.get(x.settleMonth);
        if (!s) continue;
        let a = byMonth.get(x.settleMonth);
        if (!a) byMonth.set(x.settleMonth, (a = []));
        a.push(x);
      }
      for (const [m, cs] of byMonth) screenPeriod(cs, kb, periodRules, (h) => periodHits.push(h), stats.get(m));
    };

    // History rules: every current claim of every touched patient, a chunk of patients at a time.
    let patientsCovered: 'all' | 'listed' | 'none' = 'none';
    if (historyRules.length > 0) {
      const chunks: { where: string; values: unknown[] }[] = [];
      const { rows } = touched
        ? await c.query<{ k: string }>(`SELECT DISTINCT patient_key AS k FROM claim WHERE claim_id IN (${touched})`, touchedArgs)
        : { rows: [] };
      // An import that touches most patients is read like a full run: by key ranges, not key lists.
      const everyone = touched && rows.length > 20_000 ? (await c.query<{ n: number }>('SELECT count(DISTINCT patient_key)::int AS n FROM claim WHERE is_current')).rows[0]!.n : Infinity;
      if (touched && rows.length < everyone / 2) {
        await c.query('CREATE TEMP TABLE IF NOT EXISTS tmp_touched_patient (k char(32) PRIMARY KEY)');
        await c.query('TRUNCATE tmp_touched_patient');
        for (let i = 0; i < rows.length; i += PATIENT_CHUNK) {
          const keys = rows.slice(i, i + PATIENT_CHUNK).map((r) => r.k);
          chunks.push({ where: 'patient_key = ANY($1::bpchar[])', values: [keys] });
          await c.query('INSERT INTO tmp_touched_patient SELECT unnest($1::bpchar[]) ON CONFLICT DO NOTHING', [keys]);
        }
        patientsCovered = 'listed';
      } else {
        kb = await loadAllDeaths(c, kb);
        chunks.push({ where: "patient_key < '0'", values: [] });
        KEY_PREFIXES.forEach((p, i) =>
          chunks.push(
            i === KEY_PREFIXES.length - 1
              ? { where: 'patient_key >= $1', values: [p] }
              : { where: 'patient_key >= $1 AND patient_key < $2', values: [p, KEY_PREFIXES[i + 1]] },
          ),
        );
        patientsCovered = 'all';
      }
      const ms = { read: 0, evaluate: 0, write: 0 };
      for (const chunk of chunks) {
        let t = Date.now();
        const claims = await readClaimsWithDigests(c, chunk.where.replace(/patient_key/g, 'c.patient_key'), chunk.values);
        const patients = byPatient(claims);
        const chunkKb = patientsCovered === 'listed' ? { ...kb, deaths: await loadDeaths(c, [...patients.keys()]) } : kb;
        ms.read += Date.now() - t;
        t = Date.now();
        const found: RuleHit[] = [];
        for (const cs of patients.values()) screenPatient(cs, chunkKb, historyRules, (h) => found.push(h));
        countByCategory(found, hits);
        if (periodRules.length) screenMonths(claims);
        ms.evaluate += Date.now() - t;
        t = Date.now();
        add(await reconcileFindings(c, this.bulkMode, run.id, { where: chunk.where.replace(/patient_key/g, 'f.patient_key'), values: chunk.values }, historyRules.map((r) => r.id), found));
        ms.write += Date.now() - t;
      }
      this.logger.debug(`run ${run.id}: patient pass over ${chunks.length} chunk(s): read ${ms.read} ms, evaluate ${ms.evaluate} ms, write ${ms.write} ms`);
    }
    const t1 = Date.now();

    if (periodRules.length > 0 && months.length > 0) {
      // The touched months' claims the patient pass did not read.
      if (patientsCovered !== 'all') {
        const rest = await readClaimsWithDigests(
          c,
          patientsCovered === 'listed'
            ? 'c.settle_month = ANY($1::date[]) AND NOT EXISTS (SELECT 1 FROM tmp_touched_patient t WHERE t.k = c.patient_key)'
            : 'c.settle_month = ANY($1::date[])',
          [months],
          true,
        );
        screenMonths(rest);
      }
      countByCategory(periodHits, hits);
      add(await reconcileFindings(c, this.bulkMode, run.id, { where: 'f.settle_month = ANY($1::date[])', values: [months] }, periodRules.map((r) => r.id), periodHits));
    }
    const t2 = Date.now();
    total.retired += await retireSuperseded(c, run.importId);

    const batches = await c.query<{ claims: number; lines: number; inserted: number; updated: number; retired: number; hits: Record<string, number> }>(
      'SELECT claims, lines, inserted, updated, retired, hits FROM screening_batch WHERE run_id = $1',
      [run.id],
    );
    const counts: ScreeningCounts = { claims: 0, lines: 0, hits, inserted: total.inserted, updated: total.updated, retired: total.retired };
    for (const b of batches.rows) {
      counts.claims += b.claims;
      counts.lines += b.lines;
      counts.inserted += b.inserted;
      counts.updated += b.updated;
      counts.retired += b.retired;
      for (const [k, v] of Object.entries(b.hits)) hits[k] = (hits[k] ?? 0) + v;
    }
    await c.query(`UPDATE screening_run SET status = 'completed', counts = $2, finished_at = clock_timestamp(), error = NULL, updated_at = clock_timestamp() WHERE id = $1`, [
      run.id,
      JSON.stringify(counts),
    ]);
    this.logger.log(`run ${run.id} completed: ${counts.claims} claims; history ${t1 - t0} ms, period ${t2 - t1} ms`);

    return counts;
  }

  /** Enqueues the scoring of the months a run touched (one job per run); its handle, or null when there is nothing to score. */
  async requestScoring(run: ScreeningRun) {
    const touched = this.touchedClaims(run);
    const periods = (
      (await this.ds.query(
        touched
          ? `SELECT DISTINCT to_char(settle_month, 'YYYY-MM') AS p FROM claim WHERE claim_id IN (${touched.sql})`
          : `SELECT DISTINCT to_char(settle_month, 'YYYY-MM') AS p FROM claim WHERE is_current`,
        touched ? touched.args : [],
      )) as { p: string }[]
    )
      .map((r) => r.p)
      .sort();
    return periods.length ? this.jobs.enqueue('score.periods', { periods }, `score-${run.id}`) : null;
  }

  /** Marks a run failed when a job finally gives up (so `screen` shows it and can re-plan it). */
  async markFailed(runId: string, message: string): Promise<void> {
    await this.ds.query(`UPDATE screening_run SET status = 'failed', error = $2, updated_at = now() WHERE id = $1 AND status <> 'completed'`, [runId, message]);
  }

  /** Current rules (for the engine's in-memory uses, e.g. backtests). */
  compiledRules(): readonly CompiledRule[] {
    return this.library.rules;
  }
}
