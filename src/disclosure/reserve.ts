/**
 * 基金累计结存可支付月数: how many months of average spending a pool's accumulated balance covers,
 * and the warning band it falls in. DOMAIN.md: about 6–9 months is normal; above 15 the reserve is
 * too high, below 3 too low (a warning either way); between those, a watch.
 */
export type ReserveBand = 'too_low' | 'low' | 'normal' | 'high' | 'too_high';

export const RESERVE_BANDS: readonly { band: ReserveBand; from: number | null; to: number | null }[] = [
  { band: 'too_low', from: null, to: 3 },
  { band: 'low', from: 3, to: 6 },
  { band: 'normal', from: 6, to: 9 },
  { band: 'high', from: 9, to: 15 },
  { band: 'too_high', from: 15, to: null },
];

/** Months averaged for the spending a balance is measured against. */
export const RESERVE_WINDOW_MONTHS = 12;

/**
 * The band of a number of months: below 3 too low, 3 up to 6 low, 6 through 9 normal, above 9 up to
 * 15 high, above 15 too high (both edges of "normal" and 15 itself count as the milder band).
 */
export function reserveBand(months: number): ReserveBand {
  if (!Number.isFinite(months)) throw new Error(`months of reserve must be a finite number, not ${months}`);
  if (months < 3) return 'too_low';
  if (months < 6) return 'low';
  if (months <= 9) return 'normal';
  if (months <= 15) return 'high';
  return 'too_high';
}

export interface LedgerMonth {
  period: string;
  /** fen */
  income: bigint;
  expenditure: bigint;
  balance: bigint;
}

export interface ReserveMonth extends LedgerMonth {
  /** Average monthly spending (fen) over the months averaged, null without spending. */
  averageExpenditure: bigint | null;
  /** How many months were averaged (fewer than 12 at the start of the data). */
  monthsAveraged: number;
  /** Balance ÷ average spending, 1 decimal; null when there is no spending to measure against. */
  reserveMonths: number | null;
  band: ReserveBand | null;
}

/**
 * Months of reserve for each month of one pool (ordered by period, no gaps required): the balance at
 * the month's end over the average spending of the 12 months ending with it (fewer at the start).
 */
export function reserveSeries(months: readonly LedgerMonth[], window = RESERVE_WINDOW_MONTHS): ReserveMonth[] {
  const sorted = [...months].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.period === sorted[i - 1]!.period) throw new Error(`period ${sorted[i]!.period} appears twice in one pool's ledger`);
  }
  return sorted.map((m, i) => {
    const span = sorted.slice(Math.max(0, i + 1 - window), i + 1);
    const spent = span.reduce((s, x) => s + x.expenditure, 0n);
    const n = span.length;
    if (spent <= 0n) return { ...m, averageExpenditure: null, monthsAveraged: n, reserveMonths: null, band: null };
    // balance / (spent / n), to one decimal, half up, in integers: 10 × balance × n / spent.
    const tenths = divideHalfUp(10n * m.balance * BigInt(n), spent);
    const reserveMonths = Number(tenths) / 10;
    return { ...m, averageExpenditure: divideHalfUp(spent, BigInt(n)), monthsAveraged: n, reserveMonths, band: reserveBand(reserveMonths) };
  });
}

/** a / b rounded half away from zero (b > 0). */
function divideHalfUp(a: bigint, b: bigint): bigint {
  const neg = a < 0n;
  const abs = neg ? -a : a;
  const q = (2n * abs + b) / (2n * b);
  return neg ? -q : q;
}
