import { createHash } from 'node:crypto';
import { PoolClient } from 'pg';
import { BulkColumn, openBulkSink } from '../database/bulk-writer';
import { RuleHit } from '../rules-engine/engine';
import { PeriodStats } from '../rules-engine/facts';
import { CatalogEntry, ClaimDigest, InstitutionEntry, KnowledgeBase, ScreenClaim, ScreenLine, VisitType, computeDigest } from '../rules-engine/model';
import { fenText } from '../rules-engine/values';
import { loadSanctionWindows } from '../physician-record/sanction-windows';
import { ClaimScope } from './screening.entities';

/**
 * The SQL side of screening: reading claims into the engine's model (dates as day numbers and
 * money as numbers straight from PostgreSQL, rows as arrays), and writing digests and findings in
 * bulk. Every function takes the client it runs on.
 */

export type BulkMode = 'copy' | 'unnest';

const EPOCH = "DATE '1970-01-01'";
const CLAIM_COLUMNS = `c.id, c.claim_id, c.institution_code, c.physician_code, c.patient_key, c.patient_gender,
  (c.patient_birth_date - ${EPOCH}), c.insurance_type, c.visit_type, (c.admission_date - ${EPOCH}), (c.discharge_date - ${EPOCH}),
  c.primary_diagnosis, array_to_string(c.secondary_diagnoses, ';'), c.discharge_status, c.total_amount::float8, c.fund_paid::float8, c.self_paid::float8,
  (extract(epoch FROM c.settled_at) * 1000)::float8, c.settle_month::text, c.insured_region, c.service_region`;
const DIGEST_COLUMNS = `d.line_count, d.items_signature, (d.first_service_date - ${EPOCH}), (d.last_service_date - ${EPOCH})`;

type ArrayRow = unknown[];

function claimOf(r: ArrayRow, digest: ClaimDigest | null, lines: ScreenLine[]): ScreenClaim {
  return {
    pk: r[0] as string,
    claimId: r[1] as string,
    institutionCode: r[2] as string,
    physicianCode: r[3] as string | null,
    patientKey: r[4] as string,
    gender: r[5] as 'M' | 'F',
    birthDay: r[6] as number,
    insuranceType: r[7] as string,
    visitType: r[8] as VisitType,
    admissionDay: r[9] as number,
    dischargeDay: r[10] as number,
    primaryDiagnosis: r[11] as string | null,
    secondaryDiagnoses: r[12] === '' ? [] : (r[12] as string).split(';'),
    dischargeStatus: r[13] as string | null,
    totalAmount: r[14] as number,
    fundPaid: r[15] as number,
    selfPaid: r[16] as number,
    settledAt: r[17] as number,
    settleMonth: r[18] as string,
    insuredRegion: r[19] as string | null,
    serviceRegion: r[20] as string | null,
    lines,
    digest: digest ?? computeDigest(lines),
  };
}

function digestOf(r: ArrayRow, at: number): ClaimDigest | null {
  if (r[at] === null) return null;
  return { lineCount: r[at] as number, itemsSignature: r[at + 1] as string, firstServiceDay: r[at + 2] as number | null, lastServiceDay: r[at + 3] as number | null };
}

/**
 * A scoped run's claims as a predicate on claim `c`, its parameters numbered from `$first`: the
 * physician's claims admitted within the window or with a line dated within it.
 */
export function scopePredicate(scope: ClaimScope, first: number): { sql: string; values: unknown[] } {
  const [p, a, b] = [first, first + 1, first + 2];
  return {
    sql: `c.physician_code = $${p} AND (c.admission_date BETWEEN $${a}::date AND $${b}::date
          OR EXISTS (SELECT 1 FROM claim_item i WHERE i.claim_pk = c.id AND i.service_date BETWEEN $${a}::date AND $${b}::date))`,
    values: [scope.physicianCode, scope.from, scope.to],
  };
}

/** The knowledge base (with the physicians' sanction windows); registry deaths only for the given patients (none when omitted). */
export async function loadKnowledgeBase(client: PoolClient, deathsFor?: readonly string[]): Promise<KnowledgeBase> {
  const catalog = new Map<string, CatalogEntry>();
  const cat = await client.query({
    text: `SELECT code, name, kind, price_ceiling::float8, gender_limit, min_age, max_age, max_daily_qty::float8, max_days_supply,
                  indications, setting_limit, exclusive_group FROM catalog_item`,
    rowMode: 'array',
  });
  for (const r of cat.rows as ArrayRow[]) {
    catalog.set(r[0] as string, {
      code: r[0] as string,
      name: r[1] as string,
      kind: r[2] as CatalogEntry['kind'],
      priceCeiling: r[3] as number | null,
      genderLimit: r[4] as CatalogEntry['genderLimit'],
      minAge: r[5] as number | null,
      maxAge: r[6] as number | null,
      maxDailyQty: r[7] as number | null,
      maxDaysSupply: r[8] as number | null,
      indications: r[9] as string[] | null,
      settingLimit: r[10] as CatalogEntry['settingLimit'],
      exclusiveGroup: r[11] as string | null,
    });
  }
  const institutions = new Map<string, InstitutionEntry>();
  const inst = await client.query({ text: 'SELECT code, kind, level, region FROM institution', rowMode: 'array' });
  for (const r of inst.rows as ArrayRow[]) institutions.set(r[0] as string, { code: r[0] as string, kind: r[1] as string, level: r[2] as number | null, region: r[3] as string });
  // Every sanction window, in one query per load (a batch, a finishing job): a small table.
  const physicianSanctions = await loadSanctionWindows(client);
  return { catalog, institutions, deaths: deathsFor ? await loadDeaths(client, deathsFor) : new Map(), physicianSanctions };
}

/** Registry death dates of the given patients. */
export async function loadDeaths(client: PoolClient, patientKeys: readonly string[]): Promise<Map<string, number>> {
  const deaths = new Map<string, number>();
  if (patientKeys.length === 0) return deaths;
  const d = await client.query({
    text: `SELECT patient_key, death_date - ${EPOCH} FROM person WHERE death_date IS NOT NULL AND patient_key = ANY($1::bpchar[])`,
    values: [patientKeys],
    rowMode: 'array',
  });
  for (const r of d.rows as ArrayRow[]) deaths.set(r[0] as string, r[1] as number);
  return deaths;
}

/** Registry deaths of every person (full runs). */
export async function loadAllDeaths(client: PoolClient, kb: KnowledgeBase): Promise<KnowledgeBase> {
  const d = await client.query({ text: `SELECT patient_key, death_date - ${EPOCH} FROM person WHERE death_date IS NOT NULL`, rowMode: 'array' });
  const deaths = new Map<string, number>();
  for (const r of d.rows as ArrayRow[]) deaths.set(r[0] as string, r[1] as number);
  return { ...kb, deaths };
}

async function readLines(client: PoolClient, where: string, values: unknown[]): Promise<Map<string, ScreenLine[]>> {
  const res = await client.query({
    text: `SELECT i.claim_pk, i.item_seq, i.item_code, (i.service_date - ${EPOCH}), i.unit_price::float8, i.quantity::float8, i.amount::float8, i.days_supply
           FROM claim_item i WHERE ${where} ORDER BY i.claim_pk, i.item_seq`,
    values,
    rowMode: 'array',
  });
  const out = new Map<string, ScreenLine[]>();
  let pk = '';
  let arr: ScreenLine[] = [];
  for (const r of res.rows as ArrayRow[]) {
    if (r[0] !== pk) {
      pk = r[0] as string;
      out.set(pk, (arr = []));
    }
    arr.push({
      seq: r[1] as number,
      code: r[2] as string,
      name: null,
      serviceDay: r[3] as number,
      unitPrice: r[4] as number,
      quantity: r[5] as number,
      amount: r[6] as number,
      daysSupply: r[7] as number | null,
    });
  }
  return out;
}

/** Current claims with ids in [fromPk, toPk] (of one import, or of a scope, when given), with their lines. */
export async function readClaimBatch(client: PoolClient, fromPk: string, toPk: string, importId: string | null, scope: ClaimScope | null = null): Promise<ScreenClaim[]> {
  const scoped = !importId && scope ? scopePredicate(scope, 3) : null;
  const res = await client.query({
    text: `SELECT ${CLAIM_COLUMNS} FROM claim c WHERE c.id BETWEEN $1 AND $2 AND c.is_current ${importId ? 'AND c.import_id = $3' : scoped ? `AND ${scoped.sql}` : ''} ORDER BY c.id`,
    values: importId ? [fromPk, toPk, importId] : scoped ? [fromPk, toPk, ...scoped.values] : [fromPk, toPk],
    rowMode: 'array',
  });
  if (res.rows.length === 0) return [];
  // A scope is sparse within its id window: read only its claims' lines.
  const lines = scoped
    ? await readLines(client, 'i.claim_pk = ANY($1::bigint[])', [(res.rows as ArrayRow[]).map((r) => r[0])])
    : await readLines(client, 'i.claim_pk BETWEEN $1 AND $2', [fromPk, toPk]);
  return (res.rows as ArrayRow[]).map((r) => claimOf(r, null, lines.get(r[0] as string) ?? []));
}

/** Current claims (claim-level data and digests, no lines) matching `where` on `c`, by patient then admission unless `unordered`. */
export async function readClaimsWithDigests(client: PoolClient, where: string, values: unknown[], unordered = false): Promise<ScreenClaim[]> {
  const res = await client.query({
    text: `SELECT ${CLAIM_COLUMNS}, ${DIGEST_COLUMNS} FROM claim c LEFT JOIN claim_digest d ON d.claim_pk = c.id
           WHERE c.is_current AND ${where} ${unordered ? '' : 'ORDER BY c.patient_key, c.admission_date, c.claim_id'}`,
    values,
    rowMode: 'array',
  });
  const rows = res.rows as ArrayRow[];
  const missing = rows.filter((r) => r[21] === null).map((r) => r[0] as string);
  const computed = missing.length > 0 ? await computeDigests(client, missing) : new Map<string, ClaimDigest>();
  return rows.map((r) => claimOf(r, digestOf(r, 21) ?? computed.get(r[0] as string) ?? computeDigest([]), []));
}

/** Digests of claims screened before (or never screened by a batch): computed from their lines. */
async function computeDigests(client: PoolClient, pks: string[]): Promise<Map<string, ClaimDigest>> {
  const lines = await readLines(client, 'i.claim_pk = ANY($1::bigint[])', [pks]);
  const out = new Map<string, ClaimDigest>();
  for (const pk of pks) out.set(pk, computeDigest(lines.get(pk) ?? []));
  return out;
}

/**
 * The statistics institution-period rules compare with, per settlement month, computed in SQL over
 * all current claims of each month (the same definitions as buildPeriodStats).
 */
export async function loadPeriodStats(client: PoolClient, months: readonly string[]): Promise<Map<string, PeriodStats>> {
  const out = new Map<string, PeriodStats>(months.map((m) => [m, { physicianDayPatients: new Map(), stayByDiagnosis: new Map() }]));
  if (months.length === 0) return out;
  const doctors = await client.query({
    text: `SELECT settle_month::text, physician_code, admission_date - ${EPOCH}, count(DISTINCT patient_key)::int
           FROM claim WHERE is_current AND settle_month = ANY($1::date[]) AND physician_code IS NOT NULL GROUP BY 1, 2, 3`,
    values: [months],
    rowMode: 'array',
  });
  for (const r of doctors.rows as ArrayRow[]) out.get(r[0] as string)?.physicianDayPatients.set(`${r[1]}|${r[2]}`, r[3] as number);
  const stays = await client.query({
    text: `SELECT settle_month::text, left(primary_diagnosis, 3), percentile_cont(0.5) WITHIN GROUP (ORDER BY discharge_date - admission_date), count(*)::int
           FROM claim WHERE is_current AND settle_month = ANY($1::date[]) AND visit_type = 'inpatient' AND primary_diagnosis IS NOT NULL GROUP BY 1, 2`,
    values: [months],
    rowMode: 'array',
  });
  for (const r of stays.rows as ArrayRow[]) out.get(r[0] as string)?.stayByDiagnosis.set(r[1] as string, { median: r[2] as number, count: r[3] as number });
  return out;
}

const DIGEST_BULK: BulkColumn[] = [
  { name: 'claim_pk', type: 'bigint' },
  { name: 'line_count', type: 'integer' },
  { name: 'items_signature', type: 'text' },
  { name: 'first_day', type: 'integer' },
  { name: 'last_day', type: 'integer' },
];

export const signatureHash = (text: string): string => createHash('md5').update(text).digest('hex');

/** Stores the digests of screened claims (a claim version's digest never changes: first write wins). */
export async function writeDigests(client: PoolClient, mode: BulkMode, claims: readonly ScreenClaim[]): Promise<void> {
  if (claims.length === 0) return;
  await client.query('CREATE TEMP TABLE IF NOT EXISTS tmp_claim_digest (claim_pk bigint, line_count integer, items_signature text, first_day integer, last_day integer)');
  await client.query('TRUNCATE tmp_claim_digest');
  const sink = openBulkSink(client, 'tmp_claim_digest', DIGEST_BULK, mode);
  for (const c of claims) {
    const d = c.digest;
    const sig = signatureHash(d.itemsSignature);
    d.itemsSignature = sig;
    await sink.write([c.pk, d.lineCount, sig, d.firstServiceDay, d.lastServiceDay]);
  }
  await sink.end();
  await client.query(
    `INSERT INTO claim_digest (claim_pk, line_count, items_signature, first_service_date, last_service_date)
     SELECT claim_pk, line_count, items_signature, ${EPOCH} + first_day, ${EPOCH} + last_day FROM tmp_claim_digest ON CONFLICT (claim_pk) DO NOTHING`,
  );
}

const FINDING_BULK: BulkColumn[] = [
  { name: 'claim_pk', type: 'bigint' },
  { name: 'claim_id', type: 'text' },
  { name: 'item_seq', type: 'integer' },
  { name: 'rule_id', type: 'text' },
  { name: 'rule_version', type: 'integer' },
  { name: 'rule_hash', type: 'text' },
  { name: 'category', type: 'text' },
  { name: 'result_type', type: 'text' },
  { name: 'severity', type: 'text' },
  { name: 'institution_code', type: 'text' },
  { name: 'physician_code', type: 'text' },
  { name: 'patient_key', type: 'text' },
  { name: 'settle_month', type: 'date' },
  { name: 'amount_at_risk', type: 'numeric' },
  { name: 'evidence', type: 'jsonb' },
  { name: 'why_zh', type: 'text' },
  { name: 'why_en', type: 'text' },
  { name: 'related_claim_id', type: 'text' },
];

export interface ReconcileCounts {
  inserted: number;
  updated: number;
  retired: number;
}

/**
 * Makes the open findings of `ruleIds` within a unit (an SQL predicate on finding `f`) equal the
 * hits just computed for that unit: new hits are inserted, changed or retired-then-back ones are
 * updated (a retired one reopened), open findings without a hit are retired. In one transaction, so a retry
 * after a failure starts from the same state; the unique subject makes it idempotent.
 */
export async function reconcileFindings(
  client: PoolClient,
  mode: BulkMode,
  runId: string,
  unit: { where: string; values: unknown[] },
  ruleIds: readonly string[],
  hits: readonly RuleHit[],
): Promise<ReconcileCounts> {
  if (ruleIds.length === 0) return { inserted: 0, updated: 0, retired: 0 };
  await client.query('BEGIN');
  try {
    await client.query(`CREATE TEMP TABLE tmp_finding (
      claim_pk bigint, claim_id text, item_seq integer, rule_id text, rule_version integer, rule_hash text, category text,
      result_type text, severity text, institution_code text, physician_code text, patient_key text, settle_month date,
      amount_at_risk numeric, evidence jsonb, why_zh text, why_en text, related_claim_id text) ON COMMIT DROP`);
    const sink = openBulkSink(client, 'tmp_finding', FINDING_BULK, mode);
    for (const h of hits) {
      const r = h.rule;
      await sink.write([
        h.claim.pk,
        h.claim.claimId,
        h.itemSeq ?? 0,
        r.id,
        r.version,
        r.hash,
        r.spec.category,
        r.spec.result,
        r.spec.severity,
        h.claim.institutionCode,
        h.claim.physicianCode,
        h.claim.patientKey,
        h.claim.settleMonth,
        fenText(h.amountFen),
        JSON.stringify(h.evidence),
        h.why.zh,
        h.why.en,
        h.relatedClaim?.claimId ?? null,
      ]);
    }
    await sink.end();
    const n = unit.values.length;
    const retired = await client.query(
      `UPDATE finding f SET status = 'retired', retired_at = now(), updated_at = now()
       WHERE ${unit.where} AND f.rule_id = ANY($${n + 1}::text[]) AND f.status = 'open'
         AND NOT EXISTS (SELECT 1 FROM tmp_finding t WHERE t.claim_pk = f.claim_pk AND t.item_seq = f.item_seq AND t.rule_id = f.rule_id)`,
      [...unit.values, ruleIds],
    );
    const up = await client.query<{ inserted: string; updated: string }>(
      `WITH up AS (
         INSERT INTO finding (claim_pk, claim_id, item_seq, rule_id, rule_version, rule_hash, category, result_type, severity, institution_code,
                              physician_code, patient_key, settle_month, amount_at_risk, evidence, why_zh, why_en, related_claim_id, status, screening_run_id)
         SELECT claim_pk, claim_id, item_seq, rule_id, rule_version, rule_hash, category, result_type, severity, institution_code,
                physician_code, patient_key, settle_month, amount_at_risk, evidence, why_zh, why_en, related_claim_id, 'open', $1
         FROM tmp_finding
         ON CONFLICT (claim_pk, item_seq, rule_id) DO UPDATE SET
           rule_version = EXCLUDED.rule_version, rule_hash = EXCLUDED.rule_hash, category = EXCLUDED.category,
           result_type = EXCLUDED.result_type, severity = EXCLUDED.severity, amount_at_risk = EXCLUDED.amount_at_risk,
           evidence = EXCLUDED.evidence, why_zh = EXCLUDED.why_zh, why_en = EXCLUDED.why_en, related_claim_id = EXCLUDED.related_claim_id,
           status = 'open', retired_at = NULL, screening_run_id = EXCLUDED.screening_run_id, updated_at = now()
         WHERE finding.status IN ('open', 'retired')
           AND (finding.status = 'retired' OR finding.rule_hash <> EXCLUDED.rule_hash OR finding.amount_at_risk <> EXCLUDED.amount_at_risk
                OR finding.evidence <> EXCLUDED.evidence OR finding.related_claim_id IS DISTINCT FROM EXCLUDED.related_claim_id)
         RETURNING (xmax = 0) AS ins)
       SELECT count(*) FILTER (WHERE ins) AS inserted, count(*) FILTER (WHERE NOT ins) AS updated FROM up`,
      [runId],
    );
    await client.query('COMMIT');
    return { inserted: Number(up.rows[0]!.inserted), updated: Number(up.rows[0]!.updated), retired: retired.rowCount ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Line and claim findings of claim versions that a correction replaced are retired. */
export async function retireSuperseded(client: PoolClient, importId: string | null): Promise<number> {
  const res = await client.query(
    `UPDATE finding f SET status = 'retired', retired_at = now(), updated_at = now()
     FROM claim c WHERE c.id = f.claim_pk AND NOT c.is_current AND f.status = 'open'
     ${importId ? 'AND f.claim_id IN (SELECT claim_id FROM claim WHERE import_id = $1)' : ''}`,
    importId ? [importId] : [],
  );
  return res.rowCount ?? 0;
}
