import { replay, standingOf } from '../../../src/credit/ledger';
import { policy } from './builders';

/** The replay clamps at every step: a bonus at the maximum is lost, a deduction at the floor takes nothing. */
describe('replaying entries into a score', () => {
  const p = policy();

  it('starts at the base and applies entries in order', () => {
    expect(replay(p.scale, []).score).toBe(850);
    expect(standingOf(p, [{ id: '1', points: -40 }, { id: '2', points: -30 }])).toMatchObject({ score: 780, grade: 'C' });
  });

  it('caps at the maximum: the part of a bonus above it is lost for good', () => {
    const r = replay(p.scale, [
      { id: '1', points: 100 },
      { id: '2', points: 60 }, // 950 + 60 → 1000 (10 lost)
      { id: '3', points: 10 }, // at 1000: lost entirely
      { id: '4', points: -40 },
    ]);
    expect(r.steps.map((s) => [s.scoreAfter, s.applied])).toEqual([
      [950, 100],
      [1000, 50],
      [1000, 0],
      [960, -40],
    ]);
  });

  it('floors at the minimum: a deduction at 0 takes nothing, and a later bonus counts from 0', () => {
    const r = replay(p.scale, [
      { id: '1', points: -800 },
      { id: '2', points: -200 }, // 50 → 0
      { id: '3', points: -20 }, // at 0
      { id: '4', points: 15 },
    ]);
    expect(r.steps.map((s) => [s.scoreAfter, s.applied])).toEqual([
      [50, -800],
      [0, -50],
      [0, 0],
      [15, 15],
    ]);
  });

  it('a different scale clamps at its own bounds', () => {
    expect(replay({ minimum: 40, base: 80, maximum: 100 }, [{ id: '1', points: 50 }, { id: '2', points: -100 }]).steps.map((s) => s.scoreAfter)).toEqual([100, 40]);
  });
});
