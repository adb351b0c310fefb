import { FieldError } from '../common/domain.exception';

/**
 * The penalty ranges of the Regulation on the Supervision of Medical Security Fund Use
 * (《医疗保障基金使用监督管理条例》, State Council Decree 735) that a case decision must respect.
 *
 * - Art. 38 (over-treatment, split or phantom admissions, duplicate / over-standard / split charging,
 *   item substitution …): refund of the loss (责令退回) and a fine of 1–2× the loss; serious cases also
 *   a suspension of the responsible departments' insured services for 6–12 months. The table allows
 *   0–12 months (0 = no suspension) so a decision can record "no suspension" without a flag.
 * - Art. 40 (fraud, 骗取医疗保障基金支出): refund and a fine of 2–5× the amount obtained; suspension
 *   for 6–12 months up to the termination of the service agreement (解除服务协议).
 */

export const LEGAL_ARTICLES = ['38', '40'] as const;
export type LegalArticle = (typeof LEGAL_ARTICLES)[number];

/** 协议处理: what happens to the institution's service agreement. */
export const AGREEMENT_ACTIONS = ['none', 'warning', 'rectify', 'suspend', 'terminate'] as const;
export type AgreementAction = (typeof AGREEMENT_ACTIONS)[number];

export interface ArticleRange {
  titleZh: string;
  /** Fine as a multiple of the amount to recover, inclusive. */
  fineMultiple: { min: number; max: number };
  /** Months of suspension, inclusive (0 = none). */
  suspensionMonths: { min: number; max: number };
  agreementActions: readonly AgreementAction[];
}

export const ARTICLE_RANGES: Readonly<Record<LegalArticle, ArticleRange>> = {
  '38': {
    titleZh: '第三十八条（违规使用医保基金）',
    fineMultiple: { min: 1, max: 2 },
    suspensionMonths: { min: 0, max: 12 },
    agreementActions: ['none', 'warning', 'rectify', 'suspend'],
  },
  '40': {
    titleZh: '第四十条（欺诈骗保）',
    fineMultiple: { min: 2, max: 5 },
    suspensionMonths: { min: 0, max: 12 },
    agreementActions: ['none', 'warning', 'rectify', 'suspend', 'terminate'],
  },
};

export const AGREEMENT_ACTION_ZH: Readonly<Record<AgreementAction, string>> = {
  none: '无',
  warning: '约谈 / 警告',
  rectify: '限期整改',
  suspend: '暂停医保服务',
  terminate: '解除服务协议',
};

/** A decision's penalty terms, as entered. */
export interface PenaltyTerms {
  article: LegalArticle;
  /** Fen (integer). */
  recoverFen: bigint;
  /** The multiple in hundredths (1.5 → 150): decided to two decimals, never a float. */
  fineMultipleHundredths: bigint;
  suspensionMonths: number;
  agreementAction: AgreementAction;
}

/**
 * Fine = amount to recover × multiple, rounded half up to the fen. Both operands are exact integers
 * (fen, hundredths), so the product is exact and only the final division rounds.
 */
export function fineFen(recoverFen: bigint, fineMultipleHundredths: bigint): bigint {
  if (recoverFen < 0n || fineMultipleHundredths < 0n) throw new RangeError('fine operands must not be negative');
  const product = recoverFen * fineMultipleHundredths;
  return (product + 50n) / 100n;
}

const fmtMultiple = (h: bigint) => (Number(h) / 100).toString();

/** Checks a decision's terms against its article's ranges; every violation names the field and the allowed range. */
export function checkPenaltyRanges(t: PenaltyTerms): FieldError[] {
  const r = ARTICLE_RANGES[t.article];
  const errors: FieldError[] = [];
  const law = `条例 art. ${t.article}`;
  const min = BigInt(Math.round(r.fineMultiple.min * 100));
  const max = BigInt(Math.round(r.fineMultiple.max * 100));
  if (t.fineMultipleHundredths < min || t.fineMultipleHundredths > max) {
    errors.push({ path: 'fineMultiple', reason: `${fmtMultiple(t.fineMultipleHundredths)} is outside ${law}'s range: ${r.fineMultiple.min}–${r.fineMultiple.max} times the amount to recover` });
  }
  if (t.suspensionMonths < r.suspensionMonths.min || t.suspensionMonths > r.suspensionMonths.max) {
    errors.push({ path: 'suspensionMonths', reason: `${t.suspensionMonths} is outside ${law}'s range: ${r.suspensionMonths.min}–${r.suspensionMonths.max} months (0 = no suspension)` });
  }
  if (!r.agreementActions.includes(t.agreementAction)) {
    errors.push({ path: 'agreementAction', reason: `${t.agreementAction} is not available under ${law}; allowed: ${r.agreementActions.join(', ')}` });
  } else if (t.agreementAction === 'suspend' && t.suspensionMonths < 1) {
    errors.push({ path: 'suspensionMonths', reason: 'a suspension (agreementAction suspend) needs 1–12 months' });
  } else if (t.agreementAction !== 'suspend' && t.suspensionMonths > 0) {
    errors.push({ path: 'agreementAction', reason: `${t.suspensionMonths} months of suspension need agreementAction suspend` });
  }
  return errors;
}
