import { PoolClient } from 'pg';
import { benfordMad } from './features';

/**
 * Feature extraction in SQL, per settlement month, over current claims: one grouped pass over the
 * claims, one over their lines (joined to the catalog), window functions for readmissions and
 * revisits, and the open findings. Values come back as numbers (float8) or null.
 */

export interface InstitutionRow {
  code: string;
  period: string;
  kind: string;
  level: number;
  region: string | null;
  features: Record<string, number | null>;
}

export interface PhysicianRow {
  code: string;
  period: string;
  institutionCode: string;
  specialty: string | null;
  features: Record<string, number | null>;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const ratio = (a: unknown, b: unknown): number | null => (num(b) ? (num(a) ?? 0) / (num(b) as number) : null);

/** Line-level aggregates by `key` (an expression over claim `c`), for the months given. */
function lineAggregates(key: string): string {
  return `SELECT ${key} AS code, c.settle_month,
      count(*) AS lines,
      sum(i.amount) AS amount,
      sum(i.amount) FILTER (WHERE k.kind = 'drug') AS drug,
      sum(i.amount) FILTER (WHERE k.kind = 'consumable') AS consumable,
      sum(i.amount) FILTER (WHERE k.kind = 'service') AS service,
      count(*) FILTER (WHERE k.price_ceiling > 0) AS with_ceiling,
      count(*) FILTER (WHERE k.price_ceiling > 0 AND i.unit_price >= 0.95 * k.price_ceiling) AS near_ceiling,
      avg(i.quantity / k.max_daily_qty) FILTER (WHERE k.max_daily_qty > 0) AS qty_to_limit,
      array[${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => `count(*) FILTER (WHERE substring(i.amount::text from '[1-9]') = '${d}')`).join(', ')}] AS digits
    FROM claim c JOIN claim_item i ON i.claim_pk = c.id LEFT JOIN catalog_item k ON k.code = i.item_code
    WHERE c.is_current AND c.settle_month = ANY($1::date[]) ${key.includes('physician') ? 'AND c.physician_code IS NOT NULL' : ''}
    GROUP BY 1, 2`;
}

function findingAggregates(key: string): string {
  return `SELECT ${key} AS code, settle_month, count(*) AS findings, sum(amount_at_risk) AS at_risk
    FROM finding f WHERE status IN ('open', 'confirmed') AND settle_month = ANY($1::date[]) ${key.includes('physician') ? 'AND physician_code IS NOT NULL' : ''}
    GROUP BY 1, 2`;
}

/**
 * Case mix: what each claim would cost (and how long it would stay) at the month-wide median for its
 * visit type and 3-character primary diagnosis; summed per entity and compared with what it did cost.
 */
function caseMix(key: string): string {
  return `SELECT ${key} AS code, c.settle_month,
      sum(c.total_amount) / nullif(sum(e.cost), 0) AS cost_index,
      sum(c.discharge_date - c.admission_date) FILTER (WHERE c.visit_type = 'inpatient')
        / nullif(sum(e.stay) FILTER (WHERE c.visit_type = 'inpatient'), 0) AS stay_index
    FROM claim c JOIN (
      SELECT settle_month, visit_type, coalesce(left(primary_diagnosis, 3), '-') AS dx,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY total_amount) AS cost,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY discharge_date - admission_date) AS stay
      FROM claim WHERE is_current AND settle_month = ANY($1::date[]) GROUP BY 1, 2, 3) e
      ON e.settle_month = c.settle_month AND e.visit_type = c.visit_type AND e.dx = coalesce(left(c.primary_diagnosis, 3), '-')
    WHERE c.is_current AND c.settle_month = ANY($1::date[]) ${key.includes('physician') ? 'AND c.physician_code IS NOT NULL' : ''}
    GROUP BY 1, 2`;
}

/** Readmissions (any institution, next admission 0–15 / 0–31 days after discharge) and 7-day revisits, flagged per claim. */
const EPISODES = `
  SELECT id, institution_code, physician_code, settle_month, visit_type,
    CASE WHEN visit_type = 'inpatient' THEN
      (lead(admission_date) OVER (PARTITION BY patient_key, visit_type = 'inpatient' ORDER BY admission_date, id) - discharge_date) END AS readmit_gap,
    CASE WHEN visit_type = 'outpatient' THEN
      (lead(admission_date) OVER (PARTITION BY patient_key, institution_code, visit_type = 'outpatient' ORDER BY admission_date, id) - admission_date) END AS revisit_gap
  FROM claim WHERE is_current AND visit_type IN ('inpatient', 'outpatient')`;

/** The columns and joins both entity queries share (CTEs lines, episodes, found and mix over base b). */
const SHARED_COLUMNS = 'l.lines, l.amount, l.drug, l.consumable, l.service, l.with_ceiling, l.near_ceiling, l.qty_to_limit, l.digits, fd.findings, fd.at_risk, mx.cost_index';
const SHARED_JOINS = ['lines l', 'episodes e', 'found fd', 'mix mx']
  .map((t) => `LEFT JOIN ${t} ON ${t.split(' ')[1]}.code = b.code AND ${t.split(' ')[1]}.settle_month = b.settle_month`)
  .join('\n     ')
  .concat('\n     ORDER BY b.settle_month, b.code');

export async function institutionFeatures(client: PoolClient, months: readonly string[]): Promise<InstitutionRow[]> {
  const { rows } = await client.query(
    `WITH base AS (
       SELECT c.institution_code AS code, c.settle_month,
         count(*) AS claims, count(DISTINCT c.patient_key) AS patients,
         avg(c.total_amount) AS cost_per_claim,
         avg(c.total_amount) FILTER (WHERE c.visit_type = 'outpatient') AS cost_outpatient,
         avg(c.total_amount) FILTER (WHERE c.visit_type = 'inpatient') AS cost_inpatient,
         avg(c.total_amount) FILTER (WHERE c.visit_type = 'pharmacy') AS cost_pharmacy,
         avg(c.discharge_date - c.admission_date) FILTER (WHERE c.visit_type = 'inpatient') AS avg_stay,
         sum(c.fund_paid) AS fund_paid, sum(c.total_amount) AS total
       FROM claim c WHERE c.is_current AND c.settle_month = ANY($1::date[]) GROUP BY 1, 2),
     lines AS (${lineAggregates('c.institution_code')}),
     episodes AS (
       SELECT institution_code AS code, settle_month,
         count(*) FILTER (WHERE visit_type = 'inpatient') AS inpatient,
         count(*) FILTER (WHERE readmit_gap BETWEEN 0 AND 15) AS readmit_15,
         count(*) FILTER (WHERE readmit_gap BETWEEN 0 AND 31) AS readmit_31,
         count(*) FILTER (WHERE visit_type = 'outpatient') AS outpatient,
         count(*) FILTER (WHERE revisit_gap BETWEEN 1 AND 7) AS revisit_7
       FROM (${EPISODES}) e WHERE settle_month = ANY($1::date[]) GROUP BY 1, 2),
     found AS (${findingAggregates('f.institution_code')}),
     mix AS (${caseMix('c.institution_code')})
     SELECT b.*, to_char(b.settle_month, 'YYYY-MM') AS period, inst.kind, coalesce(inst.level, 0) AS level, inst.region, mx.stay_index,
       ${SHARED_COLUMNS}, e.inpatient, e.readmit_15, e.readmit_31, e.outpatient, e.revisit_7
     FROM base b
     LEFT JOIN institution inst ON inst.code = b.code
     ${SHARED_JOINS}`,
    [months],
  );
  return rows.map((r) => ({
    code: r.code,
    period: r.period,
    kind: r.kind ?? 'unknown',
    level: Number(r.level ?? 0),
    region: r.region ?? null,
    features: {
      ...commonFeatures(r),
      cost_outpatient: num(r.cost_outpatient),
      cost_inpatient: num(r.cost_inpatient),
      cost_pharmacy: num(r.cost_pharmacy),
      avg_stay: num(r.avg_stay),
      stay_index: num(r.stay_index),
      readmit_15: ratio(r.readmit_15, r.inpatient),
      readmit_31: ratio(r.readmit_31, r.inpatient),
      revisit_7: ratio(r.revisit_7, r.outpatient),
    },
  }));
}

/** Features both entity types share. */
function commonFeatures(r: Record<string, unknown>): Record<string, number | null> {
  return {
    claims: num(r.claims),
    patients: num(r.patients),
    claims_per_patient: ratio(r.claims, r.patients),
    cost_per_claim: num(r.cost_per_claim),
    lines_per_claim: ratio(r.lines, r.claims),
    drug_share: ratio(r.drug, r.amount),
    consumable_share: ratio(r.consumable, r.amount),
    service_share: ratio(r.service, r.amount),
    near_ceiling_share: ratio(r.near_ceiling, r.with_ceiling),
    qty_to_limit: num(r.qty_to_limit),
    findings_per_claim: ratio(r.findings, r.claims),
    risk_per_yuan: ratio(r.at_risk, r.fund_paid),
    fund_share: ratio(r.fund_paid, r.total),
    cost_index: num(r.cost_index),
    benford_mad: r.digits ? benfordMad((r.digits as unknown[]).map(Number)) : null,
  };
}

export async function physicianFeatures(client: PoolClient, months: readonly string[]): Promise<PhysicianRow[]> {
  const { rows } = await client.query(
    `WITH base AS (
       SELECT c.physician_code AS code, c.settle_month,
         count(*) AS claims, count(DISTINCT c.patient_key) AS patients,
         avg(c.total_amount) AS cost_per_claim,
         sum(c.fund_paid) AS fund_paid, sum(c.total_amount) AS total,
         count(DISTINCT c.admission_date) AS days
       FROM claim c WHERE c.is_current AND c.physician_code IS NOT NULL AND c.settle_month = ANY($1::date[]) GROUP BY 1, 2),
     lines AS (${lineAggregates('c.physician_code')}),
     episodes AS (
       SELECT physician_code AS code, settle_month,
         count(*) FILTER (WHERE visit_type = 'outpatient') AS outpatient,
         count(*) FILTER (WHERE revisit_gap BETWEEN 1 AND 7) AS revisit_7
       FROM (${EPISODES}) e WHERE physician_code IS NOT NULL AND settle_month = ANY($1::date[]) GROUP BY 1, 2),
     found AS (${findingAggregates('f.physician_code')}),
     mix AS (${caseMix('c.physician_code')})
     SELECT b.*, to_char(b.settle_month, 'YYYY-MM') AS period, p.institution_code, p.specialty,
       ${SHARED_COLUMNS}, e.outpatient, e.revisit_7
     FROM base b
     LEFT JOIN physician p ON p.code = b.code
     ${SHARED_JOINS}`,
    [months],
  );
  return rows.map((r) => ({
    code: r.code,
    period: r.period,
    institutionCode: r.institution_code ?? '',
    specialty: r.specialty ?? null,
    features: { ...commonFeatures(r), revisit_7: ratio(r.revisit_7, r.outpatient), patients_per_day: ratio(r.patients, r.days) },
  }));
}

/** Every settlement month with current claims, 'YYYY-MM-01'. */
export async function monthsWithClaims(client: PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ m: string }>('SELECT DISTINCT settle_month::text AS m FROM claim WHERE is_current ORDER BY 1');
  return rows.map((r) => r.m);
}
