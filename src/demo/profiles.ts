import type { LineCategory } from './claim-builder';
import type { Rng } from './random';
import { ABUSE_BEHAVIOURS, type Abuse, type AbuseBehaviour, type Institution } from './reference-data';

/**
 * Institution profiles, so that peer-based risk scoring can be evaluated (labels/institution_labels.csv,
 * docs/demo-data.md):
 *
 * - every institution has a little style of its own (honest peers are never identical);
 * - tertiary hospitals treat more severe cases: more severe diagnoses, longer stays, more lines —
 *   expensive, but like their peers (kind and level). With a few specialised hospitals (a case mix
 *   centred on orthopaedics, cardiology, oncology or dialysis) they are `honest_expensive`;
 * - about a tenth of the hospitals, primary-care centres and clinics, spread over kinds and levels,
 *   and a few pharmacies are `abusive`: each with a random subset of behaviours at random
 *   intensities (padding, prices just under ceilings, longer stays, induced revisits and
 *   readmissions, more drugs, more consumables, dearer items, more planted violations).
 *
 * Everything is drawn from its own stream, so the reference data and the claim streams are not
 * reshuffled by it.
 */

export interface ProfileAssignment {
  abusive: Institution[];
  honestExpensive: Institution[];
}

const SPECIALTIES: { match: RegExp; focus: string[] }[] = [
  { match: /骨科/, focus: ['S72', 'M16', 'M17', 'M54', 'M81', 'S06'] }, // orthopaedics: fractures, joint replacement
  { match: /心|胸/, focus: ['I21', 'I20', 'I25', 'I50', 'I10'] }, // cardiology: infarction, stents, heart failure
  { match: /肿瘤/, focus: ['C34', 'C83', 'C61'] }, // oncology
  { match: /肾/, focus: ['N18'] }, // nephrology: dialysis
];

/** Behaviours that make sense for an institution (no stays without beds, pharmacies sell drugs only). */
function applicable(inst: Institution): AbuseBehaviour[] {
  return ABUSE_BEHAVIOURS.filter((b) => {
    if (b === 'longStay') return inst.hasBeds;
    if (inst.kind === 'pharmacy') return b !== 'consumables' && b !== 'nearCeiling'; // pharmacies already sell at the ceiling
    return true;
  });
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Assigns styles, severities and profiles in place; returns the abusive and honest-expensive institutions. */
export function assignProfiles(rng: Rng, institutions: Institution[]): ProfileAssignment {
  // --- honest variation between peers ---------------------------------------------------------
  for (const inst of institutions) {
    inst.style = { extraLine: round2(rng.float() * 0.2), drugTilt: round2(0.85 + rng.float() * 0.3), extraDay: round2(rng.float() * 0.25) };
    // (prices stay within 1 % of the level's: peers of a level charge alike)
    inst.priceFactor = Math.round(inst.priceFactor * (0.99 + rng.float() * 0.018) * 1000) / 1000;
    inst.severity = round2(inst.severity * (0.85 + rng.float() * 0.3));
  }

  // --- honest expensive: tertiary hospitals, and specialised ones treating severe cases ----------
  const secondary = institutions.filter((i) => i.kind === 'hospital' && i.level < 3);
  const nSpecial = secondary.length >= 4 ? Math.max(1, Math.round(secondary.length * 0.12)) : 0;
  const named = secondary.filter((i) => SPECIALTIES.some((s) => s.match.test(i.name)));
  const rest = rng.shuffle(secondary.filter((i) => !named.includes(i)));
  const specialised = [...named, ...rest].slice(0, nSpecial);
  for (const inst of specialised) {
    const spec = SPECIALTIES.find((s) => s.match.test(inst.name)) ?? rng.pick(SPECIALTIES);
    inst.focus = spec.focus;
    inst.severity = round2(inst.severity + 0.3 + rng.float() * 0.2);
    inst.profile = 'honest_expensive';
  }

  // --- abusive: ~8–12 % of hospitals, primary care and clinics, spread over kinds and levels ------
  const candidates = institutions.filter((i) => i.kind !== 'pharmacy' && !specialised.includes(i));
  const groups = new Map<string, Institution[]>();
  for (const i of candidates) {
    const key = `${i.kind}/${i.level}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  // Only groups with peers to compare with; at most a third of a group.
  const eligible = [...groups.values()].filter((g) => g.length >= 3);
  const cap = (g: Institution[]): number => Math.max(1, Math.floor(g.length / 3));
  const m = Math.max(2, Math.round(candidates.length * (0.08 + rng.float() * 0.04)));
  const order: Institution[][] = [];
  for (let round = 0; order.length < m && eligible.some((g) => cap(g) > round); round++) {
    // each round visits every group that still has room once, larger groups earlier on average
    const open = eligible.filter((g) => cap(g) > round);
    while (open.length > 0) order.push(open.splice(rng.weightedIndex(open.map((g) => g.length)), 1)[0] as Institution[]);
  }
  const abusive: Institution[] = [];
  for (const g of order.slice(0, m)) {
    const free = g.filter((i) => !abusive.includes(i));
    if (free.length > 0) abusive.push(rng.pick(free));
  }
  const pharmacies = institutions.filter((i) => i.kind === 'pharmacy');
  const mp = pharmacies.length >= 3 ? Math.max(1, Math.round(pharmacies.length * (0.06 + rng.float() * 0.06))) : 0;
  abusive.push(...rng.shuffle([...pharmacies]).slice(0, mp));

  // 2–5 behaviours each, spread over the institutions: each starts with a behaviour nobody has yet
  // (while there are such), the others are drawn with less weight for behaviours others already
  // have. No single marker gives them all away, and every behaviour occurs when there are enough.
  const used = new Map<AbuseBehaviour, number>();
  const firsts = rng.shuffle([...ABUSE_BEHAVIOURS]);
  for (const inst of abusive) {
    const options = applicable(inst);
    const count = Math.min(options.length, 2 + rng.weightedIndex([35, 35, 20, 10]));
    const first = firsts.find((b) => options.includes(b) && !used.has(b));
    const chosen: AbuseBehaviour[] = first ? [first] : [];
    if (first) firsts.splice(firsts.indexOf(first), 1);
    while (chosen.length < count) {
      const free = options.filter((b) => !chosen.includes(b));
      chosen.push(free[rng.weightedIndex(free.map((b) => 1 / (1 + (used.get(b) ?? 0)) ** 2))] as AbuseBehaviour);
    }
    const abuse: Abuse = {};
    for (const b of chosen.sort((a, b) => ABUSE_BEHAVIOURS.indexOf(a) - ABUSE_BEHAVIOURS.indexOf(b))) {
      abuse[b] = round2(0.35 + rng.float() * 0.65);
      used.set(b, (used.get(b) ?? 0) + 1);
    }
    inst.abuse = abuse;
    inst.profile = 'abusive';
    // (and extraPlants adds plants of their own)
    if (abuse.violations !== undefined) inst.plantBoost = round2(1 + 4 * abuse.violations);
    // Prices of items without a ceiling go up too (there is no ceiling to stay under).
    if (abuse.nearCeiling !== undefined) inst.priceFactor = Math.round(Math.max(inst.priceFactor, 1) * (1 + 0.05 * abuse.nearCeiling) * 1000) / 1000;
  }

  for (const inst of institutions) {
    if (inst.kind === 'hospital' && inst.level === 3 && inst.profile === 'normal') inst.profile = 'honest_expensive';
  }
  const honestExpensive = institutions.filter((i) => i.profile === 'honest_expensive');
  return { abusive: institutions.filter((i) => i.profile === 'abusive'), honestExpensive };
}

/** A planted line violation at a given institution (on top of the background plants). */
export interface ExtraPlant {
  inst: Institution;
  cat: LineCategory;
  variant: number;
}

/** Shares of the visit types among ordinary claims (plants.ts drawVisit). */
const VISIT_SHARES = { outpatient: 0.6, pharmacy: 0.22, inpatient: 0.18 };

/**
 * Extra planted line violations at the institutions with the behaviour "violations": about
 * 1 % + 5 % × intensity of their claims (the background rate is about 1 %), through the ordinary
 * plants, so they are labelled like any other. Each gets a category and a variant its kind of
 * institution can host (no stays without beds, only drugs at a pharmacy).
 */
export function extraPlants(rng: Rng, institutions: Institution[], claims: number): ExtraPlant[] {
  const sum = (f: (i: Institution) => boolean): number => institutions.filter(f).reduce((a, i) => a + i.weight, 0);
  const wOp = sum((i) => i.kind !== 'pharmacy');
  const wPh = sum((i) => i.kind === 'pharmacy');
  const wIp = sum((i) => i.hasBeds);
  const out: ExtraPlant[] = [];
  for (const inst of institutions) {
    const v = inst.abuse?.violations;
    if (v === undefined) continue;
    const share =
      inst.kind === 'pharmacy'
        ? (VISIT_SHARES.pharmacy * inst.weight) / wPh
        : (VISIT_SHARES.outpatient * inst.weight) / wOp + (inst.hasBeds ? (VISIT_SHARES.inpatient * inst.weight) / wIp : 0);
    const n = Math.round(claims * share * (0.01 + 0.05 * v));
    const cats: LineCategory[] =
      inst.kind === 'pharmacy'
        ? ['PRICE_CEILING', 'DAYS_SUPPLY', 'INDICATION', 'SETTING_LIMIT', 'GENDER_LIMIT']
        : ['GENDER_LIMIT', 'AGE_LIMIT', 'PRICE_CEILING', 'DAILY_QTY', 'DAYS_SUPPLY', 'INDICATION', 'SETTING_LIMIT', 'EXCLUSIVE_ITEMS'];
    for (let i = 0; i < n; i++) {
      const cat = rng.pick(cats);
      let variant = rng.int(0, 23);
      // variants that need a stay (per-stay price lines, a second day) or a service item (gender) where none can be
      const fits = (x: number): boolean =>
        !(
          ((cat === 'PRICE_CEILING' || cat === 'DAILY_QTY') && x % 3 === 2 && !inst.hasBeds) ||
          (cat === 'GENDER_LIMIT' && x % 4 === 1 && inst.kind === 'pharmacy')
        );
      while (!fits(variant)) variant++;
      out.push({ inst, cat, variant });
    }
  }
  return out;
}
