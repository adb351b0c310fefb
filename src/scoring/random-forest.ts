import { RandomForestClassifier } from 'ml-random-forest';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { Rng } from '../demo/random';

/**
 * A seeded random-forest classifier for 0/1 labels over ml-random-forest: the library grows each
 * tree (CART, Gini) on a random subset of the features; this wrapper draws the rows each tree
 * sees, averages the trees' leaf class frequencies into probabilities, and keeps the out-of-bag
 * scores. Why not the library's own bagging and probabilities (ml-random-forest 2.1):
 * - its `predictProbability` counts votes and its sum has no initial value, so the first tree's
 *   vote is misread; leaf frequencies also rank rows better than 0/1 votes;
 * - its out-of-bag pass yields majority votes only and throws with few trees ("input must not be
 *   empty"), so it is off (`noOOB: true`) and out-of-bag scores are computed here;
 * - its `maxSamples` keeps the first rows of the table, not a random sample, and a tree's cost
 *   grows with the square of its rows, so sampling rows per tree is the main speed lever.
 * Same data, options and seed → the same trees and the same scores.
 */

/** Options of a forest; every one has a default. */
export interface ForestOptions {
  /** Number of trees (default 100). */
  trees?: number;
  /**
   * Features each tree may split on, drawn without replacement per tree (the library draws them
   * per tree, not per split): a fraction in (0, 1) of the columns, or a count ≥ 1 (default 0.5).
   */
  maxFeatures?: number;
  /** Deepest a tree may grow (default unlimited). */
  maxDepth?: number;
  /** A node with at most this many rows becomes a leaf (library default 3). */
  minNumSamples?: number;
  /** A split must lower the Gini impurity by more than this (library default 0.01). */
  gainThreshold?: number;
  /**
   * Rows drawn (with replacement) for each tree, as a fraction of the training rows (default 1,
   * the classic bootstrap). With `balanced`, the fraction applies to twice the smaller class.
   */
  sampleFraction?: number;
  /**
   * Draw each tree's rows half from each class (a balanced random forest, Chen, Liaw & Breiman
   * 2004): for rare positives it keeps every tree informed about them at a fraction of the cost.
   * Probabilities are then relative to a 50% base rate; rankings (ROC-AUC, PR-AUC) are unaffected.
   */
  balanced?: boolean;
  /** Seed of every random draw (default 42). */
  seed?: number;
}

/** The options with their defaults applied, as stored with a model. */
export type ResolvedForestOptions = Required<ForestOptions>;

/** A trained or loaded forest. */
export interface ForestModel {
  readonly options: ResolvedForestOptions;
  /** Number of feature columns the forest was trained on (every row given to predict must have them). */
  readonly featureCount: number;
  /** Probability of class 1 for each row: the trees' leaf frequencies of class 1, averaged. */
  predict(X: readonly (readonly number[])[]): number[];
  /** A plain object for storage (JSON.stringify-able); `loadForest` reads it back. */
  toJSON(): ForestJSON;
}

/** A forest just trained, with what only training knows. */
export interface TrainedForest extends ForestModel {
  /**
   * Out-of-bag probability of class 1 for each training row (the trees that did not draw the
   * row), or null for a row every tree drew. Honest scores for choosing thresholds.
   */
  readonly oobScores: readonly (number | null)[];
  /**
   * Mean decrease in Gini impurity per feature (rows × gain at every split, summed over the trees,
   * sums to 1): cheap, but with per-tree feature subsets a tree grown to purity credits whatever
   * features it was given; rank features by permutation on held-out rows where it matters.
   */
  readonly importance: readonly number[];
}

export interface ForestJSON {
  format: 'fundguard.random-forest';
  version: 1;
  featureCount: number;
  options: ResolvedForestOptions;
  /** The trees as an ml-random-forest RandomForestClassifier model (its `toJSON()` shape). */
  forest: unknown;
}

export const DEFAULT_FOREST_OPTIONS: ResolvedForestOptions = {
  trees: 100,
  maxFeatures: 0.5,
  maxDepth: Infinity,
  minNumSamples: 3,
  gainThreshold: 0.01,
  sampleFraction: 1,
  balanced: false,
  seed: 42,
};

// The parts of ml-cart's trees (inside ml-random-forest) that scoring reads. Its `classify`
// returns the leaf's class distribution: a 1×c matrix, c = 1 + the largest class in the leaf.
interface LeafDistribution {
  columns: number;
  get(row: number, column: number): number;
}
interface CartNode {
  left?: CartNode;
  right?: CartNode;
  splitColumn?: number;
  gain?: number;
  numberSamples?: number;
  classify(row: number[]): LeafDistribution;
}
interface CartTree {
  root: CartNode;
}
interface ForestInternals {
  estimators: CartTree[];
  indexes: number[][];
  n: number;
  toJSON(): unknown;
}

function invalid(message: string): DomainException {
  return new DomainException(DomainErrorCode.InvalidInput, message);
}

/** Applies the defaults and checks every option, naming the one that is wrong. */
export function resolveForestOptions(opts: ForestOptions = {}): ResolvedForestOptions {
  const o: ResolvedForestOptions = { ...DEFAULT_FOREST_OPTIONS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  if (!Number.isInteger(o.trees) || o.trees < 1) throw invalid(`trees must be a positive integer (got ${o.trees})`);
  if (!(o.maxFeatures > 0) || (o.maxFeatures > 1 && !Number.isInteger(o.maxFeatures))) {
    throw invalid(`maxFeatures must be a fraction in (0, 1] or a whole number of features (got ${o.maxFeatures})`);
  }
  if (!(o.maxDepth >= 1)) throw invalid(`maxDepth must be at least 1 (got ${o.maxDepth})`);
  if (!Number.isInteger(o.minNumSamples) || o.minNumSamples < 1) throw invalid(`minNumSamples must be a positive integer (got ${o.minNumSamples})`);
  if (!(o.gainThreshold >= 0)) throw invalid(`gainThreshold must be ≥ 0 (got ${o.gainThreshold})`);
  if (!(o.sampleFraction > 0) || o.sampleFraction > 1) throw invalid(`sampleFraction must be in (0, 1] (got ${o.sampleFraction})`);
  if (!Number.isInteger(o.seed)) throw invalid(`seed must be an integer (got ${o.seed})`);
  return o;
}

/** How many of `columns` features a tree uses. */
export function featuresPerTree(maxFeatures: number, columns: number): number {
  const n = maxFeatures <= 1 ? Math.floor(columns * maxFeatures) : maxFeatures;
  return Math.min(columns, Math.max(1, n));
}

/** The library reads 1 as "all features" and fractions as floor(columns · f): say n exactly. */
function libraryMaxFeatures(n: number, columns: number): number {
  if (n === columns) return 1;
  return n === 1 ? 1.5 / columns : n;
}

function checkMatrix(X: readonly (readonly number[])[], columns: number | undefined, what: string): number {
  if (X.length === 0) throw invalid(`${what}: no rows`);
  const width = columns ?? X[0]!.length;
  if (width === 0) throw invalid(`${what}: rows have no features`);
  X.forEach((row, i) => {
    if (row.length !== width) throw invalid(`${what}: row ${i} has ${row.length} features, expected ${width}`);
    for (let j = 0; j < width; j++) {
      if (!Number.isFinite(row[j])) throw invalid(`${what}: row ${i}, feature ${j} is ${String(row[j])} (impute missing values first)`);
    }
  });
  return width;
}

/** Rows each tree is grown on: a seeded bootstrap (or balanced) sample, in random order. */
function drawSample(y: readonly number[], o: ResolvedForestOptions, byClass: [number[], number[]], rng: Rng): number[] {
  const sample: number[] = [];
  if (o.balanced) {
    const perClass = Math.max(1, Math.round(Math.min(byClass[0].length, byClass[1].length) * o.sampleFraction));
    for (const members of byClass) for (let i = 0; i < perClass; i++) sample.push(members[rng.int(0, members.length - 1)]!);
  } else {
    const size = Math.max(2, Math.round(y.length * o.sampleFraction));
    for (let i = 0; i < size; i++) sample.push(rng.int(0, y.length - 1));
  }
  // Random order matters for speed as well as fairness: ml-cart finds the classes of a node with
  // indexOf, which is quadratic when one class sits at the end of the rows.
  return rng.shuffle(sample);
}

/**
 * Trains a forest on rows X (finite numbers; impute missing values first) and 0/1 labels y.
 * Throws, naming the problem, on ragged or non-finite rows, labels other than 0/1, a missing class
 * or an invalid option.
 */
export function trainForest(X: readonly (readonly number[])[], y: readonly number[], opts: ForestOptions = {}): TrainedForest {
  const o = resolveForestOptions(opts);
  const columns = checkMatrix(X, undefined, 'training rows');
  if (y.length !== X.length) throw invalid(`training rows: ${X.length} rows but ${y.length} labels`);
  const byClass: [number[], number[]] = [[], []];
  y.forEach((l, i) => {
    if (l !== 0 && l !== 1) throw invalid(`training labels: label ${i} is ${String(l)}; labels must be 0 or 1`);
    byClass[l].push(i);
  });
  if (byClass[0].length === 0 || byClass[1].length === 0) throw invalid(`training needs both classes: all ${y.length} labels are ${byClass[1].length ? 1 : 0}`);

  const n = featuresPerTree(o.maxFeatures, columns);
  const treeOptions = { maxDepth: o.maxDepth, minNumSamples: o.minNumSamples, gainThreshold: o.gainThreshold };
  const rng = Rng.fromSeed(`random-forest:${o.seed}`);
  const estimators: CartTree[] = [];
  const indexes: number[][] = [];
  const oobSum = new Float64Array(y.length);
  const oobCount = new Int32Array(y.length);
  const importance = new Array<number>(columns).fill(0);
  for (let t = 0; t < o.trees; t++) {
    const sample = drawSample(y, o, byClass, rng);
    // One library forest of one tree per draw: the library then only picks this tree's features.
    const one = new RandomForestClassifier({
      nEstimators: 1,
      maxFeatures: libraryMaxFeatures(n, columns),
      replacement: false,
      useSampleBagging: false,
      noOOB: true,
      seed: rng.int(0, 0x7fffffff),
      treeOptions,
    });
    one.train(
      sample.map((i) => X[i] as number[]),
      sample.map((i) => y[i] as number),
    );
    const internals = one as unknown as ForestInternals;
    const tree = internals.estimators[0]!;
    const features = internals.indexes[0]!;
    estimators.push(tree);
    indexes.push(features);

    const inBag = new Uint8Array(y.length);
    for (const i of sample) inBag[i] = 1;
    for (let i = 0; i < y.length; i++) {
      if (inBag[i]) continue;
      oobSum[i] += classOneProbability(tree, features, X[i]!);
      oobCount[i]!++;
    }
    addImportance(tree.root, features, importance);
  }
  const forest = new Forest(o, columns, estimators, indexes, n);
  const total = importance.reduce((s, v) => s + v, 0);
  return Object.assign(forest, {
    oobScores: Array.from(oobCount, (c, i) => (c > 0 ? (oobSum[i] as number) / c : null)),
    importance: importance.map((v) => (total > 0 ? v / total : 0)),
  });
}

/** P(class 1) at the leaf this row reaches in one tree. */
function classOneProbability(tree: CartTree, features: readonly number[], row: readonly number[]): number {
  const sub = new Array<number>(features.length);
  for (let j = 0; j < features.length; j++) sub[j] = row[features[j]!]!;
  const d = tree.root.classify(sub);
  return d.columns > 1 ? d.get(0, 1) : 0;
}

/** Adds one tree's impurity decreases (gain × rows at each split) to its features' totals. */
function addImportance(root: CartNode, features: readonly number[], into: number[]): void {
  const stack: CartNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (!node.left || !node.right || node.splitColumn === undefined) continue;
    into[features[node.splitColumn]!]! += Math.max(0, node.gain ?? 0) * (node.numberSamples ?? 0);
    stack.push(node.left, node.right);
  }
}

class Forest implements ForestModel {
  constructor(
    readonly options: ResolvedForestOptions,
    readonly featureCount: number,
    private readonly estimators: CartTree[],
    private readonly indexes: number[][],
    private readonly featuresEach: number,
  ) {}

  predict(X: readonly (readonly number[])[]): number[] {
    if (X.length === 0) return [];
    checkMatrix(X, this.featureCount, 'rows to score');
    return X.map((row) => {
      let sum = 0;
      for (let t = 0; t < this.estimators.length; t++) sum += classOneProbability(this.estimators[t]!, this.indexes[t]!, row);
      return sum / this.estimators.length;
    });
  }

  toJSON(): ForestJSON {
    // Stored as the library's own model shape, so RandomForestClassifier.load rebuilds the trees.
    const baseModel = {
      indexes: this.indexes,
      n: this.featuresEach,
      replacement: false,
      maxFeatures: this.featuresEach,
      nEstimators: this.estimators.length,
      treeOptions: { maxDepth: this.options.maxDepth, minNumSamples: this.options.minNumSamples, gainThreshold: this.options.gainThreshold },
      isClassifier: true,
      seed: this.options.seed,
      estimators: this.estimators.map((e) => (e as unknown as { toJSON(): unknown }).toJSON()),
      useSampleBagging: false,
    };
    // Through JSON text: the library's objects (matrices, tree nodes) become plain data.
    const forest = JSON.parse(JSON.stringify({ name: 'RFClassifier', baseModel })) as unknown;
    return { format: 'fundguard.random-forest', version: 1, featureCount: this.featureCount, options: { ...this.options }, forest };
  }
}

/** Rebuilds a forest stored with `toJSON()`; it scores exactly as the forest it was saved from. */
export function loadForest(json: ForestJSON): ForestModel {
  if (json?.format !== 'fundguard.random-forest' || json.version !== 1) throw invalid('not a stored FundGuard random forest (format fundguard.random-forest, version 1)');
  // JSON has no Infinity: an unlimited depth was written as null.
  const options = resolveForestOptions({ ...json.options, maxDepth: json.options.maxDepth ?? Infinity });
  const lib = RandomForestClassifier.load(json.forest as Parameters<typeof RandomForestClassifier.load>[0]) as unknown as ForestInternals;
  return new Forest(options, json.featureCount, lib.estimators, lib.indexes, lib.n);
}
