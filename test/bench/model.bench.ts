/**
 * `npm run bench:model`: `fundguard model evaluate` on an external labelled table — the Kaggle
 * "Healthcare Provider Fraud Detection" providers (../shared/external/kaggle-provider-fraud) — with
 * 5-fold stratified cross-validation, compared with the published results in that folder's README.
 * The main seed gives the per-fold table; further seeds (other folds, other forests) show how much
 * the figures move. Writes its section of BENCHMARKS.md.
 *
 * Environment: BENCH_MODEL_FILE (default ../shared/external/kaggle-provider-fraud/provider_level.csv
 * from the repository root), BENCH_MODEL_TREES (default 200), BENCH_MODEL_SEEDS (default 42,1,7; the
 * first is the main one).
 */
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { evaluateModel, EvaluationOptions, EvaluationReport, readFeatureTable } from '../../src/scoring/model-evaluation';
import { writeBenchSection } from './bench-report';

const ROOT = join(__dirname, '..', '..', '..');
const FILE = process.env.BENCH_MODEL_FILE ?? join(ROOT, '..', 'shared', 'external', 'kaggle-provider-fraud', 'provider_level.csv');
const TREES = Number(process.env.BENCH_MODEL_TREES ?? 200);
const SEEDS = (process.env.BENCH_MODEL_SEEDS ?? '42,1,7').split(',').map((s) => Number(s.trim()));
const FOLDS = 5;
// Chosen after the sweep in docs/model-evaluation.md: every setting tried landed within
// ROC-AUC 0.943–0.950; this one is among the best and the cheapest of those.
const FOREST = { trees: TREES, maxFeatures: 0.5, balanced: true, sampleFraction: 0.5 } as const;
const TARGET_ROC_AUC = 0.95;
const PUBLISHED = { rocAuc: [0.95, 0.97], prAuc: [0.73, 0.84], f1: [0.6, 0.71] } as const;

const f3 = (v: number) => v.toFixed(3);
const f4 = (v: number) => v.toFixed(4);
const fmt = (n: number) => n.toLocaleString('en-US');

const range = ([lo, hi]: readonly [number, number]) => `${lo.toFixed(2)}–${hi.toFixed(2)}`;

function versus(value: number, [lo, hi]: readonly [number, number]): string {
  if (value < lo) return 'below the range';
  if (value > hi) return 'above the range';
  return 'within the range';
}

async function main() {
  if (!existsSync(FILE)) {
    console.warn(`WARNING: ${FILE} not found; BENCHMARKS.md left as it was`);
    return;
  }
  const started = performance.now();
  const table = await readFeatureTable(FILE, { label: 'PotentialFraud', id: 'Provider', exclude: ['PotentialFraud_numeric'] });
  const reports: EvaluationReport[] = [];
  for (const seed of SEEDS) {
    const opts: EvaluationOptions = {
      folds: FOLDS,
      seed,
      forest: FOREST,
      onFold: (f, k) => console.error(`seed ${seed}, fold ${f.fold}/${k}: ROC-AUC ${f4(f.rocAuc)}, PR-AUC ${f4(f.prAuc)}, F1 ${f3(f.atThreshold.f1)}, trained in ${f.trainSeconds.toFixed(1)} s`),
    };
    reports.push(evaluateModel(table, opts));
  }
  const total = (performance.now() - started) / 1000;
  const first = reports[0]!;
  const d = first.data;
  const s = first.settings;
  const m = first.mean;
  const met = m.rocAuc.mean >= TARGET_ROC_AUC;
  const shown = relative(ROOT, FILE);

  const md = `
## Model evaluation: random forest on an external labelled table

Measured by \`npm run bench:model\` (test/bench/model.bench.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, ${fmt(Math.round(totalmem() / 2 ** 30))} GiB, Node ${process.version}.

Data: \`${shown}\` — ${fmt(d.rows)} US Medicare providers from the Kaggle "Healthcare Provider Fraud Detection Analysis" data set
(aggregated from 558,211 claims), ${fmt(d.positives)} labelled \`PotentialFraud\` = Yes (base rate ${(100 * d.baseRate).toFixed(2)}%),
${d.features} numeric features; id column \`${d.idColumn}\`; \`${d.excluded.join('`, `')}\` excluded (a numeric copy of the label:
\`model evaluate\` refuses it as leakage).

Settings — the same as \`fundguard model evaluate --features ${shown} --label PotentialFraud --id Provider --exclude PotentialFraud_numeric
--trees ${s.forest.trees} --max-features ${s.forest.maxFeatures} --sample-fraction ${s.forest.sampleFraction} --seed ${s.seed}\`:
${s.forest.trees} trees (ml-random-forest CART, Gini), ${s.featuresPerTree} of ${d.features} features per tree (maxFeatures ${s.forest.maxFeatures}),
${s.forest.balanced ? 'balanced' : 'bootstrap'} samples (each tree draws, with replacement, ${s.forest.sampleFraction} × the training fold's positives from each class),
unlimited depth, min node ${s.forest.minNumSamples}, min gain ${s.forest.gainThreshold}; ${s.folds} stratified folds, seed ${s.seed}.
F1 is measured on the test fold at the threshold that maximised F1 on the training fold's out-of-bag scores.

| fold | test rows | positives | ROC-AUC | PR-AUC | threshold | precision | recall | F1 | training s |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${first.folds
  .map(
    (f) =>
      `| ${f.fold} | ${fmt(f.testRows)} | ${f.testPositives} | ${f4(f.rocAuc)} | ${f4(f.prAuc)} | ${f3(f.atThreshold.threshold)} | ${f3(f.atThreshold.precision)} | ${f3(f.atThreshold.recall)} | ${f3(f.atThreshold.f1)} | ${f.trainSeconds.toFixed(1)} |`,
  )
  .join('\n')}
| **mean ± sd** | | | **${f4(m.rocAuc.mean)} ± ${f4(m.rocAuc.sd)}** | **${f4(m.prAuc.mean)} ± ${f4(m.prAuc.sd)}** | | ${f3(m.precision.mean)} | ${f3(m.recall.mean)} | **${f3(m.f1.mean)} ± ${f3(m.f1.sd)}** | ${first.seconds.training.toFixed(1)} (sum) |

Pooled out-of-fold scores (every row scored by the forest that did not train on it): ROC-AUC ${f4(first.pooled.rocAuc)}, PR-AUC ${f4(first.pooled.prAuc)}.

Other seeds (other folds, other forests; same settings):

| seed | ROC-AUC mean ± sd | PR-AUC mean ± sd | F1 mean ± sd | seconds |
|---:|---:|---:|---:|---:|
${reports.map((r) => `| ${r.settings.seed} | ${f4(r.mean.rocAuc.mean)} ± ${f4(r.mean.rocAuc.sd)} | ${f4(r.mean.prAuc.mean)} ± ${f4(r.mean.prAuc.sd)} | ${f3(r.mean.f1.mean)} ± ${f3(r.mean.f1.sd)} | ${r.seconds.total.toFixed(1)} |`).join('\n')}

Against the published results on this data set (provider level, hold-out or cross-validated tree ensembles, from the folder's README):

| metric | FundGuard (seed ${s.seed}, mean of ${s.folds} folds) | published | |
|---|---:|---:|---|
| ROC-AUC | ${f3(m.rocAuc.mean)} | ${range(PUBLISHED.rocAuc)} | ${versus(m.rocAuc.mean, PUBLISHED.rocAuc)} |
| PR-AUC | ${f3(m.prAuc.mean)} | ${range(PUBLISHED.prAuc)} | ${versus(m.prAuc.mean, PUBLISHED.prAuc)} |
| F1 | ${f3(m.f1.mean)} | ${range(PUBLISHED.f1)} | ${versus(m.f1.mean, PUBLISHED.f1)} |

**ROC-AUC ${f4(m.rocAuc.mean)}** (target ≥ ${TARGET_ROC_AUC}: **${met ? 'met' : 'not met'}**; single folds range ${f3(Math.min(...first.folds.map((f) => f.rocAuc)))}–${f3(Math.max(...first.folds.map((f) => f.rocAuc)))},
so one hold-out split, as several published figures are — a CatBoost 0.959, random forests 0.957–0.969 — moves by about ±0.01).
Results far above the published range usually come from leakage: oversampling before the split, or a label copy such as
\`PotentialFraud_numeric\` left among the features. Settings tried and why these were kept: docs/model-evaluation.md.

Most useful features (drop in test ROC-AUC when shuffled, mean of the folds, seed ${s.seed}):
${first.topFeatures.slice(0, 8).map((t) => `\`${t.name}\` ${f4(t.importance)}`).join(', ')}.

Time: ${total.toFixed(1)} s for the whole benchmark (${SEEDS.length} cross-validations of ${s.folds} forests; reading the table included).
`;
  console.log(md);
  writeBenchSection('model-evaluation', md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
