/**
 * Value representations the engine computes with: dates as day numbers (days since 1970-01-01,
 * UTC), money in yuan as JS numbers parsed from exact decimals (comparisons of parsed decimals are
 * exact), quantities summed in integer micro-units, and amounts at risk computed as exact fractions
 * and rounded half up to the fen — a binary float never decides an amount.
 */

import { civilFromDays, completedYears as ageOn } from '../common/calendar';

const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' → day number; null when not a real date. */
export function dayNumber(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return t / DAY_MS;
}

export function dayText(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Completed years on `day` for someone born on `birthDay`: the birthday itself counts. */
export function completedYears(birthDay: number, day: number): number {
  return ageOn(civilFromDays(birthDay), civilFromDays(day));
}

/** Quantities are summed as integers of 10⁻⁶, so 0.1 + 0.2 is 0.3 (the contract allows decimals). */
export const MICRO = 1_000_000;
export const toMicro = (q: number): number => Math.round(q * MICRO);
export const fromMicro = (m: number): number => m / MICRO;

// ---------------------------------------------------------------------------------------------
// Exact fractions for amounts at risk

export interface Fraction {
  n: bigint;
  d: bigint; // > 0
}

/** A number that came from a decimal text (a money or quantity value) → the exact decimal it denotes. */
export function fractionOf(v: number): Fraction {
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  // The shortest round-trip text of a parsed decimal is that decimal again.
  const text = v.toPrecision(15).includes('e') ? v.toFixed(12) : String(Number(v.toPrecision(15)));
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!m) throw new RangeError(`cannot read ${v} as a decimal`);
  const frac = m[3] ?? '';
  let n = BigInt((m[2] as string) + frac);
  let d = 10n ** BigInt(frac.length);
  const exp = Number(m[4] ?? 0);
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  return normalise({ n: m[1] ? -n : n, d });
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function normalise(f: Fraction): Fraction {
  if (f.d === 0n) throw new RangeError('division by zero');
  let { n, d } = f;
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

export const F = {
  add: (a: Fraction, b: Fraction): Fraction => normalise({ n: a.n * b.d + b.n * a.d, d: a.d * b.d }),
  sub: (a: Fraction, b: Fraction): Fraction => normalise({ n: a.n * b.d - b.n * a.d, d: a.d * b.d }),
  mul: (a: Fraction, b: Fraction): Fraction => normalise({ n: a.n * b.n, d: a.d * b.d }),
  div: (a: Fraction, b: Fraction): Fraction => normalise({ n: a.n * b.d, d: a.d * b.n }),
  cmp: (a: Fraction, b: Fraction): number => {
    const x = a.n * b.d - b.n * a.d;
    return x < 0n ? -1 : x > 0n ? 1 : 0;
  },
};

/** Rounds half away from zero to whole fen. */
export function fractionToFen(f: Fraction): number {
  const num = f.n * 100n;
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (2n * a + f.d) / (2n * f.d);
  return Number(neg ? -q : q);
}

export function fenText(fen: number): string {
  const neg = fen < 0;
  const a = Math.abs(fen);
  const s = `${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}
