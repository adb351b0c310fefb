import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { Rng } from '../demo/random';

/**
 * Metrics of a binary classifier's scores against 0/1 labels, and the stratified folds they are
 * cross-validated on. Pure functions: no clock, no Math.random; the folds depend only on the
 * labels, k and the seed.
 */

/** Precision, recall and F1 of "score ≥ threshold means class 1". */
export interface ThresholdMetrics {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp); 0 when nothing is predicted positive. */
  precision: number;
  /** tp / (tp + fn). */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
}

/** One fold of a cross-validation: row indices (ascending) to train on and to test on. */
export interface Fold {
  train: number[];
  test: number[];
}

function invalid(message: string): DomainException {
  return new DomainException(DomainErrorCode.InvalidInput, message);
}

/** Checks labels are 0/1 and as many as the scores; returns the count of 1s. */
function checkInputs(labels: readonly number[], scores: readonly number[], what: string): number {
  if (labels.length !== scores.length) throw invalid(`${what}: ${labels.length} labels but ${scores.length} scores`);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l !== 0 && l !== 1) throw invalid(`${what}: label ${i} is ${String(l)}; labels must be 0 or 1`);
    if (!Number.isFinite(scores[i])) throw invalid(`${what}: score ${i} is ${String(scores[i])}; scores must be finite numbers`);
    positives += l;
  }
  return positives;
}

function needBothClasses(n: number, positives: number, what: string): void {
  if (n === 0) throw invalid(`${what} needs at least one example of each class: there are no examples`);
  if (positives === 0) throw invalid(`${what} needs both classes: all ${n} labels are 0`);
  if (positives === n) throw invalid(`${what} needs both classes: all ${n} labels are 1`);
}

/** Indices sorted by score, highest first (ties in index order, so the result is deterministic). */
function byScoreDescending(scores: readonly number[]): number[] {
  const order = scores.map((_, i) => i);
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return order;
}

/**
 * Area under the ROC curve, computed from ranks (the Mann–Whitney U statistic divided by
 * n₁·n₀): the probability that a random class-1 row scores above a random class-0 row, a tie
 * counting one half. Tied scores get their average rank. Throws when a class is absent.
 */
export function rocAuc(labels: readonly number[], scores: readonly number[]): number {
  const positives = checkInputs(labels, scores, 'ROC-AUC');
  const n = labels.length;
  needBothClasses(n, positives, 'ROC-AUC');
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSumPositives = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) end++;
    // Ranks start..end-1 (0-based) are tied: each gets their mean, 1-based.
    const meanRank = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) if (labels[order[j] as number] === 1) rankSumPositives += meanRank;
    start = end;
  }
  const negatives = n - positives;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Area under the precision–recall curve as average precision, the step-wise sum
 * Σ (Rₖ − Rₖ₋₁)·Pₖ over the distinct score thresholds from the highest down (as scikit-learn's
 * `average_precision_score`): rows with tied scores enter together, with no interpolation.
 * Its chance level is the base rate. Throws when there is no class-1 row.
 */
export function averagePrecision(labels: readonly number[], scores: readonly number[]): number {
  const positives = checkInputs(labels, scores, 'PR-AUC');
  if (positives === 0) throw invalid(`PR-AUC needs at least one label 1: all ${labels.length} labels are 0`);
  const order = byScoreDescending(scores);
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let previousRecall = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && scores[order[end] as number] === scores[order[start] as number]) {
      tp += labels[order[end] as number] as number;
      end++;
    }
    seen = end;
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / seen);
    previousRecall = recall;
    start = end;
  }
  return ap;
}

/** Precision, recall and F1 when rows scoring at or above `threshold` are called class 1. */
export function metricsAtThreshold(labels: readonly number[], scores: readonly number[], threshold: number): ThresholdMetrics {
  checkInputs(labels, scores, 'F1');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    if (labels[i] === 1) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  return withRates({ threshold, tp, fp, fn, tn });
}

function withRates(c: { threshold: number; tp: number; fp: number; fn: number; tn: number }): ThresholdMetrics {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { ...c, precision, recall, f1 };
}

/**
 * The threshold that maximises F1 on these labels and scores. Every distinct score is a candidate
 * cut; the returned threshold is the midpoint between the best cut's score and the next lower
 * distinct score (the whole gap scores the same here, and its middle generalises better than its
 * edge). Meant for the training data: applying it to the rows it was chosen on overstates F1.
 */
export function bestF1Threshold(labels: readonly number[], scores: readonly number[]): ThresholdMetrics {
  const positives = checkInputs(labels, scores, 'F1 threshold');
  needBothClasses(labels.length, positives, 'choosing an F1 threshold');
  const order = byScoreDescending(scores);
  let tp = 0;
  let fp = 0;
  let best: { f1: number; end: number; tp: number; fp: number } = { f1: -1, end: 0, tp: 0, fp: 0 };
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && scores[order[end] as number] === scores[order[start] as number]) {
      if (labels[order[end] as number] === 1) tp++;
      else fp++;
      end++;
    }
    const f1 = (2 * tp) / (2 * tp + fp + (positives - tp));
    if (f1 > best.f1) best = { f1, end, tp, fp };
    start = end;
  }
  const cut = scores[order[best.end - 1] as number] as number;
  const below = best.end < order.length ? (scores[order[best.end] as number] as number) : undefined;
  const threshold = below === undefined ? cut : (cut + below) / 2;
  const negatives = labels.length - positives;
  return withRates({ threshold, tp: best.tp, fp: best.fp, fn: positives - best.tp, tn: negatives - best.fp });
}

/**
 * Stratified k-fold split: each class's row indices are shuffled with a generator seeded by
 * `seed`, then dealt round-robin to the folds (class 0 first, class 1 continuing the count), so
 * every fold holds each class within one row of its share and fold sizes differ by at most one.
 * The same labels, k and seed always give the same folds. Throws when a class has fewer than k
 * rows (a fold would have none of it to be scored on).
 */
export function stratifiedKFold(labels: readonly number[], k: number, seed: number | string): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw invalid(`the number of folds must be an integer of at least 2 (got ${k})`);
  const byClass: [number[], number[]] = [[], []];
  labels.forEach((l, i) => {
    if (l !== 0 && l !== 1) throw invalid(`stratified folds: label ${i} is ${String(l)}; labels must be 0 or 1`);
    byClass[l].push(i);
  });
  for (const c of [0, 1] as const) {
    if (byClass[c].length < k) {
      throw invalid(`${k} folds need at least ${k} rows of each class; class ${c} has ${byClass[c].length}`);
    }
  }
  const rng = Rng.fromSeed(`stratified-kfold:${seed}`);
  const foldOf = new Int32Array(labels.length);
  let dealt = 0;
  for (const c of [0, 1] as const) {
    for (const i of rng.shuffle(byClass[c].slice())) foldOf[i] = dealt++ % k;
  }
  const folds: Fold[] = Array.from({ length: k }, () => ({ train: [], test: [] }));
  for (let i = 0; i < labels.length; i++) {
    for (let f = 0; f < k; f++) (f === foldOf[i] ? folds[f]!.test : folds[f]!.train).push(i);
  }
  return folds;
}

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  if (values.length === 0) throw invalid('mean of no values');
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (values.length === 1) return { mean, sd: 0 };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}
