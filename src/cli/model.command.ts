import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { evaluateFeaturesFile, formatEvaluationReport } from '../scoring/model-evaluation';

interface EvaluateOptions {
  features: string;
  label: string;
  id?: string;
  exclude?: string[];
  folds?: number;
  trees?: number;
  seed?: number;
  maxFeatures?: number;
  maxDepth?: number;
  sampleFraction?: number;
  sampling?: 'balanced' | 'bootstrap';
  json?: boolean;
}

/** Defaults of `model evaluate` (see docs/model-evaluation.md for why). */
export const MODEL_EVALUATE_DEFAULTS = { folds: 5, trees: 200, seed: 42, maxFeatures: 0.5, sampleFraction: 1, sampling: 'balanced' } as const;

function positiveInteger(option: string, v: string, min = 1): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new Error(`${option} must be an integer of at least ${min} (got "${v}")`);
  return n;
}

@SubCommand({
  name: 'evaluate',
  description: 'cross-validate a random forest on a labelled per-entity feature table (CSV): ROC-AUC, PR-AUC, F1 per fold and mean ± sd',
})
export class ModelEvaluateCommand extends CommandRunner {
  async run(_: string[], o: EvaluateOptions): Promise<void> {
    const d = MODEL_EVALUATE_DEFAULTS;
    const report = await evaluateFeaturesFile(
      o.features,
      { label: o.label, id: o.id, exclude: o.exclude },
      {
        folds: o.folds ?? d.folds,
        seed: o.seed ?? d.seed,
        forest: {
          trees: o.trees ?? d.trees,
          maxFeatures: o.maxFeatures ?? d.maxFeatures,
          maxDepth: o.maxDepth,
          sampleFraction: o.sampleFraction ?? d.sampleFraction,
          balanced: (o.sampling ?? d.sampling) === 'balanced',
        },
        onFold: (f, k) => {
          // Progress on stderr: a long run shows it is alive, and stdout stays clean for --json.
          process.stderr.write(`fold ${f.fold}/${k}: ROC-AUC ${f.rocAuc.toFixed(3)}, trained in ${f.trainSeconds.toFixed(1)} s\n`);
        },
      },
    );
    if (o.json) {
      // JSON has no Infinity: an unlimited depth is written as null.
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    process.stdout.write(formatEvaluationReport(report));
  }

  @Option({ flags: '-f, --features <csv>', description: 'CSV file: one row per entity, a label column, feature columns (UTF-8 or GB18030)', required: true })
  parseFeatures(v: string) {
    return v;
  }

  @Option({ flags: '-l, --label <column>', description: 'label column: Yes/No, Y/N, 1/0, true/false, 是/否, confirmed/dismissed', required: true })
  parseLabel(v: string) {
    return v;
  }

  @Option({ flags: '--id <column>', description: 'column identifying the entity (kept out of the features)' })
  parseId(v: string) {
    return v;
  }

  @Option({ flags: '--exclude <columns>', description: 'comma-separated columns kept out of the features (e.g. another copy of the label)' })
  parseExclude(v: string) {
    const cols = v.split(',').map((c) => c.trim()).filter(Boolean);
    if (cols.length === 0) throw new Error(`--exclude needs at least one column name (got "${v}")`);
    return cols;
  }

  @Option({ flags: '-k, --folds <k>', description: `number of stratified folds (default ${MODEL_EVALUATE_DEFAULTS.folds})` })
  parseFolds(v: string) {
    return positiveInteger('--folds', v, 2);
  }

  @Option({ flags: '-t, --trees <n>', description: `trees per forest (default ${MODEL_EVALUATE_DEFAULTS.trees})` })
  parseTrees(v: string) {
    return positiveInteger('--trees', v);
  }

  @Option({ flags: '-s, --seed <s>', description: `seed of the folds and forests (default ${MODEL_EVALUATE_DEFAULTS.seed}); same seed → same report` })
  parseSeed(v: string) {
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v))) throw new Error(`--seed must be an integer (got "${v}")`);
    return Number(v);
  }

  @Option({ flags: '--max-features <f>', description: `features per tree: a fraction in (0, 1] or a count (default ${MODEL_EVALUATE_DEFAULTS.maxFeatures})` })
  parseMaxFeatures(v: string) {
    const n = Number(v);
    if (v.trim() === '' || !(n > 0) || (n > 1 && !Number.isInteger(n))) throw new Error(`--max-features must be a fraction in (0, 1] or a whole number of features (got "${v}")`);
    return n;
  }

  @Option({ flags: '--max-depth <d>', description: 'deepest a tree may grow (default unlimited)' })
  parseMaxDepth(v: string) {
    return positiveInteger('--max-depth', v);
  }

  @Option({ flags: '--sampling <mode>', description: `rows per tree: balanced (half from each class; default) or bootstrap (classic)` })
  parseSampling(v: string) {
    if (v !== 'balanced' && v !== 'bootstrap') throw new Error(`--sampling must be balanced or bootstrap (got "${v}")`);
    return v;
  }

  @Option({ flags: '--sample-fraction <f>', description: `rows drawn per tree, as a fraction of the training rows (balanced: of twice the smaller class; default ${MODEL_EVALUATE_DEFAULTS.sampleFraction})` })
  parseSampleFraction(v: string) {
    const n = Number(v);
    if (v.trim() === '' || !(n > 0) || n > 1) throw new Error(`--sample-fraction must be in (0, 1] (got "${v}")`);
    return n;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson() {
    return true;
  }
}

@Command({ name: 'model', description: 'risk models: evaluate a random forest on a labelled feature table', subCommands: [ModelEvaluateCommand] })
export class ModelCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
