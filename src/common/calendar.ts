/**
 * Civil-date arithmetic on day numbers (days since 1970-01-01), without Date objects: the generator
 * formats a few million dates, the rule engine computes ages on every line; neither may depend on
 * the host time zone.
 * Algorithms after Howard Hinnant, "chrono-compatible low-level date algorithms".
 */

export interface Ymd {
  y: number;
  m: number; // 1-12
  d: number; // 1-31
}

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): Ymd {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function formatYmd(v: Ymd): string {
  return `${v.y}-${pad2(v.m)}-${pad2(v.d)}`;
}

export function formatDay(days: number): string {
  return formatYmd(civilFromDays(days));
}

/** 'YYYY-MM-DD' → day number, or null when the text is not a real calendar date. */
export function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return daysFromCivil(y, mo, d);
}

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] as number;
}

/** Age in completed years on `on`: the birthday itself counts (a child is 1 on its first birthday). */
export function completedYears(birth: Ymd, on: Ymd): number {
  let age = on.y - birth.y;
  if (on.m < birth.m || (on.m === birth.m && on.d < birth.d)) age--;
  return age;
}

/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function weekday(days: number): number {
  return (((days + 3) % 7) + 7) % 7;
}

/** A month written `YYYY-MM` (months 01–12). */
export const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(v: unknown): v is string {
  return typeof v === 'string' && MONTH_RE.test(v);
}

/** `YYYY-MM` shifted by `n` months (negative: earlier). */
export function shiftMonth(month: string, n: number): string {
  const m = MONTH_RE.exec(month);
  if (!m) throw new RangeError(`not a month YYYY-MM: ${month}`);
  const idx = Number(m[1]) * 12 + Number(m[2]) - 1 + n;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}
