import { gammaln } from 'simple-statistics';

/**
 * Upper-tail p-value of the chi-square distribution, P(X ≥ statistic) for `df` degrees of freedom:
 * the regularised upper incomplete gamma Q(df/2, statistic/2), by its series below a+1 and its
 * continued fraction above (Numerical Recipes §6.2), with ln Γ from simple-statistics. Its table
 * (chiSquaredDistributionTable) stops at the 0.005 level and its chiSquaredGoodnessOfFit fits a
 * distribution with an estimated mean, so neither serves a test against a known uniform.
 */
export function chiSquareUpperTail(statistic: number, df: number): number {
  const a = df / 2;
  const x = statistic / 2;
  if (x <= 0) return 1;
  const lnFront = -x + a * Math.log(x) - gammaln(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lnFront);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnFront) * h;
}

/**
 * Pearson's statistic of observed counts against equal expected counts, scaled for sampling
 * WITHOUT replacement: when every trial picks exactly m distinct cells of k, the counts are
 * negatively correlated and Σ(O−E)²/E follows ((k−m)/(k−1))·χ²(k−1), not χ²(k−1). Dividing by that
 * factor gives a statistic with the chi-square distribution, so the test is neither lax nor strict.
 */
export function uniformityTest(counts: number[], picksPerTrial: number): { statistic: number; df: number; pValue: number } {
  const k = counts.length;
  const total = counts.reduce((s, c) => s + c, 0);
  const expected = total / k;
  const pearson = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  const statistic = pearson / ((k - picksPerTrial) / (k - 1));
  const df = k - 1;
  return { statistic, df, pValue: chiSquareUpperTail(statistic, df) };
}
