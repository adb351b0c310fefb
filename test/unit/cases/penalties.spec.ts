import { DomainException } from '../../../src/common/domain.exception';
import { parseAppealDecision, parseConfirm, parseDecision, parsePayment } from '../../../src/cases/cases.dto';
import { fenOf, multipleText, parseMultiple, parseYuan, yuanText } from '../../../src/cases/money';
import { ARTICLE_RANGES, checkPenaltyRanges, fineFen, PenaltyTerms } from '../../../src/cases/penalties';

/** Penalties under 条例 art. 38 / 40: the legal ranges, the fine rounded half up to the fen, and input parsing. */

const terms = (over: Partial<PenaltyTerms>): PenaltyTerms => ({
  article: '38',
  recoverFen: 100_000n,
  fineMultipleHundredths: 150n,
  suspensionMonths: 0,
  agreementAction: 'none',
  ...over,
});

describe('fine = amount to recover × multiple, rounded half up to the fen', () => {
  it.each([
    [100_000n, 150n, 150_000n], // 1000.00 × 1.5 = 1500.00
    [1n, 150n, 2n], // 0.01 × 1.5 = 0.015 → 0.02 (half up)
    [3n, 150n, 5n], // 0.03 × 1.5 = 0.045 → 0.05
    [33n, 133n, 44n], // 0.33 × 1.33 = 0.4389 → 0.44
    [12_345n, 125n, 15_431n], // 123.45 × 1.25 = 154.3125 → 154.31
    [12_347n, 150n, 18_521n], // 123.47 × 1.5 = 185.205 → 185.21
    [0n, 500n, 0n],
    // Beyond a double's exact integers: 99,999,999,999,999.99 × 5
    [9_999_999_999_999_999n, 500n, 49_999_999_999_999_995n],
  ])('%p fen × %p/100 = %p fen', (recover, multiple, fine) => {
    expect(fineFen(recover, multiple)).toBe(fine);
  });

  it('refuses negative operands', () => {
    expect(() => fineFen(-1n, 100n)).toThrow(RangeError);
  });
});

describe('legal ranges per article', () => {
  it('documents the ranges of Decree 735', () => {
    expect(ARTICLE_RANGES['38'].fineMultiple).toEqual({ min: 1, max: 2 });
    expect(ARTICLE_RANGES['40'].fineMultiple).toEqual({ min: 2, max: 5 });
    expect(ARTICLE_RANGES['38'].agreementActions).not.toContain('terminate');
    expect(ARTICLE_RANGES['40'].agreementActions).toContain('terminate');
  });

  it.each([
    ['38', 100n],
    ['38', 200n],
    ['38', 137n],
    ['40', 200n],
    ['40', 500n],
  ] as const)('art. %s accepts a multiple of %p/100', (article, m) => {
    expect(checkPenaltyRanges(terms({ article, fineMultipleHundredths: m }))).toEqual([]);
  });

  it.each([
    ['38', 99n, "0.99 is outside 条例 art. 38's range: 1–2 times the amount to recover"],
    ['38', 201n, "2.01 is outside 条例 art. 38's range: 1–2 times the amount to recover"],
    ['40', 150n, "1.5 is outside 条例 art. 40's range: 2–5 times the amount to recover"],
    ['40', 501n, "5.01 is outside 条例 art. 40's range: 2–5 times the amount to recover"],
  ] as const)('art. %s refuses %p/100, naming the field and the range', (article, m, reason) => {
    expect(checkPenaltyRanges(terms({ article, fineMultipleHundredths: m }))).toEqual([{ path: 'fineMultiple', reason }]);
  });

  it('suspension: 0–12 months, and only with the suspend action', () => {
    expect(checkPenaltyRanges(terms({ suspensionMonths: 6, agreementAction: 'suspend' }))).toEqual([]);
    expect(checkPenaltyRanges(terms({ suspensionMonths: 12, agreementAction: 'suspend' }))).toEqual([]);
    expect(checkPenaltyRanges(terms({ suspensionMonths: 13, agreementAction: 'suspend' }))).toEqual([
      { path: 'suspensionMonths', reason: "13 is outside 条例 art. 38's range: 0–12 months (0 = no suspension)" },
    ]);
    expect(checkPenaltyRanges(terms({ suspensionMonths: -1 }))[0]!.path).toBe('suspensionMonths');
    expect(checkPenaltyRanges(terms({ suspensionMonths: 0, agreementAction: 'suspend' }))).toEqual([{ path: 'suspensionMonths', reason: 'a suspension (agreementAction suspend) needs 1–12 months' }]);
    expect(checkPenaltyRanges(terms({ suspensionMonths: 3, agreementAction: 'warning' }))).toEqual([{ path: 'agreementAction', reason: '3 months of suspension need agreementAction suspend' }]);
  });

  it('terminating the agreement is for fraud (art. 40) only', () => {
    expect(checkPenaltyRanges(terms({ article: '38', agreementAction: 'terminate' }))).toEqual([
      { path: 'agreementAction', reason: 'terminate is not available under 条例 art. 38; allowed: none, warning, rectify, suspend' },
    ]);
    expect(checkPenaltyRanges(terms({ article: '40', fineMultipleHundredths: 300n, agreementAction: 'terminate' }))).toEqual([]);
  });

  it('reports every field out of range at once', () => {
    expect(checkPenaltyRanges(terms({ fineMultipleHundredths: 300n, suspensionMonths: 20, agreementAction: 'suspend' })).map((e) => e.path)).toEqual(['fineMultiple', 'suspensionMonths']);
  });
});

describe('money', () => {
  it('parses yuan exactly, two decimals at most', () => {
    expect(parseYuan('1234.56')).toBe(123_456n);
    expect(parseYuan('1234.5')).toBe(123_450n);
    expect(parseYuan(12.3)).toBe(1_230n);
    expect(parseYuan('0')).toBe(0n);
    for (const bad of ['-1', '1.234', 'abc', '', '1e3', null, undefined, {}]) expect(parseYuan(bad)).toBeNull();
  });

  it('round-trips database numerics', () => {
    expect(yuanText(fenOf('1234.50'))).toBe('1234.50');
    expect(yuanText(fenOf('-0.05'))).toBe('-0.05');
    expect(yuanText(fenOf('7'))).toBe('7.00');
  });

  it('multiples in hundredths', () => {
    expect(parseMultiple('1.5')).toBe(150n);
    expect(parseMultiple(2)).toBe(200n);
    expect(parseMultiple('1.555')).toBeNull();
    expect(multipleText(150n)).toBe('1.50');
  });
});

describe('input parsing names every bad field', () => {
  const fields = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as DomainException).errors.map((x) => x.path);
    }
    throw new Error('expected a DomainException');
  };

  it('a decision', () => {
    expect(parseDecision({ violationType: '超标准收费', article: 38, amountToRecover: '100.5', fineMultiple: 1.5, suspensionMonths: '0', agreementAction: 'warning' })).toMatchObject({
      article: '38',
      recoverFen: 10_050n,
      fineMultipleHundredths: 150n,
      suspensionMonths: 0,
      agreementAction: 'warning',
    });
    expect(fields(() => parseDecision({ article: '39', amountToRecover: '-3', fineMultiple: 'x', suspensionMonths: 1.5, agreementAction: 'jail' }))).toEqual([
      'violationType',
      'article',
      'amountToRecover',
      'fineMultiple',
      'suspensionMonths',
      'agreementAction',
    ]);
  });

  it('an appeal decision with a nested or form-flattened new decision', () => {
    const d = { violationType: 'x', article: '38', amountToRecover: '10', fineMultiple: '1', suspensionMonths: 0, agreementAction: 'none' };
    expect(parseAppealDecision({ outcome: 'amended', reason: 'r', decision: d }).decision).toMatchObject({ recoverFen: 1000n });
    expect(parseAppealDecision({ outcome: 'amended', reason: 'r', 'decision.violationType': 'x', 'decision.article': '40', 'decision.amountToRecover': '10', 'decision.fineMultiple': '2' }).decision).toMatchObject({ article: '40' });
    expect(fields(() => parseAppealDecision({ outcome: 'amended', reason: 'r', decision: { ...d, fineMultiple: 'x' } }))).toEqual(['decision.fineMultiple']);
    expect(fields(() => parseAppealDecision({ outcome: 'maybe' }))).toEqual(['outcome', 'reason']);
  });

  it('review outcomes from JSON or form fields', () => {
    expect([...parseConfirm({ outcomes: { '12': 'dismissed' }, outcome_13: 'confirmed' }).outcomes]).toEqual([
      ['12', 'dismissed'],
      ['13', 'confirmed'],
    ]);
    expect(fields(() => parseConfirm({ outcomes: { abc: 'confirmed', '5': 'maybe' } })).sort()).toEqual(['outcomes.5', 'outcomes.abc']);
  });

  it('a payment', () => {
    expect(parsePayment({ amount: '12.30', paidOn: '2026-02-28', reference: ' BANK-1 ' })).toEqual({ amountFen: 1230n, paidOn: '2026-02-28', reference: 'BANK-1' });
    expect(fields(() => parsePayment({ amount: '0', paidOn: '2026-02-30', reference: '' }))).toEqual(['amount', 'paidOn', 'reference']);
  });
});
