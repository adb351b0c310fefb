import {
  bandOf,
  dayOf,
  dayText,
  decideSanction,
  lastDayOfMonths,
  localDay,
  sanctionFor,
  stateOn,
  suspensionMonths,
  yearOf,
  yearTotals,
} from '../../../src/physician-record/physician-points';
import { loadPhysicianPointsPolicy } from '../../../src/physician-record/physician-points.policy';

/** The points arithmetic of 驾照式记分 under the shipped policy (rules/physician-points.yaml). */
const policy = loadPhysicianPointsPolicy();
const d = dayOf;
const plan = (yearTotal: number, incidentPoints: number, on: string) => sanctionFor(policy, { yearTotal, incidentPoints, incidentDay: d(on) });
const text = (p: ReturnType<typeof plan>) => (p ? `${p.kind} ${dayText(p.startsOn)}..${dayText(p.endsOn)} months=${p.months} bar=${p.barYears}` : null);

describe('severity bands', () => {
  it.each([
    [1, 'minor'],
    [3, 'minor'],
    [4, 'moderate'],
    [6, 'moderate'],
    [7, 'serious'],
    [9, 'serious'],
    [10, 'grave'],
    [12, 'grave'],
  ])('%i points → %s', (points, band) => {
    expect(bandOf(policy, points)?.band).toBe(band);
  });
  it('has no band outside 1–12', () => {
    expect(bandOf(policy, 0)).toBeNull();
    expect(bandOf(policy, 13)).toBeNull();
  });
});

describe('the year of an incident (Asia/Shanghai)', () => {
  it('is the local calendar date: 31 Dec 23:59 local is last year, 1 Jan 00:00 local is the new one', () => {
    const lastMinute = localDay(new Date('2025-12-31T15:59:59Z'), policy.timezone); // 23:59:59 in Shanghai
    const firstMinute = localDay(new Date('2025-12-31T16:00:00Z'), policy.timezone); // 00:00:00 on 1 Jan
    expect(dayText(lastMinute)).toBe('2025-12-31');
    expect(dayText(firstMinute)).toBe('2026-01-01');
    expect(yearOf(lastMinute)).toBe(2025);
    expect(yearOf(firstMinute)).toBe(2026);
  });
  it('does not follow UTC: 1 Jan 07:00 local is still 31 Dec in UTC', () => {
    expect(dayText(localDay(new Date('2025-12-31T23:00:00Z'), policy.timezone))).toBe('2026-01-01');
  });
  it('totals points per year: last year\'s points do not count this year', () => {
    const totals = yearTotals([
      { year: 2025, points: 8 },
      { year: 2026, points: 4 },
      { year: 2026, points: 3 },
    ]);
    expect(totals.get(2025)).toBe(8);
    expect(totals.get(2026)).toBe(7);
    // 8 last year + 4 this year would be 12; this year's 7 calls for nothing.
    expect(plan(totals.get(2026)!, 3, '2026-01-01')).toBeNull();
  });
});

describe('suspension at 9 points', () => {
  it('calls for nothing below 9', () => {
    expect(plan(8, 4, '2025-03-10')).toBeNull();
  });
  it.each([
    [9, 1, '2025-04-09'],
    [10, 2, '2025-05-09'],
    [11, 3, '2025-06-09'],
  ])('%i points: %i month(s) from the incident date, last day %s', (total, months, last) => {
    expect(suspensionMonths(policy, total)).toBe(months);
    expect(text(plan(total, 4, '2025-03-10'))).toBe(`suspension 2025-03-10..${last} months=${months} bar=null`);
  });
  it('counts months by the calendar (a 31st into a shorter month ends on its last day)', () => {
    expect(dayText(lastDayOfMonths(d('2025-01-31'), 1))).toBe('2025-02-28');
    expect(dayText(lastDayOfMonths(d('2024-01-31'), 1))).toBe('2024-02-29');
    expect(dayText(lastDayOfMonths(d('2025-03-01'), 1))).toBe('2025-03-31');
    expect(dayText(lastDayOfMonths(d('2025-11-15'), 3))).toBe('2026-02-14');
  });
});

describe('termination at 12 points', () => {
  it('bars re-registration for 1 year when 12 is reached over several incidents', () => {
    expect(text(plan(12, 3, '2025-03-10'))).toBe('termination 2025-03-10..2026-03-09 months=null bar=1');
    expect(text(plan(13, 5, '2025-03-10'))).toBe('termination 2025-03-10..2026-03-09 months=null bar=1');
  });
  it('bars it for 3 years when one incident carries all 12', () => {
    expect(text(plan(12, 12, '2025-03-10'))).toBe('termination 2025-03-10..2028-03-09 months=null bar=3');
  });
  it('ends a bar started on 29 February on the last day of February', () => {
    expect(text(plan(12, 12, '2024-02-29'))).toBe('termination 2024-02-29..2027-02-28 months=null bar=3');
  });
});

describe('a new sanction against the ones in force', () => {
  const s1 = { id: 's1', kind: 'suspension' as const, startsOn: d('2025-03-10'), endsOn: d('2025-04-09') };
  it('records the first suspension as called for', () => {
    const r = decideSanction(policy, { yearTotal: 9, incidentPoints: 9, incidentDay: d('2025-03-10') }, []);
    expect(r.outcome).toBe('suspended');
    expect(r.supersede).toEqual([]);
  });
  it('replaces a suspension in force: the new one starts on its incident date and runs the new total\'s months', () => {
    const r = decideSanction(policy, { yearTotal: 10, incidentPoints: 1, incidentDay: d('2025-03-20') }, [s1]);
    expect(r.outcome).toBe('suspension_extended');
    expect(r.supersede).toEqual(['s1']);
    expect(dayText(r.create!.startsOn)).toBe('2025-03-20');
    expect(dayText(r.create!.endsOn)).toBe('2025-05-19');
  });
  it('never ends before the suspension it replaces', () => {
    const long = { id: 's0', kind: 'suspension' as const, startsOn: d('2025-03-10'), endsOn: d('2025-09-09') };
    const r = decideSanction(policy, { yearTotal: 10, incidentPoints: 1, incidentDay: d('2025-03-20') }, [long]);
    expect(dayText(r.create!.endsOn)).toBe('2025-09-09');
  });
  it('ignores a suspension that is over', () => {
    const r = decideSanction(policy, { yearTotal: 10, incidentPoints: 1, incidentDay: d('2025-05-01') }, [s1]);
    expect(r.outcome).toBe('suspended');
    expect(r.supersede).toEqual([]);
  });
  it('lets termination supersede a suspension in force', () => {
    const r = decideSanction(policy, { yearTotal: 12, incidentPoints: 3, incidentDay: d('2025-03-20') }, [s1]);
    expect(r.outcome).toBe('terminated');
    expect(r.supersede).toEqual(['s1']);
    expect(r.create!.kind).toBe('termination');
  });
  it('adds nothing to a termination in force, unless a single 12-point incident lengthens the bar', () => {
    const t = { id: 't1', kind: 'termination' as const, startsOn: d('2025-03-10'), endsOn: d('2026-03-09') };
    expect(decideSanction(policy, { yearTotal: 14, incidentPoints: 2, incidentDay: d('2025-06-01') }, [t])).toEqual({ outcome: 'already_terminated', create: null, supersede: [] });
    const r = decideSanction(policy, { yearTotal: 24, incidentPoints: 12, incidentDay: d('2025-06-01') }, [t]);
    expect(r.outcome).toBe('termination_extended');
    expect(r.supersede).toEqual(['t1']);
    expect(dayText(r.create!.endsOn)).toBe('2028-05-31');
  });
});

describe('the state on a date', () => {
  const windows = [
    { kind: 'suspension' as const, startsOn: d('2025-03-10'), endsOn: d('2025-04-09') },
    { kind: 'termination' as const, startsOn: d('2025-04-01'), endsOn: d('2026-03-31') },
  ];
  it.each([
    ['2025-03-09', null],
    ['2025-03-10', 'suspended'],
    ['2025-03-31', 'suspended'],
    ['2025-04-01', 'terminated'],
    ['2026-03-31', 'terminated'],
    ['2026-04-01', null],
  ])('%s → %s', (day, state) => {
    expect(stateOn(windows, d(day))).toBe(state);
  });
});
