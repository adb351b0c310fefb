import { runDraw } from '../../../src/inspections/draw-algorithm';
import { chiSquareUpperTail, uniformityTest } from './chi-square';
import { drawInput, inspectors, objects, rules, seedFor } from './builders';

/**
 * Near-uniform selection over a FIXED list of 2,000 seeds (seed i = SHA-256('seed-' + i)), so the
 * outcome is reproducible: the test either always passes or always fails for a given algorithm.
 * Pearson's chi-square against the uniform expectation, corrected for sampling without replacement
 * (see chi-square.ts), rejected when p < 0.001 (the 0.999 quantile of χ²).
 */
const SEEDS = Array.from({ length: 2000 }, (_, i) => seedFor(i));
const ALPHA = 0.001;

describe('draw: near-uniform selection', () => {
  it('computes chi-square p-values that agree with the published table', () => {
    // chiSquaredDistributionTable in simple-statistics: df 19 → 30.14 at 0.05, 38.58 at 0.005; df 9 → 21.67 at 0.01.
    expect(chiSquareUpperTail(30.14, 19)).toBeCloseTo(0.05, 3);
    expect(chiSquareUpperTail(38.58, 19)).toBeCloseTo(0.005, 3);
    expect(chiSquareUpperTail(21.67, 9)).toBeCloseTo(0.01, 3);
    expect(chiSquareUpperTail(18.34, 19)).toBeCloseTo(0.5, 2);
    expect(chiSquareUpperTail(43.82, 19)).toBeCloseTo(0.001, 4);
  });

  it('rejects a visibly biased selection (the test has power)', () => {
    // 2,000 trials of 5 of 20, one object drawn 25% more often and one 25% less: what an off-by-one in the shuffle does.
    const counts = Array.from({ length: 20 }, () => 500);
    counts[0] = 625;
    counts[19] = 375;
    expect(uniformityTest(counts, 5).pValue).toBeLessThan(ALPHA);
  });

  it('selects each object of a 20-object stratum about equally often (ratio 0.25)', () => {
    const stratum = objects(20, 'C');
    const counts = new Map(stratum.map((o) => [o.code, 0]));
    for (const seed of SEEDS) {
      const result = runDraw(drawInput({ seed, objects: stratum, rules: rules({ samplingRatio: { C: 0.25 }, minPerStratum: 0 }) }));
      expect(result.strata).toEqual([{ grade: 'C', size: 20, drawn: 5 }]);
      for (const a of result.assignments) counts.set(a.institution, counts.get(a.institution)! + 1);
    }
    const observed = [...counts.values()];
    expect(observed.reduce((s, c) => s + c, 0)).toBe(SEEDS.length * 5);
    const test = uniformityTest(observed, 5);
    expect(test.df).toBe(19);
    expect(test.pValue).toBeGreaterThan(ALPHA);
  });

  it('puts each inspector on a team about equally often', () => {
    // 10 inspectors, teams of 2, no constraint binding: every team is a uniform 2 of 10.
    const people = inspectors(10);
    const counts = new Map(people.map((p) => [p.code, 0]));
    let teams = 0;
    for (const seed of SEEDS) {
      const result = runDraw(drawInput({ seed, objects: objects(5, 'E'), inspectors: people, rules: rules({ teamSize: 2, loadCap: 100 }) }));
      for (const a of result.assignments) {
        teams += 1;
        for (const code of a.team) counts.set(code, counts.get(code)! + 1);
      }
    }
    expect(teams).toBe(SEEDS.length * 5);
    const test = uniformityTest([...counts.values()], 2);
    expect(test.df).toBe(9);
    expect(test.pValue).toBeGreaterThan(ALPHA);
  });

  it('makes each inspector team leader about equally often', () => {
    const people = inspectors(10);
    const counts = new Map(people.map((p) => [p.code, 0]));
    for (const seed of SEEDS.slice(0, 1000)) {
      const result = runDraw(drawInput({ seed, objects: objects(5, 'E'), inspectors: people }));
      for (const a of result.assignments) counts.set(a.team[0], counts.get(a.team[0])! + 1);
    }
    expect(uniformityTest([...counts.values()], 1).pValue).toBeGreaterThan(ALPHA);
  });
});
