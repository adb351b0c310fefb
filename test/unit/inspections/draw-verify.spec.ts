import { commitmentOf, resultHashOf, runDraw, verifyDraw } from '../../../src/inspections/draw-algorithm';
import { DrawInput, DrawResult } from '../../../src/inspections/draw.types';
import { drawInput, seedFor } from './builders';

/** A genuine publication: commitment made before, seed revealed after, inputs and result as drawn. */
function publication(input: DrawInput = drawInput()): { commitment: string; seed: string; input: DrawInput; result: DrawResult } {
  return { commitment: commitmentOf(input.seed), seed: input.seed, input, result: runDraw(input) };
}

/** A deep copy to tamper with, so the genuine publication stays intact. */
function copy<T>(value: T): T {
  return structuredClone(value);
}

describe('draw: verify', () => {
  it('accepts the genuine publication', () => {
    expect(verifyDraw(publication())).toEqual({ ok: true, problems: [] });
  });

  it('accepts a publication that went through JSON (as stored and served)', () => {
    expect(verifyDraw(JSON.parse(JSON.stringify(publication())))).toEqual({ ok: true, problems: [] });
  });

  it('detects a swapped seed (commitment kept)', () => {
    const p = publication();
    const other = seedFor(99);
    const v = verifyDraw({ ...p, seed: other, input: { ...p.input, seed: other } });
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/does not match the commitment/);
    expect(v.problems.join('\n')).toMatch(/assignment \d+ differs|stratum/);
  });

  it('detects a swapped seed even with a matching new commitment, because the draw differs', () => {
    const p = publication();
    const other = seedFor(99);
    const v = verifyDraw({ commitment: commitmentOf(other), seed: other, input: { ...p.input, seed: other }, result: p.result });
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/assignment \d+ differs/);
    expect(v.problems.join('\n')).toMatch(/result hash differs/);
  });

  it('detects a seed that does not match the commitment', () => {
    const p = publication();
    const v = verifyDraw({ ...p, commitment: commitmentOf(seedFor(7)) });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.stringMatching(/revealed seed does not match the commitment/)]);
  });

  it('detects a tampered object (grade changed)', () => {
    const p = publication();
    const input = copy(p.input);
    input.objects[5] = { ...input.objects[5], grade: 'D' };
    const v = verifyDraw({ ...p, input });
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/the objects differ from those the draw was published with/);
    expect(v.problems.join('\n')).toMatch(/stratum 1 differs: recomputed grade A, 2 of 29, published grade A, 2 of 30/);
  });

  it('detects an object added to the list', () => {
    const p = publication();
    const input = copy(p.input);
    input.objects.push({ code: 'HZ999', kind: 'clinic', level: null, region: 'R1', grade: 'B' });
    const v = verifyDraw({ ...p, input });
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/the objects differ/);
  });

  it('detects an edited assignment, naming it', () => {
    const p = publication();
    const result = copy(p.result);
    const original = result.assignments[1];
    result.assignments[1] = { ...original, team: [original.team[0], original.team[1] === 'I12' ? 'I11' : 'I12'] };
    const v = verifyDraw({ ...p, result });
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual(expect.stringMatching(/result hash .* is not the hash of the published result/));
    expect(v.problems).toContainEqual(expect.stringContaining(`assignment 2 differs: recomputed ${original.institution}`));
  });

  it('detects an edited assignment even when the result hash was recomputed to match', () => {
    const p = publication();
    const result = copy(p.result);
    result.assignments[0].institution = 'HA999';
    result.resultHash = resultHashOf(result);
    const v = verifyDraw({ ...p, result });
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual(expect.stringMatching(/assignment 1 differs: .* published HA999/));
    expect(v.problems).toContainEqual(expect.stringMatching(/result hash differs/));
  });

  it('detects an edited result hash', () => {
    const p = publication();
    const v = verifyDraw({ ...p, result: { ...p.result, resultHash: 'f'.repeat(64) } });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      expect.stringMatching(/published result hash f{64} is not the hash of the published result/),
      expect.stringMatching(/result hash differs: recomputed [0-9a-f]{64}, published f{64}/),
    ]);
  });

  it('detects an edited unstaffed list', () => {
    const p = publication();
    const v = verifyDraw({ ...p, result: { ...p.result, unstaffed: ['HA001'] } });
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual(expect.stringMatching(/unstaffed objects differ/));
  });

  it('refuses to vouch for another algorithm version', () => {
    const p = publication();
    const v = verifyDraw({ ...p, result: { ...p.result, algorithm: 'fundguard-draw-v0' } });
    expect(v).toEqual({ ok: false, problems: [expect.stringMatching(/algorithm "fundguard-draw-v0"/)] });
  });

  it('reports an invalid revealed seed instead of throwing', () => {
    const p = publication();
    const v = verifyDraw({ ...p, seed: 'not-hex' });
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/revealed seed is not valid/);
  });
});
