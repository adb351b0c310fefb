import { featureStats, percentileRank, robustZ } from '../../../src/scoring/peers';

/** Robust z-scores: median and MAD, so the outlier looked for does not widen the yardstick. */
describe('robust z-scores', () => {
  it('uses the median and 1.4826 × MAD', () => {
    const s = featureStats([10, 11, 12, 13, 14, 100])!;
    expect(s.median).toBe(12.5);
    expect(s.scale).toBeCloseTo(1.4826 * 1.5, 10); // |x − 12.5| = 2.5, 1.5, 0.5, 0.5, 1.5, 87.5 → MAD 1.5
    expect(robustZ(100, s, 1000)).toBeCloseTo(87.5 / (1.4826 * 1.5), 10);
    // A mean/SD z would be blunted by the outlier itself: (100 − 26.7) / 36 ≈ 2.
    expect(robustZ(100, s, 1000)).toBeGreaterThan(30);
  });

  it('caps extreme values', () => {
    const s = featureStats([1, 2, 3, 4, 5])!;
    expect(robustZ(1e9, s, 8)).toBe(8);
    expect(robustZ(-1e9, s, 8)).toBe(-8);
  });

  it('falls back to the mean absolute deviation when most peers share one value', () => {
    const s = featureStats([0, 0, 0, 0, 0, 0, 1, 2])!; // MAD = 0
    expect(s.median).toBe(0);
    expect(s.scale).toBeCloseTo((1.2533 * 3) / 8, 10);
    expect(robustZ(2, s, 100)).toBeCloseTo(2 / ((1.2533 * 3) / 8), 10);
  });

  it('gives 0 when every peer is equal and so is the value, and the cap when it is not', () => {
    const s = featureStats([5, 5, 5])!;
    expect(robustZ(5, s, 8)).toBe(0);
    expect(robustZ(6, s, 8)).toBe(8);
  });

  it('ranks percentiles among peers, the entity included', () => {
    expect(percentileRank(3, [1, 2, 3, 4])).toBe(0.75);
    expect(percentileRank(0, [1, 2, 3, 4])).toBe(0);
    expect(percentileRank(4, [1, 2, 3, 4])).toBe(1);
  });
});
