import { drawCount, runDraw } from '../../../src/inspections/draw-algorithm';
import { drawInput, objects, rules, seedFor } from './builders';

describe('draw: strata', () => {
  it('draws max(min, ceil(ratio × size)) per grade', () => {
    // A: ceil(0.05×30)=2; B: ceil(0.1×20)=2; D: ceil(0.4×7)=3.
    const result = runDraw(drawInput({ rules: rules({ minPerStratum: 1 }) }));
    expect(result.strata).toEqual([
      { grade: 'A', size: 30, drawn: 2 },
      { grade: 'B', size: 20, drawn: 2 },
      { grade: 'D', size: 7, drawn: 3 },
    ]);
  });

  it('raises a small stratum to the minimum', () => {
    const result = runDraw(drawInput({ rules: rules({ minPerStratum: 3 }) }));
    expect(result.strata.map((s) => s.drawn)).toEqual([3, 3, 3]);
  });

  it('caps the minimum at the stratum size', () => {
    const result = runDraw(drawInput({ objects: objects(2, 'A'), rules: rules({ minPerStratum: 5 }) }));
    expect(result.strata).toEqual([{ grade: 'A', size: 2, drawn: 2 }]);
  });

  it('draws only the minimum at ratio 0', () => {
    const result = runDraw(drawInput({ objects: objects(40, 'A'), rules: rules({ samplingRatio: { A: 0 }, minPerStratum: 2 }) }));
    expect(result.strata).toEqual([{ grade: 'A', size: 40, drawn: 2 }]);
    expect(runDraw(drawInput({ objects: objects(40, 'A'), rules: rules({ samplingRatio: { A: 0 }, minPerStratum: 0 }) })).strata[0].drawn).toBe(0);
  });

  it('draws the whole stratum at ratio 1', () => {
    const result = runDraw(drawInput({ objects: objects(9, 'E'), rules: rules({ teamSize: 2 }) }));
    expect(result.strata).toEqual([{ grade: 'E', size: 9, drawn: 9 }]);
    expect(new Set(result.assignments.map((a) => a.institution)).size).toBe(9);
  });

  it('rounds the exact product up, not its floating-point value', () => {
    // 0.1 × 30 is 3.0000000000000004 in floating point; exactly it is 3.
    expect(drawCount(0.1, 30, 0)).toBe(3);
    expect(drawCount(0.07, 100, 0)).toBe(7);
    expect(drawCount(0.1, 31, 0)).toBe(4);
    expect(drawCount(0.05, 1, 0)).toBe(1);
    expect(drawCount(1e-7, 10, 0)).toBe(1);
  });

  it('draws each object at most once and only from its own grade', () => {
    for (let i = 0; i < 50; i++) {
      const result = runDraw(drawInput({ seed: seedFor(i), rules: rules({ samplingRatio: { A: 0.5, B: 0.5, D: 0.5 } }) }));
      const drawn = [...result.assignments.map((a) => a.institution), ...result.unstaffed];
      expect(new Set(drawn).size).toBe(drawn.length);
      for (const a of result.assignments) expect(a.institution.startsWith(`H${a.grade}`)).toBe(true);
      for (const s of result.strata) {
        expect(drawn.filter((c) => c.startsWith(`H${s.grade}`))).toHaveLength(s.drawn);
      }
    }
  });
});
