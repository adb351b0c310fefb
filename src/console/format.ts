/**
 * Formatting for the console: money exactly (strings and integer fen, never floats), dates in
 * Asia/Shanghai, percentages, risk bands, and the safe `next` of a login redirect. Pure functions.
 */
import { RiskLevel, riskLevelOf } from '../scoring/risk-levels';

const MONEY_RE = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** Yuan as a decimal string or number → integer fen, rounding half away from zero; null when not a number. */
export function toFen(value: unknown): bigint | null {
  if (value === null || value === undefined || value === '') return null;
  let s: string;
  if (typeof value === 'bigint') return value * 100n;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    // String(n) is the shortest round-tripping form (0.1 + 0.2 → "0.30000000000000004"), so rounding
    // it to the fen gives the intended amount; toFixed covers exponent forms.
    s = /e/i.test(String(value)) ? value.toFixed(2) : String(value);
  } else if (typeof value === 'string') {
    s = value.trim();
  } else {
    return null;
  }
  const m = MONEY_RE.exec(s);
  if (!m) return null;
  const [, sign, whole, frac = ''] = m;
  let fen = BigInt(whole!) * 100n + BigInt((frac + '00').slice(0, 2));
  if (frac.length > 2 && frac.charCodeAt(2) >= 53 /* '5' */) fen += 1n;
  return sign === '-' ? -fen : fen;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Integer fen → "¥1,234.56" (negative: "-¥1,234.56"). */
export function formatFen(fen: bigint | number | string): string {
  let f: bigint;
  if (typeof fen === 'bigint') f = fen;
  else if (typeof fen === 'number') {
    if (!Number.isSafeInteger(fen)) throw new Error(`fen must be a whole number, got ${fen}`);
    f = BigInt(fen);
  } else {
    if (!/^-?\d+$/.test(fen.trim())) throw new Error(`fen must be a whole number, got ${JSON.stringify(fen)}`);
    f = BigInt(fen.trim());
  }
  const neg = f < 0n;
  const abs = neg ? -f : f;
  const yuan = abs / 100n;
  const cents = (abs % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}¥${groupThousands(yuan.toString())}.${cents}`;
}

/** Yuan (decimal string as the database returns numeric, or a number) → "¥1,234.56"; "—" when absent. */
export function formatMoney(value: unknown): string {
  const fen = toFen(value);
  return fen === null ? '—' : formatFen(fen);
}

/** 1234567 → "1,234,567"; decimals kept as given. */
export function formatNumber(value: unknown, digits?: number): string {
  if (value === null || value === undefined || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return '—';
  const s = digits === undefined ? String(n) : n.toFixed(digits);
  const [int, frac] = s.split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  return `${sign}${groupThousands(int!.replace('-', ''))}${frac ? `.${frac}` : ''}`;
}

/** A ratio (0.1234) → "12.3%"; "—" when absent. */
export function formatPercent(ratio: unknown, digits = 1): string {
  if (ratio === null || ratio === undefined || ratio === '') return '—';
  const n = typeof ratio === 'number' ? ratio : Number(ratio);
  if (!Number.isFinite(n)) return '—';
  return `${(n * 100).toFixed(digits)}%`;
}

const SHANGHAI = 'Asia/Shanghai';
const partsFormatter = new Intl.DateTimeFormat('en-CA', {
  timeZone: SHANGHAI,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function shanghaiParts(d: Date): Record<string, string> {
  return Object.fromEntries(partsFormatter.formatToParts(d).map((p) => [p.type, p.value]));
}

function asDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'string' || typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** An instant → "2025-01-03 10:15" in Asia/Shanghai (seconds with `seconds`); "—" when absent. */
export function formatDateTime(value: unknown, seconds = false): string {
  const d = asDate(value);
  if (!d) return '—';
  const p = shanghaiParts(d);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
}

/** A calendar date ("2025-01-03" stays as it is) or an instant → its date in Asia/Shanghai. */
export function formatDate(value: unknown): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = asDate(value);
  if (!d) return '—';
  const p = shanghaiParts(d);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Display band of a 0–100 risk score (src/scoring/risk-levels.ts); null when there is no score. */
export function riskLevel(score: unknown): RiskLevel | null {
  const n = typeof score === 'number' ? score : Number(score);
  if (score === null || score === undefined || score === '' || !Number.isFinite(n)) return null;
  return riskLevelOf(n);
}

/**
 * Where to go after login: only a local absolute path (starting with one "/"), never another
 * origin ("//evil", "/\\evil", "https://…") nor anything with control characters.
 */
export function safeNext(next: unknown, fallback = '/console'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  // Browsers treat backslashes as slashes and drop tabs/newlines inside URLs.
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return fallback;
  // The login page itself would loop.
  if (/^\/(login|logout)(\?|$|\/)/.test(next)) return fallback;
  return next;
}

export interface Pager {
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  prev: number;
  next: number;
}

/** Paging figures for the pager partial. */
export function pager(total: number, page: number, pageSize: number): Pager {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return { total, page, pageSize, pages, prev: Math.max(1, page - 1), next: Math.min(pages, page + 1) };
}

/** A risk feature's value as its unit reads: ratios as %, yuan as money, days and counts as numbers. */
export function formatMeasure(value: unknown, unit: string): string {
  if (value === null || value === undefined || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return '—';
  if (unit === 'ratio') return formatPercent(n);
  if (unit === 'yuan') return formatMoney(n);
  if (unit === 'days') return formatNumber(n, 1);
  return Number.isInteger(n) ? formatNumber(n) : formatNumber(n, 2);
}
