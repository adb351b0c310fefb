import { formatFen, formatHalfQty, lineAmountFen, roundHalfUpDiv } from './amounts';
import { FINDING_CATEGORIES, FindingCategory } from '../imports/interchange';
import { civilFromDays, completedYears, formatDay, formatYmd, type Ymd } from '../common/calendar';
import { csvLine } from './csv-writer';
import type { Rng } from './random';
import {
  DIAGNOSES,
  OTHER_INSURED_REGIONS,
  REGIONS,
  type CatalogItem,
  type Diagnosis,
  type Gender,
  type Institution,
  type Physician,
  type Setting,
} from './reference-data';

/**
 * Builds compliant claims: every line respects gender, age, setting, indication, price, daily
 * quantity, days-of-supply and exclusive-group limits, so ordinary claims never trip one of the
 * twelve categories. Violations are added on top by plants.ts, one tagged line (or group) at a time.
 */

export const CATEGORIES = FINDING_CATEGORIES;
export type Category = FindingCategory;
export type LineCategory = Exclude<Category, 'DUPLICATE_CLAIM' | 'SPLIT_ADMISSION' | 'OVERLAP_ADMISSION' | 'AFTER_DEATH'>;
export type ClaimCategory = Exclude<Category, LineCategory>;

export type VisitType = 'outpatient' | 'inpatient' | 'pharmacy';
export type DischargeStatus = 'normal' | 'transfer' | 'death' | 'other';
export type InsuranceType = 'employee' | 'resident';

export const CLAIM_COLUMNS = [
  'claim_id',
  'institution_code',
  'physician_code',
  'patient_id',
  'patient_gender',
  'patient_birth_date',
  'insurance_type',
  'visit_type',
  'admission_date',
  'discharge_date',
  'primary_diagnosis',
  'secondary_diagnoses',
  'discharge_status',
  'total_amount',
  'fund_paid',
  'self_paid',
  'settled_at',
  'insured_region',
  'service_region',
] as const;

export const ITEM_COLUMNS = [
  'claim_id',
  'item_seq',
  'item_code',
  'item_name',
  'service_date',
  'unit_price',
  'quantity',
  'amount',
  'days_supply',
] as const;

export interface Patient {
  id: string;
  gender: Gender;
  birthDay: number;
  birth: Ymd;
  birthText: string;
  insurance: InsuranceType;
  region: string;
  /** Last day on which the patient has a claim; ordinary claims come strictly later (≤ 1 per day). */
  lastDay: number;
  /** Discharge day of the patient's current or last stay. */
  busyUntil: number;
  /** Earliest day for another ordinary admission: far beyond the 15-day split-admission window. */
  nextIpDay: number;
  dead: boolean;
  registryDeath: number | null;
  /** Scenario and age-plant patients never receive ordinary claims. */
  reserved: boolean;
}

export interface Line {
  item: CatalogItem;
  /** Code as written in the file: usually the catalog code, sometimes lower-cased or padded (codes are trimmed, case-insensitive). */
  codeText: string;
  day: number;
  priceFen: number;
  qHalf: number;
  amountFen: number;
  daysSupply: number | null;
  seq: number;
  /** The category this line was planted to trip (null for compliant lines). */
  tag: LineCategory | null;
  /** Marks the line a batch-2 correction will push over a limit. */
  mark?: 'intro';
  /** Formatting overrides, e.g. "1.00" for 1 (a value-equal spelling). */
  priceText?: string;
  qtyText?: string;
}

export interface Claim {
  id: string;
  inst: Institution;
  physician: string;
  patient: Patient;
  visit: VisitType;
  admDay: number;
  disDay: number;
  dx: string;
  dx2: string[];
  status: DischargeStatus | '';
  lines: Line[];
  totalFen: number;
  fundFen: number;
  selfFen: number;
  /** Fund share in per-mille, kept so a correction recomputes fund/self consistently. */
  fundPermille: number;
  settledDay: number;
  settledSecond: number;
  /** Claim-level categories this claim is labelled with (amount = its fund_paid). */
  claimCats: ClaimCategory[];
  /** What was planted (near misses included), for the summary. */
  note: string;
}

export interface Label {
  seq: number | null;
  category: Category;
  amountFen: number;
}

/** A follow-up visit or readmission planned at an earlier claim (induced at abusive institutions). */
export interface Revisit {
  patient: Patient;
  inst: Institution;
  visit: VisitType;
  day: number;
  /** undefined: draw a diagnosis that avoids `avoid3` */
  dx?: string;
  /** 3-character diagnosis categories the readmission must not have (a split admission otherwise). */
  avoid3: string[];
}

/** Most lines a generated claim has (plants leave room for theirs below this). */
export const MAX_LINES = 14;

// ---------------------------------------------------------------------------------------------

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** 18-character resident identity number (公民身份号码) with a valid GB 11643 check character. */
function identityNumber(rng: Rng, region: string, birth: Ymd, gender: Gender): string {
  const seq2 = String(rng.int(0, 99)).padStart(2, '0');
  const g = gender === 'M' ? rng.int(0, 4) * 2 + 1 : rng.int(0, 4) * 2;
  const body = `${region}${formatYmd(birth).replace(/-/g, '')}${seq2}${g}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * (ID_WEIGHTS[i] as number);
  return body + ID_CHECK[sum % 11];
}

export interface Period {
  start: number;
  end: number;
  months: string[];
}

/** Shared state of one generation run: reference data, indexes and the patient population. */
export class World {
  readonly physiciansByInst = new Map<string, Physician[]>();
  readonly pool: Patient[] = [];
  readonly reserved: Patient[] = [];
  private readonly patientIds = new Set<string>();
  readonly itemsByCode = new Map<string, CatalogItem>();
  private readonly dxItems = new Map<string, CatalogItem[]>();
  private readonly generalByKind: Record<'op' | 'ph' | 'ip', Record<'drug' | 'service' | 'consumable', CatalogItem[]>>;
  private readonly itemsByName = new Map<string, CatalogItem>();
  private readonly severeDx = new Set(DIAGNOSES.filter((d) => d.severe).map((d) => d.code));
  readonly opInsts: Institution[];
  readonly phInsts: Institution[];
  readonly ipInsts: Institution[];
  private readonly instByRegion = new Map<string, Institution[]>();
  /** Planned revisits by day. */
  private readonly revisits = new Map<number, Revisit[]>();

  constructor(
    readonly rng: Rng,
    readonly catalog: CatalogItem[],
    readonly institutions: Institution[],
    physicians: Physician[],
    readonly period: Period,
  ) {
    for (const p of physicians) {
      let arr = this.physiciansByInst.get(p.institutionCode);
      if (!arr) this.physiciansByInst.set(p.institutionCode, (arr = []));
      arr.push(p);
    }
    for (const it of catalog) {
      this.itemsByCode.set(it.code, it);
      if (!this.itemsByName.has(it.name)) this.itemsByName.set(it.name, it);
    }
    // General items carry no indication or usage hint; dx-specific ones are reachable through their diagnoses.
    const plain = (it: CatalogItem): boolean => it.indications === null && it.hint === null && !it.perStay;
    const byKind = (f: (it: CatalogItem) => boolean): Record<'drug' | 'service' | 'consumable', CatalogItem[]> => ({
      drug: catalog.filter((it) => f(it) && it.kind === 'drug'),
      service: catalog.filter((it) => f(it) && it.kind === 'service'),
      consumable: catalog.filter((it) => f(it) && it.kind === 'consumable'),
    });
    this.generalByKind = {
      op: byKind((it) => plain(it) && it.useOp && !isConsultFee(it)),
      ph: byKind((it) => plain(it) && it.usePh),
      ip: byKind((it) => plain(it) && it.useIp),
    };
    for (const d of DIAGNOSES) {
      this.dxItems.set(
        d.code,
        catalog.filter((it) => !it.perStay && [...(it.indications ?? []), ...(it.hint ?? [])].some((p) => d.code.startsWith(p))),
      );
    }
    this.opInsts = institutions.filter((i) => i.kind !== 'pharmacy');
    this.phInsts = institutions.filter((i) => i.kind === 'pharmacy');
    this.ipInsts = institutions.filter((i) => i.hasBeds);
    for (const i of institutions) {
      let arr = this.instByRegion.get(i.region);
      if (!arr) this.instByRegion.set(i.region, (arr = []));
      arr.push(i);
    }
  }

  // --- patients ---------------------------------------------------------------------------------

  /** A new person; `birthDay` fixed by the caller (age plants) or drawn from a realistic age mix. */
  newPatient(opts: { birthDay?: number; gender?: Gender; reserved?: boolean; minAge?: number; maxAge?: number } = {}): Patient {
    const rng = this.rng;
    const gender: Gender = opts.gender ?? (rng.chance(0.5) ? 'M' : 'F');
    let birthDay: number;
    if (opts.birthDay !== undefined) {
      birthDay = opts.birthDay;
    } else {
      const age = opts.minAge !== undefined ? rng.int(opts.minAge, opts.maxAge ?? opts.minAge + 30) : drawAge(rng);
      // Born before the period starts (nobody has a claim before birth); age 0 = born within the last year.
      birthDay = this.period.start - age * 365 - Math.floor(age / 4) - rng.int(1, 360);
    }
    let birth = civilFromDays(birthDay);
    if (opts.birthDay !== undefined && birth.m === 2 && birth.d === 29) throw new Error('demo patients are never born on Feb 29');
    if (birth.m === 2 && birth.d === 29) {
      // Feb 29 birthdays make "completed years" ambiguous in common years; the demo avoids them.
      birthDay -= 1;
      birth = civilFromDays(birthDay);
    }
    const r = rng.chance(0.08) ? rng.pick(OTHER_INSURED_REGIONS) : (REGIONS[rng.weightedIndex(REGIONS.map((x) => x.weight))] as (typeof REGIONS)[number]).code;
    const ageAtStart = completedYears(birth, civilFromDays(this.period.start));
    const insurance: InsuranceType =
      ageAtStart >= 20 && ageAtStart <= 62 ? (rng.chance(0.68) ? 'employee' : 'resident') : ageAtStart > 62 && rng.chance(0.4) ? 'employee' : 'resident';
    let id: string;
    do {
      id = rng.chance(0.05) ? `P${String(rng.int(0, 99999)).padStart(5, '0')}${String(rng.int(0, 99999)).padStart(5, '0')}` : identityNumber(rng, r, birth, gender);
    } while (this.patientIds.has(id));
    this.patientIds.add(id);
    const p: Patient = {
      id,
      gender,
      birthDay,
      birth,
      birthText: formatYmd(birth),
      insurance,
      region: r,
      lastDay: -1e9,
      busyUntil: -1e9,
      nextIpDay: -1e9,
      dead: false,
      registryDeath: null,
      reserved: opts.reserved === true,
    };
    (p.reserved ? this.reserved : this.pool).push(p);
    return p;
  }

  /** An ordinary patient free on `day` (alive, not in hospital, no claim yet that day or later). */
  pickPatient(day: number, visit: VisitType): Patient {
    const rng = this.rng;
    for (let tries = 0; tries < 40 && this.pool.length > 0; tries++) {
      const p = this.pool[rng.int(0, this.pool.length - 1)] as Patient;
      if (isFree(p, day, visit)) return p;
    }
    return this.newPatient();
  }

  /** Records a claim in the patient's history so later ordinary claims stay clear of it. */
  occupy(c: Claim): void {
    const p = c.patient;
    p.lastDay = Math.max(p.lastDay, c.disDay);
    if (c.visit === 'inpatient') {
      p.busyUntil = Math.max(p.busyUntil, c.disDay);
      p.nextIpDay = Math.max(p.nextIpDay, c.disDay + 30);
    }
    if (c.status === 'death') {
      p.dead = true;
      if (this.rng.chance(0.5)) p.registryDeath = c.disDay;
    }
  }

  // --- institutions -----------------------------------------------------------------------------

  /**
   * Where a visit goes: mostly near home, in proportion to the institutions' sizes. For a planted
   * violation (`plant`) the sizes are multiplied by `plantBoost`: institutions with the abusive
   * behaviour "violations" receive several times their share of the plants.
   */
  pickInstitution(visit: VisitType, patient: Patient, plant = false): Institution {
    const rng = this.rng;
    const fits = (i: Institution): boolean => (visit === 'pharmacy' ? i.kind === 'pharmacy' : visit === 'inpatient' ? i.hasBeds : i.kind !== 'pharmacy');
    const all = visit === 'pharmacy' ? this.phInsts : visit === 'inpatient' ? this.ipInsts : this.opInsts;
    const local = (this.instByRegion.get(patient.region) ?? []).filter(fits);
    const list = local.length > 0 && rng.chance(0.75) ? local : all;
    return rng.weighted(
      list,
      list.map((i) => (plant ? i.weight * i.plantBoost : i.weight)),
    );
  }

  // --- revisits ---------------------------------------------------------------------------------

  planRevisit(r: Revisit): void {
    if (r.day > this.period.end) return;
    const arr = this.revisits.get(r.day);
    if (arr) arr.push(r);
    else this.revisits.set(r.day, [r]);
  }

  /** The next revisit planned for `day` (earlier days' leftovers are dropped). */
  takeRevisit(day: number): Revisit | null {
    for (const d of this.revisits.keys()) if (d < day) this.revisits.delete(d);
    const arr = this.revisits.get(day);
    return arr && arr.length > 0 ? (arr.shift() as Revisit) : null;
  }

  pickPhysician(inst: Institution, patient: Patient, dx: string, day: number): string {
    const docs = this.physiciansByInst.get(inst.code);
    if (!docs || docs.length === 0) return '';
    const rng = this.rng;
    const age = completedYears(patient.birth, civilFromDays(day));
    const want = age < 14 ? '儿科' : dx.startsWith('O') ? '妇产科' : null;
    if (want) {
      const sp = docs.filter((d) => d.specialty === want);
      if (sp.length > 0 && rng.chance(0.75)) return rng.pick(sp).code;
    }
    return rng.pick(docs).code;
  }

  // --- diagnoses --------------------------------------------------------------------------------

  /**
   * A diagnosis fitting the patient and setting. With `inst`, its case mix: severe diagnoses weigh
   * more the higher its severity, complex ones (expensive procedures) far more at tertiary
   * hospitals, a specialised hospital's focus much more.
   */
  pickDiagnosis(patient: Patient, visit: VisitType, day: number, exclude3: string[] = [], inst?: Institution): string {
    const age = completedYears(patient.birth, civilFromDays(day));
    const fits = (d: Diagnosis): boolean =>
      (visit === 'inpatient' ? d.ip : visit === 'pharmacy' ? d.ph : d.op) &&
      (d.gender === null || d.gender === patient.gender) &&
      age >= d.minAge &&
      age <= d.maxAge &&
      !exclude3.includes(d.code.slice(0, 3));
    const list = DIAGNOSES.filter(fits);
    if (list.length === 0) return visit === 'inpatient' ? 'J18.9' : 'J06.9';
    const focus = inst?.focus ?? null;
    return this.rng.weighted(
      list,
      list.map(
        (d) =>
          d.weight *
          (inst && d.complex ? 1 + 12 * inst.severity * inst.severity : inst && d.severe ? 1 + 2 * inst.severity : 1) *
          (focus && inst && focus.some((p) => d.code.startsWith(p)) ? 1 + 8 * inst.severity : 1),
      ),
    ).code;
  }

  isSevere(dx: string): boolean {
    return this.severeDx.has(dx);
  }

  pickSecondary(patient: Patient, primary: string, day: number): string[] {
    const rng = this.rng;
    const age = completedYears(patient.birth, civilFromDays(day));
    if (age < 18) return [];
    const k = rng.float() < 0.08 ? 2 : rng.float() < 0.3 ? 1 : 0;
    const list = DIAGNOSES.filter(
      (d) => d.chronic && d.code !== primary && (d.gender === null || d.gender === patient.gender) && age >= d.minAge && age <= d.maxAge,
    );
    const out: string[] = [];
    for (let i = 0; i < k && list.length > 0; i++) {
      const d = rng.pick(list).code;
      if (!out.includes(d)) out.push(d);
    }
    return out;
  }

  // --- items ------------------------------------------------------------------------------------

  /** The institution's price of an item: never above its ceiling; just under it, often, where prices are pushed up. */
  unitPrice(item: CatalogItem, inst: Institution): number {
    let p = Math.round(item.priceFen * inst.priceFactor);
    const push = inst.abuse?.nearCeiling;
    if (push !== undefined && item.ceilingFen !== null && item.ceilingFen > p && this.rng.chance(0.45 + 0.5 * push)) {
      // 97.5–100 % of the ceiling
      p = Math.max(p, item.ceilingFen - Math.floor((item.ceilingFen * this.rng.int(0, 25)) / 1000));
    }
    if (item.ceilingFen !== null) p = Math.min(p, item.ceilingFen);
    return Math.max(1, p);
  }

  /** Items indicated or typical for the claim's diagnoses (general items need no diagnosis). */
  specificFor(c: Claim): CatalogItem[] {
    const specific: CatalogItem[] = [];
    for (const d of [c.dx, ...c.dx2]) {
      for (const it of this.dxItems.get(d) ?? []) if (!specific.includes(it)) specific.push(it);
    }
    return specific;
  }

  /** A compliant line of `item` on `day` (quantity within the daily maximum, supply within the limit). */
  makeLine(c: Claim, item: CatalogItem, day: number, opts: { qHalf?: number; priceFen?: number; daysSupply?: number | null } = {}): Line {
    const rng = this.rng;
    let qHalf = opts.qHalf;
    // "drugs": bigger prescriptions (larger quantities, longer supplies), within every limit
    const big = item.kind === 'drug' && c.inst.abuse?.drugs !== undefined && rng.chance(c.inst.abuse.drugs);
    if (qHalf === undefined) {
      const choices = item.maxDaily === null ? item.qtyHalf : item.qtyHalf.filter((q) => q <= item.maxDaily! * 2);
      qHalf = choices.length > 0 ? rng.pick(choices) : 1;
      if (big && choices.length > 0) qHalf = Math.max(qHalf, rng.pick(choices), rng.pick(choices));
    }
    let daysSupply: number | null = null;
    if (opts.daysSupply !== undefined) daysSupply = opts.daysSupply;
    else if (item.kind === 'drug' && !item.administered && c.visit !== 'inpatient') {
      daysSupply = this.drawDaysSupply(item);
      if (big) daysSupply = Math.max(daysSupply, this.drawDaysSupply(item));
    }
    const r = rng.float();
    const codeText = r < 0.005 ? item.code.toLowerCase() : r < 0.006 ? `${item.code} ` : item.code;
    return {
      item,
      codeText,
      day,
      priceFen: opts.priceFen ?? this.unitPrice(item, c.inst),
      qHalf,
      amountFen: 0,
      daysSupply,
      seq: 0,
      tag: null,
    };
  }

  drawDaysSupply(item: CatalogItem): number {
    const all = [3, 5, 7, 7, 10, 14, 14, 28, 30, 30];
    const ok = item.maxDays === null ? all : all.filter((d) => d <= item.maxDays!);
    return ok.length > 0 ? this.rng.pick(ok) : Math.max(1, item.maxDays ?? 1);
  }

  // --- claims -----------------------------------------------------------------------------------

  /**
   * A compliant claim. Lines avoid `exclude` (codes) and `excludeGroups`, so a plant can add its own
   * lines afterwards without accidental clashes; `maxLines` leaves room for them (≤ 8 lines in all).
   */
  buildClaim(spec: ClaimSpec): Claim {
    const c = this.shell(spec);
    this.fill(c, spec);
    return c;
  }

  /** The claim's header (patient, place, dates, diagnoses, settlement) without lines. */
  shell(spec: ClaimSpec): Claim {
    const rng = this.rng;
    const { patient, visit, inst } = spec;
    const dx = spec.dx === undefined ? (visit === 'pharmacy' && rng.chance(0.5) ? '' : this.pickDiagnosis(patient, visit, spec.admDay, [], inst)) : spec.dx;
    const dx2 = spec.dx2 ?? (dx === '' ? [] : this.pickSecondary(patient, dx, spec.admDay));
    return {
      id: '',
      inst,
      physician: visit === 'pharmacy' ? '' : rng.chance(0.04) ? '' : this.pickPhysician(inst, patient, dx, spec.admDay),
      patient,
      visit,
      admDay: spec.admDay,
      disDay: spec.disDay,
      dx,
      dx2,
      status: visit === 'inpatient' ? (spec.status ?? 'normal') : '',
      lines: [],
      totalFen: 0,
      fundFen: 0,
      selfFen: 0,
      fundPermille: drawFundShare(rng, visit, patient.insurance),
      // Settlement: outpatient and pharmacy on the day, inpatient on discharge or the day after.
      settledDay: visit === 'inpatient' ? spec.disDay + (rng.chance(0.3) ? 1 : 0) : spec.admDay,
      settledSecond: rng.int(8 * 3600, 20 * 3600 - 1),
      claimCats: [],
      note: '',
    };
  }

  /**
   * Adds compliant lines. Lines avoid `exclude` (codes) and `excludeGroups`, so a plant can add its
   * own lines afterwards without accidental clashes; `maxLines` leaves room for them (≤ MAX_LINES in all).
   * The institution shapes the claim: more lines for severe cases and at tertiary hospitals, and at
   * abusive ones more drugs or consumables, dearer items and padding — every line still compliant.
   */
  fill(c: Claim, spec: ClaimSpec): void {
    const rng = this.rng;
    const { patient, visit, inst } = c;
    const abuse = inst.abuse;
    const maxLines = Math.max(1, Math.min(MAX_LINES, spec.maxLines ?? MAX_LINES));
    const exclude = spec.exclude ?? new Set<string>();
    const excludeGroups = spec.excludeGroups ?? new Set<string>();
    const usable = (it: CatalogItem, day: number): boolean =>
      !exclude.has(it.code) && (it.group === null || !excludeGroups.has(it.group)) && this.compliant(c, it, day) && canAdd(c, it, day);

    // Tertiary hospitals examine and treat more per case; every institution has its own habits;
    // "drugs" writes bigger prescriptions.
    const more = (draws: number): number => {
      let k = rng.chance(inst.style.extraLine) ? 1 : 0;
      for (let i = 0; i < draws; i++) if (rng.chance(0.35 * inst.severity)) k++;
      if (abuse?.drugs !== undefined && rng.chance(0.5 * abuse.drugs)) k++;
      return k;
    };
    let n: number;
    if (visit === 'inpatient') {
      n = 3 + rng.weightedIndex([10, 15, 20, 20, 20, 15]) + more(4) + (this.isSevere(c.dx) ? rng.int(0, 2) : 0);
      const los = c.disDay - c.admDay;
      const newborn = completedYears(patient.birth, civilFromDays(c.admDay)) === 0;
      const stay = (name: string): void => {
        const it = this.byName(name);
        if (c.lines.length < maxLines && usable(it, c.admDay)) c.lines.push(this.makeLine(c, it, c.admDay, { qHalf: 2 * Math.max(1, los) }));
      };
      stay(newborn ? '新生儿床位费' : rng.chance(0.8) ? '床位费(三人间)' : '床位费(双人间)');
      stay(newborn ? '新生儿护理' : rng.chance(0.3) ? '一级护理' : '二级护理');
      if (rng.chance(0.7)) stay('住院诊查费');
    } else if (visit === 'pharmacy') {
      n = 1 + rng.weightedIndex([20, 30, 25, 15, 10]) + more(0);
    } else {
      n = 1 + rng.weightedIndex([5, 15, 25, 25, 15, 10, 5]) + more(3);
      if (rng.chance(0.92)) {
        const fee = this.consultFee(inst, rng.chance(0.1));
        if (usable(fee, c.admDay)) c.lines.push(this.makeLine(c, fee, c.admDay, { qHalf: 2 }));
      }
    }
    n = Math.min(n, maxLines);
    const key = visit === 'pharmacy' ? 'ph' : visit === 'inpatient' ? 'ip' : 'op';
    const general = this.generalByKind[key];
    const specific = this.specificFor(c);
    const kindWeights = [0.55 * inst.style.drugTilt * (1 + 3 * (abuse?.drugs ?? 0)), 0.33, 0.12 * (1 + 3 * (abuse?.consumables ?? 0))];
    // Tertiary care uses dearer examinations and treatments (the dearer of two candidates, now and
    // then); "upcoding" takes the dearest of three, often.
    const draw = (pool: CatalogItem[]): CatalogItem => {
      const up = abuse?.upcoding !== undefined && rng.chance(abuse.upcoding);
      if (!up && !rng.chance(0.6 * inst.severity)) return rng.pick(pool);
      let best = rng.pick(pool);
      for (let i = 0; i < (up ? 2 : 1); i++) {
        const other = rng.pick(pool);
        if (other.priceFen > best.priceFen) best = other;
      }
      return best;
    };
    let guard = 0;
    while (c.lines.length < n && guard++ < 40) {
      const day = visit === 'inpatient' ? rng.int(c.admDay, c.disDay) : c.admDay;
      let pool: CatalogItem[];
      if (specific.length > 0 && rng.chance(0.45)) pool = specific;
      else if (visit === 'pharmacy') pool = general.drug;
      else pool = general[(['drug', 'service', 'consumable'] as const)[rng.weightedIndex(kindWeights)]];
      if (pool.length === 0) continue;
      const it = draw(pool);
      if (!usesIn(it, visit) || !usable(it, day)) continue;
      const line = this.makeLine(c, it, day);
      // Oral drugs on a ward are billed for the stay, not per dose: scale with the length of stay.
      if (visit === 'inpatient' && it.kind === 'drug' && !it.administered && it.maxDaily === null) {
        line.qHalf *= Math.max(1, Math.round((c.disDay - c.admDay) / 4));
      }
      c.lines.push(line);
    }
    // "padding": tests, services and consumables (drugs at a pharmacy) nobody needed; "consumables":
    // consumables billed on top
    const pad = abuse?.padding;
    const cons = abuse?.consumables;
    let extra = 0;
    if (pad !== undefined && rng.chance(0.3 + 0.6 * pad)) extra += rng.int(1, 1 + Math.round(3 * pad));
    if (cons !== undefined && visit !== 'pharmacy' && rng.chance(0.6 * cons)) extra++;
    if (extra > 0) {
      const pools =
        visit === 'pharmacy'
          ? [general.drug]
          : pad === undefined
            ? [general.consumable]
            : cons !== undefined
              ? [general.service, general.consumable, general.consumable]
              : [general.service, general.service, general.consumable];
      const target = Math.min(maxLines, c.lines.length + extra);
      for (let tries = 0; c.lines.length < target && tries < 30; tries++) {
        const pool = rng.pick(pools);
        if (pool.length === 0) continue;
        const it = draw(pool);
        const day = visit === 'inpatient' ? rng.int(c.admDay, c.disDay) : c.admDay;
        if (!usesIn(it, visit) || !usable(it, day)) continue;
        c.lines.push(this.makeLine(c, it, day));
      }
    }
    if (c.lines.length === 0) {
      // Every claim bills something: fall back to the first compliant general item.
      for (const it of [...general.drug, ...general.service]) {
        if (usesIn(it, visit) && usable(it, c.admDay)) {
          c.lines.push(this.makeLine(c, it, c.admDay));
          break;
        }
      }
    }
    finalize(c);
  }

  byName(name: string): CatalogItem {
    const it = this.itemsByName.get(name);
    if (!it) throw new Error(`catalog has no item named ${name}`);
    return it;
  }

  consultFee(inst: Institution, emergency: boolean): CatalogItem {
    const rng = this.rng;
    let name = '普通门诊诊查费';
    if (emergency && inst.kind === 'hospital') name = '急诊诊查费';
    else if (inst.kind === 'primary_care' && rng.chance(0.3)) name = '家庭医生签约服务费';
    else if (inst.kind === 'hospital') {
      const up = inst.abuse?.upcoding;
      const r = up !== undefined && rng.chance(up) ? 0.5 + rng.float() * 0.5 : rng.float();
      if (inst.level === 3) name = r < 0.5 ? '普通门诊诊查费' : r < 0.8 ? '副主任医师门诊诊查费' : '主任医师门诊诊查费';
      else name = r < 0.8 ? '普通门诊诊查费' : '副主任医师门诊诊查费';
    }
    return this.byName(name);
  }

  /** Whether the item is payable for this claim on this day (gender, age, setting, indication). */
  compliant(c: Claim, it: CatalogItem, day: number, except: LineCategory | null = null): boolean {
    if (except !== 'GENDER_LIMIT' && it.gender !== null && it.gender !== c.patient.gender) return false;
    if (except !== 'AGE_LIMIT' && (it.minAge !== null || it.maxAge !== null)) {
      const age = completedYears(c.patient.birth, civilFromDays(day));
      if ((it.minAge !== null && age < it.minAge) || (it.maxAge !== null && age > it.maxAge)) return false;
    }
    if (except !== 'SETTING_LIMIT' && it.setting !== null && it.setting !== settingOf(c.visit)) return false;
    if (except !== 'INDICATION' && it.indications !== null && !matchesDx(c, it.indications)) return false;
    if (it.hint !== null && except === null && !matchesDx(c, it.hint)) return false;
    return true;
  }
}

export interface ClaimSpec {
  patient: Patient;
  visit: VisitType;
  inst: Institution;
  admDay: number;
  disDay: number;
  /** undefined = draw one; '' = none (pharmacy only) */
  dx?: string;
  dx2?: string[];
  status?: DischargeStatus;
  maxLines?: number;
  exclude?: Set<string>;
  excludeGroups?: Set<string>;
}

function drawAge(rng: Rng): number {
  const bands: [number, number, number][] = [
    [0, 0, 2],
    [1, 6, 6],
    [7, 14, 6],
    [15, 24, 8],
    [25, 44, 26],
    [45, 59, 24],
    [60, 74, 19],
    [75, 89, 8],
    [90, 98, 1],
  ];
  const b = bands[rng.weightedIndex(bands.map((x) => x[2]))] as [number, number, number];
  return rng.int(b[0], b[1]);
}

function drawFundShare(rng: Rng, visit: VisitType, ins: InsuranceType): number {
  if (visit === 'inpatient') return ins === 'employee' ? rng.int(820, 920) : rng.int(620, 780);
  if (visit === 'pharmacy') return rng.int(300, 800);
  if (rng.chance(0.04)) return 0; // below the outpatient deductible (起付线)
  return ins === 'employee' ? rng.int(500, 700) : rng.int(450, 600);
}

export function isFree(p: Patient, day: number, visit: VisitType): boolean {
  return !p.dead && !p.reserved && p.lastDay < day && p.busyUntil < day && (visit !== 'inpatient' || p.nextIpDay <= day);
}

export function settingOf(visit: VisitType): Setting {
  return visit === 'inpatient' ? 'inpatient' : 'outpatient';
}

export function matchesDx(c: Claim, prefixes: string[]): boolean {
  const dxs = [c.dx, ...c.dx2].filter((d) => d !== '');
  return dxs.some((d) => prefixes.some((p) => d.startsWith(p)));
}

export function usesIn(it: CatalogItem, visit: VisitType): boolean {
  return visit === 'pharmacy' ? it.usePh : visit === 'inpatient' ? it.useIp : it.useOp;
}

export function isConsultFee(it: CatalogItem): boolean {
  return it.name.endsWith('诊查费');
}

/** No second line of the same item on that day, no second item of the same exclusive group that day. */
export function canAdd(c: Claim, it: CatalogItem, day: number): boolean {
  for (const l of c.lines) {
    if (l.day !== day) continue;
    if (l.item === it) return false;
    if (it.group !== null && l.item.group === it.group) return false;
  }
  return true;
}

/** Numbers the lines and recomputes every amount: line = round(price × qty), total = Σ lines, fund + self = total. */
export function finalize(c: Claim): void {
  let total = 0;
  c.lines.forEach((l, i) => {
    l.seq = i + 1;
    l.amountFen = lineAmountFen(l.priceFen, l.qHalf);
    total += l.amountFen;
  });
  c.totalFen = total;
  c.fundFen = roundHalfUpDiv(total * c.fundPermille, 1000);
  c.selfFen = total - c.fundFen;
}

export function cloneClaim(c: Claim): Claim {
  return { ...c, dx2: [...c.dx2], claimCats: [...c.claimCats], lines: c.lines.map((l) => ({ ...l })) };
}

// ---------------------------------------------------------------------------------------------
// Serialisation

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function settledText(c: Claim): string {
  const s = c.settledSecond;
  return `${formatDay(c.settledDay)}T${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}+08:00`;
}

export function claimFields(c: Claim): string[] {
  return [
    c.id,
    c.inst.code,
    c.physician,
    c.patient.id,
    c.patient.gender,
    c.patient.birthText,
    c.patient.insurance,
    c.visit,
    formatDay(c.admDay),
    formatDay(c.disDay),
    c.dx,
    c.dx2.join(';'),
    c.status,
    formatFen(c.totalFen),
    formatFen(c.fundFen),
    formatFen(c.selfFen),
    settledText(c),
    c.patient.region,
    c.inst.region,
  ];
}

export function lineFields(c: Claim, l: Line): string[] {
  return [
    c.id,
    String(l.seq),
    l.codeText,
    l.item.name,
    formatDay(l.day),
    l.priceText ?? formatFen(l.priceFen),
    l.qtyText ?? formatHalfQty(l.qHalf),
    formatFen(l.amountFen),
    l.daysSupply === null ? '' : String(l.daysSupply),
  ];
}

export interface SerializedClaim {
  claimLine: string;
  itemLines: string[];
}

export function serialize(c: Claim): SerializedClaim {
  return { claimLine: csvLine(claimFields(c)), itemLines: c.lines.map((l) => csvLine(lineFields(c, l))) };
}

// ---------------------------------------------------------------------------------------------
// Labels (computed from what was planted, per the contract's table)

export function labelsOf(c: Claim): Label[] {
  const out: Label[] = [];
  if (c.claimCats.length === 0 && c.lines.every((l) => l.tag === null)) return out; // the common case
  const daily = new Map<string, Line[]>();
  const exclusive = new Map<string, Line[]>();
  for (const l of c.lines) {
    switch (l.tag) {
      case null:
        break;
      case 'GENDER_LIMIT':
      case 'AGE_LIMIT':
      case 'INDICATION':
      case 'SETTING_LIMIT':
        out.push({ seq: l.seq, category: l.tag, amountFen: l.amountFen });
        break;
      case 'PRICE_CEILING': {
        // (unit_price − ceiling) × quantity; plants keep this a whole number of fen
        const twice = (l.priceFen - (l.item.ceilingFen as number)) * l.qHalf;
        if (twice % 2 !== 0) throw new Error('price plant with a half-fen amount at risk');
        out.push({ seq: l.seq, category: l.tag, amountFen: twice / 2 });
        break;
      }
      case 'DAYS_SUPPLY': {
        const ds = l.daysSupply as number;
        out.push({ seq: l.seq, category: l.tag, amountFen: roundHalfUpDiv(l.amountFen * (ds - (l.item.maxDays as number)), ds) });
        break;
      }
      case 'DAILY_QTY': {
        const key = `${l.item.code}|${l.day}`;
        daily.set(key, [...(daily.get(key) ?? []), l]);
        break;
      }
      case 'EXCLUSIVE_ITEMS': {
        const key = `${l.item.group}|${l.day}`;
        exclusive.set(key, [...(exclusive.get(key) ?? []), l]);
        break;
      }
    }
  }
  for (const lines of daily.values()) {
    const item = (lines[0] as Line).item;
    const excessHalf = lines.reduce((s, l) => s + l.qHalf, 0) - 2 * (item.maxDaily as number);
    const last = lines.reduce((a, b) => (b.seq > a.seq ? b : a));
    if (excessHalf <= 0 || (excessHalf * last.priceFen) % 2 !== 0) throw new Error('bad daily-quantity plant');
    for (const l of lines) out.push({ seq: l.seq, category: 'DAILY_QTY', amountFen: l === last ? (excessHalf * last.priceFen) / 2 : 0 });
  }
  for (const lines of exclusive.values()) {
    let keep = lines[0] as Line;
    for (const l of lines) if (l.amountFen > keep.amountFen || (l.amountFen === keep.amountFen && l.seq < keep.seq)) keep = l;
    for (const l of lines) if (l !== keep) out.push({ seq: l.seq, category: 'EXCLUSIVE_ITEMS', amountFen: l.amountFen });
  }
  for (const cat of c.claimCats) out.push({ seq: null, category: cat, amountFen: c.fundFen });
  return out;
}
