/**
 * The inputs and output of a double-random draw (双随机). Everything here is published after the
 * draw, so that anyone can recompute it: the algorithm (draw-algorithm.ts) is a pure function of
 * these inputs, and the seed is committed to (SHA-256) before the draw and revealed after it.
 */

/** One inspection object (检查对象) as snapshotted from the institution directory at draw time. */
export interface DrawObject {
  code: string;
  kind: string;
  level: number | null;
  region: string;
  /** The credit grade at draw time (A–E); it selects the stratum and its sampling ratio. */
  grade: string;
}

/** One inspector (检查人员) as snapshotted from the inspector directory at draw time. */
export interface DrawInspector {
  code: string;
  unit: string;
  region: string;
  /** Institution codes the inspector declared a conflict with (回避). */
  conflicts: string[];
}

/** The plan's rules (抽查工作实施细则) that the algorithm applies. */
export interface DrawRules {
  /** Share of each grade's objects to draw, e.g. { A: 0.05, B: 0.1, … } (from the credit policy unless the plan overrides). */
  samplingRatio: Record<string, number>;
  /** At least this many objects per non-empty stratum (capped at the stratum's size). */
  minPerStratum: number;
  /** Inspectors per team; never below 2. */
  teamSize: number;
  /** Most assignments one inspector may get in this draw. */
  loadCap: number;
  /** No inspector working in the object's own region. */
  avoidSameRegion: boolean;
  /** Not the same inspector at the same institution as in the previous draw of the plan's series. */
  avoidPrevious: boolean;
}

export interface DrawInput {
  /** The revealed seed (hex, 32 bytes); its SHA-256 is the published commitment. */
  seed: string;
  planId: string;
  rules: DrawRules;
  objects: DrawObject[];
  inspectors: DrawInspector[];
  /** Pairs institution → inspector codes of the previous draw (for avoidPrevious); empty if none. */
  previous: { institution: string; inspectors: string[] }[];
}

export interface DrawAssignment {
  institution: string;
  grade: string;
  /** Inspector codes, `teamSize` of them, the first is the team leader. */
  team: string[];
}

export interface DrawResult {
  /** Version of the documented algorithm, so a later change never alters how an old draw verifies. */
  algorithm: string;
  /** Per stratum: objects in it, the number drawn. */
  strata: { grade: string; size: number; drawn: number }[];
  assignments: DrawAssignment[];
  /** Objects drawn for which no conflict-free team within the load cap exists (reported, never forced). */
  unstaffed: string[];
  /** SHA-256 (hex) of the canonical JSON of each input part, as published. */
  inputHashes: { rules: string; objects: string; inspectors: string; previous: string };
  /** SHA-256 of the canonical JSON of { algorithm, strata, assignments, unstaffed, inputHashes }. */
  resultHash: string;
}
