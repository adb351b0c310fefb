/**
 * The ten line rules of the screening benchmark (test/bench/screening-engine.bench.ts) written for
 * json-rules-engine — the library a TypeScript team would reach for — the way its documentation
 * shows: JSON conditions over facts, `path` into object facts, `{ fact, path }` on the right-hand
 * side, a custom operator where the built-in ones do not reach, and derived values (age, setting,
 * the daily total of an item, the exclusive-group keeper) as dynamic facts that read other facts
 * through the almanac. One `engine.run` per billed line with runtime facts `claim`, `line`,
 * `catalog` (the line's catalog entry, or null) and `claimAggregates` (computed once per claim).
 *
 * The semantics are those of the contract (INTERCHANGE.md, "Finding categories") and of our rule
 * files; the aggregates are computed here independently of src/rules-engine/facts.ts, so the
 * parity check (test/unit/rules/json-rules-engine-parity.spec.ts and the bench) tests both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Almanac, Engine, RuleProperties, TopLevelCondition } from 'json-rules-engine';
import Papa from 'papaparse';
import { oracleImport, type Row } from '../../src/demo/oracle';
import { modelFromRows } from '../../src/rules-engine/from-rows';
import type { CatalogEntry, KnowledgeBase, ScreenClaim, ScreenLine } from '../../src/rules-engine/model';

/** The rules compared, by id (the same ids as our rule files in rules/screening/). */
export const BENCH_RULE_IDS = [
  'gender-limit',
  'age-limit',
  'price-ceiling',
  'daily-qty',
  'days-supply',
  'indication',
  'setting-limit',
  'exclusive-items',
  'service-outside-stay',
  'unlisted-item',
] as const;
export type BenchRuleId = (typeof BENCH_RULE_IDS)[number];

// ---------------------------------------------------------------------------------------------
// Per-claim aggregates, computed once per claim by the caller and given as a runtime fact

export interface ClaimAggregatesFact {
  /** `${code}|${day}` → the claim's total quantity of the item that day (in 10⁻⁶, so decimals add exactly) and its last line. */
  itemDay: Map<string, { qtyMicro: number; lastSeq: number }>;
  /** `${group}|${day}` → distinct item codes of the exclusive group that day and the line kept (largest amount, then lowest seq). */
  groupDay: Map<string, { codes: Set<string>; keeperSeq: number; keeperAmount: number }>;
}

const micro = (q: number): number => Math.round(q * 1_000_000);

export function claimAggregates(claim: ScreenClaim, catalog: ReadonlyMap<string, CatalogEntry>): ClaimAggregatesFact {
  const itemDay = new Map<string, { qtyMicro: number; lastSeq: number }>();
  const groupDay = new Map<string, { codes: Set<string>; keeperSeq: number; keeperAmount: number }>();
  for (const l of claim.lines) {
    const key = `${l.code}|${l.serviceDay}`;
    const item = itemDay.get(key);
    if (!item) itemDay.set(key, { qtyMicro: micro(l.quantity), lastSeq: l.seq });
    else {
      item.qtyMicro += micro(l.quantity);
      item.lastSeq = Math.max(item.lastSeq, l.seq);
    }
    const group = catalog.get(l.code)?.exclusiveGroup;
    if (!group) continue;
    const gkey = `${group}|${l.serviceDay}`;
    const g = groupDay.get(gkey);
    if (!g) groupDay.set(gkey, { codes: new Set([l.code]), keeperSeq: l.seq, keeperAmount: l.amount });
    else {
      g.codes.add(l.code);
      if (l.amount > g.keeperAmount || (l.amount === g.keeperAmount && l.seq < g.keeperSeq)) {
        g.keeperSeq = l.seq;
        g.keeperAmount = l.amount;
      }
    }
  }
  return { itemDay, groupDay };
}

// ---------------------------------------------------------------------------------------------
// Dynamic facts (derived through the almanac)

const DAY_MS = 86_400_000;

/** Completed years on `day` for someone born on `birthDay` (day numbers); the birthday itself counts. */
function ageOn(birthDay: number, day: number): number {
  const b = new Date(birthDay * DAY_MS);
  const d = new Date(day * DAY_MS);
  let age = d.getUTCFullYear() - b.getUTCFullYear();
  if (d.getUTCMonth() < b.getUTCMonth() || (d.getUTCMonth() === b.getUTCMonth() && d.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

const claimOf = (a: Almanac) => a.factValue<ScreenClaim>('claim');
const lineOf = (a: Almanac) => a.factValue<ScreenLine>('line');
const catalogOf = (a: Almanac) => a.factValue<CatalogEntry | null>('catalog');
const aggregatesOf = (a: Almanac) => a.factValue<ClaimAggregatesFact>('claimAggregates');

const DYNAMIC_FACTS: Record<string, (params: Record<string, unknown>, almanac: Almanac) => Promise<unknown>> = {
  /** The patient's age in completed years at the line's service date. */
  ageAtService: async (_, a) => ageOn((await claimOf(a)).birthDay, (await lineOf(a)).serviceDay),
  /** 'inpatient' or 'outpatient' (a pharmacy purchase counts as outpatient). */
  setting: async (_, a) => ((await claimOf(a)).visitType === 'inpatient' ? 'inpatient' : 'outpatient'),
  /** The claim's diagnoses, primary first. */
  diagnoses: async (_, a) => {
    const c = await claimOf(a);
    return c.primaryDiagnosis ? [c.primaryDiagnosis, ...c.secondaryDiagnoses] : c.secondaryDiagnoses;
  },
  /** The claim's total quantity of this line's item on its service date. */
  dailyQtyTotal: async (_, a) => {
    const [l, agg] = await Promise.all([lineOf(a), aggregatesOf(a)]);
    return agg.itemDay.get(`${l.code}|${l.serviceDay}`)!.qtyMicro / 1_000_000;
  },
  /** Distinct items of this line's exclusive group on its service date (null: the item has no group). */
  groupDistinctItems: async (_, a) => {
    const [l, cat, agg] = await Promise.all([lineOf(a), catalogOf(a), aggregatesOf(a)]);
    return cat?.exclusiveGroup ? agg.groupDay.get(`${cat.exclusiveGroup}|${l.serviceDay}`)!.codes.size : null;
  },
  /** Whether this line is the one of its group and day that is kept (null: the item has no group). */
  isGroupKeeper: async (_, a) => {
    const [l, cat, agg] = await Promise.all([lineOf(a), catalogOf(a), aggregatesOf(a)]);
    return cat?.exclusiveGroup ? agg.groupDay.get(`${cat.exclusiveGroup}|${l.serviceDay}`)!.keeperSeq === l.seq : null;
  },
};

// ---------------------------------------------------------------------------------------------
// The rules

/** `catalog.<field>` has a value (the built-in numeric operators read null as 0, so limits are guarded). */
const catalogHas = (field: keyof CatalogEntry) => ({ fact: 'catalog', path: `$.${field}`, operator: 'notEqual', value: null });
const catalogRef = (field: keyof CatalogEntry) => ({ fact: 'catalog', path: `$.${field}` });

const CONDITIONS: Record<BenchRuleId, TopLevelCondition> = {
  'gender-limit': {
    all: [catalogHas('genderLimit'), { fact: 'claim', path: '$.gender', operator: 'notEqual', value: catalogRef('genderLimit') }],
  },
  'age-limit': {
    any: [
      { all: [catalogHas('minAge'), { fact: 'ageAtService', operator: 'lessThan', value: catalogRef('minAge') }] },
      { all: [catalogHas('maxAge'), { fact: 'ageAtService', operator: 'greaterThan', value: catalogRef('maxAge') }] },
    ],
  },
  'price-ceiling': {
    all: [catalogHas('priceCeiling'), { fact: 'line', path: '$.unitPrice', operator: 'greaterThan', value: catalogRef('priceCeiling') }],
  },
  'daily-qty': {
    all: [catalogHas('maxDailyQty'), { fact: 'dailyQtyTotal', operator: 'greaterThan', value: catalogRef('maxDailyQty') }],
  },
  'days-supply': {
    all: [
      { fact: 'claim', path: '$.visitType', operator: 'in', value: ['outpatient', 'pharmacy'] },
      { fact: 'catalog', path: '$.kind', operator: 'equal', value: 'drug' },
      catalogHas('maxDaysSupply'),
      { fact: 'line', path: '$.daysSupply', operator: 'notEqual', value: null },
      { fact: 'line', path: '$.daysSupply', operator: 'greaterThan', value: catalogRef('maxDaysSupply') },
    ],
  },
  indication: {
    all: [catalogHas('indications'), { fact: 'diagnoses', operator: 'startsWithNone', value: catalogRef('indications') }],
  },
  'setting-limit': {
    all: [catalogHas('settingLimit'), { fact: 'setting', operator: 'notEqual', value: catalogRef('settingLimit') }],
  },
  'exclusive-items': {
    all: [
      { fact: 'groupDistinctItems', operator: 'greaterThanInclusive', value: 2 },
      { fact: 'isGroupKeeper', operator: 'equal', value: false },
    ],
  },
  'service-outside-stay': {
    all: [
      { fact: 'claim', path: '$.visitType', operator: 'equal', value: 'inpatient' },
      {
        any: [
          { fact: 'line', path: '$.serviceDay', operator: 'lessThan', value: { fact: 'claim', path: '$.admissionDay' } },
          { fact: 'line', path: '$.serviceDay', operator: 'greaterThan', value: { fact: 'claim', path: '$.dischargeDay' } },
        ],
      },
    ],
  },
  'unlisted-item': {
    all: [{ fact: 'catalog', operator: 'equal', value: null }],
  },
};

export const JSON_RULES: readonly RuleProperties[] = BENCH_RULE_IDS.map((id) => ({ name: id, conditions: CONDITIONS[id], event: { type: id } }));

/**
 * How condition `path`s are resolved. `jsonpath` is the library's default (JSONPath-Plus, the
 * syntax of its documentation); `property` is the documented `pathResolver` engine option with a
 * plain property lookup — what a team does once it profiles (JSONPath takes over half the time).
 */
export type PathMode = 'jsonpath' | 'property';

/** `$.a.b` → object.a.b */
export function propertyPath(value: object, path: string): unknown {
  let v: unknown = value;
  for (const k of path.split('.').slice(1)) v = v == null ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

/** An engine with the operators, facts and rules (all ten, or those named). */
export function createJsonRulesEngine(ids: readonly string[] = BENCH_RULE_IDS, paths: PathMode = 'jsonpath'): Engine {
  const engine = new Engine([], paths === 'property' ? { pathResolver: propertyPath } : {});
  // Any diagnosis starts with any of the prefixes → false. Both sides must be lists.
  engine.addOperator<string[], string[]>('startsWithNone', (diagnoses, prefixes) => {
    if (!Array.isArray(prefixes)) return false;
    for (const d of diagnoses) for (const p of prefixes) if (d.startsWith(p)) return false;
    return true;
  });
  for (const [id, fn] of Object.entries(DYNAMIC_FACTS)) engine.addFact(id, fn);
  for (const r of JSON_RULES) if (ids.includes(r.name as string)) engine.addRule(r);
  return engine;
}

/**
 * Screens claims with the engine: one run per line, one after the other (an Engine's runs must not
 * overlap: a finished run stops the rules of another). Each hit is reported as (claim, line, rule id).
 */
export async function screenWithJsonRulesEngine(
  engine: Engine,
  claims: Iterable<ScreenClaim>,
  kb: KnowledgeBase,
  onHit: (claim: ScreenClaim, itemSeq: number, ruleId: string) => void,
): Promise<void> {
  for (const claim of claims) {
    const aggregates = claimAggregates(claim, kb.catalog);
    for (const line of claim.lines) {
      const { events } = await engine.run({ claim, line, catalog: kb.catalog.get(line.code) ?? null, claimAggregates: aggregates });
      for (const e of events) onHit(claim, line.seq, e.type);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Data: a generated demo data set → the engine's model

/**
 * Batch 1 of a data set written by generateDemoData, as the importer would store it (malformed
 * claims and orphan lines rejected, per the contract), with the catalog and institutions.
 */
export function loadDemoModel(outDir: string): { claims: ScreenClaim[]; kb: KnowledgeBase; rejected: number } {
  const read = (file: string): Row[] =>
    Papa.parse<Record<string, string>>(readFileSync(join(outDir, file), 'utf8').replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: true }).data;
  const stored = oracleImport([{ claims: read('claims/claims.csv'), items: read('claims/claim_items.csv') }]);
  const { claims, kb } = modelFromRows({
    claims: stored.claims,
    items: stored.items,
    catalog: read('reference/catalog_items.csv'),
    institutions: read('reference/institutions.csv'),
  });
  return { claims, kb, rejected: stored.rejections.length };
}
