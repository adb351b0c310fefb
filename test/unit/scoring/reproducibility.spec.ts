import { featuresFor } from '../../../src/scoring/features';
import { EntityFeatures, rankScores, scoreAgainstPeers } from '../../../src/scoring/peers';

/** Same data → same scores, ranks and explanations; every scored entity explains itself. */
function entities(seed: number): EntityFeatures[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: 40 }, (_, i) => ({
    code: `H${String(i).padStart(3, '0')}`,
    volume: 50 + Math.floor(rnd() * 500),
    groups: [
      { key: `hospital|${i % 3}`, zh: '同级同类机构' },
      { key: '*', zh: '全部机构' },
    ],
    features: Object.fromEntries(featuresFor('institution').map((f) => [f.key, rnd() < 0.05 ? null : rnd() * 100])),
  }));
}

describe('reproducibility and explanations', () => {
  it('gives identical scores and ranks for identical data, whatever the input order', () => {
    const a = rankScores(scoreAgainstPeers(entities(7), featuresFor('institution')));
    const b = rankScores(scoreAgainstPeers(entities(7).reverse(), featuresFor('institution')));
    expect(b).toEqual(a);
    expect(a.map((r) => r.rank)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('breaks ties by code', () => {
    expect(rankScores([{ code: 'B', score: 1 }, { code: 'A', score: 1 }, { code: 'C', score: 2 }]).map((r) => r.code)).toEqual(['C', 'A', 'B']);
  });

  it('explains every entity: at least one driver with its value, the peer median and a sentence', () => {
    for (const s of scoreAgainstPeers(entities(11), featuresFor('institution'))) {
      expect(s.drivers.length).toBeGreaterThanOrEqual(1);
      for (const d of s.drivers) {
        expect(Number.isFinite(d.value)).toBe(true);
        expect(Number.isFinite(d.peerMedian)).toBe(true);
        expect(d.zh).toContain('中位数');
      }
    }
  });
});
