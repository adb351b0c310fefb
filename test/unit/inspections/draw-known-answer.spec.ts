import { commitmentOf, DrawStream, pickWithoutReplacement, runDraw } from '../../../src/inspections/draw-algorithm';
import { DrawInput } from '../../../src/inspections/draw.types';

/**
 * The known-answer vector of docs/draw-algorithm.md. A published draw must verify forever, so any
 * change that alters these numbers is a new algorithm version, never an edit of 'fundguard-draw-v1'.
 * (The same vector was reproduced by the independent Python re-implementation in the docs.)
 */
const SEED = '00'.repeat(31) + '01';
const VECTOR: DrawInput = {
  seed: SEED,
  planId: 'demo',
  rules: { samplingRatio: { A: 0.5, C: 1 }, minPerStratum: 1, teamSize: 2, loadCap: 2, avoidSameRegion: true, avoidPrevious: true },
  objects: [
    { code: 'H1', kind: 'hospital', level: 3, region: 'east', grade: 'A' },
    { code: 'H2', kind: 'hospital', level: 2, region: 'west', grade: 'A' },
    { code: 'H3', kind: 'hospital', level: 2, region: 'east', grade: 'A' },
    { code: 'P1', kind: 'pharmacy', level: null, region: 'west', grade: 'C' },
    { code: 'P2', kind: 'pharmacy', level: null, region: 'east', grade: 'C' },
  ],
  inspectors: [
    { code: 'I1', unit: 'bureau', region: 'east', conflicts: [] },
    { code: 'I2', unit: 'bureau', region: 'west', conflicts: ['P1'] },
    { code: 'I3', unit: 'bureau', region: 'north', conflicts: [] },
    { code: 'I4', unit: 'bureau', region: 'north', conflicts: [] },
  ],
  previous: [{ institution: 'P2', inspectors: ['I3'] }],
};

/** A stream that returns scripted words, to show how uniformInt treats each. */
class ScriptedStream extends DrawStream {
  constructor(private readonly words: number[]) {
    super(Buffer.alloc(32), 'test', 'scripted');
  }
  override nextUint32(): number {
    const w = this.words.shift();
    if (w === undefined) throw new Error('script exhausted');
    return w;
  }
}

describe('draw: known-answer vector (fundguard-draw-v1)', () => {
  it('derives the stream words from HMAC-SHA256(seed, "planId|label|counter")', () => {
    const s = new DrawStream(Buffer.from(SEED, 'hex'), 'demo', 'order');
    expect([s.nextUint32(), s.nextUint32(), s.nextUint32()].map((w) => w.toString(16))).toEqual(['d01a1f84', '43cf48b4', '950348de']);
    const u = new DrawStream(Buffer.from(SEED, 'hex'), 'demo', 'order');
    expect(Array.from({ length: 10 }, () => u.uniformInt(10))).toEqual([2, 6, 6, 2, 0, 1, 6, 6, 7, 8]);
  });

  it('rejects words at or above the largest multiple of n instead of reducing them', () => {
    // 2^32 mod 3 = 1, so the limit is 2^32 − 1: the word 0xFFFFFFFF is discarded, 7 gives 7 mod 3 = 1.
    expect(new ScriptedStream([0xffffffff, 7]).uniformInt(3)).toBe(1);
    expect(new ScriptedStream([0xfffffffe]).uniformInt(3)).toBe(0xfffffffe % 3);
  });

  it('picks by a partial Fisher–Yates shuffle', () => {
    // i=0: j = 0 + 2 → swap a,c; i=1: j = 1 + 0 → b stays.
    expect(pickWithoutReplacement(['a', 'b', 'c', 'd'], 2, new ScriptedStream([2, 0]))).toEqual(['c', 'b']);
  });

  it('computes the documented draw', () => {
    expect(commitmentOf(SEED)).toBe('ec4916dd28fc4c10d78e287ca5d9cc51ee1ae73cbfde08c6b37324cbfaac8bc5');
    expect(runDraw(VECTOR)).toEqual({
      algorithm: 'fundguard-draw-v1',
      strata: [
        { grade: 'A', size: 3, drawn: 2 },
        { grade: 'C', size: 2, drawn: 2 },
      ],
      assignments: [
        { institution: 'H2', grade: 'A', team: ['I3', 'I1'] },
        { institution: 'P1', grade: 'C', team: ['I4', 'I3'] },
        { institution: 'H3', grade: 'A', team: ['I2', 'I4'] },
      ],
      // P2 (east): I1 is from east, I3 was on its previous team and is at the cap, I4 is at the cap; only I2 is left.
      unstaffed: ['P2'],
      inputHashes: {
        rules: '9ce32c56cefdeb5972f7c2aa949218a4e3c497045e4601f28a18bf84b43d17d4',
        objects: '0ee55391af56fbbc2ac2d23ac5044bffc2cbdb39c5fbff0a9045655b42d737d5',
        inspectors: 'bc292021b36a1bbed29077956dfcdb2b8f2fbf222bfb7b5c1c4ef4a406c4023f',
        previous: '6b5b48c7bcd6e33d846b08a0ffb01eb231abf64b1035ed955734445840825e18',
      },
      resultHash: '2dce81761a55bbb0d30c89b1757743983d9f165c87409e2176c70c8e291a0b25',
    });
  });
});
