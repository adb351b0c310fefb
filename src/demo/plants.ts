import { civilFromDays, completedYears, daysFromCivil, type Ymd } from '../common/calendar';
import {
  cloneClaim,
  finalize,
  MAX_LINES,
  settingOf,
  usesIn,
  type Claim,
  type ClaimSpec,
  type DischargeStatus,
  type LineCategory,
  type Patient,
  type Revisit,
  type VisitType,
  type World,
} from './claim-builder';
import type { CatalogItem, Institution } from './reference-data';

/**
 * Planted violations and near misses. A plant starts from a compliant claim context, picks the
 * item that will trip its category, fills the rest of the claim around it (never with that item or
 * its exclusive group) and adds the tagged line(s); `labelsOf` then computes the exact amount at
 * risk from the tags. Near misses sit exactly on a limit and carry no tag. Cross-claim scenarios
 * use patients reserved for them, so ordinary claims can never pair up with them by accident.
 */

export const LINE_CATEGORIES: LineCategory[] = [
  'GENDER_LIMIT',
  'AGE_LIMIT',
  'PRICE_CEILING',
  'DAILY_QTY',
  'DAYS_SUPPLY',
  'INDICATION',
  'SETTING_LIMIT',
  'EXCLUSIVE_ITEMS',
];

export const NEAR_KINDS = [
  'price_at_ceiling',
  'age_at_min',
  'age_at_max',
  'daily_exact',
  'days_exact',
  'days_inpatient',
  'exclusive_other_day',
  'indication_secondary',
] as const;
export type NearKind = (typeof NEAR_KINDS)[number];

export const PROBLEMS = [
  'missing_required',
  'bad_enum',
  'impossible_date',
  'nonpositive_quantity',
  'total_mismatch',
  'items_sum_mismatch',
  'discharge_before_admission',
  'amount_mismatch',
] as const;
export type Problem = (typeof PROBLEMS)[number];

export type Task =
  /** `at`: an extra plant at an institution with the abusive behaviour "violations" */
  | { t: 'plant'; cat: LineCategory; variant: number; remove: boolean; at?: Institution }
  | { t: 'near'; kind: NearKind; variant: number }
  | { t: 'malformed'; problem: Problem; fix: boolean }
  | { t: 'corrPlain' }
  | { t: 'corrIntro'; cat: 'DAILY_QTY' | 'PRICE_CEILING' };

export type CorrectionKind = 'plain' | 'introDaily' | 'introPrice' | 'removePrice' | 'removeDays' | 'dupRemove' | 'fundSplit';

// ---------------------------------------------------------------------------------------------
// Ordinary claims

const LOS_WEIGHTS = [6, 9, 12, 12, 11, 10, 9, 8, 6, 5, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1];

/**
 * Length of stay: longer for severe cases, a little longer at hospitals treating sicker patients
 * (severity) and by the institution's habit; much longer where stays are stretched ("longStay").
 */
function drawLos(w: World, patient: Patient, day: number, inst: Institution, dx: string): number {
  const rng = w.rng;
  let los = completedYears(patient.birth, civilFromDays(day)) === 0 ? rng.int(2, 7) : 1 + rng.weightedIndex(LOS_WEIGHTS);
  if (w.isSevere(dx)) los += rng.int(1, 4);
  if (rng.chance(0.6 * inst.severity)) los += rng.int(1, 2);
  if (rng.chance(inst.style.extraDay)) los += 1;
  const stretch = inst.abuse?.longStay;
  if (stretch !== undefined && rng.chance(0.5 + 0.5 * stretch)) los += rng.int(1, 2 + Math.round(4 * stretch));
  return los;
}

export function drawVisit(w: World): VisitType {
  return (['outpatient', 'pharmacy', 'inpatient'] as const)[w.rng.weightedIndex([60, 22, 18])];
}

interface OrdinaryOpts {
  visit?: VisitType;
  /** plain ordinary claims may end in death, transfer or other; task claims stay "normal" */
  plain?: boolean;
  maxLines?: number;
  /** a planted violation: institutions with the abusive behaviour "violations" get more of them */
  plant?: boolean;
  /** the institution, when the caller chose it */
  at?: Institution;
}

/** The context of an ordinary claim on `day` (patient, place, dates), without lines yet. */
export function ordinarySpec(w: World, day: number, opts: OrdinaryOpts = {}): ClaimSpec {
  const rng = w.rng;
  const visit = opts.visit ?? drawVisit(w);
  const patient = w.pickPatient(day, visit);
  const inst = opts.at ?? w.pickInstitution(visit, patient, opts.plant === true);
  let disDay = day;
  let status: DischargeStatus = 'normal';
  let dx: string | undefined;
  if (visit === 'inpatient') {
    // the diagnosis first: the stay's length depends on it
    dx = w.pickDiagnosis(patient, visit, day, [], inst);
    disDay = day + drawLos(w, patient, day, inst, dx);
    if (opts.plain) {
      const age = completedYears(patient.birth, civilFromDays(day));
      const r = rng.float();
      if (r < (age >= 65 ? 0.025 : 0.002)) status = 'death';
      else if (r < 0.045) status = 'transfer';
      else if (r < 0.065) status = 'other';
    }
  }
  return { patient, visit, inst, admDay: day, disDay, status, ...(dx !== undefined ? { dx } : {}), ...(opts.maxLines !== undefined ? { maxLines: opts.maxLines } : {}) };
}

export function buildOrdinary(w: World, day: number, opts: OrdinaryOpts = {}): Claim {
  const c = w.buildClaim(ordinarySpec(w, day, opts));
  w.occupy(c);
  return c;
}

/**
 * The claim of an ordinary slot: a revisit planned for the day when there is one (its patient still
 * free), otherwise a new ordinary claim, which may plan a revisit of its own.
 */
export function buildPlain(w: World, day: number): Claim {
  for (let r = w.takeRevisit(day); r; r = w.takeRevisit(day)) {
    const c = buildRevisit(w, r);
    if (c) return c;
  }
  const c = buildOrdinary(w, day, { plain: true });
  planRevisit(w, c);
  return c;
}

/**
 * Follow-ups: every institution sees some patients again within a week (and a few readmissions
 * 16–31 days later); institutions with the abusive behaviour "revisits" induce many more, and
 * readmit within 2–15 days too — under another diagnosis category, which is not a split admission
 * by the contract. Revisits never plan revisits of their own.
 */
function planRevisit(w: World, c: Claim): void {
  const rng = w.rng;
  const induce = c.inst.abuse?.revisits ?? 0;
  if (c.status === 'death' || c.patient.reserved) return;
  if (c.visit === 'inpatient') {
    if (!rng.chance(0.015 + (induce > 0 ? 0.05 + 0.2 * induce : 0))) return;
    const short = induce > 0 && rng.chance(0.4);
    const day = c.disDay + (short ? rng.int(2, 15) : rng.int(16, 31));
    const same = !short && rng.chance(0.5);
    w.planRevisit({ patient: c.patient, inst: c.inst, visit: 'inpatient', day, ...(same ? { dx: c.dx } : {}), avoid3: short ? [c.dx.slice(0, 3)] : [] });
  } else {
    const p = c.visit === 'pharmacy' ? 0.02 + (induce > 0 ? 0.05 + 0.25 * induce : 0) : 0.04 + (induce > 0 ? 0.05 + 0.3 * induce : 0);
    if (!rng.chance(p)) return;
    const day = c.admDay + rng.int(induce > 0 ? 1 : 3, 7);
    w.planRevisit({ patient: c.patient, inst: c.inst, visit: c.visit, day, ...(rng.chance(0.7) ? { dx: c.dx } : {}), avoid3: [] });
  }
}

function buildRevisit(w: World, r: Revisit): Claim | null {
  const p = r.patient;
  if (p.dead || p.lastDay >= r.day || p.busyUntil >= r.day) return null;
  const dx = r.dx ?? (r.visit === 'pharmacy' && w.rng.chance(0.5) ? '' : w.pickDiagnosis(p, r.visit, r.day, r.avoid3, r.inst));
  if (r.avoid3.includes(dx.slice(0, 3))) return null;
  const disDay = r.visit === 'inpatient' ? r.day + drawLos(w, p, r.day, r.inst, dx) : r.day;
  const c = w.buildClaim({ patient: p, visit: r.visit, inst: r.inst, admDay: r.day, disDay, dx, status: 'normal' });
  w.occupy(c);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Helpers for plants

function insertLine(w: World, c: Claim, line: Claim['lines'][number]): void {
  c.lines.splice(w.rng.int(0, c.lines.length), 0, line);
}

/** Catalog items that may be planted in `c` on `day`, compliant in every respect but `except`. */
function plantable(w: World, c: Claim, day: number, pred: (it: CatalogItem) => boolean, except: LineCategory | null, anyUse = false): CatalogItem[] {
  return w.catalog.filter(
    (it) =>
      pred(it) &&
      (c.visit !== 'pharmacy' || it.kind === 'drug') &&
      (anyUse || usesIn(it, c.visit)) &&
      (c.visit === 'inpatient' || !it.perStay || anyUse) &&
      w.compliant(c, it, day, except),
  );
}

function dayIn(w: World, c: Claim): number {
  return c.visit === 'inpatient' ? w.rng.int(c.admDay, c.disDay) : c.admDay;
}

/** Fills a planted claim's compliant part, keeping away from the planted items and their groups. */
function fillAround(w: World, c: Claim, spec: ClaimSpec, items: CatalogItem[], room: number): void {
  const exclude = new Set(items.map((i) => i.code));
  const excludeGroups = new Set(items.map((i) => i.group).filter((g): g is string => g !== null));
  w.fill(c, { ...spec, exclude, excludeGroups, maxLines: MAX_LINES - room });
}

function evenDelta(w: World, ceilingFen: number): number {
  return 2 * w.rng.int(1, Math.max(1, Math.floor(ceilingFen * 0.12)));
}

/** Day number of the date `years` years before `on` (same month and day; `on` is never Feb 29). */
function yearsBefore(on: Ymd, years: number): number {
  return daysFromCivil(on.y - years, on.m, on.d);
}

function notFeb29(day: number): boolean {
  const v = civilFromDays(day);
  return !(v.m === 2 && v.d === 29);
}

// ---------------------------------------------------------------------------------------------
// Task claims (ordinary slots carrying a plant, a near miss, or a correction/malformation role)

export function visitForTask(w: World, task: Task): VisitType {
  const v = drawTaskVisit(w, task);
  if (task.t !== 'plant' || !task.at) return v;
  // an extra plant at a given institution: the visit it can have
  if (task.at.kind === 'pharmacy') return 'pharmacy';
  return v === 'pharmacy' || (v === 'inpatient' && !task.at.hasBeds) ? 'outpatient' : v;
}

function drawTaskVisit(w: World, task: Task): VisitType {
  const rng = w.rng;
  switch (task.t) {
    case 'plant':
      switch (task.cat) {
        case 'DAYS_SUPPLY':
          return rng.chance(0.6) ? 'outpatient' : 'pharmacy';
        case 'EXCLUSIVE_ITEMS':
          return task.variant % 2 === 0 ? 'outpatient' : 'inpatient';
        case 'DAILY_QTY':
          return task.variant % 3 === 2 ? 'inpatient' : 'outpatient';
        case 'PRICE_CEILING':
          return task.variant % 3 === 2 ? 'inpatient' : rng.chance(0.7) ? 'outpatient' : 'pharmacy';
        case 'SETTING_LIMIT':
          return (['outpatient', 'inpatient', 'pharmacy'] as const)[task.variant % 3];
        case 'INDICATION':
          return (['outpatient', 'pharmacy', 'inpatient'] as const)[task.variant % 3];
        case 'GENDER_LIMIT':
          return (['outpatient', 'outpatient', 'pharmacy', 'inpatient'] as const)[task.variant % 4];
        case 'AGE_LIMIT':
          return 'outpatient';
      }
      break;
    case 'near':
      switch (task.kind) {
        case 'days_inpatient':
        case 'exclusive_other_day':
          return 'inpatient';
        case 'days_exact':
          return rng.chance(0.5) ? 'outpatient' : 'pharmacy';
        case 'age_at_min':
        case 'age_at_max':
        case 'indication_secondary':
          return 'outpatient';
        default:
          return rng.chance(0.7) ? 'outpatient' : 'inpatient';
      }
    case 'malformed':
      return task.problem === 'discharge_before_admission' ? 'inpatient' : drawVisit(w);
    case 'corrIntro':
      return rng.chance(0.7) ? 'outpatient' : 'inpatient';
    case 'corrPlain':
      return drawVisit(w);
  }
  return 'outpatient';
}

/**
 * Builds the claim of an ordinary slot that carries a task. Returns null when no plant fits the
 * drawn context (the caller retries with a new context).
 */
export function buildTaskClaim(w: World, task: Task, day: number): Claim | null {
  const visit = visitForTask(w, task);
  if (task.t === 'plant' && task.cat === 'AGE_LIMIT') return agePlant(w, task.variant, day, task.at);
  if (task.t === 'near' && (task.kind === 'age_at_min' || task.kind === 'age_at_max')) return ageNear(w, task.kind, task.variant, day);
  if (task.t === 'malformed' || task.t === 'corrPlain') return buildOrdinary(w, day, { visit });

  const spec = ordinarySpec(w, day, { visit, plant: task.t === 'plant', ...(task.t === 'plant' && task.at ? { at: task.at } : {}) });
  if (task.t === 'near' && task.kind === 'exclusive_other_day' && spec.disDay === spec.admDay) spec.disDay++;
  const c = w.shell(spec);
  const ok = task.t === 'plant' ? plantLines(w, c, spec, task) : task.t === 'near' ? nearLines(w, c, spec, task.kind) : introLine(w, c, spec, task.cat);
  if (!ok) return null;
  finalize(c);
  w.occupy(c);
  return c;
}

function plantLines(w: World, c: Claim, spec: ClaimSpec, task: Extract<Task, { t: 'plant' }>): boolean {
  const rng = w.rng;
  const v = task.variant;
  const day = dayIn(w, c);
  c.note = `plant:${task.cat}`;
  switch (task.cat) {
    case 'GENDER_LIMIT': {
      const items = plantable(w, c, day, (it) => it.gender !== null && it.gender !== c.patient.gender && (v % 4 !== 1 || it.kind === 'service'), 'GENDER_LIMIT');
      if (items.length === 0) return false;
      const it = rng.pick(items);
      fillAround(w, c, spec, [it], 1);
      const l = w.makeLine(c, it, day);
      l.tag = 'GENDER_LIMIT';
      insertLine(w, c, l);
      return true;
    }
    case 'PRICE_CEILING': {
      // v%3: 0 = whole quantity, 1 = quantity 1.5, 2 = a per-stay line (quantity = length of stay)
      const perStay = v % 3 === 2;
      const items = plantable(
        w,
        c,
        perStay ? c.admDay : day,
        (it) => it.ceilingFen !== null && it.perStay === perStay && (v % 3 !== 1 || it.maxDaily === null || it.maxDaily >= 2),
        null,
      );
      if (items.length === 0) return false;
      const it = rng.pick(items);
      fillAround(w, c, spec, [it], 1);
      const ceiling = it.ceilingFen as number;
      const l = w.makeLine(c, it, perStay ? c.admDay : day, {
        priceFen: ceiling + evenDelta(w, ceiling),
        ...(perStay ? { qHalf: 2 * (c.disDay - c.admDay) } : v % 3 === 1 ? { qHalf: 3 } : {}),
      });
      l.tag = 'PRICE_CEILING';
      insertLine(w, c, l);
      if (task.remove) c.note = 'plant:PRICE_CEILING:removed-in-batch2';
      return true;
    }
    case 'DAILY_QTY': {
      // v%3: 0 = one line over the limit, 1 = two lines of one day adding up over it,
      //      2 = inpatient: within the limit one day, over it another day (only that day is flagged)
      const items = plantable(w, c, day, (it) => it.maxDaily !== null && !it.perStay, null);
      if (items.length === 0) return false;
      const it = rng.pick(items);
      const max = it.maxDaily as number;
      const over = 2 * (max + rng.int(1, 2));
      const mode = v % 3;
      fillAround(w, c, spec, [it], mode === 0 ? 1 : mode === 1 ? 2 : 3);
      if (mode === 0) {
        const l = w.makeLine(c, it, day, { qHalf: over });
        l.tag = 'DAILY_QTY';
        insertLine(w, c, l);
      } else {
        let d = day;
        if (mode === 2) {
          if (c.disDay === c.admDay) return false;
          const other = d === c.admDay ? d + 1 : d - 1;
          insertLine(w, c, w.makeLine(c, it, other, { qHalf: rng.int(1, 2 * max) }));
          d = day;
        }
        const q1 = rng.int(1, over - 1);
        for (const q of [q1, over - q1]) {
          const l = w.makeLine(c, it, d, { qHalf: q });
          l.tag = 'DAILY_QTY';
          insertLine(w, c, l);
        }
      }
      return true;
    }
    case 'DAYS_SUPPLY': {
      const items = plantable(w, c, day, (it) => it.kind === 'drug' && it.maxDays !== null && !it.administered, null);
      if (items.length === 0) return false;
      const it = rng.pick(items);
      const max = it.maxDays as number;
      fillAround(w, c, spec, [it], 1);
      let l;
      if (v % 3 === 1) {
        // days = 2 × max and an odd amount: the amount at risk is exactly half a fen over → rounds up
        let price = w.unitPrice(it, c.inst);
        if (price % 2 === 0) price -= 1;
        l = w.makeLine(c, it, day, { qHalf: 2, priceFen: price, daysSupply: 2 * max });
      } else {
        l = w.makeLine(c, it, day, { daysSupply: max + (v % 3 === 0 ? rng.int(1, max) : 1) });
      }
      l.tag = 'DAYS_SUPPLY';
      insertLine(w, c, l);
      if (task.remove) c.note = 'plant:DAYS_SUPPLY:removed-in-batch2';
      return true;
    }
    case 'INDICATION': {
      if (c.visit === 'pharmacy' && v % 2 === 1) {
        // a pharmacy sale without any diagnosis: no indication can be met
        c.dx = '';
        c.dx2 = [];
      }
      const items = plantable(w, c, day, (it) => it.indications !== null, 'INDICATION').filter(
        (it) => ![c.dx, ...c.dx2].some((d) => d !== '' && (it.indications as string[]).some((p) => d.startsWith(p))),
      );
      if (items.length === 0) return false;
      const it = rng.pick(items);
      fillAround(w, c, spec, [it], 1);
      const l = w.makeLine(c, it, day);
      l.tag = 'INDICATION';
      insertLine(w, c, l);
      return true;
    }
    case 'SETTING_LIMIT': {
      const wrong = settingOf(c.visit) === 'inpatient' ? 'outpatient' : 'inpatient';
      const items = plantable(w, c, day, (it) => it.setting === wrong && it.indications === null, 'SETTING_LIMIT', true);
      if (items.length === 0) return false;
      const it = rng.pick(items);
      fillAround(w, c, spec, [it], 1);
      const l = w.makeLine(c, it, day, it.perStay || it.maxDaily !== null ? { qHalf: 2 } : {});
      l.tag = 'SETTING_LIMIT';
      insertLine(w, c, l);
      return true;
    }
    case 'EXCLUSIVE_ITEMS': {
      // v%4 (with v/2 picking the visit): bundle + part, bundle + two parts, two parts, two equal parts (tie)
      const mode = Math.floor(v / 2) % 4;
      const groups = [...new Set(w.catalog.filter((it) => it.group !== null).map((it) => it.group as string))];
      const g = rng.pick(mode === 3 ? groups.filter((x) => x === 'CBC' || x === 'LFT') : groups);
      const members = plantable(w, c, day, (it) => it.group === g, null);
      const bundle = members.filter((it) => it.groupRole === 'bundle');
      const parts = rng.shuffle(members.filter((it) => it.groupRole === 'part'));
      let chosen: CatalogItem[];
      if (mode === 0) chosen = [...bundle.slice(0, 1), ...parts.slice(0, 1)];
      else if (mode === 1) chosen = [...bundle.slice(0, 1), ...parts.slice(0, 2)];
      else if (mode === 2) chosen = parts.slice(0, 2);
      else {
        // two parts with the same price, so the amounts tie and the lowest item_seq is kept
        const byPrice = new Map<number, CatalogItem[]>();
        for (const p of parts) byPrice.set(p.priceFen, [...(byPrice.get(p.priceFen) ?? []), p]);
        chosen = [...byPrice.values()].find((x) => x.length >= 2)?.slice(0, 2) ?? parts.slice(0, 2);
      }
      if (chosen.length < 2) return false;
      fillAround(w, c, spec, chosen, chosen.length);
      for (const it of chosen) {
        const l = w.makeLine(c, it, day, { qHalf: 2 });
        l.tag = 'EXCLUSIVE_ITEMS';
        insertLine(w, c, l);
      }
      return true;
    }
    case 'AGE_LIMIT':
      return false; // built by agePlant
  }
}

/**
 * The service day and birth day for an age plant: `make` derives the birth day from the service
 * date; neither may be Feb 29 (completed years would depend on a convention), so nearby days are tried.
 */
function ageDays(w: World, day0: number, make: (on: Ymd) => number): { day: number; birthDay: number } | null {
  for (const d of [day0, day0 + 1, day0 - 1, day0 + 2, day0 - 2]) {
    if (d < w.period.start || d > w.period.end || !notFeb29(d)) continue;
    const birthDay = make(civilFromDays(d));
    if (notFeb29(birthDay)) return { day: d, birthDay };
  }
  return null;
}

function ageItems(w: World, bound: 'min' | 'max'): CatalogItem[] {
  return w.catalog.filter(
    (it) => (bound === 'min' ? it.minAge !== null : it.maxAge !== null) && it.indications === null && it.setting !== 'inpatient' && it.useOp && !it.perStay,
  );
}

/** An outpatient claim of a new patient (born `birthDay`) with `it` on `day`, compliant otherwise. */
function ageClaim(w: World, it: CatalogItem, day: number, birthDay: number, plant: boolean | Institution, tag: boolean, note: string): Claim {
  const rng = w.rng;
  const patient = w.newPatient({ birthDay, gender: it.gender ?? (rng.chance(0.5) ? 'M' : 'F'), reserved: true });
  const inst = typeof plant === 'boolean' ? w.pickInstitution('outpatient', patient, plant) : plant;
  const spec: ClaimSpec = { patient, visit: 'outpatient', inst, admDay: day, disDay: day };
  const c = w.shell(spec);
  c.note = note;
  fillAround(w, c, spec, [it], 1);
  const l = w.makeLine(c, it, day);
  if (tag) l.tag = 'AGE_LIMIT';
  insertLine(w, c, l);
  finalize(c);
  return c;
}

/** Age plants use a new patient whose birth date puts them just outside (or well outside) the bound. */
function agePlant(w: World, variant: number, day0: number, at?: Institution): Claim | null {
  const rng = w.rng;
  // 0: below min_age, 1: above max_age, 2: the day before the min_age birthday, 3: on the (max_age + 1) birthday
  const mode = variant % 4;
  const it = rng.pick(ageItems(w, mode === 0 || mode === 2 ? 'min' : 'max'));
  const min = it.minAge as number;
  const max = it.maxAge as number;
  const r = ageDays(w, day0, (on) => {
    if (mode === 0) return yearsBefore(on, rng.int(Math.max(1, min - 12), min - 1)) - rng.int(1, 300);
    if (mode === 1) return yearsBefore(on, rng.int(max + 1, Math.min(92, max + 50))) - rng.int(1, 300);
    if (mode === 2) return yearsBefore(on, min) + 1; // turns min_age tomorrow
    return yearsBefore(on, max + 1); // turns max_age + 1 today
  });
  return r ? ageClaim(w, it, r.day, r.birthDay, at ?? true, true, 'plant:AGE_LIMIT') : null;
}

/** Age exactly at a bound: min-age birthday on the service date, or exactly max_age (birthday today / turning max+1 tomorrow). */
function ageNear(w: World, kind: 'age_at_min' | 'age_at_max', variant: number, day0: number): Claim | null {
  const it = w.rng.pick(ageItems(w, kind === 'age_at_min' ? 'min' : 'max'));
  const min = it.minAge as number;
  const max = it.maxAge as number;
  const r = ageDays(w, day0, (on) => {
    if (kind === 'age_at_min') return yearsBefore(on, min);
    if (variant % 2 === 0 && max > 0) return yearsBefore(on, max);
    return yearsBefore(on, max + 1) + 1;
  });
  return r ? ageClaim(w, it, r.day, r.birthDay, false, false, `near:${kind}`) : null;
}

function nearLines(w: World, c: Claim, spec: ClaimSpec, kind: NearKind): boolean {
  const rng = w.rng;
  const day = dayIn(w, c);
  c.note = `near:${kind}`;
  switch (kind) {
    case 'price_at_ceiling': {
      const items = plantable(w, c, day, (it) => it.ceilingFen !== null && it.ceilingFen > it.priceFen && !it.perStay, null);
      if (items.length === 0) return false;
      const it = rng.pick(items);
      fillAround(w, c, spec, [it], 1);
      insertLine(w, c, w.makeLine(c, it, day, { priceFen: it.ceilingFen as number }));
      return true;
    }
    case 'daily_exact': {
      const items = plantable(w, c, day, (it) => it.maxDaily !== null && !it.perStay, null);
      if (items.length === 0) return false;
      const it = rng.pick(items);
      const total = 2 * (it.maxDaily as number);
      const split = rng.chance(0.5);
      fillAround(w, c, spec, [it], split ? 2 : 1);
      if (split) {
        // e.g. 1.5 + 0.5 = 2 = max_daily_qty: decimals must add up exactly
        const q1 = rng.int(1, total - 1);
        insertLine(w, c, w.makeLine(c, it, day, { qHalf: q1 }));
        insertLine(w, c, w.makeLine(c, it, day, { qHalf: total - q1 }));
      } else {
        insertLine(w, c, w.makeLine(c, it, day, { qHalf: total }));
      }
      return true;
    }
    case 'days_exact': {
      const items = plantable(w, c, day, (it) => it.kind === 'drug' && it.maxDays !== null && !it.administered, null);
      if (items.length === 0) return false;
      const it = rng.pick(items);
      fillAround(w, c, spec, [it], 1);
      insertLine(w, c, w.makeLine(c, it, day, { daysSupply: it.maxDays as number }));
      return true;
    }
    case 'days_inpatient': {
      // discharge medication (出院带药) beyond the outpatient maximum: the rule is for outpatient/pharmacy only
      const items = plantable(w, c, c.disDay, (it) => it.kind === 'drug' && it.maxDays !== null && !it.administered, null);
      if (items.length === 0) return false;
      const it = rng.pick(items);
      fillAround(w, c, spec, [it], 1);
      insertLine(w, c, w.makeLine(c, it, c.disDay, { daysSupply: (it.maxDays as number) + rng.int(1, 10) }));
      return true;
    }
    case 'exclusive_other_day': {
      const groups = [...new Set(w.catalog.filter((it) => it.group !== null).map((it) => it.group as string))];
      const g = rng.pick(groups);
      const members = plantable(w, c, c.admDay, (it) => it.group === g, null);
      const bundle = members.find((it) => it.groupRole === 'bundle');
      const part = members.find((it) => it.groupRole === 'part');
      if (!bundle || !part) return false;
      fillAround(w, c, spec, [bundle, part], 2);
      const d1 = rng.int(c.admDay, c.disDay - 1);
      insertLine(w, c, w.makeLine(c, bundle, d1, { qHalf: 2 }));
      insertLine(w, c, w.makeLine(c, part, d1 + 1, { qHalf: 2 }));
      return true;
    }
    case 'indication_secondary': {
      // the item's indication is met by a secondary diagnosis only
      const items = plantable(w, c, day, (it) => it.indications !== null && it.indications.every((p) => p.length >= 3), 'INDICATION').filter(
        (it) => !(it.indications as string[]).some((p) => c.dx.startsWith(p)),
      );
      if (items.length === 0 || c.dx === '') return false;
      const it = rng.pick(items);
      const p = rng.pick(it.indications as string[]);
      c.dx2 = [p.length === 3 ? `${p}.9` : p];
      if (!w.compliant(c, it, day)) return false;
      fillAround(w, c, spec, [it], 1);
      insertLine(w, c, w.makeLine(c, it, day));
      return true;
    }
    case 'age_at_min':
    case 'age_at_max':
      return false;
  }
}

/** A compliant line that a batch-2 correction will push over its daily maximum or price ceiling. */
function introLine(w: World, c: Claim, spec: ClaimSpec, cat: 'DAILY_QTY' | 'PRICE_CEILING'): boolean {
  const day = dayIn(w, c);
  const items = plantable(w, c, day, (it) => !it.perStay && (cat === 'DAILY_QTY' ? it.maxDaily !== null : it.ceilingFen !== null), null);
  if (items.length === 0) return false;
  const it = w.rng.pick(items);
  fillAround(w, c, spec, [it], 1);
  const l = w.makeLine(c, it, day);
  l.mark = 'intro';
  insertLine(w, c, l);
  c.note = `intro:${cat}`;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Corrections (batch 2)

/** Applies a batch-2 correction to a copy of a stored claim; returns the new version. */
export function correct(w: World, original: Claim, kind: CorrectionKind): Claim {
  const rng = w.rng;
  const c = cloneClaim(original);
  switch (kind) {
    case 'plain':
    case 'dupRemove': {
      // one line's quantity changes, staying within the item's daily maximum
      const lines = c.lines.filter((l) => !l.item.perStay && l.tag === null);
      const l = lines.length > 0 ? rng.pick(lines) : rng.pick(c.lines);
      const cap = l.item.maxDaily !== null ? 2 * l.item.maxDaily : Math.max(l.qHalf + 4, 8);
      const options: number[] = [];
      for (let q = 1; q <= cap; q++) if (q !== l.qHalf) options.push(q);
      if (options.length === 0) throw new Error('no alternative quantity');
      l.qHalf = rng.pick(options);
      delete l.qtyText;
      if (kind === 'dupRemove') c.claimCats = c.claimCats.filter((x) => x !== 'DUPLICATE_CLAIM');
      break;
    }
    case 'introDaily': {
      const l = c.lines.find((x) => x.mark === 'intro') as Claim['lines'][number];
      l.qHalf = 2 * ((l.item.maxDaily as number) + rng.int(1, 2));
      l.tag = 'DAILY_QTY';
      break;
    }
    case 'introPrice': {
      const l = c.lines.find((x) => x.mark === 'intro') as Claim['lines'][number];
      l.priceFen = (l.item.ceilingFen as number) + evenDelta(w, l.item.ceilingFen as number);
      l.tag = 'PRICE_CEILING';
      break;
    }
    case 'removePrice': {
      const l = c.lines.find((x) => x.tag === 'PRICE_CEILING') as Claim['lines'][number];
      l.priceFen = l.item.ceilingFen as number;
      l.tag = null;
      break;
    }
    case 'removeDays': {
      const l = c.lines.find((x) => x.tag === 'DAYS_SUPPLY') as Claim['lines'][number];
      l.daysSupply = l.item.maxDays;
      l.tag = null;
      break;
    }
    case 'fundSplit': {
      // re-settled with a different fund share; the total stays, fund_paid (the amount at risk) moves
      const old = c.fundFen;
      for (let i = 0; i < 20 && c.fundFen === old; i++) {
        c.fundPermille = Math.min(1000, Math.max(0, c.fundPermille + (rng.chance(0.5) ? 1 : -1) * rng.int(50, 150)));
        finalize(c);
      }
      break;
    }
  }
  finalize(c);
  c.note = `corrected:${kind}`;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Cross-claim scenarios (reserved patients)

export interface ScenarioClaim {
  claim: Claim;
  batch: 1 | 2;
  correction: CorrectionKind | null;
}

const SPLIT_DX: [string, string][] = [
  ['J18.0', 'J18.9'],
  ['E11.6', 'E11.9'],
  ['I63.9', 'I63.9'],
  ['J44.1', 'J44.1'],
  ['I50.9', 'I50.1'],
  ['K74.6', 'K74.6'],
];

/**
 * Builds every cross-claim scenario (DUPLICATE_CLAIM, SPLIT_ADMISSION, OVERLAP_ADMISSION,
 * AFTER_DEATH) and the matching near misses, `k` of each category and `kNear` of each near miss.
 * Claims come back in emission order; callers place them on their admission days.
 */
export function buildScenarios(w: World, k: number, kNear: number): ScenarioClaim[] {
  const rng = w.rng;
  const { start, end } = w.period;
  const out: ScenarioClaim[] = [];
  const adult = (minAge = 30, maxAge = 80): Patient => w.newPatient({ reserved: true, minAge, maxAge });
  const hospitals = w.ipInsts.filter((i) => i.kind === 'hospital');
  const otherHospital = (not: Institution): Institution => rng.pick(hospitals.filter((h) => h.code !== not.code));
  const push = (claim: Claim, note: string, batch: 1 | 2 = 1, correction: CorrectionKind | null = null): void => {
    claim.note = note;
    out.push({ claim, batch, correction });
  };
  const stay = (patient: Patient, inst: Institution, adm: number, los: number, dx: string, status: DischargeStatus = 'normal'): Claim =>
    w.buildClaim({ patient, visit: 'inpatient', inst, admDay: adm, disDay: adm + los, dx, dx2: [], status });
  const visit = (patient: Patient, v: VisitType, day: number, plant = false): Claim =>
    w.buildClaim({ patient, visit: v, inst: w.pickInstitution(v, patient, plant), admDay: day, disDay: day });
  const span = end - start;

  // DUPLICATE_CLAIM — the same visit settled twice
  // k duplicates stay; removeDup more are corrected away in batch 2
  const removeDup = Math.max(1, Math.floor(k / 10));
  for (let i = 0; i < k + removeDup; i++) {
    // 0 outpatient, 1 pharmacy, 2 inpatient, 3 same settled_at (the larger claim_id is flagged),
    // 4 lines reordered and codes/numbers respelled, 5 the first-emitted copy settles later,
    // 6 the second copy arrives in batch 2; the extra ones (i ≥ k) are corrected away in batch 2
    const mode = i >= k ? 0 : i % 7;
    const p = adult();
    const v: VisitType = mode === 1 ? 'pharmacy' : mode === 2 ? 'inpatient' : 'outpatient';
    let a: Claim;
    if (v === 'inpatient') {
      const inst = w.pickInstitution('inpatient', p, true);
      a = stay(p, inst, start + rng.int(0, span - 3), rng.int(2, 7), w.pickDiagnosis(p, 'inpatient', start));
    } else {
      a = visit(p, v, start + rng.int(0, span), true);
    }
    const b = cloneClaim(a);
    if (v !== 'pharmacy' && rng.chance(0.5)) b.physician = w.pickPhysician(b.inst, p, b.dx, b.admDay);
    if (rng.chance(0.5)) {
      b.fundPermille = Math.max(0, b.fundPermille - rng.int(10, 80));
    }
    if (mode === 3) {
      // identical settlement time: the larger claim_id (emitted second) is the duplicate
    } else {
      const later = rng.int(60, 3 * 86400);
      const s = b.settledSecond + later;
      b.settledDay += Math.floor(s / 86400);
      b.settledSecond = s % 86400;
    }
    if (mode === 4) {
      rng.shuffle(b.lines);
      for (const l of b.lines) {
        l.codeText = rng.chance(0.5) ? l.item.code.toLowerCase() : ` ${l.item.code}`;
        if (l.qHalf % 2 === 0) l.qtyText = `${l.qHalf / 2}.00`;
        if (l.priceFen % 10 === 0) l.priceText = (l.priceFen / 100).toFixed(l.priceFen % 100 === 0 ? 0 : 1);
      }
    }
    finalize(b);
    b.claimCats = ['DUPLICATE_CLAIM'];
    const removeLater = i >= k;
    if (mode === 5) {
      push(b, 'scenario:DUPLICATE_CLAIM');
      push(a, 'scenario:DUPLICATE_CLAIM:original');
    } else {
      push(a, 'scenario:DUPLICATE_CLAIM:original');
      push(b, 'scenario:DUPLICATE_CLAIM', mode === 6 ? 2 : 1, removeLater ? 'dupRemove' : null);
    }
  }
  for (let i = 0; i < kNear; i++) {
    // same patient, place and day, one quantity differs: not a duplicate
    const p = adult();
    const a = visit(p, 'outpatient', start + rng.int(0, span));
    const b = cloneClaim(a);
    const l = b.lines.find((x) => !x.item.perStay) ?? (b.lines[0] as Claim['lines'][number]);
    const cap = l.item.maxDaily !== null ? 2 * l.item.maxDaily : 8;
    l.qHalf = l.qHalf < cap ? l.qHalf + 1 : l.qHalf - 1;
    if (l.qHalf < 1) l.qHalf = 2;
    b.settledSecond = Math.min(86399, b.settledSecond + rng.int(60, 3600));
    finalize(b);
    push(a, 'near:duplicate_other_quantity');
    push(b, 'near:duplicate_other_quantity');
  }

  // SPLIT_ADMISSION — discharged and re-admitted to the same hospital within 0–15 days, same 3-char diagnosis
  for (let i = 0; i < k; i++) {
    const p = adult(45, 85);
    const inst = w.pickInstitution('inpatient', p, true);
    const [dxA, dxB] = SPLIT_DX[i % SPLIT_DX.length] as [string, string];
    const gap = i % 3 === 0 ? 0 : i % 3 === 1 ? 15 : rng.int(1, 14);
    const losA = rng.int(2, 6);
    const losB = rng.int(1, 6);
    const adm = start + rng.int(0, Math.max(0, span - losA - gap));
    const a = stay(p, inst, adm, losA, dxA);
    const b = stay(p, inst, adm + losA + gap, losB, dxB);
    b.claimCats = ['SPLIT_ADMISSION'];
    push(a, 'scenario:SPLIT_ADMISSION:first');
    push(b, `scenario:SPLIT_ADMISSION:gap${gap}`);
  }
  for (let i = 0; i < kNear; i++) {
    // 16 days later (outside the window), and 5 days later with another diagnosis category
    for (const [gap, dxB] of [
      [16, 'I63.9'],
      [rng.int(1, 10), 'J18.9'],
    ] as [number, string][]) {
      const p = adult(45, 85);
      const inst = w.pickInstitution('inpatient', p);
      const losA = rng.int(2, 5);
      const adm = start + rng.int(0, Math.max(0, span - losA - gap));
      push(stay(p, inst, adm, losA, 'I63.9'), gap === 16 ? 'near:readmission_16_days' : 'near:readmission_other_dx');
      push(stay(p, inst, adm + losA + gap, rng.int(1, 5), dxB), gap === 16 ? 'near:readmission_16_days' : 'near:readmission_other_dx');
    }
  }

  // OVERLAP_ADMISSION — two hospitals at once
  for (let i = 0; i < k; i++) {
    const p = adult(40, 85);
    const instA = w.pickInstitution('inpatient', p, true);
    const instB = otherHospital(instA);
    const losA = rng.int(4, 10);
    const adm = start + rng.int(0, Math.max(0, span - losA));
    const mode = i % 3; // 0 B starts inside A and ends after, 1 B nested in A, 2 same admission day
    const r = mode === 2 ? 0 : rng.int(1, losA - 1);
    const losB = mode === 1 ? rng.int(1, losA - r) : rng.int(losA - r + 1, losA - r + 6); // nested: ends no later than A
    const a = stay(p, instA, adm, losA, w.pickDiagnosis(p, 'inpatient', adm));
    const b = stay(p, instB, adm + r, losB, w.pickDiagnosis(p, 'inpatient', adm));
    a.claimCats = ['OVERLAP_ADMISSION'];
    b.claimCats = ['OVERLAP_ADMISSION'];
    push(a, 'scenario:OVERLAP_ADMISSION');
    push(b, 'scenario:OVERLAP_ADMISSION');
  }
  for (let i = 0; i < kNear; i++) {
    // transfer: one discharge day is the next admission day — touching, not overlapping
    const p = adult(40, 85);
    const instA = w.pickInstitution('inpatient', p);
    const instB = otherHospital(instA);
    const losA = rng.int(2, 8);
    const adm = start + rng.int(0, Math.max(0, span - losA));
    const dx = w.pickDiagnosis(p, 'inpatient', adm);
    push(stay(p, instA, adm, losA, dx, 'transfer'), 'near:adjacent_stays');
    push(stay(p, instB, adm + losA, rng.int(1, 8), dx), 'near:adjacent_stays');
  }

  // AFTER_DEATH — claims dated after the registry's death date, or after a stay that ended in death
  const fundSplits = Math.max(1, Math.floor(k / 10));
  for (let i = 0; i < k; i++) {
    const p = adult(60, 92);
    const mode = i % 3; // 0 registry death, later visit; 1 registry death inside a billed stay; 2 died in hospital, later claim
    if (mode === 0) {
      const death = start + rng.int(5, Math.max(5, span - 2));
      p.registryDeath = death;
      if (rng.chance(0.6) && death - 3 >= start) push(visit(p, 'outpatient', death - rng.int(1, Math.min(30, death - start))), 'scenario:AFTER_DEATH:before');
      const c = visit(p, rng.chance(0.5) ? 'pharmacy' : 'outpatient', death + rng.int(1, Math.max(1, Math.min(20, end - death))));
      c.claimCats = ['AFTER_DEATH'];
      push(c, 'scenario:AFTER_DEATH:registry', 1, i < 3 * fundSplits ? 'fundSplit' : null);
    } else if (mode === 1) {
      const death = start + rng.int(4, Math.max(4, span - 3));
      p.registryDeath = death;
      const inst = w.pickInstitution('inpatient', p, true);
      const adm = Math.max(start, death - rng.int(1, 4));
      const c = w.shell({ patient: p, visit: 'inpatient', inst, admDay: adm, disDay: death + rng.int(1, 3), dx: w.pickDiagnosis(p, 'inpatient', adm), dx2: [] });
      w.fill(c, { patient: p, visit: 'inpatient', inst, admDay: adm, disDay: c.disDay, maxLines: MAX_LINES - 1 });
      // a line billed the day after the death date (unless the stay already has one of that item that day)
      const it = w.catalog.find((x) => x.name.startsWith('0.9%氯化钠注射液')) as CatalogItem;
      if (!c.lines.some((l) => l.item === it && l.day === death + 1)) c.lines.push(w.makeLine(c, it, death + 1, { qHalf: 2 }));
      finalize(c);
      c.claimCats = ['AFTER_DEATH'];
      push(c, 'scenario:AFTER_DEATH:line-after-registry-death');
    } else {
      const inst = w.pickInstitution('inpatient', p);
      const los = rng.int(2, 10);
      const adm = start + rng.int(0, Math.max(0, span - los - 2));
      const a = stay(p, inst, adm, los, rng.pick(['I21.9', 'I63.9', 'C34.9', 'I50.9']), 'death');
      if (rng.chance(0.5)) p.registryDeath = adm + los;
      push(a, 'scenario:AFTER_DEATH:death-discharge');
      const later = adm + los + rng.int(1, Math.max(1, Math.min(15, end - adm - los)));
      const c = visit(p, rng.pick(['pharmacy', 'outpatient'] as const), later, true);
      c.claimCats = ['AFTER_DEATH'];
      push(c, 'scenario:AFTER_DEATH:after-death-discharge');
    }
  }
  for (let i = 0; i < kNear; i++) {
    // a claim on the day of death is not after it
    const p = adult(60, 92);
    const death = start + rng.int(1, span);
    p.registryDeath = death;
    push(visit(p, 'outpatient', death), 'near:claim_on_death_day');
  }
  return out;
}
