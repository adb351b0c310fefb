/**
 * Field parsers for the interchange format. Each returns a value or a reason (a sentence fragment
 * that follows the column name, e.g. "is not a real date"). Expected problems are values, not
 * exceptions: a row collects every problem it has.
 */

import { isMonth } from '../common/calendar';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

const MONEY_RE = /^([+-]?)(\d{1,13})(?:\.(\d{1,2}))?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DECIMAL_RE = /^([+-]?)(\d{1,12})(?:\.(\d{1,6}))?$/;
const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Yuan with at most two decimals → integer fen (exact). */
export function parseMoney(raw: string): Parsed<number> {
  const m = MONEY_RE.exec(raw);
  if (!m) return bad('is not an amount in yuan with at most two decimals');
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return ok(m[1] === '-' && fen !== 0 ? -fen : fen);
}

/** Integer fen → the canonical yuan text ("12.30"). */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.trunc(abs / 100);
  const cents = abs - yuan * 100;
  return `${sign}${yuan}.${cents < 10 ? '0' : ''}${cents}`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealDate(y: number, m: number, d: number): boolean {
  if (y < 1850 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  if (m === 2 && d === 29) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= DAYS_IN_MONTH[m - 1]!;
}

/** `YYYY-MM-DD`, a real calendar date. */
export function parseDate(raw: string): Parsed<string> {
  const m = DATE_RE.exec(raw);
  if (!m) return bad('is not a date in the form YYYY-MM-DD');
  if (!isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) return bad('is not a real calendar date');
  return ok(raw);
}

export interface ParsedTimestamp {
  /** ISO 8601 with an explicit offset, e.g. 2025-01-03T10:15:00+08:00. */
  iso: string;
  /** First day of the month of the timestamp's local date (as written), e.g. 2025-01-01. */
  month: string;
}

/** ISO 8601 timestamp; a missing offset means `defaultOffset` (the bureau's local time). */
export function parseTimestamp(raw: string, defaultOffset: string): Parsed<ParsedTimestamp> {
  const m = TIMESTAMP_RE.exec(raw);
  if (!m) return bad('is not an ISO 8601 timestamp (e.g. 2025-01-03T10:15:00+08:00)');
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac = '', zone] = m;
  if (!isRealDate(Number(y), Number(mo), Number(d))) return bad('is not a real calendar date');
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 59) return bad('is not a real time of day');
  let offset = zone ? zone.toUpperCase() : defaultOffset;
  if (offset !== 'Z' && offset.length === 5) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  // Real offsets run from -12:00 to +14:00.
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 14 || Number(offset.slice(4, 6)) > 59)) return bad('has an impossible UTC offset');
  return ok({ iso: `${y}-${mo}-${d}T${hh}:${mi}:${ss}${frac}${offset}`, month: `${y}-${mo}-01` });
}

export interface ParsedDecimal {
  /** Canonical text: no leading zeros, no trailing fractional zeros ("1.50" → "1.5"). */
  text: string;
  /** The digits as an integer and the power of ten they are scaled by (exact arithmetic). */
  scaled: bigint;
  scale: number;
}

/** A positive decimal number (quantities, limits). */
export function parsePositiveDecimal(raw: string): Parsed<ParsedDecimal> {
  const m = DECIMAL_RE.exec(raw);
  if (!m) return bad('is not a number');
  const intPart = m[2]!.replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const scaled = BigInt(intPart + frac);
  if (scaled === 0n || m[1] === '-') return bad('must be greater than zero');
  return ok({ text: frac ? `${intPart}.${frac}` : intPart, scaled, scale: frac.length });
}

/** A whole number within [min, max]. */
export function parseInteger(raw: string, min: number, max: number): Parsed<number> {
  if (!/^[+-]?\d{1,10}$/.test(raw)) return bad('is not a whole number');
  const n = Number(raw);
  if (n < min) return bad(`must be at least ${min}`);
  if (n > max) return bad(`must be at most ${max}`);
  return ok(n);
}

/** One of `allowed`, compared case-insensitively; returns the canonical spelling. */
const enumLookups = new WeakMap<readonly string[], Map<string, string>>();

export function parseEnum<T extends string>(raw: string, allowed: readonly T[]): Parsed<T> {
  let lookup = enumLookups.get(allowed);
  if (!lookup) {
    lookup = new Map(allowed.map((a) => [a.toLowerCase(), a]));
    enumLookups.set(allowed, lookup);
  }
  const found = lookup.get(raw.toLowerCase()) as T | undefined;
  return found ? ok(found) : bad(`must be one of ${allowed.join(', ')}`);
}

/** Codes are trimmed and compared case-insensitively: stored upper case. */
export function parseCode(raw: string, maxLength = 64): Parsed<string> {
  if (raw.length > maxLength) return bad(`is longer than ${maxLength} characters`);
  if (/[\s;,]/.test(raw)) return bad('must not contain spaces, commas or semicolons');
  return ok(raw.toUpperCase());
}

/** `;`-separated codes (diagnoses, indications, conflicts); empty parts are ignored. */
export function parseCodeList(raw: string, maxLength = 64): Parsed<string[]> {
  const codes: string[] = [];
  for (const part of raw.split(';')) {
    const t = part.trim();
    if (!t) continue;
    const c = parseCode(t, maxLength);
    if (!c.ok) return bad(`holds "${t}" which ${c.reason}`);
    codes.push(c.value);
  }
  return ok(codes);
}

/** 6-digit administrative division code. */
export function parseRegion(raw: string): Parsed<string> {
  return /^\d{6}$/.test(raw) ? ok(raw) : bad('is not a 6-digit administrative division code');
}

/** `YYYY-MM`. */
export function parsePeriod(raw: string): Parsed<string> {
  return isMonth(raw) ? ok(raw) : bad('is not a month in the form YYYY-MM');
}

/**
 * |amount − unit_price × quantity| ≤ 0.01 yuan, computed exactly: amounts in fen, the quantity as
 * scaled digits, so no binary float ever decides a rejection.
 */
export function amountMatches(amountFen: number, unitPriceFen: number, quantity: ParsedDecimal): boolean {
  const scale = 10n ** BigInt(quantity.scale);
  const diff = BigInt(amountFen) * scale - BigInt(unitPriceFen) * quantity.scaled;
  return (diff < 0n ? -diff : diff) <= scale;
}
