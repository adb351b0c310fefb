/**
 * Reference oracle for the interchange contract (INTERCHANGE.md): a deliberately plain, slow and
 * obviously-correct implementation of
 *   - the claim import checks (which claims/lines are rejected, and why), and
 *   - the twelve standard finding categories,
 * over in-memory rows exactly as they appear in the CSV files (all values strings).
 *
 * It shares no code with the demo generator on purpose: the generator labels what it planted, the
 * oracle recomputes from the files, and the tests demand that both agree. It is meant to be reused
 * as a test oracle for the real importer and rule engine.
 *
 * Numbers are exact: decimals are parsed into scaled BigInts, never binary floats.
 */

import type { FindingCategory } from '../imports/interchange';

export type Row = Readonly<Record<string, string | undefined>>;

// The contract's list of categories (data, not logic: the oracle's rules stay its own).
export { FINDING_CATEGORIES, type FindingCategory } from '../imports/interchange';

export interface OracleFinding {
  claim_id: string;
  /** null for a claim-level finding */
  item_seq: number | null;
  category: FindingCategory;
  /** yuan, two decimals */
  amount_at_risk: string;
}

export interface OracleInput {
  claims: readonly Row[];
  items: readonly Row[];
  catalog: readonly Row[];
  persons?: readonly Row[];
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: value = n / 10^SCALE_DIGITS

const SCALE_DIGITS = 8;
const SCALE = 10n ** BigInt(SCALE_DIGITS);

/** Parses "12", "-0.5", "123.45"; null when not a plain decimal (or finer than 10^-8). */
export function parseDecimal(text: string | undefined): bigint | null {
  if (text === undefined) return null;
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[3] ?? '';
  if (frac.length > SCALE_DIGITS) return null;
  const n = BigInt(m[2] as string) * SCALE + BigInt(frac.padEnd(SCALE_DIGITS, '0') || '0');
  return m[1] === '-' ? -n : n;
}

/** round(num / den) to an integer, halves away from zero; den > 0. */
function divRoundHalfUp(num: bigint, den: bigint): bigint {
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (2n * a + den) / (2n * den);
  return neg ? -q : q;
}

/** A scaled decimal (SCALE) → fen, rounded half up. */
function toFen(v: bigint): bigint {
  return divRoundHalfUp(v * 100n, SCALE);
}

function fenText(fen: bigint): string {
  const neg = fen < 0n;
  const a = neg ? -fen : fen;
  const s = `${a / 100n}.${(a % 100n).toString().padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}

/** a × b in fen (both scaled decimals), rounded half up: exact however many decimals they carry. */
const productFen = (a: bigint, b: bigint): bigint => divRoundHalfUp(a * b * 100n, SCALE * SCALE);
const ONE_FEN = SCALE / 100n;

function hasAtMostTwoDecimals(text: string): boolean {
  return /^[+-]?\d+(\.\d{1,2})?$/.test(text.trim());
}

// ---------------------------------------------------------------------------------------------
// Dates

function dayNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return Math.round(t / 86_400_000);
}

function timestamp(text: string | undefined): number | null {
  if (text === undefined) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return null;
  if (dayNumber(m[1]) === null) return null;
  const h = Number(m[2]);
  const mi = Number(m[3]);
  const s = Number(m[4] ?? '0');
  if (h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.parse(m[5] ? text.trim() : `${text.trim()}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** Completed years on `on` for someone born on `birth` (both YYYY-MM-DD); the birthday counts. */
function ageOn(birth: string, on: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [oy, om, od] = on.split('-').map(Number) as [number, number, number];
  let age = oy - by;
  if (om < bm || (om === bm && od < bd)) age--;
  return age;
}

// ---------------------------------------------------------------------------------------------
// Normalisation (INTERCHANGE: codes are trimmed and compared case-insensitively)

const code = (v: string | undefined): string => (v ?? '').trim().toUpperCase();
const text = (v: string | undefined): string => (v ?? '').trim();
const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(';')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');

// ---------------------------------------------------------------------------------------------
// Import checks

export type RejectionProblem =
  | 'missing_required'
  | 'bad_enum'
  | 'impossible_date'
  | 'bad_number'
  | 'nonpositive_quantity'
  | 'duplicate_item_seq'
  | 'total_mismatch'
  | 'items_sum_mismatch'
  | 'discharge_before_admission'
  | 'amount_mismatch'
  | 'orphan_line';

export interface BatchFiles {
  claims: readonly Row[];
  items: readonly Row[];
  /** Physical line of each row (header = line 1). Defaults to index + 2 (one record per line). */
  claimLines?: readonly number[];
  itemLines?: readonly number[];
}

export interface OracleRejection {
  batch: number;
  claim_id: string;
  file: 'claims.csv' | 'claim_items.csv';
  line: number;
  problems: RejectionProblem[];
}

export interface StoredClaims {
  claims: Row[];
  items: Row[];
  rejections: OracleRejection[];
}

const CLAIM_REQUIRED = [
  'claim_id',
  'institution_code',
  'patient_id',
  'patient_gender',
  'patient_birth_date',
  'insurance_type',
  'visit_type',
  'admission_date',
  'discharge_date',
  'total_amount',
  'fund_paid',
  'self_paid',
  'settled_at',
];
const ITEM_REQUIRED = ['claim_id', 'item_seq', 'item_code', 'service_date', 'unit_price', 'quantity', 'amount'];
const ENUMS: Record<string, readonly string[]> = {
  patient_gender: ['M', 'F'],
  insurance_type: ['employee', 'resident'],
  visit_type: ['outpatient', 'inpatient', 'pharmacy'],
  discharge_status: ['normal', 'transfer', 'death', 'other'],
};

/** Every problem of one claim with its lines, per the contract's rejection rules (empty = valid). */
export function claimProblems(claim: Row, items: readonly Row[]): RejectionProblem[] {
  const problems = new Set<RejectionProblem>();
  for (const col of CLAIM_REQUIRED) if (text(claim[col]) === '') problems.add('missing_required');
  const visit = text(claim.visit_type);
  if ((visit === 'outpatient' || visit === 'inpatient') && text(claim.primary_diagnosis) === '') problems.add('missing_required');
  for (const [col, allowed] of Object.entries(ENUMS)) {
    const v = text(claim[col]);
    if (v !== '' && !allowed.includes(v)) problems.add('bad_enum');
  }
  for (const col of ['patient_birth_date', 'admission_date', 'discharge_date']) {
    if (text(claim[col]) !== '' && dayNumber(claim[col]) === null) problems.add('impossible_date');
  }
  if (text(claim.settled_at) !== '' && timestamp(claim.settled_at) === null) problems.add('impossible_date');
  const money = (col: string): bigint | null => {
    const v = text(claim[col]);
    if (v === '') return null;
    if (!hasAtMostTwoDecimals(v)) {
      problems.add('bad_number');
      return null;
    }
    return parseDecimal(v);
  };
  const total = money('total_amount');
  const fund = money('fund_paid');
  const self = money('self_paid');
  if (total !== null && fund !== null && self !== null) {
    const diff = total - fund - self;
    if (diff > ONE_FEN || diff < -ONE_FEN) problems.add('total_mismatch');
  }
  const adm = dayNumber(claim.admission_date);
  const dis = dayNumber(claim.discharge_date);
  if (adm !== null && dis !== null && dis < adm) problems.add('discharge_before_admission');

  let sum = 0n;
  let sumKnown = true;
  const seqs = new Set<string>();
  for (const it of items) {
    for (const col of ITEM_REQUIRED) if (text(it[col]) === '') problems.add('missing_required');
    const seq = text(it.item_seq);
    if (seq !== '') {
      if (!/^\d+$/.test(seq) || Number(seq) < 1) problems.add('bad_number');
      else if (seqs.has(String(Number(seq)))) problems.add('duplicate_item_seq');
      else seqs.add(String(Number(seq)));
    }
    if (text(it.service_date) !== '' && dayNumber(it.service_date) === null) problems.add('impossible_date');
    const price = text(it.unit_price) === '' ? null : hasAtMostTwoDecimals(text(it.unit_price)) ? parseDecimal(it.unit_price) : null;
    if (text(it.unit_price) !== '' && price === null) problems.add('bad_number');
    const qty = text(it.quantity) === '' ? null : parseDecimal(it.quantity);
    if (text(it.quantity) !== '' && qty === null) problems.add('bad_number');
    if (qty !== null && qty <= 0n) problems.add('nonpositive_quantity');
    const amount = text(it.amount) === '' ? null : hasAtMostTwoDecimals(text(it.amount)) ? parseDecimal(it.amount) : null;
    if (text(it.amount) !== '' && amount === null) problems.add('bad_number');
    if (text(it.days_supply) !== '' && parseDecimal(it.days_supply) === null) problems.add('bad_number');
    if (price !== null && qty !== null && amount !== null) {
      // compared at full precision: |amount − unit_price × quantity| > 0.01
      const diff = amount * SCALE - price * qty;
      if (diff > ONE_FEN * SCALE || diff < -ONE_FEN * SCALE) problems.add('amount_mismatch');
    }
    if (amount === null) sumKnown = false;
    else sum += amount;
  }
  if (total !== null && sumKnown) {
    const diff = total - sum;
    if (diff > ONE_FEN || diff < -ONE_FEN) problems.add('items_sum_mismatch');
  }
  return [...problems].sort();
}

function sameContent(a: { claim: Row; items: Row[] }, b: { claim: Row; items: Row[] }): boolean {
  const keys = (r: Row): string => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k] ?? '']));
  if (keys(a.claim) !== keys(b.claim) || a.items.length !== b.items.length) return false;
  const sortRows = (rows: Row[]): string[] => rows.map(keys).sort();
  const x = sortRows(a.items);
  const y = sortRows(b.items);
  return x.every((v, i) => v === y[i]);
}

/**
 * Imports batches in order the way the contract describes: invalid claims (and their lines) are
 * rejected with their problems, lines whose claim is absent from the batch are rejected as orphans,
 * an identical re-submission changes nothing, and a different version of a stored claim_id replaces it.
 */
export function oracleImport(batches: readonly BatchFiles[]): StoredClaims {
  const stored = new Map<string, { claim: Row; items: Row[] }>();
  const rejections: OracleRejection[] = [];
  batches.forEach((b, bi) => {
    const batch = bi + 1;
    const itemsByClaim = new Map<string, { row: Row; line: number }[]>();
    b.items.forEach((row, i) => {
      const id = code(row.claim_id);
      const line = b.itemLines?.[i] ?? i + 2;
      let arr = itemsByClaim.get(id);
      if (!arr) itemsByClaim.set(id, (arr = []));
      arr.push({ row, line });
    });
    const claimIds = new Set(b.claims.map((c) => code(c.claim_id)));
    for (const [id, lines] of itemsByClaim) {
      if (claimIds.has(id)) continue;
      for (const l of lines) {
        rejections.push({ batch, claim_id: text(l.row.claim_id), file: 'claim_items.csv', line: l.line, problems: ['orphan_line'] });
      }
    }
    b.claims.forEach((claim, i) => {
      const id = code(claim.claim_id);
      const items = (itemsByClaim.get(id) ?? []).map((l) => l.row);
      const problems = claimProblems(claim, items);
      if (problems.length > 0) {
        rejections.push({ batch, claim_id: text(claim.claim_id), file: 'claims.csv', line: b.claimLines?.[i] ?? i + 2, problems });
        return;
      }
      const next = { claim, items };
      const prev = stored.get(id);
      if (prev && sameContent(prev, next)) return;
      stored.set(id, next);
    });
  });
  const claims: Row[] = [];
  const items: Row[] = [];
  for (const v of stored.values()) {
    claims.push(v.claim);
    items.push(...v.items);
  }
  return { claims, items, rejections };
}

// ---------------------------------------------------------------------------------------------
// The twelve finding categories

interface Item {
  claimId: string;
  seq: number;
  code: string;
  date: string;
  price: bigint;
  qty: bigint;
  amount: bigint;
  daysSupply: bigint | null;
}

interface Claim {
  id: string;
  institution: string;
  patient: string;
  gender: string;
  birth: string;
  visit: string;
  admission: string;
  discharge: string;
  diagnoses: string[];
  primary: string;
  status: string;
  fund: bigint;
  settled: number;
  items: Item[];
}

interface CatalogEntry {
  kind: string;
  ceiling: bigint | null;
  gender: string;
  minAge: number | null;
  maxAge: number | null;
  maxDaily: bigint | null;
  maxDays: bigint | null;
  indications: string[];
  setting: string;
  group: string;
}

function req<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`oracle: unparseable ${what}`);
  return v;
}

const diffDays = (later: string, earlier: string): number =>
  req(dayNumber(later), later) - req(dayNumber(earlier), earlier);

/** The findings of the twelve standard categories over stored (current-version) claims. */
export function oracleFindings(input: OracleInput): OracleFinding[] {
  const catalog = new Map<string, CatalogEntry>();
  for (const r of input.catalog) {
    const int = (v: string | undefined): number | null => (text(v) === '' ? null : Number(text(v)));
    catalog.set(code(r.code), {
      kind: text(r.kind),
      ceiling: text(r.price_ceiling) === '' ? null : req(parseDecimal(r.price_ceiling), 'price_ceiling'),
      gender: code(r.gender_limit),
      minAge: int(r.min_age),
      maxAge: int(r.max_age),
      maxDaily: text(r.max_daily_qty) === '' ? null : req(parseDecimal(r.max_daily_qty), 'max_daily_qty'),
      maxDays: text(r.max_days_supply) === '' ? null : req(parseDecimal(r.max_days_supply), 'max_days_supply'),
      indications: list(r.indications),
      setting: text(r.setting_limit),
      group: code(r.exclusive_group),
    });
  }
  const itemsByClaim = new Map<string, Item[]>();
  for (const r of input.items) {
    const it: Item = {
      claimId: code(r.claim_id),
      seq: Number(text(r.item_seq)),
      code: code(r.item_code),
      date: text(r.service_date),
      price: req(parseDecimal(r.unit_price), 'unit_price'),
      qty: req(parseDecimal(r.quantity), 'quantity'),
      amount: req(parseDecimal(r.amount), 'amount'),
      daysSupply: text(r.days_supply) === '' ? null : req(parseDecimal(r.days_supply), 'days_supply'),
    };
    let arr = itemsByClaim.get(it.claimId);
    if (!arr) itemsByClaim.set(it.claimId, (arr = []));
    arr.push(it);
  }
  const claims: Claim[] = input.claims.map((r) => {
    const id = code(r.claim_id);
    const primary = code(r.primary_diagnosis);
    const diagnoses = [primary, ...list(r.secondary_diagnoses)].filter((d) => d !== '');
    return {
      id,
      institution: code(r.institution_code),
      patient: code(r.patient_id),
      gender: code(r.patient_gender),
      birth: text(r.patient_birth_date),
      visit: text(r.visit_type),
      admission: text(r.admission_date),
      discharge: text(r.discharge_date),
      diagnoses,
      primary,
      status: text(r.discharge_status),
      fund: req(parseDecimal(r.fund_paid), 'fund_paid'),
      settled: req(timestamp(r.settled_at), 'settled_at'),
      items: (itemsByClaim.get(id) ?? []).slice().sort((a, b) => a.seq - b.seq),
    };
  });
  const displayId = new Map<string, string>(input.claims.map((r) => [code(r.claim_id), text(r.claim_id)]));

  const found = new Map<string, OracleFinding>();
  const add = (claimId: string, seq: number | null, category: FindingCategory, fen: bigint): void => {
    const key = `${claimId}|${seq ?? ''}|${category}`;
    if (found.has(key)) return;
    found.set(key, { claim_id: displayId.get(claimId) ?? claimId, item_seq: seq, category, amount_at_risk: fenText(fen) });
  };

  // --- line-level categories, claim by claim
  for (const c of claims) {
    const setting = c.visit === 'inpatient' ? 'inpatient' : 'outpatient'; // pharmacy counts as outpatient
    for (const it of c.items) {
      const cat = catalog.get(it.code);
      if (!cat) continue;
      const amountFen = toFen(it.amount);
      if (cat.gender !== '' && c.gender !== cat.gender) add(c.id, it.seq, 'GENDER_LIMIT', amountFen);
      if (cat.minAge !== null || cat.maxAge !== null) {
        const age = ageOn(c.birth, it.date);
        if ((cat.minAge !== null && age < cat.minAge) || (cat.maxAge !== null && age > cat.maxAge)) {
          add(c.id, it.seq, 'AGE_LIMIT', amountFen);
        }
      }
      if (cat.ceiling !== null && it.price > cat.ceiling) {
        add(c.id, it.seq, 'PRICE_CEILING', productFen(it.price - cat.ceiling, it.qty));
      }
      if (
        (c.visit === 'outpatient' || c.visit === 'pharmacy') &&
        cat.kind === 'drug' &&
        cat.maxDays !== null &&
        it.daysSupply !== null &&
        it.daysSupply > cat.maxDays
      ) {
        // amount × (days_supply − max) / days_supply, rounded half up to the fen
        add(c.id, it.seq, 'DAYS_SUPPLY', divRoundHalfUp(it.amount * (it.daysSupply - cat.maxDays) * 100n, it.daysSupply * SCALE));
      }
      if (cat.indications.length > 0 && !c.diagnoses.some((d) => cat.indications.some((p) => d.startsWith(p)))) {
        add(c.id, it.seq, 'INDICATION', amountFen);
      }
      if (cat.setting !== '' && cat.setting !== setting) add(c.id, it.seq, 'SETTING_LIMIT', amountFen);
    }
    // DAILY_QTY: per item and service date
    const byItemDate = new Map<string, Item[]>();
    for (const it of c.items) {
      const key = `${it.code}|${it.date}`;
      let arr = byItemDate.get(key);
      if (!arr) byItemDate.set(key, (arr = []));
      arr.push(it);
    }
    for (const lines of byItemDate.values()) {
      const cat = catalog.get((lines[0] as Item).code);
      if (!cat || cat.maxDaily === null) continue;
      const total = lines.reduce((s, l) => s + l.qty, 0n);
      if (total <= cat.maxDaily) continue;
      const last = lines.reduce((a, b) => (b.seq > a.seq ? b : a));
      for (const l of lines) {
        add(c.id, l.seq, 'DAILY_QTY', l === last ? productFen(total - cat.maxDaily, last.price) : 0n);
      }
    }
    // EXCLUSIVE_ITEMS: per group and service date, when two or more distinct items of the group occur
    const byGroupDate = new Map<string, Item[]>();
    for (const it of c.items) {
      const cat = catalog.get(it.code);
      if (!cat || cat.group === '') continue;
      const key = `${cat.group}|${it.date}`;
      let arr = byGroupDate.get(key);
      if (!arr) byGroupDate.set(key, (arr = []));
      arr.push(it);
    }
    for (const lines of byGroupDate.values()) {
      if (new Set(lines.map((l) => l.code)).size < 2) continue;
      let keep = lines[0] as Item;
      for (const l of lines) if (l.amount > keep.amount || (l.amount === keep.amount && l.seq < keep.seq)) keep = l;
      for (const l of lines) if (l !== keep) add(c.id, l.seq, 'EXCLUSIVE_ITEMS', toFen(l.amount));
    }
  }

  // --- cross-claim categories, patient by patient
  const byPatient = new Map<string, Claim[]>();
  for (const c of claims) {
    let arr = byPatient.get(c.patient);
    if (!arr) byPatient.set(c.patient, (arr = []));
    arr.push(c);
  }
  const multiset = (c: Claim): string =>
    c.items
      .map((i) => `${i.code}|${i.price}|${i.qty}`)
      .sort()
      .join('\n');
  const fundFen = (c: Claim): bigint => toFen(c.fund);

  // Registry deaths by person (the earliest, should a person appear twice).
  const registryDeath = new Map<string, string>();
  for (const p of input.persons ?? []) {
    const d = text(p.death_date);
    if (d === '') continue;
    const prev = registryDeath.get(code(p.patient_id));
    if (prev === undefined || d < prev) registryDeath.set(code(p.patient_id), d);
  }

  for (const [patient, cs] of byPatient) {
    for (let i = 0; i < cs.length; i++) {
      for (let j = 0; j < cs.length; j++) {
        if (i === j) continue;
        const a = cs[i] as Claim;
        const b = cs[j] as Claim;
        // DUPLICATE_CLAIM: flag b when it is the later-settled one of an identical pair
        if (
          i < j &&
          a.institution === b.institution &&
          a.admission === b.admission &&
          a.discharge === b.discharge &&
          multiset(a) === multiset(b)
        ) {
          const later = a.settled > b.settled ? a : b.settled > a.settled ? b : a.id > b.id ? a : b;
          add(later.id, null, 'DUPLICATE_CLAIM', fundFen(later));
        }
        if (a.visit === 'inpatient' && b.visit === 'inpatient') {
          // SPLIT_ADMISSION: b admitted 0–15 days after a's discharge, same institution, same 3-char category
          const gap = diffDays(b.admission, a.discharge);
          if (a.institution === b.institution && gap >= 0 && gap <= 15 && a.primary.slice(0, 3) === b.primary.slice(0, 3)) {
            add(b.id, null, 'SPLIT_ADMISSION', fundFen(b));
          }
          // OVERLAP_ADMISSION: different institutions, each admission strictly before the other's discharge
          if (a.institution !== b.institution && a.admission < b.discharge && b.admission < a.discharge) {
            add(a.id, null, 'OVERLAP_ADMISSION', fundFen(a));
          }
        }
      }
    }
    // AFTER_DEATH: registry date, or the discharge date of another claim ending in death
    const registry = registryDeath.get(patient);
    for (const c of cs) {
      const deaths: string[] = [];
      if (registry !== undefined) deaths.push(registry);
      for (const d of cs) if (d !== c && d.status === 'death') deaths.push(d.discharge);
      if (deaths.length === 0) continue;
      const death = deaths.sort()[0] as string;
      if (c.admission > death || c.items.some((it) => it.date > death)) add(c.id, null, 'AFTER_DEATH', fundFen(c));
    }
  }

  const out = [...found.values()];
  out.sort(compareFindings);
  return out;
}

/** Stable order for findings: claim_id, then claim-level before lines, then item_seq, then category. */
export function compareFindings(a: OracleFinding, b: OracleFinding): number {
  if (a.claim_id !== b.claim_id) return a.claim_id < b.claim_id ? -1 : 1;
  const sa = a.item_seq ?? 0;
  const sb = b.item_seq ?? 0;
  if (sa !== sb) return sa - sb;
  return a.category < b.category ? -1 : a.category > b.category ? 1 : 0;
}
