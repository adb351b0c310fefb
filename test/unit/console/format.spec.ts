import { formatDate, formatDateTime, formatFen, formatMoney, formatNumber, formatPercent, pager, riskLevel, safeNext, toFen } from '../../../src/console/format';

describe('money formatting', () => {
  it.each([
    ['0', '¥0.00'],
    ['1234.56', '¥1,234.56'],
    ['1234.5', '¥1,234.50'],
    ['1234567890123.45', '¥1,234,567,890,123.45'],
    ['-0.01', '-¥0.01'],
    ['0.005', '¥0.01'],
    ['0.004', '¥0.00'],
    ['99999999999999.99', '¥99,999,999,999,999.99'],
    ['  42 ', '¥42.00'],
  ])('yuan string %s → %s', (input, out) => {
    expect(formatMoney(input)).toBe(out);
  });

  it('does not drift on sums that floats get wrong', () => {
    expect(formatMoney(0.1 + 0.2)).toBe('¥0.30');
    expect(formatMoney(1.005)).toBe('¥1.01'); // 1.005 as a float is 1.00499…, but its shortest form is "1.005"
    expect(formatMoney('9007199254740993.99')).toBe('¥9,007,199,254,740,993.99'); // beyond 2^53
  });

  it('formats integer fen exactly', () => {
    expect(formatFen(123456)).toBe('¥1,234.56');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(-100)).toBe('-¥1.00');
    expect(formatFen('900719925474099399')).toBe('¥9,007,199,254,740,993.99');
    expect(formatFen(12345678901234567890n)).toBe('¥123,456,789,012,345,678.90');
    expect(() => formatFen(1.5)).toThrow(/whole number/);
    expect(() => formatFen('12.3')).toThrow(/whole number/);
  });

  it('shows a dash for what is not an amount', () => {
    for (const v of [null, undefined, '', 'abc', '1,234', '1e5x', NaN, {}]) expect(formatMoney(v)).toBe('—');
  });

  it('toFen rounds half away from zero', () => {
    expect(toFen('2.675')).toBe(268n);
    expect(toFen('-2.675')).toBe(-268n);
    expect(toFen('2.6749')).toBe(267n);
  });
});

describe('numbers, percentages, dates', () => {
  it('groups thousands', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(-1234.5, 2)).toBe('-1,234.50');
    expect(formatNumber(null)).toBe('—');
  });
  it('formats ratios as percentages', () => {
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatPercent(1, 0)).toBe('100%');
    expect(formatPercent(null)).toBe('—');
  });
  it('shows instants in Asia/Shanghai', () => {
    expect(formatDateTime('2025-01-02T18:30:00Z')).toBe('2025-01-03 02:30');
    expect(formatDateTime(new Date('2025-06-30T23:59:59Z'), true)).toBe('2025-07-01 07:59:59');
    expect(formatDate('2025-01-02T18:30:00Z')).toBe('2025-01-03');
    expect(formatDate('2025-01-02')).toBe('2025-01-02');
    expect(formatDateTime('not a date')).toBe('—');
  });
  it('bands risk scores', () => {
    expect(riskLevel(75)).toBe('high');
    expect(riskLevel('60.00')).toBe('high');
    expect(riskLevel(59.99)).toBe('medium');
    expect(riskLevel(10)).toBe('low');
    expect(riskLevel(null)).toBeNull();
  });
  it('computes pager figures', () => {
    expect(pager(0, 1, 50)).toEqual({ total: 0, page: 1, pageSize: 50, pages: 1, prev: 1, next: 1 });
    expect(pager(101, 2, 50)).toEqual({ total: 101, page: 2, pageSize: 50, pages: 3, prev: 1, next: 3 });
  });
});

describe('safe next after login', () => {
  it.each(['/console', '/console/cases?status=open&page=2', '/console/institutions/H64010500001'])('keeps local path %s', (p) => {
    expect(safeNext(p)).toBe(p);
  });
  it.each([
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil',
    'javascript:alert(1)',
    'console',
    '/console\n/x',
    '/con\tsole',
    '/login?next=/console',
    '/logout',
    '',
    undefined,
    ['/console'],
  ])('refuses %p', (p) => {
    expect(safeNext(p)).toBe('/console');
  });
  it('refuses an absurdly long path', () => {
    expect(safeNext('/' + 'a'.repeat(3000))).toBe('/console');
  });
  it('uses the given fallback', () => {
    expect(safeNext('//x', '/console/institutions/H1')).toBe('/console/institutions/H1');
  });
});
