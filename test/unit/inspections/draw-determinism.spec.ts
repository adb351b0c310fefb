import { commitmentOf, newSeed, runDraw } from '../../../src/inspections/draw-algorithm';
import { drawInput, inspector, inspectors, reordered, seedFor } from './builders';

describe('draw: determinism', () => {
  it('gives the identical result for the same seed and inputs', () => {
    expect(runDraw(drawInput())).toEqual(runDraw(drawInput()));
  });

  it('draws different institutions for different seeds', () => {
    const a = runDraw(drawInput({ seed: seedFor(1) }));
    const b = runDraw(drawInput({ seed: seedFor(2) }));
    expect(a.assignments.map((x) => x.institution)).not.toEqual(b.assignments.map((x) => x.institution));
    expect(a.resultHash).not.toBe(b.resultHash);
  });

  it('draws differently for another plan with the same seed', () => {
    const a = runDraw(drawInput({ planId: 'plan-A' }));
    const b = runDraw(drawInput({ planId: 'plan-B' }));
    expect(a.resultHash).not.toBe(b.resultHash);
  });

  it('does not depend on the order of the inputs', () => {
    const base = drawInput({
      inspectors: [inspector('I01', 'R9', ['HA002', 'HA001']), ...inspectors(12).slice(1)],
      previous: [
        { institution: 'HA003', inspectors: ['I02', 'I01'] },
        { institution: 'HA001', inspectors: ['I05', 'I04'] },
      ],
    });
    const shuffled = {
      ...base,
      objects: reordered(base.objects),
      inspectors: reordered(base.inspectors).map((p) => ({ ...p, conflicts: [...p.conflicts].reverse() })),
      previous: reordered(base.previous).map((e) => ({ ...e, inspectors: [...e.inspectors].reverse() })),
    };
    expect(runDraw(shuffled)).toEqual(runDraw(base));
  });

  it('keeps the institutions drawn when an inspector is added', () => {
    const before = runDraw(drawInput());
    const after = runDraw(drawInput({ inspectors: [...inspectors(12), inspector('I99')] }));
    const drawnSet = (r: typeof before) => [...r.assignments.map((a) => a.institution), ...r.unstaffed].sort();
    expect(drawnSet(after)).toEqual(drawnSet(before));
    expect(after.strata).toEqual(before.strata);
  });

  it('commits to a seed by the SHA-256 of its 32 bytes', () => {
    // SHA-256 of 32 zero bytes, a published test vector.
    expect(commitmentOf('0'.repeat(64))).toBe('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925');
    expect(commitmentOf('AB'.repeat(32))).toBe(commitmentOf('ab'.repeat(32)));
  });

  it('makes fresh 32-byte seeds that differ', () => {
    const a = newSeed();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newSeed()).not.toBe(a);
  });
});
