import { gradeOf } from '../../../src/credit/credit-policy';
import { shippedPolicy } from './builders';

/** Grade bands of the shipped policy at their edges: a band includes its minimum. */
describe('grade bands', () => {
  const p = shippedPolicy();

  it.each([
    [1000, 'A'],
    [950, 'A'],
    [949, 'B'],
    [850, 'B'],
    [849, 'C'],
    [700, 'C'],
    [699, 'D'],
    [550, 'D'],
    [549, 'E'],
    [0, 'E'],
  ])('score %p is grade %p', (score, grade) => {
    expect(gradeOf(p, score).grade).toBe(grade);
  });

  it('each grade carries its sampling ratio and review intensity', () => {
    expect(gradeOf(p, 960)).toMatchObject({ grade: 'A', samplingRatio: 0.05 });
    expect(gradeOf(p, 100)).toMatchObject({ grade: 'E', samplingRatio: 1 });
    expect(gradeOf(p, 600).reviewIntensity.zh).toMatch(/重点监管/);
  });
});
