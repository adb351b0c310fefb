import { Logger } from '@nestjs/common';
import { PoolClient } from 'pg';
import { BulkColumn, openBulkSink } from '../database/bulk-writer';
import { openRejectionSink } from './rejection-sink';
import { formatFen } from './fields';
import { claimStageValues, itemStageValues, Pseudonymizer, stageHash, validateClaimItemRow, validateClaimRow } from './claim-rows';
import { ClaimImportCounts, RejectionReason } from './import-run.entity';
import { FILE_SPECS, ParseOptions, RowProblem } from './interchange';
import { InputRow, TabularInput } from './tabular-input';

export interface ImportProgress {
  (event: { phase: string; done: number; total: number }): void;
}

export interface ClaimsImportOptions {
  importId: string;
  bulkMode: 'copy' | 'unnest';
  parse: ParseOptions;
  pseudonymizer: Pseudonymizer;
  onProgress?: ImportProgress;
  /** Runs inside the merge transaction after the data is written (e.g. to mark the run done). */
  beforeCommit?: (client: PoolClient, counts: ClaimImportCounts) => Promise<void>;
}

/** Per-claim outcome, for callers that answer claim by claim (the JSON API). */
export interface ClaimOutcome {
  claimId: string | null;
  line: number;
  outcome: 'new' | 'corrected' | 'unchanged' | 'rejected';
  version?: number;
  reasons?: RejectionReason[];
}

// Staging lives in temporary tables of the import's own connection: no WAL, gone if the worker dies.
const STAGE_CLAIM: BulkColumn[] = [
  { name: 'line', type: 'integer' },
  { name: 'errors', type: 'jsonb' },
  { name: 'record', type: 'jsonb' },
  // From here on, the columns of claimStageValues().
  { name: 'claim_id', type: 'text' },
  { name: 'institution_code', type: 'text' },
  { name: 'physician_code', type: 'text' },
  { name: 'patient_key', type: 'text' },
  { name: 'patient_gender', type: 'text' },
  { name: 'patient_birth_date', type: 'date' },
  { name: 'insurance_type', type: 'text' },
  { name: 'visit_type', type: 'text' },
  { name: 'admission_date', type: 'date' },
  { name: 'discharge_date', type: 'date' },
  { name: 'primary_diagnosis', type: 'text' },
  { name: 'secondary_diagnoses', type: 'text' },
  { name: 'discharge_status', type: 'text' },
  { name: 'total_fen', type: 'bigint' },
  { name: 'fund_fen', type: 'bigint' },
  { name: 'self_fen', type: 'bigint' },
  { name: 'settled_at', type: 'timestamptz' },
  { name: 'settle_month', type: 'date' },
  { name: 'insured_region', type: 'text' },
  { name: 'service_region', type: 'text' },
  { name: 'h1', type: 'integer' },
  { name: 'h2', type: 'integer' },
];

const STAGE_ITEM: BulkColumn[] = [
  { name: 'line', type: 'integer' },
  { name: 'errors', type: 'jsonb' },
  { name: 'record', type: 'jsonb' },
  // From here on, the columns of itemStageValues().
  { name: 'claim_id', type: 'text' },
  { name: 'item_seq', type: 'integer' },
  { name: 'item_code', type: 'text' },
  { name: 'item_name', type: 'text' },
  { name: 'service_date', type: 'date' },
  { name: 'unit_price_fen', type: 'bigint' },
  { name: 'quantity', type: 'numeric' },
  { name: 'amount_fen', type: 'bigint' },
  { name: 'days_supply', type: 'integer' },
  { name: 'h1', type: 'integer' },
  { name: 'h2', type: 'integer' },
];

/**
 * Parsing runs on resolved promises only, which starve timers: let them run now and then, or the
 * queue's lock renewal would be late and another worker would take the job over.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const ddl = (table: string, cols: BulkColumn[]) =>
  `CREATE TEMP TABLE ${table} (${cols.map((c) => `"${c.name}" ${c.type === 'char' ? 'text' : c.type}`).join(', ')})`;

/** Serialises a problem list for the stage (file and line are added when reasons are built). */
function problemsJson(row: InputRow, problems: RowProblem[]): string {
  const all = row.shapeProblem ? [{ column: null, value: null, reason: row.shapeProblem }, ...problems] : problems;
  return JSON.stringify(all);
}

function rawRecord(file: 'claims' | 'claim_items', row: InputRow, pseudonymizer: Pseudonymizer): string {
  const rec: Record<string, string> = {};
  for (const c of FILE_SPECS[file]) {
    const v = row.get(c.name);
    if (v !== undefined && v !== '') rec[c.name] = c.name === 'patient_id' ? `pseudonym:${pseudonymizer.patientKey(v)}` : v;
  }
  return JSON.stringify(rec);
}

/**
 * Imports claims and their lines: stream → validate row by row → stage (COPY) → one set-based merge
 * in a single transaction. The merge is serialised by an advisory lock, so two imports of the same
 * files at once store every claim once; a retry after a crash starts again from clean staging.
 */
export class ClaimsImporter {
  private readonly logger = new Logger('ClaimsImport');
  private t0 = Date.now();

  /** Logs how long each phase took (debug level): where an import spends its time. */
  private lap(phase: string) {
    const now = Date.now();
    this.logger.debug(`${this.opts.importId} ${phase}: ${now - this.t0} ms`);
    this.t0 = now;
  }

  constructor(
    private readonly client: PoolClient,
    private readonly opts: ClaimsImportOptions,
  ) {}

  async run(claims: TabularInput, items: TabularInput): Promise<{ counts: ClaimImportCounts; outcomes: ClaimOutcome[] | null }> {
    const drop = 'DROP TABLE IF EXISTS s_claim, s_item, m_items, m_claim, m_accept, m_new';
    await this.client.query(drop);
    try {
      await this.client.query(ddl('s_claim', STAGE_CLAIM));
      await this.client.query(ddl('s_item', STAGE_ITEM));
      const total = claims.sizeBytes + items.sizeBytes;
      const progress = (phase: string) => this.opts.onProgress?.({ phase, done: claims.bytesRead() + items.bytesRead(), total });
      const { parse, pseudonymizer } = this.opts;
      this.t0 = Date.now();
      const claimsReceived = await this.stage('s_claim', STAGE_CLAIM, claims, 'claims', progress, (row) => {
        const r = validateClaimRow(row.get, parse, pseudonymizer);
        return r.row ? { values: claimStageValues(r.row) } : { problems: r.problems };
      });
      this.lap('stage claims');
      const linesReceived = await this.stage('s_item', STAGE_ITEM, items, 'claim_items', progress, (row) => {
        const r = validateClaimItemRow(row.get, parse);
        return r.row ? { values: itemStageValues(r.row) } : { problems: r.problems };
      });
      this.lap('stage lines');
      progress('merge');
      // Temporary tables get no statistics by themselves; the merge's join plans need them.
      await this.client.query('ANALYZE s_claim, s_item');
      return await this.merge(claims.file, items.file, claimsReceived, linesReceived);
    } finally {
      await this.client.query(drop);
    }
  }

  /**
   * Streams one file into its stage table: a valid row as its canonical values plus their text (for
   * the identity hash), an invalid one as its problems and the record as received.
   */
  private async stage(
    table: string,
    columns: BulkColumn[],
    input: TabularInput,
    file: 'claims' | 'claim_items',
    progress: (phase: string) => void,
    check: (row: InputRow) => { values: (string | number | null)[] } | { problems: RowProblem[] },
  ): Promise<number> {
    const sink = openBulkSink(this.client, table, columns, this.opts.bulkMode);
    const empty = columns.slice(4).map(() => null);
    let n = 0;
    for await (const batch of input.batches) {
      for (const row of batch) {
        const checked = check(row);
        if ('values' in checked && !row.shapeProblem) {
          await sink.write([row.line, null, null, ...checked.values, ...stageHash(checked.values)]);
        } else {
          const problems = 'problems' in checked ? checked.problems : [];
          const claimId = row.get('claim_id')?.trim().slice(0, 64) || null;
          await sink.write([row.line, problemsJson(row, problems), rawRecord(file, row, this.opts.pseudonymizer), claimId, ...empty]);
        }
      }
      n += batch.length;
      progress(file === 'claims' ? 'claims' : 'lines');
      await yieldToEventLoop();
    }
    await sink.end();
    return n;
  }

  private async merge(claimsFile: string, itemsFile: string, claimsReceived: number, linesReceived: number) {
    const c = this.client;
    const { importId } = this.opts;
    await c.query('BEGIN');
    try {
      // The merge aggregates and joins a whole file at once: with the default 4 MB it spills to disk.
      await c.query(`SET LOCAL work_mem = '256MB'`);
      // One merge at a time across all workers: concurrent imports of the same claims store them once.
      await c.query('SELECT pg_advisory_xact_lock(7270001)');
      // Content hash of a claim: its own digest and the sums of its lines' digests (see stageHash).
      await c.query(`
        CREATE TEMP TABLE m_items AS
        SELECT claim_id, count(*) AS n, sum(amount_fen) AS amount_fen, bool_or(errors IS NOT NULL) AS bad_rows,
               sum(h1) AS h1, sum(h2) AS h2
        FROM s_item WHERE claim_id IS NOT NULL
        GROUP BY claim_id`);
      await c.query(`
        CREATE TEMP TABLE m_claim AS
        SELECT s.line, s.claim_id,
               coalesce(s.errors IS NOT NULL OR d.n > 1 OR i.bad_rows OR q.claim_id IS NOT NULL
                        OR abs(s.total_fen - coalesce(i.amount_fen, 0)) > 1, true) AS rejected,
               md5(s.h1 || ':' || s.h2 || ':' || coalesce(i.n, 0) || ':' || coalesce(i.h1, 0) || ':' || coalesce(i.h2, 0)) AS content_hash
        FROM s_claim s
        LEFT JOIN (SELECT claim_id, count(*) AS n FROM s_claim GROUP BY claim_id) d ON d.claim_id = s.claim_id
        LEFT JOIN m_items i ON i.claim_id = s.claim_id
        LEFT JOIN (SELECT DISTINCT claim_id FROM s_item GROUP BY claim_id, item_seq HAVING count(*) > 1) q ON q.claim_id = s.claim_id`);

      this.lap('check claims');
      const rejectedClaims = await this.rejectClaims(claimsFile, itemsFile);
      const orphanLines = await this.rejectOrphans(claimsFile, itemsFile);
      this.lap('rejections');

      await c.query(`
        CREATE TEMP TABLE m_accept AS
        SELECT m.claim_id, m.line, m.content_hash, h.version AS old_version, h.current_claim_pk AS old_pk,
               CASE WHEN h.claim_id IS NULL THEN 'new' WHEN h.content_hash = m.content_hash THEN 'unchanged' ELSE 'corrected' END AS outcome
        FROM m_claim m LEFT JOIN claim_head h ON h.claim_id = m.claim_id
        WHERE NOT m.rejected`);
      await c.query(`
        UPDATE claim SET is_current = false, superseded_at = now()
        FROM m_accept a WHERE a.outcome = 'corrected' AND claim.id = a.old_pk`);
      await c.query(`
        CREATE TEMP TABLE m_new AS
        WITH ins AS (
          INSERT INTO claim (claim_id, version, content_hash, import_id, is_current, institution_code, physician_code, patient_key,
            patient_gender, patient_birth_date, insurance_type, visit_type, admission_date, discharge_date, primary_diagnosis,
            secondary_diagnoses, discharge_status, total_amount, fund_paid, self_paid, settled_at, settle_month, insured_region, service_region)
          SELECT s.claim_id, coalesce(a.old_version, 0) + 1, a.content_hash, $1, true, s.institution_code, s.physician_code, s.patient_key,
            s.patient_gender, s.patient_birth_date, s.insurance_type, s.visit_type, s.admission_date, s.discharge_date, s.primary_diagnosis,
            coalesce(string_to_array(nullif(s.secondary_diagnoses, ''), ';'), '{}'), s.discharge_status,
            s.total_fen / 100.0, s.fund_fen / 100.0, s.self_fen / 100.0, s.settled_at, s.settle_month, s.insured_region, s.service_region
          FROM m_accept a JOIN s_claim s ON s.line = a.line
          WHERE a.outcome <> 'unchanged'
          RETURNING id, claim_id, version, content_hash, settle_month)
        SELECT * FROM ins`,
        [importId],
      );
      this.lap('store claims');
      await c.query(`
        INSERT INTO claim_head (claim_id, version, content_hash, current_claim_pk, updated_at)
        SELECT claim_id, version, content_hash, id, now() FROM m_new
        ON CONFLICT (claim_id) DO UPDATE SET version = excluded.version, content_hash = excluded.content_hash,
          current_claim_pk = excluded.current_claim_pk, updated_at = excluded.updated_at`);
      const lines = await c.query(`
        INSERT INTO claim_item (claim_pk, item_seq, item_code, item_name, service_date, unit_price, quantity, amount, days_supply, settle_month)
        SELECT n.id, i.item_seq, i.item_code, i.item_name, i.service_date, i.unit_price_fen / 100.0, i.quantity, i.amount_fen / 100.0,
               i.days_supply, n.settle_month
        FROM m_new n JOIN s_item i ON i.claim_id = n.claim_id`);
      this.lap('store lines');
      const tally = await c.query<{ outcome: string; n: string }>(`SELECT outcome, count(*) AS n FROM m_accept GROUP BY outcome`);
      const by = Object.fromEntries(tally.rows.map((r) => [r.outcome, Number(r.n)]));
      const counts: ClaimImportCounts = {
        claimsReceived,
        linesReceived,
        accepted: by.new ?? 0,
        corrected: by.corrected ?? 0,
        unchanged: by.unchanged ?? 0,
        rejected: rejectedClaims.length,
        linesStored: lines.rowCount ?? 0,
        orphanLines,
      };
      const outcomes = claimsReceived <= 10_000 ? await this.outcomes(rejectedClaims) : null;
      await this.opts.beforeCommit?.(c, counts);
      await c.query('COMMIT');
      this.lap('commit');
      return { counts, outcomes };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Builds every reason of every rejected claim (its own row, its lines, the cross-checks) and keeps them. */
  private async rejectClaims(claimsFile: string, itemsFile: string): Promise<ClaimOutcome[]> {
    // Set-based (one pass over the staged lines), not a sub-query per rejected claim.
    const { rows } = await this.client.query<{ s: StagedClaim; dup_lines: number[] | null; items: StagedItem[] | null }>(`
      WITH rej AS (SELECT s.* FROM m_claim m JOIN s_claim s ON s.line = m.line WHERE m.rejected),
      rdup AS (SELECT claim_id, array_agg(line ORDER BY line) AS lines FROM s_claim
               WHERE claim_id IN (SELECT claim_id FROM rej) GROUP BY claim_id HAVING count(*) > 1),
      ritems AS (SELECT i.claim_id, jsonb_agg(to_jsonb(i) ORDER BY i.line) AS items FROM s_item i
                 WHERE i.claim_id IN (SELECT claim_id FROM rej) GROUP BY i.claim_id)
      SELECT to_jsonb(r) AS s, d.lines AS dup_lines, it.items
      FROM rej r LEFT JOIN rdup d ON d.claim_id = r.claim_id LEFT JOIN ritems it ON it.claim_id = r.claim_id
      ORDER BY r.line`);
    if (rows.length === 0) return [];
    const sink = openRejectionSink(this.client);
    const outcomes: ClaimOutcome[] = [];
    for (const { s, dup_lines, items } of rows) {
      const reasons: RejectionReason[] = [];
      for (const p of s.errors ?? []) reasons.push({ file: claimsFile, line: s.line, column: p.column, value: p.value, reason: p.reason });
      if (dup_lines) {
        reasons.push({ file: claimsFile, line: s.line, column: 'claim_id', value: s.claim_id, reason: `appears on ${dup_lines.length} rows of ${claimsFile} (lines ${dup_lines.join(', ')}); a claim may be sent once per file` });
      }
      const lines = items ?? [];
      for (const i of lines) {
        for (const p of i.errors ?? []) reasons.push({ file: itemsFile, line: i.line, column: p.column, value: p.value, reason: p.reason });
      }
      const seqLines = new Map<number, number[]>();
      for (const i of lines) if (i.item_seq !== null) seqLines.set(i.item_seq, [...(seqLines.get(i.item_seq) ?? []), i.line]);
      for (const [seq, at] of seqLines) {
        if (at.length > 1) reasons.push({ file: itemsFile, line: at[1]!, column: 'item_seq', value: String(seq), reason: `is used by ${at.length} lines of this claim (lines ${at.join(', ')}); item_seq must be unique within a claim` });
      }
      if (!s.errors && lines.every((i) => !i.errors)) {
        const sum = lines.reduce((acc, i) => acc + Number(i.amount_fen), 0);
        if (Math.abs(Number(s.total_fen) - sum) > 1) {
          reasons.push({ file: claimsFile, line: s.line, column: 'total_amount', value: formatFen(Number(s.total_fen)), reason: `differs from the sum of the claim's ${lines.length} line amounts in ${itemsFile} (${formatFen(sum)}) by more than 0.01` });
        }
      }
      const record = { ...recordOf(s), items: lines.map(recordOf) };
      await sink.write([this.opts.importId, 'claim', claimsFile, s.line, s.claim_id, JSON.stringify(reasons), JSON.stringify(record)]);
      outcomes.push({ claimId: s.claim_id, line: s.line, outcome: 'rejected', reasons });
    }
    await sink.end();
    return outcomes;
  }

  /** Lines whose claim is not in this import's claims file. */
  private async rejectOrphans(claimsFile: string, itemsFile: string): Promise<number> {
    const { rows } = await this.client.query<{ i: StagedItem }>(`
      SELECT to_jsonb(i) AS i FROM s_item i
      LEFT JOIN (SELECT DISTINCT claim_id FROM s_claim) s ON s.claim_id = i.claim_id
      WHERE s.claim_id IS NULL
      ORDER BY i.line`);
    if (rows.length === 0) return 0;
    const sink = openRejectionSink(this.client);
    for (const { i } of rows) {
      const reasons: RejectionReason[] = (i.errors ?? []).map((p) => ({ file: itemsFile, line: i.line, column: p.column, value: p.value, reason: p.reason }));
      if (i.claim_id) reasons.push({ file: itemsFile, line: i.line, column: 'claim_id', value: i.claim_id, reason: `names a claim that is not in ${claimsFile} of this import (orphan line)` });
      await sink.write([this.opts.importId, 'orphan_line', itemsFile, i.line, i.claim_id, JSON.stringify(reasons), JSON.stringify(recordOf(i))]);
    }
    await sink.end();
    return rows.length;
  }


  private async outcomes(rejected: ClaimOutcome[]): Promise<ClaimOutcome[]> {
    const { rows } = await this.client.query<{ claim_id: string; line: number; outcome: ClaimOutcome['outcome']; version: number | null }>(`
      SELECT a.claim_id, a.line, a.outcome, coalesce(n.version, a.old_version) AS version
      FROM m_accept a LEFT JOIN m_new n ON n.claim_id = a.claim_id`);
    const accepted = rows.map((r) => ({ claimId: r.claim_id, line: r.line, outcome: r.outcome, version: r.version ?? undefined }));
    return [...accepted, ...rejected].sort((a, b) => a.line - b.line);
  }
}

interface StagedRow {
  line: number;
  claim_id: string | null;
  errors: { column: string | null; value: string | null; reason: string }[] | null;
  record: Record<string, unknown> | null;
}
interface StagedClaim extends StagedRow {
  total_fen: string | number | null;
  [k: string]: unknown;
}
interface StagedItem extends StagedRow {
  item_seq: number | null;
  amount_fen: string | number | null;
  [k: string]: unknown;
}

const FEN_COLUMNS: Record<string, string> = {
  total_fen: 'total_amount',
  fund_fen: 'fund_paid',
  self_fen: 'self_paid',
  unit_price_fen: 'unit_price',
  amount_fen: 'amount',
};
const INTERNAL = new Set(['line', 'errors', 'record', 'settle_month', 'h1', 'h2']);

/** The record as received: the raw fields of an invalid row, or the canonical fields of a valid one. */
function recordOf(s: StagedRow & Record<string, unknown>): Record<string, unknown> {
  if (s.record) return { line: s.line, ...s.record };
  const out: Record<string, unknown> = { line: s.line };
  for (const [k, v] of Object.entries(s)) {
    if (INTERNAL.has(k) || v === null) continue;
    if (k in FEN_COLUMNS) out[FEN_COLUMNS[k]!] = formatFen(Number(v));
    else if (k === 'patient_key') out.patient_id = `pseudonym:${String(v)}`;
    else out[k] = v;
  }
  return out;
}
