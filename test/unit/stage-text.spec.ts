import { stageText } from '../../src/imports/claim-rows';

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
