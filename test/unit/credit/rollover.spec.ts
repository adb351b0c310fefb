import { cycleOf, localDate, standingOf } from '../../../src/credit/ledger';
import { policy } from './builders';

/**
 * Cycles are calendar years in Asia/Shanghai; at rollover the closed year keeps its final standing
 * and the new year starts at the base (nothing carries over). The archive itself is in the integration test.
 */
describe('cycles and rollover', () => {
  const p = policy();

  it('the year turns at midnight in Asia/Shanghai, not UTC', () => {
    expect(cycleOf(new Date('2025-12-31T15:59:59Z'), 'Asia/Shanghai')).toBe(2025);
    expect(cycleOf(new Date('2025-12-31T16:00:00Z'), 'Asia/Shanghai')).toBe(2026); // 00:00 on 1 January in Beijing
    expect(localDate(new Date('2025-12-31T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-01-01');
    expect(localDate(new Date('2025-12-31T16:00:00Z'), 'UTC')).toBe('2025-12-31');
  });

  it('a new cycle starts at the base whatever the closed cycle ended at', () => {
    const closed = standingOf(p, [{ id: '1', points: -200 }, { id: '2', points: -130 }]);
    expect(closed).toMatchObject({ score: 520, grade: 'E' });
    const next = standingOf(p, []); // no entry of the new year yet
    expect(next).toMatchObject({ score: 850, grade: 'B' });
    expect(standingOf(p, [{ id: '3', points: -20 }])).toMatchObject({ score: 830, grade: 'C' });
  });
});
