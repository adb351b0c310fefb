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
