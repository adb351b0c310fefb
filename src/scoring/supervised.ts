import { averagePrecision, meanAndSd, rocAuc, stratifiedKFold } from './metrics';
import { ForestOptions, TrainedForest, trainForest } from './random-forest';

/**
 * The supervised half of the risk score: a random forest over the peer-relative features (robust
 * z-scores) of entity-periods whose outcome is known from review, cross-validated before it is
 * used. Pure: same rows, options and seed → the same folds, model and metrics.
 */

/** Fewest reviewed entity-periods of each class before a model is trained. */
export const MIN_PER_CLASS = 8;
/** The final score: this share of the supervised probability (× 100), the rest the unsupervised score. */
export const SUPERVISED_WEIGHT = 0.5;

export const FOREST_OPTIONS: ForestOptions = { trees: 60, maxFeatures: 0.5, minNumSamples: 2, seed: 42 };

export interface SupervisedFit {
  forest: TrainedForest;
  metrics: { folds: number; rocAuc: { mean: number; sd: number; folds: number[] }; prAuc: { mean: number; sd: number; folds: number[] } };
}

/** null when there are too few labels of either class. */
export function fitSupervised(X: number[][], y: number[], opts: ForestOptions = FOREST_OPTIONS): SupervisedFit | null {
  const pos = y.filter((v) => v === 1).length;
  const neg = y.length - pos;
  if (pos < MIN_PER_CLASS || neg < MIN_PER_CLASS) return null;
  const k = Math.min(5, pos, neg);
  const roc: number[] = [];
  const pr: number[] = [];
  for (const fold of stratifiedKFold(y, k, opts.seed ?? 42)) {
    const model = trainForest(
      fold.train.map((i) => X[i]!),
      fold.train.map((i) => y[i]!),
      opts,
    );
    const p = model.predict(fold.test.map((i) => X[i]!));
    const labels = fold.test.map((i) => y[i]!);
    roc.push(rocAuc(labels, p));
    pr.push(averagePrecision(labels, p));
  }
  return {
    forest: trainForest(X, y, opts),
    metrics: { folds: k, rocAuc: { ...meanAndSd(roc), folds: roc }, prAuc: { ...meanAndSd(pr), folds: pr } },
  };
}

/** The final score of an entity: the unsupervised score blended with the supervised probability. */
export const blend = (unsupervisedScore: number, probability: number | null): number =>
  probability === null ? unsupervisedScore : Math.round(100 * ((1 - SUPERVISED_WEIGHT) * unsupervisedScore + SUPERVISED_WEIGHT * 100 * probability)) / 100;
