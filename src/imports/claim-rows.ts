import { createHmac } from 'node:crypto';
import { amountMatches, formatFen, ParsedDecimal, ParsedTimestamp } from './fields';
import { ParseOptions, RowProblem, validateRow } from './interchange';

/** A claim row that passed every row-level check, in canonical form. */
export interface ClaimRow {
  claimId: string;
  institutionCode: string;
  physicianCode: string | null;
  patientKey: string;
  patientGender: 'M' | 'F';
  patientBirthDate: string;
  insuranceType: 'employee' | 'resident';
  visitType: 'outpatient' | 'inpatient' | 'pharmacy';
  admissionDate: string;
  dischargeDate: string;
  primaryDiagnosis: string | null;
  secondaryDiagnoses: string[];
  dischargeStatus: string | null;
  totalFen: number;
  fundPaidFen: number;
  selfPaidFen: number;
  settledAt: string;
  settleMonth: string;
  insuredRegion: string | null;
  serviceRegion: string | null;
}

export interface ClaimItemRow {
  claimId: string;
  itemSeq: number;
  itemCode: string;
  itemName: string | null;
  serviceDate: string;
  unitPriceFen: number;
  quantity: string;
  amountFen: number;
  daysSupply: number | null;
}

export type RowResult<T> = { row: T; problems: [] } | { row: null; problems: RowProblem[] };

/** 假名化: patient ids are replaced at import by a keyed hash; the clear id is never stored. */
export class Pseudonymizer {
  // A person has many claims: remember recent keys (bounded, so memory stays flat).
  private cache = new Map<string, string>();

  constructor(private readonly key: string) {}

  /** 128-bit hex key of a person number (trimmed, case-insensitive like every code). */
  patientKey(patientId: string): string {
    const id = patientId.trim().toUpperCase();
    let k = this.cache.get(id);
    if (k === undefined) {
      k = createHmac('sha256', this.key).update(id).digest('hex').slice(0, 32);
      if (this.cache.size >= 200_000) this.cache = new Map();
      this.cache.set(id, k);
    }
    return k;
  }
}

/** Validates one claims.csv row: every field, then the claim's own cross-field rules. */
export function validateClaimRow(
  get: (column: string) => string | undefined,
  opts: ParseOptions,
  pseudonymizer: Pseudonymizer,
): RowResult<ClaimRow> {
  const { values: v, problems } = validateRow('claims', get, opts);
  const total = v.total_amount as number | undefined;
  const fund = v.fund_paid as number | undefined;
  const self = v.self_paid as number | undefined;
  if (total !== undefined && fund !== undefined && self !== undefined && Math.abs(total - (fund + self)) > 1) {
    problems.push({
      column: 'total_amount',
      value: formatFen(total),
      reason: `differs from fund_paid + self_paid = ${formatFen(fund + self)} by more than 0.01`,
    });
  }
  const adm = v.admission_date as string | undefined;
  const dis = v.discharge_date as string | undefined;
  if (adm && dis && dis < adm) {
    problems.push({ column: 'discharge_date', value: dis, reason: `precedes admission_date ${adm}` });
  }
  if (problems.length > 0) return { row: null, problems };
  const settled = v.settled_at as ParsedTimestamp;
  return {
    row: {
      claimId: v.claim_id as string,
      institutionCode: v.institution_code as string,
      physicianCode: (v.physician_code as string | undefined) ?? null,
      patientKey: pseudonymizer.patientKey(v.patient_id as string),
      patientGender: v.patient_gender as 'M' | 'F',
      patientBirthDate: v.patient_birth_date as string,
      insuranceType: v.insurance_type as 'employee' | 'resident',
      visitType: v.visit_type as ClaimRow['visitType'],
      admissionDate: adm!,
      dischargeDate: dis!,
      primaryDiagnosis: (v.primary_diagnosis as string | undefined) ?? null,
      secondaryDiagnoses: (v.secondary_diagnoses as string[] | undefined) ?? [],
      dischargeStatus: (v.discharge_status as string | undefined) ?? null,
      totalFen: total!,
      fundPaidFen: fund!,
      selfPaidFen: self!,
      settledAt: settled.iso,
      settleMonth: settled.month,
      insuredRegion: (v.insured_region as string | undefined) ?? null,
      serviceRegion: (v.service_region as string | undefined) ?? null,
    },
    problems: [],
  };
}

/** Validates one claim_items.csv row, including amount = unit_price × quantity (±0.01). */
export function validateClaimItemRow(get: (column: string) => string | undefined, opts: ParseOptions): RowResult<ClaimItemRow> {
  const { values: v, problems } = validateRow('claim_items', get, opts);
  const price = v.unit_price as number | undefined;
  const qty = v.quantity as ParsedDecimal | undefined;
  const amount = v.amount as number | undefined;
  if (price !== undefined && qty !== undefined && amount !== undefined && !amountMatches(amount, price, qty)) {
    problems.push({
      column: 'amount',
      value: formatFen(amount),
      reason: `differs from unit_price × quantity = ${formatFen(price)} × ${qty.text} by more than 0.01`,
    });
  }
  if (problems.length > 0) return { row: null, problems };
  return {
    row: {
      claimId: v.claim_id as string,
      itemSeq: v.item_seq as number,
      itemCode: v.item_code as string,
      itemName: (v.item_name as string | undefined) ?? null,
      serviceDate: v.service_date as string,
      unitPriceFen: price!,
      quantity: qty!.text,
      amountFen: amount!,
      daysSupply: (v.days_supply as number | undefined) ?? null,
    },
    problems: [],
  };
}

/**
 * The values a valid claim is staged with, in canonical form (codes upper case, money in fen, the
 * settlement instant in UTC). Two rows with the same values are the same content: the import's
 * "identical re-submission" is decided on exactly these (hashed in SQL with the claim's lines).
 */
export function claimStageValues(c: ClaimRow): (string | number | null)[] {
  return [
    c.claimId, c.institutionCode, c.physicianCode, c.patientKey, c.patientGender, c.patientBirthDate, c.insuranceType,
    c.visitType, c.admissionDate, c.dischargeDate, c.primaryDiagnosis, c.secondaryDiagnoses.join(';'), c.dischargeStatus,
    c.totalFen, c.fundPaidFen, c.selfPaidFen, new Date(c.settledAt).toISOString(), c.settleMonth, c.insuredRegion, c.serviceRegion,
  ];
}

/** The values a valid line is staged with, in canonical form (quantity "1.50" → "1.5"). */
export function itemStageValues(i: ClaimItemRow): (string | number | null)[] {
  return [i.claimId, i.itemSeq, i.itemCode, i.itemName, i.serviceDate, i.unitPriceFen, i.quantity, i.amountFen, i.daysSupply];
}

/** The staged values as one text (a separator no field holds; NULL marked apart from ""). */
export function stageText(values: readonly (string | number | null)[]): string {
  let t = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    t += (i ? '\x1f' : '') + (v === null ? '\x01' : v);
  }
  return t;
}

/**
 * A 64-bit digest of staged values, as two 32-bit integers (cyrb53's two multiply-xorshift lanes).
 * "Identical re-submission" compares claims by their values' digest plus the sums of their lines'
 * digests: sums need no per-claim sort of a million lines and ignore line order (a line is named by
 * its item_seq, which its values hold). Computed here, where the values are at hand: 0.2 µs a row,
 * where md5 in PostgreSQL costs ~2 µs; our own function, so it never changes under an upgrade.
 */
export function stageHash(values: readonly (string | number | null)[]): [number, number] {
  const text = stageText(values);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 | 0, h2 | 0];
}
