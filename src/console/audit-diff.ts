/** One changed field of an audit entry, both sides as display text. */
export interface DiffRow {
  field: string;
  before: string | null;
  after: string | null;
}

/** Longer values are cut for the page (the API returns them whole). */
export const DIFF_VALUE_MAX = 400;

function show(v: unknown): string | null {
  if (v === undefined) return null;
  if (v === null) return 'null';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > DIFF_VALUE_MAX ? `${s.slice(0, DIFF_VALUE_MAX)}…` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Before/after of an audit entry as the fields that differ (a creation shows every field as added,
 * a deletion every field as removed). Non-object values compare as one unnamed field.
 */
export function auditDiff(before: unknown, after: unknown): DiffRow[] {
  if ((before === null || before === undefined) && (after === null || after === undefined)) return [];
  if ((isRecord(before) || before == null) && (isRecord(after) || after == null)) {
    const b = (before ?? {}) as Record<string, unknown>;
    const a = (after ?? {}) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    const rows: DiffRow[] = [];
    for (const k of keys) {
      const sb = k in b ? show(b[k]) : null;
      const sa = k in a ? show(a[k]) : null;
      if (sb !== sa) rows.push({ field: k, before: sb, after: sa });
    }
    return rows;
  }
  const sb = show(before ?? undefined);
  const sa = show(after ?? undefined);
  return sb === sa ? [] : [{ field: '', before: sb, after: sa }];
}
