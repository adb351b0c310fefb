/** Money in cases: integer fen as bigint (amounts to recover times a multiple overflow a double's exact range). */

/** "1234.5", "1234.56", 1234.56 → fen; null when not a non-negative amount with at most two decimals. */
export function parseYuan(v: unknown): bigint | null {
  const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (text === null) return null;
  const m = /^(\d{1,14})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/** A database numeric(…,2) text (possibly negative) → fen. */
export function fenOf(numericText: string | number | null | undefined): bigint {
  if (numericText === null || numericText === undefined) return 0n;
  const s = String(numericText).trim();
  const neg = s.startsWith('-');
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
  const fen = BigInt(i || '0') * 100n + BigInt(f.padEnd(2, '0').slice(0, 2));
  return neg ? -fen : fen;
}

/** fen → "1234.56" (the numeric text the API and the database use). */
export function yuanText(fen: bigint): string {
  const neg = fen < 0n;
  const a = neg ? -fen : fen;
  return `${neg ? '-' : ''}${a / 100n}.${(a % 100n).toString().padStart(2, '0')}`;
}

/** "1.5", 1.5, "2" → hundredths (150, 200); null when not a non-negative number with at most two decimals. */
export function parseMultiple(v: unknown): bigint | null {
  const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (text === null) return null;
  const m = /^(\d{1,2})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/** hundredths → "1.50" */
export function multipleText(h: bigint): string {
  return `${h / 100n}.${(h % 100n).toString().padStart(2, '0')}`;
}
