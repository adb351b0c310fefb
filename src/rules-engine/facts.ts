import { CatalogEntry, KnowledgeBase, PhysicianSanctionWindow, ScreenClaim, ScreenLine } from './model';
import { completedYears, fromMicro, toMicro } from './values';

/**
 * The facts rules may name. Facts are code (typed getters); rule files only name them. Each fact
 * says the least context it needs, which decides the rule scopes that may use it:
 *   line    — a billed line, its catalog entry and its claim      (line rules)
 *   claim   — one claim                                             (every scope)
 *   pair    — another claim of the same patient (`other.*`, `pair.*`)  (history rules with `pair`)
 *   history — all current claims of the patient                     (history rules)
 *   period  — all current claims of the settlement month            (institution-period rules)
 */
export type FactLevel = 'line' | 'claim' | 'pair' | 'history' | 'period';
/** `code`: compared upper case (codes are case-insensitive); `enum`: one of a fixed set of lower-case words. */
export type FactType = 'number' | 'money' | 'date' | 'code' | 'codes' | 'enum' | 'text' | 'boolean';
export type FactValue = number | string | boolean | readonly string[] | null;

export interface FactContext {
  claim: ScreenClaim;
  kb: KnowledgeBase;
  line: ScreenLine | null;
  catalog: CatalogEntry | null;
  /** Per-claim sums and groups of lines, built once per claim when a rule needs them. */
  agg: ClaimAggregates | null;
  other: ScreenClaim | null;
  patient: PatientHistory | null;
  period: PeriodStats | null;
  params: Readonly<Record<string, unknown>>;
}

export interface FactDef {
  name: string;
  type: FactType;
  level: FactLevel;
  /** What it is, in Chinese (explanations) and English. */
  zh: string;
  en: string;
  /** Rule parameters the fact reads (the rule must declare them). */
  params?: readonly string[];
  /** How a value reads in an explanation (e.g. M → 男). */
  display?: (v: FactValue) => string;
  get(ctx: FactContext): FactValue;
}

// ---------------------------------------------------------------------------------------------
// Per-claim aggregates (DAILY_QTY, EXCLUSIVE_ITEMS)

export interface ClaimAggregates {
  /** `${code}|${day}` → total quantity in micro-units and the last line's seq. */
  itemDay: Map<string, { totalMicro: number; lastSeq: number }>;
  /** `${group}|${day}` → distinct item codes and the line kept (largest amount, then lowest seq). */
  groupDay: Map<string, { codes: Set<string>; keeperSeq: number; keeperAmount: number }>;
}

export function buildAggregates(claim: ScreenClaim, kb: KnowledgeBase): ClaimAggregates {
  const itemDay = new Map<string, { totalMicro: number; lastSeq: number }>();
  const groupDay = new Map<string, { codes: Set<string>; keeperSeq: number; keeperAmount: number }>();
  for (const l of claim.lines) {
    const k = `${l.code}|${l.serviceDay}`;
    const e = itemDay.get(k);
    if (e) {
      e.totalMicro += toMicro(l.quantity);
      if (l.seq > e.lastSeq) e.lastSeq = l.seq;
    } else itemDay.set(k, { totalMicro: toMicro(l.quantity), lastSeq: l.seq });
    const group = kb.catalog.get(l.code)?.exclusiveGroup;
    if (group) {
      const gk = `${group}|${l.serviceDay}`;
      const g = groupDay.get(gk);
      if (!g) groupDay.set(gk, { codes: new Set([l.code]), keeperSeq: l.seq, keeperAmount: l.amount });
      else {
        g.codes.add(l.code);
        if (l.amount > g.keeperAmount || (l.amount === g.keeperAmount && l.seq < g.keeperSeq)) {
          g.keeperSeq = l.seq;
          g.keeperAmount = l.amount;
        }
      }
    }
  }
  return { itemDay, groupDay };
}

// ---------------------------------------------------------------------------------------------
// History and period contexts

export interface PatientHistory {
  /** The patient's current claims, by admission day then claim id. */
  claims: readonly ScreenClaim[];
  registryDeathDay: number | null;
}

export interface PeriodStats {
  /** `${physician}|${day}` → distinct patients seen (by admission day). */
  physicianDayPatients: Map<string, number>;
  /** 3-character primary diagnosis → lengths of stay of the month's inpatient claims, sorted. */
  stayByDiagnosis: Map<string, { median: number; count: number }>;
}

export function buildPeriodStats(claims: readonly ScreenClaim[]): PeriodStats {
  const sets = new Map<string, Set<string>>();
  const stays = new Map<string, number[]>();
  for (const c of claims) {
    if (c.physicianCode) {
      const k = `${c.physicianCode}|${c.admissionDay}`;
      let s = sets.get(k);
      if (!s) sets.set(k, (s = new Set()));
      s.add(c.patientKey);
    }
    if (c.visitType === 'inpatient' && c.primaryDiagnosis) {
      const k = c.primaryDiagnosis.slice(0, 3);
      let a = stays.get(k);
      if (!a) stays.set(k, (a = []));
      a.push(c.dischargeDay - c.admissionDay);
    }
  }
  const stayByDiagnosis = new Map<string, { median: number; count: number }>();
  for (const [k, a] of stays) {
    a.sort((x, y) => x - y);
    const mid = a.length >> 1;
    const median = a.length % 2 ? (a[mid] as number) : ((a[mid - 1] as number) + (a[mid] as number)) / 2;
    stayByDiagnosis.set(k, { median, count: a.length });
  }
  return { physicianDayPatients: new Map([...sets].map(([k, s]) => [k, s.size])), stayByDiagnosis };
}

// ---------------------------------------------------------------------------------------------
// The catalogue

const GENDER_ZH: Record<string, string> = { M: '男', F: '女' };
const VISIT_ZH: Record<string, string> = { outpatient: '门诊', inpatient: '住院', pharmacy: '药店购药' };
const SETTING_ZH: Record<string, string> = { outpatient: '门诊', inpatient: '住院' };
const fromTable = (t: Record<string, string>) => (v: FactValue) => (typeof v === 'string' ? (t[v] ?? v) : String(v));

const SANCTION_ZH: Record<string, string> = { suspended: '暂停医保支付资格', terminated: '终止医保支付资格' };

/**
 * The sanction of `physician` covering `day` (from the physicians' points record): a termination
 * before a suspension, then the window ending last (a superseded suspension keeps its own window).
 */
function sanctionOn(x: FactContext, physician: string | null, day: number): PhysicianSanctionWindow | null {
  if (physician === null) return null;
  const windows = x.kb.physicianSanctions?.get(physician);
  if (!windows) return null;
  let best: PhysicianSanctionWindow | null = null;
  for (const w of windows) {
    if (w.fromDay > day || w.toDay < day) continue;
    if (!best || (w.kind === 'termination' && best.kind !== 'termination') || (w.kind === best.kind && w.toDay > best.toDay)) best = w;
  }
  return best;
}
const sanctionState = (w: PhysicianSanctionWindow | null): FactValue => (w === null ? null : w.kind === 'termination' ? 'terminated' : 'suspended');

const settingOf = (c: ScreenClaim): 'inpatient' | 'outpatient' => (c.visitType === 'inpatient' ? 'inpatient' : 'outpatient');
const diagnosesOf = (c: ScreenClaim): string[] =>
  c.primaryDiagnosis ? [c.primaryDiagnosis, ...c.secondaryDiagnoses] : c.secondaryDiagnoses;

type ClaimGetter = (c: ScreenClaim, ctx: FactContext) => FactValue;

/** Facts of one claim: defined once, exposed as `claim.*` and, for pair rules, `other.*`. */
const CLAIM_FACTS: [string, FactType, string, string, ClaimGetter, FactDef['display']?][] = [
  ['claim_id', 'code', '结算单号', 'claim id', (c) => c.claimId],
  ['institution_code', 'code', '机构编码', 'institution code', (c) => c.institutionCode],
  ['institution_kind', 'enum', '机构类别', 'institution kind', (c, x) => x.kb.institutions.get(c.institutionCode)?.kind ?? null],
  ['institution_level', 'number', '机构等级', 'institution level', (c, x) => x.kb.institutions.get(c.institutionCode)?.level ?? null],
  ['physician_code', 'code', '医师编码', 'physician code', (c) => c.physicianCode],
  ['visit_type', 'enum', '就诊类型', 'visit type', (c) => c.visitType, fromTable(VISIT_ZH)],
  ['setting', 'enum', '就医场景', 'setting', (c) => settingOf(c), fromTable(SETTING_ZH)],
  ['insurance_type', 'enum', '险种', 'insurance type', (c) => c.insuranceType],
  ['admission_date', 'date', '入院（就诊）日期', 'admission date', (c) => c.admissionDay],
  ['discharge_date', 'date', '出院日期', 'discharge date', (c) => c.dischargeDay],
  ['length_of_stay', 'number', '住院天数', 'length of stay (days)', (c) => c.dischargeDay - c.admissionDay],
  ['primary_diagnosis', 'code', '主诊断', 'primary diagnosis', (c) => c.primaryDiagnosis],
  ['diagnosis_category', 'code', '主诊断类目（前三位）', 'primary diagnosis category (3 characters)', (c) => c.primaryDiagnosis?.slice(0, 3) ?? null],
  ['diagnoses', 'codes', '诊断', 'diagnoses', (c) => diagnosesOf(c)],
  ['discharge_status', 'enum', '离院方式', 'discharge status', (c) => c.dischargeStatus],
  ['total_amount', 'money', '医疗费总额', 'total amount', (c) => c.totalAmount],
  ['fund_paid', 'money', '基金支付', 'fund paid', (c) => c.fundPaid],
  ['self_paid', 'money', '个人支付', 'self paid', (c) => c.selfPaid],
  ['settled_date', 'date', '结算日期', 'settlement date', (c) => Math.floor(c.settledAt / 86_400_000)],
  ['line_count', 'number', '明细条数', 'line count', (c) => c.digest.lineCount],
  ['first_service_date', 'date', '最早费用日期', 'first service date', (c) => c.digest.firstServiceDay],
  ['last_service_date', 'date', '最晚费用日期', 'last service date', (c) => c.digest.lastServiceDay],
  ['items_signature', 'text', '费用明细组合', 'multiset of (item, price, quantity)', (c) => c.digest.itemsSignature],
  ['insured_region', 'code', '参保地', 'insured region', (c) => c.insuredRegion],
  ['service_region', 'code', '就医地', 'service region', (c) => c.serviceRegion],
  [
    'physician_sanction',
    'enum',
    '医师入院（就诊）日医保支付资格状态',
    "the physician's qualification on the admission date: suspended, terminated or none",
    (c, x) => sanctionState(sanctionOn(x, c.physicianCode, c.admissionDay)),
    fromTable(SANCTION_ZH),
  ],
];

const line = (ctx: FactContext): ScreenLine => ctx.line as ScreenLine;
const agg = (ctx: FactContext): ClaimAggregates => (ctx.agg ??= buildAggregates(ctx.claim, ctx.kb));
const itemDay = (ctx: FactContext) => agg(ctx).itemDay.get(`${line(ctx).code}|${line(ctx).serviceDay}`)!;
const groupDay = (ctx: FactContext) => {
  const g = ctx.catalog?.exclusiveGroup;
  return g ? agg(ctx).groupDay.get(`${g}|${line(ctx).serviceDay}`)! : null;
};

/** The patient's claims matching `keep` admitted within the rule's window_days ending on this claim's admission (this one included). */
function countInWindow(x: FactContext, keep: (o: ScreenClaim) => boolean): number {
  const w = Number(x.params.window_days);
  const day = x.claim.admissionDay;
  let n = 0;
  for (const o of (x.patient as PatientHistory).claims) if (o.admissionDay <= day && o.admissionDay > day - w && keep(o)) n++;
  return n;
}

function deathDayFor(ctx: FactContext): number | null {
  const p = ctx.patient as PatientHistory;
  let death = p.registryDeathDay;
  for (const o of p.claims) {
    if (o !== ctx.claim && o.dischargeStatus === 'death' && (death === null || o.dischargeDay < death)) death = o.dischargeDay;
  }
  return death;
}

const DEFS: FactDef[] = [
  ...CLAIM_FACTS.map(([n, type, zh, en, get, display]): FactDef => ({ name: `claim.${n}`, type, level: 'claim', zh, en, display, get: (x) => get(x.claim, x) })),
  ...CLAIM_FACTS.map(([n, type, zh, en, get, display]): FactDef => ({
    name: `other.${n}`,
    type,
    level: 'pair',
    zh: `另一结算的${zh}`,
    en: `other claim's ${en}`,
    display,
    get: (x) => get(x.other as ScreenClaim, x),
  })),

  { name: 'patient.gender', type: 'code', level: 'claim', zh: '患者性别', en: "patient's gender", display: fromTable(GENDER_ZH), get: (x) => x.claim.gender },
  { name: 'patient.age_at_admission', type: 'number', level: 'claim', zh: '入院（就诊）时年龄', en: 'age at admission (completed years)', get: (x) => completedYears(x.claim.birthDay, x.claim.admissionDay) },
  { name: 'patient.age_at_service', type: 'number', level: 'line', zh: '费用发生时年龄（周岁）', en: 'age at the service date (completed years)', get: (x) => completedYears(x.claim.birthDay, line(x).serviceDay) },
  { name: 'patient.death_date', type: 'date', level: 'history', zh: '死亡日期', en: 'date of death', get: deathDayFor },

  { name: 'line.item_seq', type: 'number', level: 'line', zh: '明细序号', en: 'line number', get: (x) => line(x).seq },
  { name: 'line.item_code', type: 'code', level: 'line', zh: '项目编码', en: 'item code', get: (x) => line(x).code },
  { name: 'line.item_name', type: 'text', level: 'line', zh: '项目名称', en: 'item name', get: (x) => x.catalog?.name ?? line(x).name ?? line(x).code },
  { name: 'line.in_catalog', type: 'boolean', level: 'line', zh: '是否在目录内', en: 'in the catalog', display: (v) => (v ? '是' : '否'), get: (x) => x.catalog !== null },
  { name: 'line.service_date', type: 'date', level: 'line', zh: '费用日期', en: 'service date', get: (x) => line(x).serviceDay },
  { name: 'line.unit_price', type: 'money', level: 'line', zh: '单价', en: 'unit price', get: (x) => line(x).unitPrice },
  { name: 'line.quantity', type: 'number', level: 'line', zh: '数量', en: 'quantity', get: (x) => line(x).quantity },
  { name: 'line.amount', type: 'money', level: 'line', zh: '金额', en: 'amount', get: (x) => line(x).amount },
  { name: 'line.days_supply', type: 'number', level: 'line', zh: '用药天数', en: 'days of supply', get: (x) => line(x).daysSupply },
  { name: 'line.daily_qty_total', type: 'number', level: 'line', zh: '同一结算同日该项目总数量', en: "the claim's total quantity of this item on this date", get: (x) => fromMicro(itemDay(x).totalMicro) },
  {
    name: 'line.daily_excess_qty',
    type: 'number',
    level: 'line',
    zh: '当日超出限量的数量',
    en: 'quantity above the daily limit on this date',
    get: (x) => (x.catalog?.maxDailyQty == null ? null : fromMicro(itemDay(x).totalMicro - toMicro(x.catalog.maxDailyQty))),
  },
  {
    name: 'line.physician_sanction',
    type: 'enum',
    level: 'line',
    zh: '医师在费用日期的医保支付资格状态',
    en: "the claim physician's qualification on the service date: suspended, terminated or none",
    display: fromTable(SANCTION_ZH),
    get: (x) => sanctionState(sanctionOn(x, x.claim.physicianCode, line(x).serviceDay)),
  },
  {
    name: 'line.physician_sanction_from',
    type: 'date',
    level: 'line',
    zh: '医师暂停（终止）医保支付资格起始日期',
    en: 'first day of the sanction covering the service date',
    get: (x) => sanctionOn(x, x.claim.physicianCode, line(x).serviceDay)?.fromDay ?? null,
  },
  {
    name: 'line.physician_sanction_until',
    type: 'date',
    level: 'line',
    zh: '医师暂停（终止）医保支付资格截止日期',
    en: 'last day of the sanction covering the service date (of the re-registration bar for a termination)',
    get: (x) => sanctionOn(x, x.claim.physicianCode, line(x).serviceDay)?.toDay ?? null,
  },
  { name: 'line.is_last_of_item_date', type: 'boolean', level: 'line', zh: '是否为该项目当日最后一条', en: 'last line of this item on this date', get: (x) => itemDay(x).lastSeq === line(x).seq },
  { name: 'line.group_distinct_items', type: 'number', level: 'line', zh: '同日同组互斥项目数', en: 'distinct items of its exclusive group on this date', get: (x) => groupDay(x)?.codes.size ?? null },
  { name: 'line.is_group_keeper', type: 'boolean', level: 'line', zh: '是否为互斥组中保留的一条', en: 'the line of its group that is kept (largest amount)', get: (x) => (groupDay(x) ? groupDay(x)!.keeperSeq === line(x).seq : null) },

  { name: 'catalog.kind', type: 'enum', level: 'line', zh: '目录类别', en: 'catalog kind', get: (x) => x.catalog?.kind ?? null },
  { name: 'catalog.name', type: 'text', level: 'line', zh: '目录名称', en: 'catalog name', get: (x) => x.catalog?.name ?? null },
  { name: 'catalog.price_ceiling', type: 'money', level: 'line', zh: '最高限价', en: 'price ceiling', get: (x) => x.catalog?.priceCeiling ?? null },
  { name: 'catalog.gender_limit', type: 'code', level: 'line', zh: '限定性别', en: 'gender limit', display: fromTable(GENDER_ZH), get: (x) => x.catalog?.genderLimit ?? null },
  { name: 'catalog.min_age', type: 'number', level: 'line', zh: '最小年龄', en: 'minimum age', get: (x) => x.catalog?.minAge ?? null },
  { name: 'catalog.max_age', type: 'number', level: 'line', zh: '最大年龄', en: 'maximum age', get: (x) => x.catalog?.maxAge ?? null },
  { name: 'catalog.max_daily_qty', type: 'number', level: 'line', zh: '每日限量', en: 'maximum daily quantity', get: (x) => x.catalog?.maxDailyQty ?? null },
  { name: 'catalog.max_days_supply', type: 'number', level: 'line', zh: '最长用药天数', en: 'maximum days of supply', get: (x) => x.catalog?.maxDaysSupply ?? null },
  { name: 'catalog.indications', type: 'codes', level: 'line', zh: '限定适应症', en: 'indications', get: (x) => x.catalog?.indications ?? null },
  { name: 'catalog.setting_limit', type: 'enum', level: 'line', zh: '限定就医场景', en: 'setting limit', display: fromTable(SETTING_ZH), get: (x) => x.catalog?.settingLimit ?? null },
  { name: 'catalog.exclusive_group', type: 'code', level: 'line', zh: '互斥组', en: 'exclusive group', get: (x) => x.catalog?.exclusiveGroup ?? null },

  { name: 'pair.gap_days', type: 'number', level: 'pair', zh: '距另一结算出院天数', en: "days from the other claim's discharge to this admission", get: (x) => x.claim.admissionDay - (x.other as ScreenClaim).dischargeDay },
  {
    name: 'pair.is_later_settled',
    type: 'boolean',
    level: 'pair',
    zh: '本结算晚于另一结算',
    en: 'this claim was settled after the other (ties: the larger claim id)',
    display: (v) => (v ? '是' : '否'),
    get: (x) => {
      const o = x.other as ScreenClaim;
      return x.claim.settledAt !== o.settledAt ? x.claim.settledAt > o.settledAt : x.claim.claimId > o.claimId;
    },
  },

  {
    name: 'history.outpatient_visits_same_institution',
    type: 'number',
    level: 'history',
    zh: '窗口期内同一机构门诊次数',
    en: 'outpatient visits to this institution within the window (this one included)',
    params: ['window_days'],
    get: (x) => countInWindow(x, (o) => o.visitType === 'outpatient' && o.institutionCode === x.claim.institutionCode),
  },

  {
    name: 'period.physician_patients_on_day',
    type: 'number',
    level: 'period',
    zh: '该医师当日接诊患者数',
    en: "distinct patients of the claim's physician on its admission date",
    get: (x) => (x.claim.physicianCode ? (x.period!.physicianDayPatients.get(`${x.claim.physicianCode}|${x.claim.admissionDay}`) ?? 0) : null),
  },
  {
    name: 'period.peer_median_stay',
    type: 'number',
    level: 'period',
    zh: '同月同病种住院天数中位数',
    en: 'median length of stay of the month for the same 3-character diagnosis',
    get: (x) => (x.claim.primaryDiagnosis ? (x.period!.stayByDiagnosis.get(x.claim.primaryDiagnosis.slice(0, 3))?.median ?? null) : null),
  },
  {
    name: 'period.peer_stay_claims',
    type: 'number',
    level: 'period',
    zh: '同月同病种住院结算数',
    en: 'inpatient claims of the month with the same 3-character diagnosis',
    get: (x) => (x.claim.primaryDiagnosis ? (x.period!.stayByDiagnosis.get(x.claim.primaryDiagnosis.slice(0, 3))?.count ?? 0) : null),
  },

  // --- facts for the NHSA extra rules
  // A multiple of a fact cannot be written in a condition (a test compares a fact with one value),
  // so "length of stay above k × the peer median" reads the multiple k from the rule's parameters.
  {
    name: 'period.peer_stay_limit',
    type: 'number',
    level: 'period',
    zh: '同月同病种住院天数中位数的倍数（住院天数上限）',
    en: "the rule's stay_multiple × the median length of stay of the month for the same 3-character diagnosis",
    params: ['stay_multiple'],
    get: (x) => {
      const peers = x.claim.primaryDiagnosis ? x.period!.stayByDiagnosis.get(x.claim.primaryDiagnosis.slice(0, 3)) : undefined;
      return peers ? Number(x.params.stay_multiple) * peers.median : null;
    },
  },
  // 频繁住院 / 频繁购药: counted like history.outpatient_visits_same_institution, over the window of
  // window_days days ending on this claim's admission (visit) date, this claim included.
  {
    name: 'history.inpatient_admissions',
    type: 'number',
    level: 'history',
    zh: '窗口期内住院次数（所有机构）',
    en: 'inpatient admissions of the patient at any institution within the window (this one included)',
    params: ['window_days'],
    get: (x) => countInWindow(x, (o) => o.visitType === 'inpatient'),
  },
  {
    name: 'history.pharmacy_purchases',
    type: 'number',
    level: 'history',
    zh: '窗口期内药店购药次数（所有药店）',
    en: 'pharmacy purchases of the patient at any pharmacy within the window (this one included)',
    params: ['window_days'],
    get: (x) => countInWindow(x, (o) => o.visitType === 'pharmacy'),
  },
];

export const FACTS: ReadonlyMap<string, FactDef> = new Map(DEFS.map((d) => [d.name, d]));
