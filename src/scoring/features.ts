/**
 * The features risk scoring compares with peers, per period (settlement month). Each says what it
 * measures, how it reads in an explanation, and which direction is risky. docs/risk-features.md
 * documents them; `FEATURES` is the one list the SQL, the scoring and the explanations share.
 */
export type EntityType = 'institution' | 'physician';

export interface FeatureDef {
  key: string;
  zh: string;
  en: string;
  /** Which entities have it. */
  entities: readonly EntityType[];
  /** +1: higher is riskier; 0: informative only (shown, not scored). */
  direction: 1 | 0;
  /** Relative weight in the unsupervised score. */
  weight: number;
  /** How its value reads: a ratio shown as a percentage, money in yuan, or a plain number. */
  unit: 'ratio' | 'yuan' | 'number' | 'days';
}

const BOTH: EntityType[] = ['institution', 'physician'];
const INST: EntityType[] = ['institution'];

export const FEATURES: readonly FeatureDef[] = [
  { key: 'claims', zh: '结算人次', en: 'claims', entities: BOTH, direction: 0, weight: 0, unit: 'number' },
  { key: 'patients', zh: '就诊人数', en: 'distinct patients', entities: BOTH, direction: 0, weight: 0, unit: 'number' },
  { key: 'claims_per_patient', zh: '人次人头比', en: 'claims per patient', entities: BOTH, direction: 1, weight: 1, unit: 'number' },
  { key: 'cost_per_claim', zh: '次均费用', en: 'cost per claim', entities: BOTH, direction: 0, weight: 0, unit: 'yuan' },
  { key: 'cost_outpatient', zh: '次均门诊费用', en: 'cost per outpatient claim', entities: INST, direction: 0, weight: 0, unit: 'yuan' },
  { key: 'cost_inpatient', zh: '次均住院费用', en: 'cost per inpatient claim', entities: INST, direction: 0, weight: 0, unit: 'yuan' },
  { key: 'cost_pharmacy', zh: '次均购药费用', en: 'cost per pharmacy claim', entities: INST, direction: 0, weight: 0, unit: 'yuan' },
  // Raw costs and stays above are shown, not scored: an expensive case mix is not abuse. These,
  // adjusted for case mix (like DRG 费用/时间消耗指数), are scored: costs and stays against what the same diagnoses cost everywhere.
  { key: 'cost_index', zh: '费用消耗指数（按病种调整）', en: 'cost index: costs against the month-wide median cost of the same diagnoses and visit types', entities: BOTH, direction: 1, weight: 2, unit: 'number' },
  { key: 'stay_index', zh: '时间消耗指数（按病种调整）', en: 'stay index: stays against the month-wide median stay of the same diagnoses', entities: INST, direction: 1, weight: 1, unit: 'number' },
  { key: 'lines_per_claim', zh: '次均明细条数', en: 'lines per claim', entities: BOTH, direction: 1, weight: 1, unit: 'number' },
  { key: 'drug_share', zh: '药品费用占比', en: 'drug share of amounts', entities: BOTH, direction: 1, weight: 0.5, unit: 'ratio' },
  { key: 'consumable_share', zh: '耗材费用占比', en: 'consumable share of amounts', entities: BOTH, direction: 1, weight: 0.5, unit: 'ratio' },
  { key: 'service_share', zh: '诊疗项目费用占比', en: 'service share of amounts', entities: BOTH, direction: 0, weight: 0, unit: 'ratio' },
  { key: 'avg_stay', zh: '平均住院日', en: 'average length of stay', entities: INST, direction: 0, weight: 0, unit: 'days' },
  { key: 'readmit_15', zh: '15日内再入院率', en: 'readmissions within 15 days', entities: INST, direction: 1, weight: 1, unit: 'ratio' },
  { key: 'readmit_31', zh: '31日内再入院率', en: 'readmissions within 31 days', entities: INST, direction: 1, weight: 0.5, unit: 'ratio' },
  { key: 'revisit_7', zh: '7日内复诊率', en: 'revisits within 7 days', entities: BOTH, direction: 1, weight: 1, unit: 'ratio' },
  { key: 'near_ceiling_share', zh: '接近最高限价的明细占比', en: 'lines priced at 95% of their ceiling or more', entities: BOTH, direction: 1, weight: 1.5, unit: 'ratio' },
  { key: 'qty_to_limit', zh: '数量与每日限量之比', en: 'quantity relative to the daily limit', entities: BOTH, direction: 1, weight: 0.5, unit: 'ratio' },
  { key: 'findings_per_claim', zh: '次均疑点数', en: 'findings per claim', entities: BOTH, direction: 1, weight: 1.5, unit: 'number' },
  { key: 'risk_per_yuan', zh: '疑点金额占基金支付比例', en: 'amount at risk per yuan paid by the fund', entities: BOTH, direction: 1, weight: 1.5, unit: 'ratio' },
  { key: 'fund_share', zh: '基金支付比例', en: 'share of costs paid by the fund', entities: BOTH, direction: 0, weight: 0, unit: 'ratio' },
  { key: 'benford_mad', zh: '金额首位数字偏离本福特分布程度', en: "first-digit (Benford) deviation of line amounts", entities: BOTH, direction: 1, weight: 0.5, unit: 'number' },
  { key: 'patients_per_day', zh: '日均接诊人数', en: 'patients per working day', entities: ['physician'], direction: 1, weight: 1, unit: 'number' },
];

export const FEATURE_BY_KEY: ReadonlyMap<string, FeatureDef> = new Map(FEATURES.map((f) => [f.key, f]));

export const featuresFor = (entity: EntityType): FeatureDef[] => FEATURES.filter((f) => f.entities.includes(entity));

/** Benford's first-digit probabilities, d = 1…9. */
export const BENFORD = Array.from({ length: 9 }, (_, i) => Math.log10(1 + 1 / (i + 1)));

/** Mean absolute deviation of observed first-digit shares from Benford's (Nigrini's MAD); null under 50 amounts. */
export function benfordMad(counts: readonly number[]): number | null {
  const n = counts.reduce((s, c) => s + c, 0);
  if (n < 50) return null;
  let dev = 0;
  for (let d = 0; d < 9; d++) dev += Math.abs((counts[d] ?? 0) / n - (BENFORD[d] as number));
  return dev / 9;
}
