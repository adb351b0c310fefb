import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { hashSeed, Rng } from '../demo/random';
import { CsvRecord, openCsv } from '../imports/csv-source';
import { averagePrecision, bestF1Threshold, meanAndSd, metricsAtThreshold, rocAuc, stratifiedKFold, ThresholdMetrics } from './metrics';
import { featuresPerTree, ForestModel, ForestOptions, ResolvedForestOptions, resolveForestOptions, trainForest } from './random-forest';

/**
 * Cross-validated evaluation of a random forest on a labelled per-entity feature table (one row
 * per institution or physician, one column per feature, a label saying whether the entity was a
 * confirmed case): what `fundguard model evaluate` runs. Leakage precautions: folds are split
 * before anything is learnt; medians for missing cells, the F1 threshold and the forest all come
 * from the training fold only; nothing is oversampled; a column that copies the label is refused.
 */

/** How to read a feature table. */
export interface FeatureTableOptions {
  /** The label column: Yes/No, Y/N, 1/0, true/false, 是/否 or confirmed/dismissed (any case). */
  label: string;
  /** A column identifying the entity, kept out of the features. */
  id?: string;
  /** Further columns kept out of the features (e.g. another copy of the label). */
  exclude?: readonly string[];
  /** A non-numeric column with at most this many distinct values is one-hot encoded; more is an error (default 12). */
  maxCategories?: number;
}

/** A feature table read and encoded; missing cells are NaN (imputed per training fold). */
export interface FeatureTable {
  /** File name (or another label) for reports. */
  source: string;
  labelColumn: string;
  idColumn?: string;
  /** Entity ids (the id column, or the line numbers when there is none). */
  ids: string[];
  /** Feature names after encoding (a one-hot column is `column=value`). */
  featureNames: string[];
  X: number[][];
  y: number[];
  /** Cells that were empty (or NA, N/A, NaN, null, #N/A) in numeric features. */
  missingCells: number;
  oneHot: { column: string; values: string[] }[];
  excluded: string[];
  warnings: string[];
}

/** Options of an evaluation; every one has a default. */
export interface EvaluationOptions {
  /** Number of stratified folds (default 5). */
  folds?: number;
  /** Seed of the folds and of every forest (default 42). */
  seed?: number;
  /** Forest options; the seed given here is ignored (each fold's forest is seeded from `seed`). */
  forest?: Omit<ForestOptions, 'seed'>;
  /** How many features to list by importance (default 10). */
  topFeatures?: number;
  /** Called after each fold (progress on long runs). */
  onFold?: (fold: FoldResult, folds: number) => void;
}

export interface FoldResult {
  fold: number;
  trainRows: number;
  testRows: number;
  testPositives: number;
  rocAuc: number;
  prAuc: number;
  /** Threshold chosen on the training fold's out-of-bag scores, and the test fold's metrics at it. */
  atThreshold: ThresholdMetrics;
  /** The training fold's (out-of-bag) F1 at that threshold, for comparison. */
  trainF1: number;
  trainSeconds: number;
}

export interface MeanSd {
  mean: number;
  sd: number;
}

export interface EvaluationReport {
  data: {
    source: string;
    rows: number;
    positives: number;
    baseRate: number;
    features: number;
    labelColumn: string;
    idColumn?: string;
    excluded: string[];
    oneHot: { column: string; values: string[] }[];
    missingCells: number;
  };
  settings: {
    folds: number;
    seed: number;
    forest: Omit<ResolvedForestOptions, 'seed'>;
    /** Features each tree splits on (maxFeatures resolved against the table). */
    featuresPerTree: number;
  };
  folds: FoldResult[];
  mean: { rocAuc: MeanSd; prAuc: MeanSd; f1: MeanSd; precision: MeanSd; recall: MeanSd };
  /** Metrics over every row's out-of-fold score at once (models differ between folds). */
  pooled: { rocAuc: number; prAuc: number };
  /**
   * Permutation importance: how much each test fold's ROC-AUC drops when the feature's values are
   * shuffled among its rows, averaged over the folds (≤ 0: the model does not rely on it).
   */
  topFeatures: { name: string; importance: number }[];
  warnings: string[];
  seconds: { training: number; total: number };
}

function invalid(message: string, errors: FieldError[] = []): DomainException {
  return new DomainException(DomainErrorCode.InvalidInput, message, errors);
}

const POSITIVE = new Set(['yes', 'y', '1', 'true', '是', 'confirmed']);
const NEGATIVE = new Set(['no', 'n', '0', 'false', '否', 'dismissed']);
const LABEL_WORDS = 'Yes/No, Y/N, 1/0, true/false, 是/否 or confirmed/dismissed';
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', '#n/a']);
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const THOUSANDS = /^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/;

/** 1, 0, or undefined for anything else. */
export function parseLabel(raw: string): 0 | 1 | undefined {
  const v = raw.trim().toLowerCase();
  if (POSITIVE.has(v)) return 1;
  if (NEGATIVE.has(v)) return 0;
  return undefined;
}

/** A number, null for a missing cell, undefined when the text is not a number. */
export function parseCell(raw: string): number | null | undefined {
  let v = raw.trim();
  if (MISSING.has(v.toLowerCase())) return null;
  let scale = 1;
  if (v.endsWith('%')) {
    v = v.slice(0, -1).trim();
    scale = 0.01;
  }
  if (THOUSANDS.test(v)) v = v.replace(/,/g, '');
  if (!NUMBER.test(v)) return undefined;
  return Number(v) * scale;
}

function findColumn(header: readonly string[], name: string, option: string): number {
  const exact = header.indexOf(name);
  if (exact >= 0) return exact;
  const folded = header.map((h, i) => [h.toLowerCase(), i] as const).filter(([h]) => h === name.trim().toLowerCase());
  if (folded.length === 1) return folded[0]![1];
  throw invalid(`${option} "${name}" is not a column of the table (columns: ${header.join(', ')})`);
}

/**
 * Encodes parsed CSV records (header first excluded) as a feature table: the label parsed, the
 * id and excluded columns set aside, numeric columns as numbers (missing → NaN), non-numeric
 * columns one-hot encoded when they have few distinct values and refused otherwise.
 */
export function buildFeatureTable(header: readonly string[], records: readonly CsvRecord[], opts: FeatureTableOptions, source = 'table'): FeatureTable {
  const maxCategories = opts.maxCategories ?? 12;
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    if (seen.has(h)) throw invalid(`column "${h}" appears twice in the header (columns ${seen.get(h)! + 1} and ${i + 1})`);
    seen.set(h, i);
  });
  const labelAt = findColumn(header, opts.label, '--label');
  const idAt = opts.id !== undefined ? findColumn(header, opts.id, '--id') : undefined;
  if (idAt === labelAt) throw invalid(`--id and --label name the same column "${header[labelAt]}"`);
  const excludedAt = new Set((opts.exclude ?? []).map((c) => findColumn(header, c, '--exclude')));
  if (records.length === 0) throw invalid(`${source} has a header but no rows`);

  const errors: FieldError[] = [];
  const y: number[] = [];
  for (const r of records) {
    if (r.fields.length !== header.length) {
      errors.push({ path: `line ${r.line}`, reason: `the row has ${r.fields.length} fields where the header has ${header.length}` });
      continue;
    }
    const l = parseLabel(r.fields[labelAt]!);
    if (l === undefined) errors.push({ path: `line ${r.line}`, reason: `${header[labelAt]} is "${r.fields[labelAt]}"; expected ${LABEL_WORDS}` });
    else y.push(l);
  }
  if (errors.length) {
    const first = errors[0]!;
    throw invalid(`${source}, ${first.path}: ${first.reason}${errors.length > 1 ? ` (and ${errors.length - 1} more row(s))` : ''}`, errors.slice(0, 20));
  }

  const featureNames: string[] = [];
  const columns: Float64Array[] = [];
  const oneHot: FeatureTable['oneHot'] = [];
  const warnings: string[] = [];
  let missingCells = 0;
  for (let c = 0; c < header.length; c++) {
    if (c === labelAt || c === idAt || excludedAt.has(c)) continue;
    const name = header[c]!;
    const values = new Float64Array(records.length);
    let firstText: CsvRecord | undefined;
    let missingHere = 0;
    records.forEach((r, i) => {
      const v = parseCell(r.fields[c]!);
      if (v === undefined) firstText ??= r;
      if (v === null) missingHere++;
      values[i] = v ?? NaN;
    });
    if (!firstText) {
      if (missingHere === records.length) {
        warnings.push(`column "${name}" is empty in every row: left out`);
        continue;
      }
      featureNames.push(name);
      columns.push(values);
      missingCells += missingHere;
      continue;
    }
    // A text column: categories are read from the whole table, which involves no label.
    const categories = [...new Set(records.map((r) => r.fields[c]!.trim()).filter((v) => !MISSING.has(v.toLowerCase())))].sort();
    if (categories.length > maxCategories) {
      throw invalid(
        `column "${name}" is not numeric (line ${firstText.line} has "${firstText.fields[c]}") and has ${categories.length} distinct values, ` +
          `more than the ${maxCategories} that are one-hot encoded; name it with --id if it identifies the entity, or --exclude it`,
      );
    }
    oneHot.push({ column: name, values: categories });
    for (const cat of categories) {
      featureNames.push(`${name}=${cat}`);
      columns.push(Float64Array.from(records, (r) => (r.fields[c]!.trim() === cat ? 1 : 0)));
    }
  }
  if (featureNames.length === 0) throw invalid(`${source} has no feature columns besides the label${idAt !== undefined ? ' and the id' : ''}`);

  // A column that separates the classes perfectly on its own is almost always the outcome
  // written down another way (the Kaggle table carries PotentialFraud_numeric next to the label).
  columns.forEach((col, j) => {
    if (col.some(Number.isNaN)) return;
    const auc = rocAucOrUndefined(y, Array.from(col));
    if (auc === 0 || auc === 1) {
      throw invalid(`feature "${featureNames[j]}" separates the label perfectly on its own: it is most likely a copy of the label or derived from the outcome (leakage); --exclude it`);
    }
    if (auc !== undefined && (auc > 0.98 || auc < 0.02)) warnings.push(`feature "${featureNames[j]}" alone reaches ROC-AUC ${Math.max(auc, 1 - auc).toFixed(3)}: check it is not derived from the outcome`);
  });

  const X = records.map((_, i) => columns.map((col) => col[i]!));
  const ids = records.map((r) => (idAt !== undefined ? r.fields[idAt]! : `line ${r.line}`));
  const excluded = [...excludedAt].map((c) => header[c]!);
  return { source, labelColumn: header[labelAt]!, idColumn: idAt !== undefined ? header[idAt] : undefined, ids, featureNames, X, y, missingCells, oneHot, excluded, warnings };
}

function rocAucOrUndefined(y: readonly number[], scores: readonly number[]): number | undefined {
  try {
    return rocAuc(y, scores);
  } catch {
    return undefined;
  }
}

/** Reads a feature table from a CSV file (UTF-8 with or without BOM, or GB18030; detected). */
export async function readFeatureTable(path: string, opts: FeatureTableOptions): Promise<FeatureTable> {
  await access(path).catch(() => {
    throw invalid(`--features: no such file ${path}`);
  });
  const csv = await openCsv(path);
  const records: CsvRecord[] = [];
  for await (const batch of csv.batches) for (const r of batch) records.push(r);
  return buildFeatureTable(csv.header, records, opts, basename(path));
}

/** Column medians over the given rows, ignoring missing cells (0 for a column missing throughout). */
function columnMedians(X: readonly number[][], rows: readonly number[], columns: number): number[] {
  const medians = new Array<number>(columns).fill(0);
  const buf = new Float64Array(rows.length);
  for (let j = 0; j < columns; j++) {
    let n = 0;
    for (const i of rows) {
      const v = X[i]![j]!;
      if (!Number.isNaN(v)) buf[n++] = v;
    }
    if (n === 0) continue;
    const sorted = buf.subarray(0, n).sort();
    medians[j] = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  }
  return medians;
}

function imputed(X: readonly number[][], rows: readonly number[], medians: readonly number[]): number[][] {
  return rows.map((i) => X[i]!.map((v, j) => (Number.isNaN(v) ? medians[j]! : v)));
}

/**
 * The drop in ROC-AUC on held-out rows when one feature's column is shuffled, per feature. Honest
 * where impurity-based importance is not: the library gives each tree a subset of the features,
 * and a tree grown to purity credits its features with all of its impurity, useful or not.
 */
function permutationImportance(forest: ForestModel, X: readonly number[][], y: readonly number[], base: number, rng: Rng): number[] {
  const p = X[0]?.length ?? 0;
  const drops: number[] = [];
  for (let j = 0; j < p; j++) {
    const column = rng.shuffle(X.map((row) => row[j]!));
    const permuted = X.map((row, i) => {
      const copy = row.slice();
      copy[j] = column[i]!;
      return copy;
    });
    drops.push(base - rocAuc(y, forest.predict(permuted)));
  }
  return drops;
}

/**
 * Stratified k-fold cross-validation of a random forest on the table: per fold, medians imputed
 * from the training rows, a forest trained on them, the best-F1 threshold chosen on the training
 * rows' out-of-bag scores, and the test rows scored (ROC-AUC, PR-AUC, precision/recall/F1 at that
 * threshold). Same table, options and seed → the same report (timings aside).
 */
export function evaluateModel(table: FeatureTable, opts: EvaluationOptions = {}): EvaluationReport {
  const started = performance.now();
  const k = opts.folds ?? 5;
  const seed = opts.seed ?? 42;
  if (!Number.isInteger(seed)) throw invalid(`--seed must be an integer (got ${seed})`);
  const forestOptions = resolveForestOptions({ ...opts.forest, seed: 0 });
  const { y, X } = table;
  const p = table.featureNames.length;
  const positives = y.reduce((s, v) => s + v, 0);
  const folds = stratifiedKFold(y, k, seed);
  const warnings = [...table.warnings];

  const results: FoldResult[] = [];
  const outOfFold = new Array<number>(y.length).fill(NaN);
  const importance = new Array<number>(p).fill(0);
  let training = 0;
  folds.forEach((fold, f) => {
    const medians = columnMedians(X, fold.train, p);
    const Xtrain = imputed(X, fold.train, medians);
    const ytrain = fold.train.map((i) => y[i]!);
    const t0 = performance.now();
    const forest = trainForest(Xtrain, ytrain, { ...forestOptions, seed: hashSeed(`model-evaluation:${seed}:fold${f + 1}`) & 0x7fffffff });
    const trainSeconds = (performance.now() - t0) / 1000;
    training += trainSeconds;

    // The threshold comes from training rows scored by trees that did not see them.
    let oobY: number[] = [];
    let oobScores: number[] = [];
    forest.oobScores.forEach((s, i) => {
      if (s === null) return;
      oobY.push(ytrain[i]!);
      oobScores.push(s);
    });
    if (!oobY.includes(0) || !oobY.includes(1)) {
      warnings.push(`fold ${f + 1}: too few trees for out-of-bag scores of both classes; its threshold was chosen on in-sample scores (optimistic)`);
      oobY = ytrain;
      oobScores = forest.predict(Xtrain);
    }
    const chosen = bestF1Threshold(oobY, oobScores);

    const Xtest = imputed(X, fold.test, medians);
    const ytest = fold.test.map((i) => y[i]!);
    const scores = forest.predict(Xtest);
    fold.test.forEach((i, j) => (outOfFold[i] = scores[j]!));
    const rocAucHere = rocAuc(ytest, scores);
    permutationImportance(forest, Xtest, ytest, rocAucHere, Rng.fromSeed(`permutation:${seed}:fold${f + 1}`)).forEach((v, j) => (importance[j]! += v / k));
    const result: FoldResult = {
      fold: f + 1,
      trainRows: fold.train.length,
      testRows: fold.test.length,
      testPositives: ytest.reduce((s, v) => s + v, 0),
      rocAuc: rocAucHere,
      prAuc: averagePrecision(ytest, scores),
      atThreshold: metricsAtThreshold(ytest, scores, chosen.threshold),
      trainF1: chosen.f1,
      trainSeconds,
    };
    results.push(result);
    opts.onFold?.(result, k);
  });

  const { seed: _ignored, ...forestSettings } = forestOptions;
  const top = opts.topFeatures ?? 10;
  return {
    data: {
      source: table.source,
      rows: y.length,
      positives,
      baseRate: positives / y.length,
      features: p,
      labelColumn: table.labelColumn,
      idColumn: table.idColumn,
      excluded: table.excluded,
      oneHot: table.oneHot,
      missingCells: table.missingCells,
    },
    settings: { folds: k, seed, forest: forestSettings, featuresPerTree: featuresPerTree(forestOptions.maxFeatures, p) },
    folds: results,
    mean: {
      rocAuc: meanAndSd(results.map((r) => r.rocAuc)),
      prAuc: meanAndSd(results.map((r) => r.prAuc)),
      f1: meanAndSd(results.map((r) => r.atThreshold.f1)),
      precision: meanAndSd(results.map((r) => r.atThreshold.precision)),
      recall: meanAndSd(results.map((r) => r.atThreshold.recall)),
    },
    pooled: { rocAuc: rocAuc(y, outOfFold), prAuc: averagePrecision(y, outOfFold) },
    topFeatures: table.featureNames
      .map((name, j) => ({ name, importance: importance[j]! }))
      .sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name))
      .slice(0, top),
    warnings,
    seconds: { training, total: (performance.now() - started) / 1000 },
  };
}

/** Reads the CSV file and cross-validates a forest on it. */
export async function evaluateFeaturesFile(path: string, table: FeatureTableOptions, opts: EvaluationOptions = {}): Promise<EvaluationReport> {
  return evaluateModel(await readFeatureTable(path, table), opts);
}

const f3 = (v: number) => v.toFixed(3);
const ms = (m: MeanSd) => `${f3(m.mean)} ± ${f3(m.sd)}`;

/** The report as plain text for a terminal. */
export function formatEvaluationReport(r: EvaluationReport): string {
  const d = r.data;
  const s = r.settings;
  const fo = s.forest;
  const lines = [
    `model evaluation: ${d.source}`,
    `  rows ${d.rows} (${d.positives} positive, base rate ${(100 * d.baseRate).toFixed(2)}%), features ${d.features}, label ${d.labelColumn}${d.idColumn ? `, id ${d.idColumn}` : ''}`,
    ...(d.excluded.length ? [`  excluded: ${d.excluded.join(', ')}`] : []),
    ...(d.oneHot.length ? [`  one-hot: ${d.oneHot.map((o) => `${o.column} (${o.values.length})`).join(', ')}`] : []),
    ...(d.missingCells ? [`  missing cells: ${d.missingCells} (median of the training fold imputed)`] : []),
    `  forest: ${fo.trees} trees, ${s.featuresPerTree} of ${d.features} features per tree, max depth ${Number.isFinite(fo.maxDepth) ? fo.maxDepth : 'unlimited'}, ` +
      `${fo.balanced ? 'balanced' : 'bootstrap'} samples of ${fo.sampleFraction === 1 ? 'full' : `${fo.sampleFraction}×`} size, min node ${fo.minNumSamples}, min gain ${fo.gainThreshold}`,
    `  ${s.folds}-fold stratified cross-validation, seed ${s.seed}; F1 at the best-F1 threshold of each training fold (out-of-bag scores)`,
    '',
    'fold   test  pos  ROC-AUC  PR-AUC  threshold  precision  recall     F1  train s',
    ...r.folds.map(
      (f) =>
        `${String(f.fold).padStart(4)} ${String(f.testRows).padStart(6)} ${String(f.testPositives).padStart(4)}  ${f3(f.rocAuc).padStart(7)} ${f3(f.prAuc).padStart(7)}  ` +
        `${f3(f.atThreshold.threshold).padStart(9)}  ${f3(f.atThreshold.precision).padStart(9)} ${f3(f.atThreshold.recall).padStart(7)} ${f3(f.atThreshold.f1).padStart(6)} ${f.trainSeconds.toFixed(1).padStart(8)}`,
    ),
    '',
    `mean ± sd   ROC-AUC ${ms(r.mean.rocAuc)}   PR-AUC ${ms(r.mean.prAuc)}   F1 ${ms(r.mean.f1)} (precision ${f3(r.mean.precision.mean)}, recall ${f3(r.mean.recall.mean)})`,
    `pooled out-of-fold   ROC-AUC ${f3(r.pooled.rocAuc)}   PR-AUC ${f3(r.pooled.prAuc)}`,
    ...(r.topFeatures.length ? ['', 'top features (drop in test ROC-AUC when the feature is shuffled, mean of the folds):', ...r.topFeatures.map((t) => `  ${t.name.padEnd(36)} ${t.importance.toFixed(4)}`)] : []),
    ...(r.warnings.length ? ['', 'warnings:', ...r.warnings.map((w) => `  - ${w}`)] : []),
    '',
    `time: training ${r.seconds.training.toFixed(1)} s, total ${r.seconds.total.toFixed(1)} s`,
    '',
  ];
  return lines.join('\n');
}
