import {
  amountMatches,
  formatFen,
  Parsed,
  ParsedDecimal,
  parseCode,
  parseCodeList,
  parseDate,
  parseEnum,
  parseInteger,
  parseMoney,
  parsePeriod,
  parsePositiveDecimal,
  parseRegion,
  parseTimestamp,
} from '../../src/imports/fields';

/**
 * Field parsers of the interchange format (INTERCHANGE.md): every parser with valid and invalid
 * inputs and its boundaries. Results are compared exactly (value or reason), never for truthiness.
 */

const MONEY_REASON = 'is not an amount in yuan with at most two decimals';
const DATE_FORM_REASON = 'is not a date in the form YYYY-MM-DD';
const REAL_DATE_REASON = 'is not a real calendar date';
const TIMESTAMP_REASON = 'is not an ISO 8601 timestamp (e.g. 2025-01-03T10:15:00+08:00)';
const TIME_OF_DAY_REASON = 'is not a real time of day';

function value<T>(p: Parsed<T>): T {
  if (!p.ok) throw new Error(`expected a value, got the reason "${p.reason}"`);
  return p.value;
}

function reason<T>(p: Parsed<T>): string {
  if (p.ok) throw new Error(`expected a reason, got the value ${JSON.stringify(p.value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  return p.reason;
}

function qty(raw: string): ParsedDecimal {
  return value(parsePositiveDecimal(raw));
}

describe('parseMoney (yuan → integer fen, exact)', () => {
  it.each([
    ['0', 0],
    ['12', 1200],
    ['12.3', 1230],
    ['12.30', 1230],
    ['12.34', 1234],
    ['0.01', 1],
    ['0.1', 10],
    ['0.07', 7],
    ['+5', 500],
    ['-12.34', -1234],
    ['-0.01', -1],
    ['007.50', 750],
  ])('%s yuan is %i fen', (raw, fen) => {
    expect(value(parseMoney(raw))).toBe(fen);
  });

  it.each([
    // values whose × 100 is not exact in binary floating point
    ['0.29', 29],
    ['1.15', 115],
    ['4.35', 435],
    ['1.10', 110],
    ['19.99', 1999],
    ['8.07', 807],
  ])('%s yuan is exactly %i fen (no binary float rounding)', (raw, fen) => {
    const v = value(parseMoney(raw));
    expect(v).toBe(fen);
    expect(Number.isInteger(v)).toBe(true);
  });

  it('accepts the largest amount of 13 integer digits exactly', () => {
    expect(value(parseMoney('9999999999999.99'))).toBe(999_999_999_999_999);
    expect(value(parseMoney('-9999999999999.99'))).toBe(-999_999_999_999_999);
  });

  it('rejects an amount too large to be held exactly (14 integer digits)', () => {
    expect(reason(parseMoney('99999999999999'))).toBe(MONEY_REASON);
  });

  it.each([
    ['three decimals', '12.345'],
    ['three zero decimals', '12.000'],
    ['trailing dot', '12.'],
    ['leading dot', '.5'],
    ['thousands separator', '1,234.00'],
    ['decimal comma', '12,34'],
    ['exponent', '1e3'],
    ['currency sign', '¥12'],
    ['inner space', '1 000'],
    ['leading space (callers trim)', ' 12'],
    ['letters', 'abc'],
    ['empty', ''],
    ['double sign', '--1'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
  ])('rejects %s (%j)', (_what, raw) => {
    expect(reason(parseMoney(raw))).toBe(MONEY_REASON);
  });
});

describe('formatFen (integer fen → canonical yuan text)', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [5, '0.05'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [1230, '12.30'],
    [1234, '12.34'],
    [-5, '-0.05'],
    [-1234, '-12.34'],
    [999_999_999_999_999, '9999999999999.99'],
  ])('%i fen is "%s"', (fen, text) => {
    expect(formatFen(fen)).toBe(text);
  });

  it.each(['0.00', '0.01', '0.10', '1.00', '12.30', '-12.34', '123456.78', '9999999999999.99'])(
    'round-trips %s through parseMoney',
    (text) => {
      expect(formatFen(value(parseMoney(text)))).toBe(text);
    },
  );
});

describe('parseDate (YYYY-MM-DD, a real calendar date)', () => {
  it.each(['2025-01-01', '2024-02-29', '2000-02-29', '2025-12-31', '2025-04-30', '1990-01-01'])('accepts %s unchanged', (raw) => {
    expect(value(parseDate(raw))).toBe(raw);
  });

  it.each([
    ['29 February of a common year', '2025-02-29'],
    ['29 February of a century that is not a leap year', '1900-02-29'],
    ['month 13', '2025-13-01'],
    ['month 00', '2025-00-10'],
    ['31 April', '2025-04-31'],
    ['31 June', '2025-06-31'],
    ['day 00', '2025-01-00'],
    ['day 32', '2025-01-32'],
    ['30 February of a leap year', '2024-02-30'],
  ])('rejects %s (%s) as not real', (_what, raw) => {
    expect(reason(parseDate(raw))).toBe(REAL_DATE_REASON);
  });

  it.each([
    ['slashes', '2025/01/01'],
    ['single-digit month', '2025-1-01'],
    ['single-digit day', '2025-01-1'],
    ['compact', '20250101'],
    ['with a time', '2025-01-01T00:00:00'],
    ['day first', '01-01-2025'],
    ['empty', ''],
    ['text', 'yesterday'],
  ])('rejects %s (%j) as not in the form YYYY-MM-DD', (_what, raw) => {
    expect(reason(parseDate(raw))).toBe(DATE_FORM_REASON);
  });
});

describe('parseTimestamp (ISO 8601; a missing offset means the default offset)', () => {
  const ts = (raw: string, dflt = '+08:00') => value(parseTimestamp(raw, dflt));

  it('keeps an explicit +08:00 offset', () => {
    expect(ts('2025-01-03T10:15:00+08:00')).toEqual({ iso: '2025-01-03T10:15:00+08:00', month: '2025-01-01' });
  });

  it('keeps Z (UTC)', () => {
    expect(ts('2025-01-03T10:15:00Z')).toEqual({ iso: '2025-01-03T10:15:00Z', month: '2025-01-01' });
  });

  it('accepts a lower-case z and t and writes them upper case', () => {
    expect(ts('2025-01-03t10:15:00z')).toEqual({ iso: '2025-01-03T10:15:00Z', month: '2025-01-01' });
  });

  it('normalises a compact offset +0800 to +08:00', () => {
    expect(ts('2025-01-03T10:15:00+0800')).toEqual({ iso: '2025-01-03T10:15:00+08:00', month: '2025-01-01' });
  });

  it('normalises a compact negative offset -0530 to -05:30', () => {
    expect(ts('2025-01-03T10:15:00-0530').iso).toBe('2025-01-03T10:15:00-05:30');
  });

  it('applies the default offset when the value has none', () => {
    expect(ts('2025-01-03T10:15:00')).toEqual({ iso: '2025-01-03T10:15:00+08:00', month: '2025-01-01' });
    expect(ts('2025-01-03T10:15:00', '-05:00').iso).toBe('2025-01-03T10:15:00-05:00');
  });

  it('normalises a compact default offset too', () => {
    expect(ts('2025-01-03T10:15:00', '+0800').iso).toBe('2025-01-03T10:15:00+08:00');
  });

  it('accepts a space between date and time', () => {
    expect(ts('2025-01-03 10:15:00')).toEqual({ iso: '2025-01-03T10:15:00+08:00', month: '2025-01-01' });
  });

  it('accepts a space before the offset', () => {
    expect(ts('2025-01-03 10:15:00 +08:00').iso).toBe('2025-01-03T10:15:00+08:00');
  });

  it('takes a date alone as local midnight', () => {
    expect(ts('2025-01-03')).toEqual({ iso: '2025-01-03T00:00:00+08:00', month: '2025-01-01' });
  });

  it('fills missing seconds with 00', () => {
    expect(ts('2025-01-03T10:15').iso).toBe('2025-01-03T10:15:00+08:00');
  });

  it('keeps fractional seconds', () => {
    expect(ts('2025-01-03T10:15:00.5+08:00').iso).toBe('2025-01-03T10:15:00.5+08:00');
    expect(ts('2025-01-03T10:15:00.123456Z').iso).toBe('2025-01-03T10:15:00.123456Z');
  });

  it('accepts the last second of the day', () => {
    expect(ts('2025-12-31T23:59:59').iso).toBe('2025-12-31T23:59:59+08:00');
  });

  it('computes the settle month from the local date as written, not from UTC', () => {
    // 2025-01-31T23:30+08:00 is still January locally (15:30 UTC); 2025-02-01T00:30+08:00 is
    // 2025-01-31T16:30Z but February as written.
    expect(ts('2025-01-31T23:30:00+08:00').month).toBe('2025-01-01');
    expect(ts('2025-02-01T00:30:00+08:00').month).toBe('2025-02-01');
    expect(ts('2025-12-31T23:59:59-05:00').month).toBe('2025-12-01');
    expect(ts('2024-02-29').month).toBe('2024-02-01');
  });

  it('writes an iso that JavaScript reads back as the same instant', () => {
    expect(new Date(ts('2025-01-03T10:15:00').iso).toISOString()).toBe('2025-01-03T02:15:00.000Z');
    expect(new Date(ts('2025-01-03T10:15:00+0800').iso).toISOString()).toBe('2025-01-03T02:15:00.000Z');
    expect(new Date(ts('2025-01-03 02:15:00Z').iso).toISOString()).toBe('2025-01-03T02:15:00.000Z');
  });

  it.each([
    ['hour 24', '2025-01-03T24:00:00'],
    ['hour 25', '2025-01-03T25:10:00+08:00'],
    ['minute 60', '2025-01-03T10:60:00'],
    ['second 60', '2025-01-03T10:15:60Z'],
  ])('rejects %s (%s) as not a real time of day', (_what, raw) => {
    expect(reason(parseTimestamp(raw, '+08:00'))).toBe(TIME_OF_DAY_REASON);
  });

  it.each([
    ['29 February of a common year', '2025-02-29T10:00:00+08:00'],
    ['month 13', '2025-13-01T10:00:00'],
    ['31 April', '2025-04-31 08:00:00'],
  ])('rejects %s (%s) as not a real date', (_what, raw) => {
    expect(reason(parseTimestamp(raw, '+08:00'))).toBe(REAL_DATE_REASON);
  });

  it.each([
    ['slashes', '2025/01/03 10:15:00'],
    ['text', 'yesterday'],
    ['only a time', '10:15:00'],
    ['single-digit hour', '2025-01-03T9:15:00'],
    ['hour without minutes', '2025-01-03T10'],
    ['a time-zone name', '2025-01-03T10:15:00 CST'],
    ['an offset of hours only', '2025-01-03T10:15:00+08'],
    ['empty', ''],
  ])('rejects %s (%j) as not ISO 8601', (_what, raw) => {
    expect(reason(parseTimestamp(raw, '+08:00'))).toBe(TIMESTAMP_REASON);
  });

  // An offset is hours 00–23 (in practice −12…+14) and minutes 00–59. An accepted value must be a
  // real instant: claimStageValues turns it into a Date, which throws on these.
  it.each([
    ['offset hour 25', '2025-01-03T10:15:00+25:00'],
    ['offset minute 60', '2025-01-03T10:15:00+08:60'],
    ['offset 99:99', '2025-01-03T10:15:00-9999'],
  ])('rejects an impossible UTC offset: %s (%s)', (_what, raw) => {
    expect(parseTimestamp(raw, '+08:00')).toEqual({ ok: false, reason: expect.any(String) });
  });
});

describe('parsePositiveDecimal (quantities and limits, canonical text, exact digits)', () => {
  it.each([
    ['1.50', { text: '1.5', scaled: 15n, scale: 1 }],
    ['1.5', { text: '1.5', scaled: 15n, scale: 1 }],
    ['007', { text: '7', scaled: 7n, scale: 0 }],
    ['10', { text: '10', scaled: 10n, scale: 0 }],
    ['100.000', { text: '100', scaled: 100n, scale: 0 }],
    ['0.5', { text: '0.5', scaled: 5n, scale: 1 }],
    ['00.250', { text: '0.25', scaled: 25n, scale: 2 }],
    ['0.333', { text: '0.333', scaled: 333n, scale: 3 }],
    ['0.000001', { text: '0.000001', scaled: 1n, scale: 6 }],
    ['+2', { text: '2', scaled: 2n, scale: 0 }],
    ['999999999999.999999', { text: '999999999999.999999', scaled: 999999999999999999n, scale: 6 }],
  ])('%s → %o', (raw, expected) => {
    expect(value(parsePositiveDecimal(raw))).toEqual(expected);
  });

  it('gives the same canonical value for "1.50" and "1.5"', () => {
    expect(qty('1.50')).toEqual(qty('1.5'));
    expect(qty('2.000')).toEqual(qty('2'));
  });

  it.each(['0', '0.0', '0.000', '000', '+0', '-1', '-0.5'])('rejects %s as not greater than zero', (raw) => {
    expect(reason(parsePositiveDecimal(raw))).toBe('must be greater than zero');
  });

  it.each([
    ['seven decimals', '1.0000001'],
    ['thirteen integer digits', '1234567890123'],
    ['exponent', '1e2'],
    ['trailing dot', '1.'],
    ['leading dot', '.5'],
    ['decimal comma', '1,5'],
    ['letters', 'two'],
    ['empty', ''],
  ])('rejects %s (%j) as not a number', (_what, raw) => {
    expect(reason(parsePositiveDecimal(raw))).toBe('is not a number');
  });
});

describe('parseInteger', () => {
  it.each([
    ['0', 0, 3, 0],
    ['3', 0, 3, 3],
    ['007', 0, 10, 7],
    ['+3', 0, 3, 3],
    ['2000000000', 1, 2_000_000_000, 2_000_000_000],
    ['-5', -10, 10, -5],
  ])('%s within [%i, %i] is %i', (raw, min, max, n) => {
    expect(value(parseInteger(raw, min, max))).toBe(n);
  });

  it('rejects values below the minimum, naming it', () => {
    expect(reason(parseInteger('-1', 0, 3))).toBe('must be at least 0');
    expect(reason(parseInteger('0', 1, 3650))).toBe('must be at least 1');
  });

  it('rejects values above the maximum, naming it', () => {
    expect(reason(parseInteger('4', 0, 3))).toBe('must be at most 3');
    expect(reason(parseInteger('2000000001', 1, 2_000_000_000))).toBe('must be at most 2000000000');
  });

  it.each(['1.0', '1.5', '1e3', 'one', '', '12345678901', '1 000'])('rejects %j as not a whole number', (raw) => {
    expect(reason(parseInteger(raw, 0, 100))).toBe('is not a whole number');
  });
});

describe('parseEnum (case-insensitive, canonical spelling)', () => {
  it.each([
    ['M', ['M', 'F'], 'M'],
    ['m', ['M', 'F'], 'M'],
    ['f', ['M', 'F'], 'F'],
    ['OUTPATIENT', ['outpatient', 'inpatient', 'pharmacy'], 'outpatient'],
    ['Pharmacy', ['outpatient', 'inpatient', 'pharmacy'], 'pharmacy'],
    ['Primary_Care', ['hospital', 'primary_care', 'clinic', 'pharmacy'], 'primary_care'],
  ])('%s among %j is %s', (raw, allowed, expected) => {
    expect(value(parseEnum(raw, allowed))).toBe(expected);
  });

  it('rejects an unknown value listing the allowed ones', () => {
    expect(reason(parseEnum('X', ['M', 'F']))).toBe('must be one of M, F');
    expect(reason(parseEnum('emergency', ['outpatient', 'inpatient', 'pharmacy']))).toBe('must be one of outpatient, inpatient, pharmacy');
  });

  it('does not accept a prefix or a padded value', () => {
    expect(parseEnum('out', ['outpatient']).ok).toBe(false);
    expect(parseEnum('outpatient ', ['outpatient']).ok).toBe(false);
  });
});

describe('parseCode (stored upper case)', () => {
  it('upper-cases a code', () => {
    expect(value(parseCode('x01ab'))).toBe('X01AB');
    expect(value(parseCode('H64010300001'))).toBe('H64010300001');
    expect(value(parseCode('e11.9'))).toBe('E11.9');
  });

  it('accepts a code of exactly the maximum length and rejects one longer', () => {
    expect(value(parseCode('a'.repeat(64)))).toBe('A'.repeat(64));
    expect(reason(parseCode('a'.repeat(65)))).toBe('is longer than 64 characters');
    expect(reason(parseCode('ABCDEF', 5))).toBe('is longer than 5 characters');
  });

  it.each(['X01 AB', 'X01;AB', 'X01,AB', 'X01\tAB', 'X01\nAB'])('rejects %j (space, comma or semicolon inside)', (raw) => {
    expect(reason(parseCode(raw))).toBe('must not contain spaces, commas or semicolons');
  });
});

describe('parseCodeList (;-separated codes)', () => {
  it('splits on ;, trims each part, upper-cases and drops empty parts', () => {
    expect(value(parseCodeList('i10; e11.9 ;;j18.9;'))).toEqual(['I10', 'E11.9', 'J18.9']);
  });

  it('reads a single code as a list of one', () => {
    expect(value(parseCodeList('I10'))).toEqual(['I10']);
  });

  it('reads an empty or separator-only value as an empty list', () => {
    expect(value(parseCodeList(''))).toEqual([]);
    expect(value(parseCodeList(' ; ;'))).toEqual([]);
  });

  it('names the part that is not a code', () => {
    expect(reason(parseCodeList('I10;E 11'))).toBe('holds "E 11" which must not contain spaces, commas or semicolons');
    expect(reason(parseCodeList('I10,E11'))).toBe('holds "I10,E11" which must not contain spaces, commas or semicolons');
    expect(reason(parseCodeList(`I10;${'x'.repeat(65)}`))).toBe(`holds "${'x'.repeat(65)}" which is longer than 64 characters`);
  });
});

describe('parseRegion (6-digit division code)', () => {
  it('accepts six digits', () => {
    expect(value(parseRegion('640105'))).toBe('640105');
    expect(value(parseRegion('000000'))).toBe('000000');
  });

  it.each(['64010', '6401050', '64010a', '640 105', '', '６４０１０５'])('rejects %j', (raw) => {
    expect(reason(parseRegion(raw))).toBe('is not a 6-digit administrative division code');
  });
});

describe('parsePeriod (YYYY-MM)', () => {
  it.each(['2025-01', '2025-12', '2024-02'])('accepts %s', (raw) => {
    expect(value(parsePeriod(raw))).toBe(raw);
  });

  it.each(['2025-13', '2025-00', '2025-1', '2025-01-01', '202501', '2025/01', ''])('rejects %j', (raw) => {
    expect(reason(parsePeriod(raw))).toBe('is not a month in the form YYYY-MM');
  });
});

describe('amountMatches (|amount − unit_price × quantity| ≤ 0.01, exact)', () => {
  it('accepts an exact product', () => {
    expect(amountMatches(2500, 1250, qty('2'))).toBe(true);
    expect(amountMatches(1875, 1250, qty('1.5'))).toBe(true);
  });

  it('accepts a difference of exactly 0.01 either way', () => {
    expect(amountMatches(2501, 1250, qty('2'))).toBe(true);
    expect(amountMatches(2499, 1250, qty('2'))).toBe(true);
  });

  it('rejects a difference of 0.02 either way', () => {
    expect(amountMatches(2502, 1250, qty('2'))).toBe(false);
    expect(amountMatches(2498, 1250, qty('2'))).toBe(false);
  });

  it('handles a fractional quantity: 3.00 × 0.333 = 0.999', () => {
    const q = qty('0.333');
    expect(amountMatches(100, 300, q)).toBe(true); // 1.00: off by 0.001
    expect(amountMatches(99, 300, q)).toBe(true); // 0.99: off by 0.009
    expect(amountMatches(101, 300, q)).toBe(false); // 1.01: off by 0.011
    expect(amountMatches(98, 300, q)).toBe(false); // 0.98: off by 0.019
  });

  it('decides exactly where binary floats would not', () => {
    // 0.10 × 3 = 0.30 exactly (0.1 * 3 in floating point is 0.30000000000000004).
    expect(amountMatches(30, 10, qty('3'))).toBe(true);
    // 0.01 tolerance at a scale of 6 decimals: 1.00 × 0.015001 = 0.015001 → 0.02 is off by 0.004999.
    expect(amountMatches(2, 100, qty('0.015001'))).toBe(true);
    // 1.00 × 0.009999 = 0.009999 → 0.02 is off by 0.010001, just over.
    expect(amountMatches(2, 100, qty('0.009999'))).toBe(false);
  });

  it('keeps the tolerance at exactly one fen with a scaled quantity (1.50)', () => {
    // 33.33 × 1.5 = 49.995: 49.99 and 50.00 are within 0.005; 50.01 is off by 0.015.
    expect(amountMatches(4999, 3333, qty('1.50'))).toBe(true);
    expect(amountMatches(5000, 3333, qty('1.50'))).toBe(true);
    expect(amountMatches(5001, 3333, qty('1.50'))).toBe(false);
    expect(amountMatches(4998, 3333, qty('1.50'))).toBe(false);
  });

  it('is exact for very large amounts', () => {
    expect(amountMatches(999_999_999_999_999, 999_999_999_999_999, qty('1'))).toBe(true);
    expect(amountMatches(999_999_999_999_999, 999_999_999_999_997, qty('1'))).toBe(false);
    expect(amountMatches(999_999_999_999_900, 99_999_999_999_990, qty('10'))).toBe(true);
  });

  it('compares signed amounts', () => {
    expect(amountMatches(-2500, -1250, qty('2'))).toBe(true);
    expect(amountMatches(2500, -1250, qty('2'))).toBe(false);
  });
});
