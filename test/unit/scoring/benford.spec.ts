import { BENFORD, benfordMad } from '../../../src/scoring/features';

/** First-digit (Benford) deviation: Nigrini's mean absolute deviation of digit shares. */
describe('Benford deviation', () => {
  it('is 0 for amounts following the law exactly', () => {
    expect(benfordMad(BENFORD.map((p) => p * 1_000_000))).toBeCloseTo(0, 10);
  });

  it('is large for made-up amounts with uniform first digits', () => {
    const uniform = benfordMad(Array(9).fill(100))!;
    expect(uniform).toBeCloseTo(BENFORD.reduce((s, p) => s + Math.abs(1 / 9 - p), 0) / 9, 12);
    expect(uniform).toBeGreaterThan(0.015); // Nigrini: above 0.015 is non-conformity
  });

  it('says nothing under 50 amounts', () => {
    expect(benfordMad([10, 5, 3, 2, 2, 1, 1, 1, 0])).toBeNull();
  });
});
