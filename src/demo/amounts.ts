/**
 * Exact money for the generator: amounts are integer fen (分), quantities integer half-units, so
 * nothing is ever a binary fraction of a yuan and every label can be computed exactly.
 */

/** Yuan text with two decimals from integer fen, e.g. 12345 → "123.45", -50 → "-0.50". */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  const yuan = Math.floor(a / 100);
  const cents = a % 100;
  return `${sign}${yuan}.${cents < 10 ? '0' : ''}${cents}`;
}

/** Quantity text from half-units: 2 → "1", 3 → "1.5", 1 → "0.5". */
export function formatHalfQty(qHalf: number): string {
  if (qHalf % 2 === 0) return String(qHalf / 2);
  const sign = qHalf < 0 ? '-' : '';
  return `${sign}${Math.floor(Math.abs(qHalf) / 2)}.5`;
}

/** round(num / den) with halves rounded away from zero (四舍五入); den > 0. */
export function roundHalfUpDiv(num: number, den: number): number {
  if (num < 0) return -roundHalfUpDiv(-num, den);
  return Math.floor((2 * num + den) / (2 * den));
}

/** Line amount in fen: unit price × quantity, rounded half up to the fen. */
export function lineAmountFen(unitPriceFen: number, qHalf: number): number {
  return roundHalfUpDiv(unitPriceFen * qHalf, 2);
}
