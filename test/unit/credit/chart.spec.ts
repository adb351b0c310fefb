import { scoreChart } from '../../../src/credit/chart';
import { shippedPolicy } from './builders';

/** The profile's inline SVG chart: a step line over the year, grade boundaries, month ticks (numbers only). */
describe('score chart', () => {
  const p = shippedPolicy();

  it('holds the score between entries and runs to the given date', () => {
    const c = scoreChart(2026, [{ date: null, score: 850 }, { date: '2026-07-02', score: 780 }], p.scale, p.grades, '2026-12-31');
    const pts = c.points.split(' ').map((s) => s.split(',').map(Number));
    expect(pts).toHaveLength(4); // start, hold until the entry, drop, run to the end
    expect(pts[0]![0]).toBe(c.plot.left);
    expect(pts[1]![1]).toBe(pts[0]![1]); // held at 850
    expect(pts[2]![0]).toBe(pts[1]![0]); // the drop is vertical
    expect(pts[2]![1]).toBeGreaterThan(pts[1]![1]); // lower score: further down
    expect(pts[3]![0]).toBeGreaterThan(c.plot.right - 3);
    expect(c.dots).toEqual([{ x: pts[2]![0], y: pts[2]![1], score: 780, date: '2026-07-02' }]);
    expect(c.bands.map((b) => b.label)).toEqual(['A ≥ 950', 'B ≥ 850', 'C ≥ 700', 'D ≥ 550']);
    expect(c.months).toHaveLength(12);
    expect(c.points).toMatch(/^[\d., ]+$/);
  });
});
