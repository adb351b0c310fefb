import { FeatureDef } from '../../../src/scoring/features';
import { EntityFeatures, scoreAgainstPeers } from '../../../src/scoring/peers';

/**
 * An honest tertiary hospital is expensive; an inflated secondary hospital is expensive for a
 * secondary hospital. Only peers (same kind and level) are compared.
 */
const COST: FeatureDef = { key: 'cost_inpatient', zh: '次均住院费用', en: 'cost per inpatient claim', entities: ['institution'], direction: 1, weight: 1, unit: 'yuan' };

const hospital = (code: string, level: number, cost: number, volume = 200): EntityFeatures => ({
  code,
  volume,
  features: { cost_inpatient: cost },
  groups: [
    { key: `hospital|${level}`, zh: '同级同类机构' },
    { key: 'hospital', zh: '同类机构' },
    { key: '*', zh: '全部机构' },
  ],
});

describe('peer groups', () => {
  const tertiary = [20000, 21000, 22000, 19500, 20500, 21500].map((c, i) => hospital(`T${i}`, 3, c));
  const secondary = [8000, 8200, 7900, 8100, 8050].map((c, i) => hospital(`S${i}`, 2, c));
  const inflated = hospital('S-INFLATED', 2, 16800);
  const scores = new Map(scoreAgainstPeers([...tertiary, ...secondary, inflated], [COST]).map((s) => [s.code, s]));

  it('does not flag the expensive tertiary hospitals: they are compared with tertiary hospitals', () => {
    // Within ±1.2 robust SD of their peers, against 7 for the inflated one.
    for (const t of tertiary) expect(scores.get(t.code)!.raw).toBeLessThan(scores.get('S-INFLATED')!.raw / 5);
    expect(scores.get('T1')!.peerGroup).toBe('hospital|3');
  });

  it('flags the inflated secondary hospital, and says by how much against its peers', () => {
    const s = scores.get('S-INFLATED')!;
    expect(s.peerGroup).toBe('hospital|2');
    expect(Math.max(...[...scores.values()].map((x) => x.score))).toBe(s.score);
    expect(s.drivers[0]).toMatchObject({ feature: 'cost_inpatient', value: 16800, peerMedian: 8075 });
    expect(s.drivers[0]!.ratio).toBeCloseTo(16800 / 8075, 10);
    expect(s.drivers[0]!.zh).toBe('次均住院费用为同级同类机构中位数的 2.1 倍（¥16800.00，中位数 ¥8075.00）');
  });

  it('falls back to a broader group when the peer group is too small', () => {
    const lone = hospital('L1', 1, 9000);
    const s = scoreAgainstPeers([...tertiary, ...secondary, lone], [COST]).find((x) => x.code === 'L1')!;
    expect(s.peerGroup).toBe('hospital');
    expect(s.peerSize).toBe(12);
  });

  it('shrinks the score of an institution with few claims toward its peers', () => {
    const small = scoreAgainstPeers([...secondary, hospital('S-SMALL', 2, 16800, 5)], [COST]).find((x) => x.code === 'S-SMALL')!;
    const big = scoreAgainstPeers([...secondary, hospital('S-BIG', 2, 16800, 500)], [COST]).find((x) => x.code === 'S-BIG')!;
    expect(small.raw).toBeLessThan(big.raw / 3);
  });
});
