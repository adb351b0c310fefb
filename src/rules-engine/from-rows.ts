import { CatalogEntry, InstitutionEntry, KnowledgeBase, PhysicianSanctionWindow, ScreenClaim, ScreenLine, VisitType, computeDigest } from './model';
import { dayNumber } from './values';

/**
 * Interchange rows (CSV values as text, already valid) → the engine's model. Used by rule examples,
 * tests and backtests over files; the screening module reads the same model from PostgreSQL.
 */
export type Row = Readonly<Record<string, string | number | undefined | null>>;

const text = (v: Row[string]): string => (v === undefined || v === null ? '' : String(v).trim());
const codeOf = (v: Row[string]): string => text(v).toUpperCase();
const opt = (v: Row[string]): string | null => (text(v) === '' ? null : text(v));
const num = (v: Row[string]): number | null => (text(v) === '' ? null : Number(text(v)));
const list = (v: Row[string]): string[] =>
  text(v)
    .split(';')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);

function day(v: Row[string], what: string): number {
  const d = dayNumber(text(v));
  if (d === null) throw new RangeError(`${what}: "${text(v)}" is not a date`);
  return d;
}

export function lineFromRow(r: Row): ScreenLine {
  return {
    seq: Number(text(r.item_seq)),
    code: codeOf(r.item_code),
    name: opt(r.item_name),
    serviceDay: day(r.service_date, 'service_date'),
    unitPrice: Number(text(r.unit_price)),
    quantity: Number(text(r.quantity)),
    amount: Number(text(r.amount)),
    daysSupply: num(r.days_supply),
  };
}

export function claimFromRow(r: Row, lines: ScreenLine[], pk: string, patientKey = codeOf(r.patient_id)): ScreenClaim {
  const sorted = lines.slice().sort((a, b) => a.seq - b.seq);
  const settled = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text(r.settled_at)) ? text(r.settled_at) : `${text(r.settled_at)}Z`);
  if (Number.isNaN(settled)) throw new RangeError(`settled_at: "${text(r.settled_at)}" is not a timestamp`);
  return {
    pk,
    claimId: codeOf(r.claim_id),
    institutionCode: codeOf(r.institution_code),
    physicianCode: opt(r.physician_code)?.toUpperCase() ?? null,
    patientKey,
    gender: codeOf(r.patient_gender) as 'M' | 'F',
    birthDay: day(r.patient_birth_date, 'patient_birth_date'),
    insuranceType: text(r.insurance_type),
    visitType: text(r.visit_type) as VisitType,
    admissionDay: day(r.admission_date, 'admission_date'),
    dischargeDay: day(r.discharge_date, 'discharge_date'),
    primaryDiagnosis: opt(r.primary_diagnosis)?.toUpperCase() ?? null,
    secondaryDiagnoses: list(r.secondary_diagnoses),
    dischargeStatus: opt(r.discharge_status),
    totalAmount: Number(text(r.total_amount)),
    fundPaid: Number(text(r.fund_paid)),
    selfPaid: Number(text(r.self_paid)),
    settledAt: settled,
    settleMonth: `${text(r.settled_at).slice(0, 7)}-01`,
    insuredRegion: opt(r.insured_region),
    serviceRegion: opt(r.service_region),
    lines: sorted,
    digest: computeDigest(sorted),
  };
}

export function catalogFromRow(r: Row): CatalogEntry {
  return {
    code: codeOf(r.code),
    name: text(r.name) || codeOf(r.code),
    kind: (text(r.kind) || 'service') as CatalogEntry['kind'],
    priceCeiling: num(r.price_ceiling),
    genderLimit: (opt(r.gender_limit)?.toUpperCase() ?? null) as CatalogEntry['genderLimit'],
    minAge: num(r.min_age),
    maxAge: num(r.max_age),
    maxDailyQty: num(r.max_daily_qty),
    maxDaysSupply: num(r.max_days_supply),
    indications: text(r.indications) === '' ? null : list(r.indications),
    settingLimit: opt(r.setting_limit) as CatalogEntry['settingLimit'],
    exclusiveGroup: opt(r.exclusive_group)?.toUpperCase() ?? null,
  };
}

export function institutionFromRow(r: Row): InstitutionEntry {
  return { code: codeOf(r.code), kind: text(r.kind) || 'hospital', level: num(r.level), region: text(r.region) };
}

/** Builds a knowledge base and the current claims from interchange rows. */
export function modelFromRows(input: {
  claims: readonly Row[];
  items: readonly Row[];
  catalog: readonly Row[];
  institutions?: readonly Row[];
  persons?: readonly Row[];
  /** physician_code, kind (suspension | termination), from, until (dates, inclusive). */
  physicianSanctions?: readonly Row[];
}): { claims: ScreenClaim[]; kb: KnowledgeBase } {
  const linesByClaim = new Map<string, ScreenLine[]>();
  for (const r of input.items) {
    const id = codeOf(r.claim_id);
    let a = linesByClaim.get(id);
    if (!a) linesByClaim.set(id, (a = []));
    a.push(lineFromRow(r));
  }
  const claims = input.claims.map((r, i) => claimFromRow(r, linesByClaim.get(codeOf(r.claim_id)) ?? [], String(i + 1)));
  const deaths = new Map<string, number>();
  for (const p of input.persons ?? []) {
    if (text(p.death_date) === '') continue;
    const k = codeOf(p.patient_id);
    const d = day(p.death_date, 'death_date');
    const prev = deaths.get(k);
    if (prev === undefined || d < prev) deaths.set(k, d);
  }
  const physicianSanctions = new Map<string, PhysicianSanctionWindow[]>();
  for (const s of input.physicianSanctions ?? []) {
    const k = codeOf(s.physician_code);
    const kind = text(s.kind);
    if (kind !== 'suspension' && kind !== 'termination') throw new RangeError(`kind: "${kind}" is not suspension or termination`);
    let a = physicianSanctions.get(k);
    if (!a) physicianSanctions.set(k, (a = []));
    a.push({ kind, fromDay: day(s.from, 'from'), toDay: day(s.until, 'until') });
  }
  return {
    claims,
    kb: {
      catalog: new Map(input.catalog.map((r) => [codeOf(r.code), catalogFromRow(r)])),
      institutions: new Map((input.institutions ?? []).map((r) => [codeOf(r.code), institutionFromRow(r)])),
      deaths,
      physicianSanctions,
    },
  };
}
