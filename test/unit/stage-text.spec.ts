import { stageHash, stageText } from '../../src/imports/claim-rows';

describe('stageText (what SQL hashes to tell identical content)', () => {
  it('is the same for the same values', () => {
    expect(stageText(['C1', 1, null, '2025-01-03'])).toBe(stageText(['C1', 1, null, '2025-01-03']));
  });

  it('tells a missing value from an empty one, and a value from its neighbour', () => {
    expect(stageText(['a', null])).not.toBe(stageText(['a', '']));
    expect(stageText(['ab', 'c'])).not.toBe(stageText(['a', 'bc']));
    expect(stageText([1, 23])).not.toBe(stageText([12, 3]));
  });

  it('changes when any value changes', () => {
    const base = ['C1', 1, 'X01', '2025-01-03', 350, '1.5', 525, null];
    base.forEach((_, i) => {
      const changed = [...base];
      changed[i] = changed[i] === null ? 7 : `${changed[i]}0`;
      expect(stageText(changed)).not.toBe(stageText(base));
    });
  });
});

describe('stageHash (the 64-bit digest the identity check sums)', () => {
  const base = ['C1', 1, 'X01', '2025-01-03', 350, '1.5', 525, null];

  it('is deterministic, two 32-bit integers', () => {
    const h = stageHash(base);
    expect(stageHash([...base])).toEqual(h);
    for (const x of h) expect(Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31).toBe(true);
  });

  it('changes when any value changes, and tells null from ""', () => {
    const seen = new Set([stageHash(base).join(',')]);
    base.forEach((_, i) => {
      const changed = [...base];
      changed[i] = changed[i] === null ? '' : `${changed[i]}0`;
      seen.add(stageHash(changed).join(','));
    });
    expect(seen.size).toBe(base.length + 1);
  });

  it('spreads 100,000 distinct lines over 100,000 distinct digests', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(stageHash(['C1', i, 'X01', '2025-01-03', 350, '1', 350, null]).join(','));
    expect(seen.size).toBe(100_000);
  });
});
