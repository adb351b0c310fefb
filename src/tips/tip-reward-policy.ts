import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { canonicalHash } from '../inspections/canonical';
import { policyWhere, rulesFolder, rulesSchemaValidator, schemaProblems } from '../common/rules-folder';
import { parseYamlSource } from '../common/yaml-source';

/**
 * The tip reward policy (举报奖励办法) as data: rules/tip-rewards.yaml, checked against
 * rules/tip-rewards.schema.json and against what no schema can say (levels numbered 1, 2, … in
 * order, shares not rising with the level, minimum ≤ maximum). Pure: loading and the computation.
 */

export interface Bilingual {
  zh: string;
  en: string;
}

export interface RewardLevel {
  level: number;
  /** The share as written (e.g. "0.03"), exact. */
  share: string;
  /** The share in parts per ten thousand (0.03 → 300): the computation is integer arithmetic. */
  shareBp: number;
  description: Bilingual;
}

export interface TipRewardPolicy {
  name: Bilingual;
  basis: 'refund';
  /** Whole yuan. */
  minimum: number;
  maximum: number;
  /** Level 1 first. */
  levels: RewardLevel[];
}

export interface LoadedRewardPolicy {
  policy: TipRewardPolicy;
  /** sha256 of the canonical JSON of the parsed document: comments and layout make no new version. */
  version: string;
}

/** Every problem of a reward policy document, each naming its file and line. */
export class TipRewardPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`the tip reward policy has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    this.name = 'TipRewardPolicyError';
  }
}

export function defaultRewardPolicyFile(): string {
  return join(rulesFolder('tip-rewards.schema.json'), 'tip-rewards.yaml');
}

const schemaValidator = () => rulesSchemaValidator('tip-rewards.schema.json');

type Path = (string | number)[];

const where = policyWhere;

interface RawPolicy {
  name: Bilingual;
  basis: 'refund';
  minimum: number;
  maximum: number;
  levels: { level: number; share: number; description: Bilingual }[];
}

/** Parses and checks policy YAML text; problems are `shown:line: where: message`. */
export function parseRewardPolicyText(text: string, shown: string): { loaded?: LoadedRewardPolicy; problems: string[] } {
  const src = parseYamlSource(text, shown);
  if (src.syntaxProblems.length > 0) return { problems: src.syntaxProblems };
  const report = (path: Path, message: string) => `${shown}:${src.lineOf(path)}: ${message}`;
  const validate = schemaValidator();
  if (!validate(src.data)) return { problems: schemaProblems(validate.errors ?? []).map((e) => report(e.path, e.message)) };
  const d = src.data as RawPolicy;
  const problems: string[] = [];
  const bad = (path: Path, message: string) => problems.push(report(path, `${where(path)}: ${message}`));
  if (d.minimum > d.maximum) bad(['minimum'], `must not exceed maximum (${d.maximum})`);
  const levels: RewardLevel[] = d.levels.map((l, i) => {
    if (l.level !== i + 1) bad(['levels', i, 'level'], `must be ${i + 1} (levels are numbered 1, 2, … in order)`);
    const share = shareText(l.share);
    if (share === null) bad(['levels', i, 'share'], `${l.share} has more than 4 decimals (write e.g. 0.03 or 0.0125)`);
    const shareBp = share === null ? 0 : shareToBp(share);
    const prev = d.levels[i - 1];
    if (prev && l.share > prev.share) bad(['levels', i, 'share'], `must not exceed level ${prev.level}'s (${prev.share}): a better-supported tip earns at least as much`);
    return { level: l.level, share: share ?? String(l.share), shareBp, description: l.description };
  });
  if (problems.length) return { problems };
  const policy: TipRewardPolicy = { name: d.name, basis: d.basis, minimum: d.minimum, maximum: d.maximum, levels };
  return { loaded: { policy, version: canonicalHash(src.data) }, problems: [] };
}

/** Reads and checks a policy file, or throws a TipRewardPolicyError listing every problem with its line. */
export function loadRewardPolicyFile(file: string, opts: { displayRoot?: string } = {}): LoadedRewardPolicy {
  const shown = opts.displayRoot ? relative(opts.displayRoot, file) || file : file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TipRewardPolicyError([`${shown}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  const r = parseRewardPolicyText(text, shown);
  if (!r.loaded) throw new TipRewardPolicyError(r.problems);
  return r.loaded;
}

/** 0.03 → "0.03"; null with more than four decimals. A YAML decimal's shortest text is the one written. */
function shareText(share: number): string | null {
  const s = String(share);
  return /^(0|1)(\.\d{1,4})?$/.test(s) ? s : null;
}

function shareToBp(share: string): number {
  const [i, f = ''] = share.split('.');
  return Number(i) * 10_000 + Number(f.padEnd(4, '0'));
}


// ---------------------------------------------------------------------------------------------
// The computation

export interface RewardComputation {
  level: number;
  /** No level was set on the tip: the policy's last (lowest) level was used. */
  levelDefaulted: boolean;
  share: string;
  /** fen */
  basisFen: bigint;
  /** share × basis, rounded half up to the fen, before the minimum and maximum. */
  rawFen: bigint;
  /** What is paid. */
  amountFen: bigint;
  clamped: 'minimum' | 'maximum' | null;
}

/**
 * The reward of a substantiated tip: the level's share of the basis (fen), rounded half up to the
 * fen, then raised to the minimum or cut to the maximum. Integer arithmetic only.
 */
export function computeReward(p: TipRewardPolicy, level: number | null, basisFen: bigint): RewardComputation {
  if (basisFen < 0n) throw new Error('the basis of a reward cannot be negative');
  const chosen = level === null ? p.levels[p.levels.length - 1]! : p.levels.find((l) => l.level === level);
  if (!chosen) throw new Error(`the reward policy has no level ${level} (levels 1–${p.levels.length})`);
  const rawFen = (basisFen * BigInt(chosen.shareBp) + 5_000n) / 10_000n;
  const minFen = BigInt(p.minimum) * 100n;
  const maxFen = BigInt(p.maximum) * 100n;
  const clamped = rawFen < minFen ? 'minimum' : rawFen > maxFen ? 'maximum' : null;
  return {
    level: chosen.level,
    levelDefaulted: level === null,
    share: chosen.share,
    basisFen,
    rawFen,
    amountFen: clamped === 'minimum' ? minFen : clamped === 'maximum' ? maxFen : rawFen,
    clamped,
  };
}
