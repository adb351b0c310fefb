import { averagePrecision, bestF1Threshold, meanAndSd, metricsAtThreshold, rocAuc, stratifiedKFold } from '../../../src/scoring/metrics';

describe('ROC-AUC', () => {
  it('is 1 when every positive outscores every negative, 0 when reversed', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
  });

  it('counts the share of positive–negative pairs ranked right', () => {
    // Pairs (p, n): (0.8, 0.1) ✓ (0.8, 0.9) ✗ (0.4, 0.1) ✓ (0.4, 0.9) ✗ → 2 of 4.
    expect(rocAuc([1, 0, 1, 0], [0.8, 0.1, 0.4, 0.9])).toBe(0.5);
    // 3 positives × 2 negatives; the negative at 0.35 outranks one positive: 5 of 6 pairs.
    expect(rocAuc([0, 1, 0, 1, 1], [0.1, 0.3, 0.35, 0.4, 0.8])).toBeCloseTo(5 / 6, 12);
  });

  it('counts a tie between a positive and a negative as one half', () => {
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    // Pairs: (0.7 vs 0.2) 1, (0.7 vs 0.7) ½, (0.2 vs 0.2) ½, (0.2 vs 0.7) 0 → 2 of 4.
    expect(rocAuc([1, 1, 0, 0], [0.7, 0.2, 0.2, 0.7])).toBe(0.5);
    // All scores equal: chance.
    expect(rocAuc([1, 0, 0, 1, 0], [3, 3, 3, 3, 3])).toBe(0.5);
  });

  it('depends only on the order of the scores', () => {
    const y = [0, 1, 1, 0, 1, 0, 0, 1];
    const s = [0.2, 0.9, 0.4, 0.5, 0.7, 0.1, 0.3, 0.6];
    expect(rocAuc(y, s.map((v) => Math.exp(10 * v)))).toBe(rocAuc(y, s));
  });

  it('refuses a single class with a clear error', () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow('ROC-AUC needs both classes: all 3 labels are 1');
    expect(() => rocAuc([0, 0], [0.1, 0.2])).toThrow('all 2 labels are 0');
    expect(() => rocAuc([], [])).toThrow('no examples');
  });

  it('refuses labels other than 0/1 and mismatched lengths', () => {
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow('label 1 is 2');
    expect(() => rocAuc([0, 1], [0.1])).toThrow('2 labels but 1 scores');
    expect(() => rocAuc([0, 1], [0.1, NaN])).toThrow('score 1 is NaN');
  });
});

describe('PR-AUC (average precision)', () => {
  it('is 1 for a perfect ranking', () => {
    expect(averagePrecision([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8])).toBe(1);
  });

  it('sums precision at each recall step', () => {
    // Ranked: 0.9 (1) P=1 R=½; 0.8 (0); 0.7 (1) P=⅔ R=1 → ½·1 + ½·⅔ = 5/6.
    expect(averagePrecision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])).toBeCloseTo(5 / 6, 12);
    // Ranked: 0.9 (0); 0.8 (1) P=½ R=1 → ½.
    expect(averagePrecision([0, 1, 0], [0.9, 0.8, 0.1])).toBe(0.5);
  });

  it('takes tied scores as one step (no interpolation)', () => {
    // 0.9 and 0.9 enter together: P=½, R=1 → ½ (not 1 or 0 depending on the order).
    expect(averagePrecision([1, 0], [0.9, 0.9])).toBe(0.5);
    expect(averagePrecision([0, 1], [0.9, 0.9])).toBe(0.5);
    // Ranked: {0.9: 1, 0} P=½ R=½; {0.5: 1} P=⅔ R=1 → ¼ + ⅓ = 7/12.
    expect(averagePrecision([1, 0, 1], [0.9, 0.9, 0.5])).toBeCloseTo(7 / 12, 12);
  });

  it('equals the base rate when every score is the same', () => {
    expect(averagePrecision([1, 0, 0, 0], [1, 1, 1, 1])).toBe(0.25);
  });

  it('refuses a table without positives', () => {
    expect(() => averagePrecision([0, 0, 0], [0.1, 0.2, 0.3])).toThrow('PR-AUC needs at least one label 1: all 3 labels are 0');
  });
});

describe('precision, recall and F1 at a threshold', () => {
  it('calls scores at or above the threshold positive', () => {
    const m = metricsAtThreshold([1, 1, 0, 0, 1], [0.9, 0.5, 0.5, 0.2, 0.1], 0.5);
    expect(m).toMatchObject({ tp: 2, fp: 1, fn: 1, tn: 1 });
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
  });

  it('is 0, not NaN, when nothing is predicted positive', () => {
    expect(metricsAtThreshold([1, 0], [0.2, 0.1], 0.5)).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('chooses the best-F1 threshold between two distinct scores', () => {
    // Cuts: ≥0.9 F1 ⅔; ≥0.8 F1 1; ≥0.3 F1 0.8; ≥0.1 F1 ⅔ → cut after 0.8, threshold (0.8 + 0.3) / 2.
    const best = bestF1Threshold([1, 1, 0, 0], [0.9, 0.8, 0.3, 0.1]);
    expect(best.f1).toBe(1);
    expect(best.threshold).toBeCloseTo(0.55, 12);
    expect(metricsAtThreshold([1, 1, 0, 0], [0.9, 0.8, 0.3, 0.1], best.threshold).f1).toBe(1);
  });

  it('keeps tied scores on the same side of the threshold', () => {
    // The tie at 0.6 holds a positive and a negative: either both are in or both out.
    const best = bestF1Threshold([1, 1, 0, 0], [0.9, 0.6, 0.6, 0.1]);
    expect(best).toMatchObject({ tp: 2, fp: 1, fn: 0 });
    expect(best.threshold).toBeCloseTo(0.35, 12);
  });
});

describe('stratified k-fold', () => {
  const labels = Array.from({ length: 103 }, (_, i) => (i % 10 === 0 ? 1 : 0)); // 11 positives, 92 negatives

  it('tests every row exactly once, trains on all the others', () => {
    const folds = stratifiedKFold(labels, 5, 42);
    expect(folds).toHaveLength(5);
    const tested = folds.flatMap((f) => f.test).sort((a, b) => a - b);
    expect(tested).toEqual(labels.map((_, i) => i));
    for (const f of folds) {
      expect(f.train.length + f.test.length).toBe(labels.length);
      expect(f.train.filter((i) => f.test.includes(i))).toEqual([]);
    }
  });

  it('keeps each class within one row of its share in every fold, and sizes within one', () => {
    const folds = stratifiedKFold(labels, 5, 42);
    const positives = folds.map((f) => f.test.filter((i) => labels[i] === 1).length);
    expect(Math.max(...positives) - Math.min(...positives)).toBeLessThanOrEqual(1);
    const sizes = folds.map((f) => f.test.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('is deterministic for a seed and shuffles differently for another', () => {
    expect(stratifiedKFold(labels, 5, 42)).toEqual(stratifiedKFold(labels, 5, 42));
    expect(stratifiedKFold(labels, 5, 43)).not.toEqual(stratifiedKFold(labels, 5, 42));
  });

  it('refuses too few rows of a class and a fold count below 2', () => {
    expect(() => stratifiedKFold([0, 0, 0, 1, 1], 3, 1)).toThrow('3 folds need at least 3 rows of each class; class 1 has 2');
    expect(() => stratifiedKFold(labels, 1, 1)).toThrow('at least 2');
  });
});

describe('mean and standard deviation', () => {
  it('uses the sample standard deviation', () => {
    expect(meanAndSd([1, 2, 3, 4])).toEqual({ mean: 2.5, sd: Math.sqrt(5 / 3) });
    expect(meanAndSd([7])).toEqual({ mean: 7, sd: 0 });
  });
});
