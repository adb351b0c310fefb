import {
  Parsed,
  parseCode,
  parseCodeList,
  parseDate,
  parseEnum,
  parseInteger,
  parseMoney,
  parsePeriod,
  parsePositiveDecimal,
  parseRegion,
  parseTimestamp,
} from './fields';

/**
 * The interchange format (v1) as data: every file, its columns, which are required and how each is
 * parsed. docs/interchange.md is the prose version; the contract is ../shared/contract/INTERCHANGE.md.
 */

export type FieldType =
  | { kind: 'text'; max?: number }
  | { kind: 'code' }
  | { kind: 'codeList' }
  | { kind: 'money' }
  | { kind: 'date' }
  | { kind: 'timestamp' }
  | { kind: 'positiveDecimal' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'region' }
  | { kind: 'period' }
  | { kind: 'enum'; values: readonly string[] };

export interface ColumnSpec {
  name: string;
  type: FieldType;
  /** true, false, or required only when another column has one of some values. */
  required: boolean | { when: string; in: readonly string[] };
}

export type InterchangeFile =
  | 'institutions'
  | 'physicians'
  | 'catalog_items'
  | 'persons'
  | 'fund_ledger'
  | 'inspectors'
  | 'claims'
  | 'claim_items';

export const REFERENCE_FILES = ['institutions', 'physicians', 'catalog_items', 'persons', 'inspectors', 'fund_ledger'] as const;
export type ReferenceFile = (typeof REFERENCE_FILES)[number];

const text = (max = 500): FieldType => ({ kind: 'text', max });
const code: FieldType = { kind: 'code' };
const money: FieldType = { kind: 'money' };
const date: FieldType = { kind: 'date' };
const region: FieldType = { kind: 'region' };
const enumOf = (...values: string[]): FieldType => ({ kind: 'enum', values });

export const VISIT_TYPES = ['outpatient', 'inpatient', 'pharmacy'] as const;
export type VisitType = (typeof VISIT_TYPES)[number];

export const FILE_SPECS: Record<InterchangeFile, ColumnSpec[]> = {
  institutions: [
    { name: 'code', type: code, required: true },
    { name: 'name', type: text(), required: true },
    { name: 'kind', type: enumOf('hospital', 'primary_care', 'clinic', 'pharmacy'), required: true },
    { name: 'level', type: { kind: 'integer', min: 0, max: 3 }, required: false },
    { name: 'ownership', type: enumOf('public', 'private'), required: false },
    { name: 'region', type: region, required: true },
  ],
  physicians: [
    { name: 'code', type: code, required: true },
    { name: 'name', type: text(), required: true },
    { name: 'institution_code', type: code, required: true },
    { name: 'specialty', type: text(200), required: false },
  ],
  catalog_items: [
    { name: 'code', type: code, required: true },
    { name: 'name', type: text(), required: true },
    { name: 'kind', type: enumOf('drug', 'service', 'consumable'), required: true },
    { name: 'price_ceiling', type: money, required: false },
    { name: 'gender_limit', type: enumOf('M', 'F'), required: false },
    { name: 'min_age', type: { kind: 'integer', min: 0, max: 150 }, required: false },
    { name: 'max_age', type: { kind: 'integer', min: 0, max: 150 }, required: false },
    { name: 'max_daily_qty', type: { kind: 'positiveDecimal' }, required: false },
    { name: 'max_days_supply', type: { kind: 'integer', min: 1, max: 3650 }, required: false },
    { name: 'indications', type: { kind: 'codeList' }, required: false },
    { name: 'setting_limit', type: enumOf('inpatient', 'outpatient'), required: false },
    { name: 'exclusive_group', type: code, required: false },
  ],
  persons: [
    { name: 'patient_id', type: text(64), required: true },
    { name: 'death_date', type: date, required: false },
  ],
  fund_ledger: [
    { name: 'period', type: { kind: 'period' }, required: true },
    { name: 'insurance_type', type: enumOf('employee', 'resident'), required: true },
    { name: 'income', type: money, required: true },
    { name: 'expenditure', type: money, required: true },
    { name: 'balance', type: money, required: true },
  ],
  inspectors: [
    { name: 'code', type: code, required: true },
    { name: 'name', type: text(), required: true },
    { name: 'unit', type: text(), required: true },
    { name: 'region', type: region, required: true },
    { name: 'conflicts', type: { kind: 'codeList' }, required: false },
  ],
  claims: [
    { name: 'claim_id', type: text(64), required: true },
    { name: 'institution_code', type: code, required: true },
    { name: 'physician_code', type: code, required: false },
    { name: 'patient_id', type: text(64), required: true },
    { name: 'patient_gender', type: enumOf('M', 'F'), required: true },
    { name: 'patient_birth_date', type: date, required: true },
    { name: 'insurance_type', type: enumOf('employee', 'resident'), required: true },
    { name: 'visit_type', type: enumOf(...VISIT_TYPES), required: true },
    { name: 'admission_date', type: date, required: true },
    { name: 'discharge_date', type: date, required: true },
    { name: 'primary_diagnosis', type: code, required: { when: 'visit_type', in: ['outpatient', 'inpatient'] } },
    { name: 'secondary_diagnoses', type: { kind: 'codeList' }, required: false },
    { name: 'discharge_status', type: enumOf('normal', 'transfer', 'death', 'other'), required: false },
    { name: 'total_amount', type: money, required: true },
    { name: 'fund_paid', type: money, required: true },
    { name: 'self_paid', type: money, required: true },
    { name: 'settled_at', type: { kind: 'timestamp' }, required: true },
    { name: 'insured_region', type: region, required: false },
    { name: 'service_region', type: region, required: false },
  ],
  claim_items: [
    { name: 'claim_id', type: text(64), required: true },
    { name: 'item_seq', type: { kind: 'integer', min: 1, max: 2_000_000_000 }, required: true },
    { name: 'item_code', type: code, required: true },
    { name: 'item_name', type: text(), required: false },
    { name: 'service_date', type: date, required: true },
    { name: 'unit_price', type: money, required: true },
    { name: 'quantity', type: { kind: 'positiveDecimal' }, required: true },
    { name: 'amount', type: money, required: true },
    { name: 'days_supply', type: { kind: 'integer', min: 1, max: 3650 }, required: false },
  ],
};

/** The twelve standard finding categories of the contract, each with exactly its written meaning. */
export const FINDING_CATEGORIES = [
  'GENDER_LIMIT',
  'AGE_LIMIT',
  'PRICE_CEILING',
  'DAILY_QTY',
  'DAYS_SUPPLY',
  'INDICATION',
  'SETTING_LIMIT',
  'EXCLUSIVE_ITEMS',
  'DUPLICATE_CLAIM',
  'SPLIT_ADMISSION',
  'OVERLAP_ADMISSION',
  'AFTER_DEATH',
] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

/** One problem with one value of one row: what the rejection lists. */
export interface RowProblem {
  column: string;
  value: string | null;
  reason: string;
}

/** Columns whose values identify a person: never echoed in a problem, a log or a rejection. */
export const IDENTIFYING_COLUMNS = new Set(['patient_id']);

export interface ParseOptions {
  defaultUtcOffset: string;
}

/** Parses one value by its type; the caller has already trimmed it and knows it is non-empty. */
export function parseField(type: FieldType, raw: string, opts: ParseOptions): Parsed<unknown> {
  switch (type.kind) {
    case 'text':
      if (type.max !== undefined && raw.length > type.max) return { ok: false, reason: `is longer than ${type.max} characters` };
      return { ok: true, value: raw };
    case 'code':
      return parseCode(raw);
    case 'codeList':
      return parseCodeList(raw);
    case 'money':
      return parseMoney(raw);
    case 'date':
      return parseDate(raw);
    case 'timestamp':
      return parseTimestamp(raw, opts.defaultUtcOffset);
    case 'positiveDecimal':
      return parsePositiveDecimal(raw);
    case 'integer':
      return parseInteger(raw, type.min, type.max);
    case 'region':
      return parseRegion(raw);
    case 'period':
      return parsePeriod(raw);
    case 'enum':
      return parseEnum(raw, type.values);
  }
}

export interface ValidatedRow {
  /** Parsed values by column name; a missing or invalid value is absent. */
  values: Record<string, unknown>;
  problems: RowProblem[];
}

/**
 * Validates one row of a file against its spec. `get` returns the raw cell (undefined when the
 * column is absent from the file). Every problem of the row is reported, not only the first.
 */
export function validateRow(file: InterchangeFile, get: (column: string) => string | undefined, opts: ParseOptions): ValidatedRow {
  const values: Record<string, unknown> = {};
  const problems: RowProblem[] = [];
  for (const col of FILE_SPECS[file]) {
    const raw = get(col.name)?.trim() ?? '';
    if (raw === '') {
      const required = typeof col.required === 'boolean' ? col.required : col.required.in.includes(String(values[col.required.when] ?? ''));
      if (required) {
        const why = typeof col.required === 'boolean' ? 'is required' : `is required when ${col.required.when} is ${String(values[col.required.when])}`;
        problems.push({ column: col.name, value: null, reason: why });
      }
      continue;
    }
    const shown = IDENTIFYING_COLUMNS.has(col.name) ? null : raw;
    if (raw.includes('\uFFFD')) {
      problems.push({ column: col.name, value: shown, reason: 'holds bytes that are not valid in the file encoding' });
      continue;
    }
    const parsed = parseField(col.type, raw, opts);
    if (parsed.ok) values[col.name] = parsed.value;
    else problems.push({ column: col.name, value: shown, reason: parsed.reason });
  }
  return { values, problems };
}

/** Columns of a file's spec that are required unconditionally (checked against the header). */
export function requiredColumns(file: InterchangeFile): string[] {
  return FILE_SPECS[file].filter((c) => c.required === true).map((c) => c.name);
}
