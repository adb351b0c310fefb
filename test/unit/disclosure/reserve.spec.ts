import { reserveBand, reserveSeries } from '../../../src/disclosure/reserve';

const yuan = (n: number) => BigInt(Math.round(n * 100));

describe('reserve bands (DOMAIN: normal 6–9 months, too high above 15, too low below 3)', () => {
  it.each([
    [0, 'too_low'],
    [2.9, 'too_low'],
    [3, 'low'],
    [5.9, 'low'],
    [6, 'normal'],
    [7.5, 'normal'],
    [9, 'normal'],
    [9.1, 'high'],
    [15, 'high'],
    [15.1, 'too_high'],
    [-1, 'too_low'],
  ])('%s months → %s', (months, band) => {
    expect(reserveBand(months)).toBe(band);
  });

  it('refuses a non-number', () => {
    expect(() => reserveBand(Number.NaN)).toThrow('finite');
  });
});

describe('reserveSeries', () => {
  it('divides the balance by the average spending of the months so far, up to 12', () => {
    const months = Array.from({ length: 14 }, (_, i) => ({
      period: `2025-${String(i + 1).padStart(2, '0')}`.replace('2025-13', '2026-01').replace('2025-14', '2026-02'),
      income: yuan(100),
      expenditure: yuan(i < 12 ? 100 : 200),
      balance: yuan(800),
    }));
    const s = reserveSeries(months);
    expect(s[0]).toMatchObject({ monthsAveraged: 1, averageExpenditure: yuan(100), reserveMonths: 8, band: 'normal' });
    expect(s[11]).toMatchObject({ monthsAveraged: 12, reserveMonths: 8 });
    // 2026-01: the window drops 2025-01 (100) and adds 200 → average 108.33…, 800 / 108.33 = 7.38 → 7.4
    expect(s[12]).toMatchObject({ period: '2026-01', monthsAveraged: 12, reserveMonths: 7.4, band: 'normal' });
    // 2026-02: average 116.67 → 6.857 → 6.9
    expect(s[13]).toMatchObject({ period: '2026-02', reserveMonths: 6.9 });
  });

  it('sorts by period, rounds half up and flags the bands', () => {
    const s = reserveSeries([
      { period: '2025-02', income: 0n, expenditure: yuan(400), balance: yuan(500) },
      { period: '2025-01', income: 0n, expenditure: yuan(400), balance: yuan(1000) },
    ]);
    expect(s.map((m) => [m.period, m.reserveMonths, m.band])).toEqual([
      ['2025-01', 2.5, 'too_low'],
      ['2025-02', 1.3, 'too_low'],
    ]);
    expect(reserveSeries([{ period: '2025-01', income: 0n, expenditure: yuan(10), balance: yuan(200) }])[0]).toMatchObject({ reserveMonths: 20, band: 'too_high' });
  });

  it('has no number without spending, and refuses a period twice', () => {
    expect(reserveSeries([{ period: '2025-01', income: yuan(5), expenditure: 0n, balance: yuan(5) }])[0]).toMatchObject({ reserveMonths: null, band: null, averageExpenditure: null });
    expect(() =>
      reserveSeries([
        { period: '2025-01', income: 0n, expenditure: 1n, balance: 1n },
        { period: '2025-01', income: 0n, expenditure: 1n, balance: 1n },
      ]),
    ).toThrow('2025-01 appears twice');
  });
});
