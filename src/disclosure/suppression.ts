/**
 * Small-cell suppression (小数抑制) for public statistics: a cell that describes fewer than k
 * patients is not published. When a group of cells is published with its total, one suppressed cell
 * could be recovered by subtraction, so the smallest other non-empty cell of the group is suppressed
 * too (complementary suppression). Cells describing nobody (0 patients) are not sensitive and stay.
 */
export interface SuppressionOptions {
  /** The threshold: cells with 1..k-1 patients are suppressed. */
  k: number;
  /** The group's total is published (so a single suppressed cell must get a companion). */
  totalPublished: boolean;
}

/** Which cells of one group to suppress, given each cell's number of distinct patients. */
export function suppressionMask(patients: readonly number[], opts: SuppressionOptions): boolean[] {
  if (!Number.isInteger(opts.k) || opts.k < 1) throw new Error(`the suppression threshold must be a whole number ≥ 1, not ${opts.k}`);
  for (const p of patients) if (!Number.isInteger(p) || p < 0) throw new Error(`a patient count must be a whole number ≥ 0, not ${p}`);
  const mask = patients.map((p) => p > 0 && p < opts.k);
  const suppressed = mask.filter(Boolean).length;
  if (opts.totalPublished && suppressed === 1) {
    let pick = -1;
    patients.forEach((p, i) => {
      if (!mask[i] && p > 0 && (pick < 0 || p < patients[pick]!)) pick = i;
    });
    if (pick >= 0) mask[pick] = true;
  }
  return mask;
}

/** A published number, or why it is not. */
export type Published<T> = { value: T; suppressed: false } | { value: null; suppressed: true };

/**
 * Applies suppression to the rows of one group: every field of a suppressed row except the listed
 * keys becomes null, and `suppressed` is set. `patientsOf` reads the row's count of distinct patients.
 */
export function suppressRows<T extends object>(
  rows: readonly T[],
  patientsOf: (row: T) => number,
  opts: SuppressionOptions,
  keep: readonly (keyof T)[],
): (T & { suppressed: boolean })[] {
  const mask = suppressionMask(rows.map(patientsOf), opts);
  return rows.map((row, i) => {
    if (!mask[i]) return { ...row, suppressed: false };
    const out: Record<string, unknown> = { suppressed: true };
    for (const [key, value] of Object.entries(row)) out[key] = (keep as readonly string[]).includes(key) ? value : null;
    return out as T & { suppressed: boolean };
  });
}
