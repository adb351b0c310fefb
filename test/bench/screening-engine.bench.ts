/**
 * `npm run bench:rules`: screening throughput (claims/s) of our rule library's line rules in memory
 * (`screenClaims` with the rules compiled to closures), next to the same ten rules written for
 * json-rules-engine (test/bench/json-rules-engine-rules.ts), in the same process over the same
 * claims. Both sides must find exactly the same (claim, line, rule) hits, or the run fails (exit 1).
 * Parsing and model building are not timed. Writes its section of BENCHMARKS.md.
 *
 * json-rules-engine is measured with its default JSONPath paths and with a property-lookup pathResolver.
 *
 * Environment: BENCH_RULE_CLAIMS (default 200000 generated claims), BENCH_JRE_CLAIMS (default 20000:
 * the first claims of the same set, which json-rules-engine screens; `all` for every claim),
 * BENCH_RUNS (default 3), BENCH_SEED (default `bench`).
 */
import { existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { generateDemoData } from '../../src/demo/generator';
import { screenClaims, type RuleHit } from '../../src/rules-engine/engine';
import type { ScreenClaim } from '../../src/rules-engine/model';
import type { CompiledRule } from '../../src/rules-engine/rule-compiler';
import { loadRuleLibrary } from '../../src/rules-engine/rule-library';
import { writeBenchSection } from './bench-report';
import { BENCH_RULE_IDS, PathMode, createJsonRulesEngine, loadDemoModel, screenWithJsonRulesEngine } from './json-rules-engine-rules';

const CLAIMS = Number(process.env.BENCH_RULE_CLAIMS ?? 200_000);
const JRE_CLAIMS = process.env.BENCH_JRE_CLAIMS === 'all' ? Infinity : Number(process.env.BENCH_JRE_CLAIMS ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SEED = process.env.BENCH_SEED ?? 'bench';
const TARGET = 20;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const lineCount = (cs: readonly ScreenClaim[]) => cs.reduce((n, c) => n + c.lines.length, 0);
const key = (claimId: string, seq: number | null, rule: string) => `${claimId}|${seq ?? ''}|${rule}`;

interface Timing {
  seconds: number[];
  median: number;
  hits: Set<string>;
}

/** Our engine: one warm-up, then RUNS timed runs; findings (with amounts and explanations) collected in an array. */
function timeOurs(claims: readonly ScreenClaim[], kb: Parameters<typeof screenClaims>[1], rules: readonly CompiledRule[]): Timing {
  const once = () => {
    const found: RuleHit[] = [];
    const t0 = process.hrtime.bigint();
    screenClaims(claims, kb, rules, (h) => found.push(h));
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, found };
  };
  once();
  const seconds: number[] = [];
  let hits = new Set<string>();
  for (let i = 0; i < RUNS; i++) {
    const r = once();
    seconds.push(r.seconds);
    hits = new Set(r.found.map((h) => key(h.claim.claimId, h.itemSeq, h.rule.id)));
    if (hits.size !== r.found.length) throw new Error(`our engine reported ${r.found.length - hits.size} duplicate hit(s)`);
  }
  return { seconds, median: median(seconds), hits };
}

/** json-rules-engine: a warm-up over the first tenth (at most 2,000 claims), then RUNS timed runs. */
async function timeJre(claims: readonly ScreenClaim[], kb: Parameters<typeof screenClaims>[1], ids: readonly string[], paths: PathMode): Promise<Timing> {
  const engine = createJsonRulesEngine(ids, paths);
  const once = async (cs: readonly ScreenClaim[]) => {
    const found: string[] = [];
    const t0 = process.hrtime.bigint();
    await screenWithJsonRulesEngine(engine, cs, kb, (c, seq, rule) => found.push(key(c.claimId, seq, rule)));
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, found };
  };
  await once(claims.slice(0, Math.min(2000, Math.ceil(claims.length / 10))));
  const seconds: number[] = [];
  let hits = new Set<string>();
  for (let i = 0; i < RUNS; i++) {
    const r = await once(claims);
    seconds.push(r.seconds);
    hits = new Set(r.found);
    if (hits.size !== r.found.length) throw new Error(`json-rules-engine reported ${r.found.length - hits.size} duplicate hit(s)`);
  }
  return { seconds, median: median(seconds), hits };
}

async function main() {
  // --- data (not timed) ------------------------------------------------------------------------
  const dir = join(tmpdir(), `fundguard-rules-bench-${CLAIMS}-${SEED}`);
  if (!existsSync(join(dir, 'labels', 'summary.json'))) {
    console.log(`generating ${fmt(CLAIMS)} claims (seed ${SEED}) into ${dir} …`);
    await generateDemoData({ outDir: dir, claims: CLAIMS, seed: SEED });
  }
  const { claims, kb, rejected } = loadDemoModel(dir);
  const subset = claims.slice(0, Math.min(JRE_CLAIMS, claims.length));
  const lines = lineCount(claims);
  const subsetLines = lineCount(subset);

  // --- rules -----------------------------------------------------------------------------------
  const library = loadRuleLibrary();
  const rules = BENCH_RULE_IDS.map((id) => library.byId.get(id)).filter((r): r is CompiledRule => r !== undefined);
  const missing = BENCH_RULE_IDS.filter((id) => !library.byId.has(id));
  if (missing.length > 0) {
    if (process.env.BENCH_ALLOW_MISSING_RULES !== '1') {
      console.error(`rule file(s) missing from rules/screening: ${missing.join(', ')} (BENCH_ALLOW_MISSING_RULES=1 runs without them)`);
      process.exit(1);
    }
    console.warn(`WARNING: running without ${missing.join(', ')} (absent from rules/screening)`);
  }
  const ids = rules.map((r) => r.id);
  const notLine = rules.filter((r) => r.scope !== 'line' && r.scope !== 'claim');
  if (notLine.length > 0) throw new Error(`not line or claim rules: ${notLine.map((r) => r.id).join(', ')}`);
  console.log(`${fmt(claims.length)} claims (${fmt(lines)} lines; ${fmt(rejected)} rejected rows left out), ${ids.length} rules: ${ids.join(', ')}`);

  // --- timing ----------------------------------------------------------------------------------
  console.log(`ours, ${fmt(claims.length)} claims …`);
  const oursAll = timeOurs(claims, kb, rules);
  console.log(`ours, first ${fmt(subset.length)} claims …`);
  const oursSub = subset.length === claims.length ? oursAll : timeOurs(subset, kb, rules);
  console.log(`json-rules-engine (property pathResolver), first ${fmt(subset.length)} claims …`);
  const jre = await timeJre(subset, kb, ids, 'property');
  console.log(`json-rules-engine (default JSONPath paths), first ${fmt(subset.length)} claims …`);
  const jrePath = await timeJre(subset, kb, ids, 'jsonpath');

  // --- the same hits? --------------------------------------------------------------------------
  for (const [what, t] of [
    ['json-rules-engine (property pathResolver)', jre],
    ['json-rules-engine (JSONPath)', jrePath],
  ] as const) {
    const onlyOurs = [...oursSub.hits].filter((h) => !t.hits.has(h));
    const onlyJre = [...t.hits].filter((h) => !oursSub.hits.has(h));
    if (onlyOurs.length > 0 || onlyJre.length > 0) {
      console.error(`HITS DIFFER over ${fmt(subset.length)} claims: ${onlyOurs.length} only ours, ${onlyJre.length} only ${what}`);
      for (const h of onlyOurs.slice(0, 10)) console.error(`  only ours: ${h}`);
      for (const h of onlyJre.slice(0, 10)) console.error(`  only ${what}: ${h}`);
      process.exit(1);
    }
  }
  const perRule = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const h of oursSub.hits) {
    const rule = h.slice(h.lastIndexOf('|') + 1);
    perRule.set(rule, (perRule.get(rule) ?? 0) + 1);
  }

  // --- report ----------------------------------------------------------------------------------
  const cps = (n: number, t: Timing) => n / t.median;
  const ratio = cps(subset.length, oursSub) / cps(subset.length, jre);
  const ratioPath = cps(subset.length, oursSub) / cps(subset.length, jrePath);
  const partial = subset.length < claims.length;
  const row = (what: string, n: number, nl: number, t: Timing) =>
    `| ${what} | ${fmt(n)} | ${fmt(nl)} | ${fmt(t.median, 3)} | **${fmt(cps(n, t))}** | ${fmt(nl / t.median)} | ${fmt(t.hits.size)} |`;
  const cpu = cpus();
  const md = `## Rule engine vs json-rules-engine (line rules, in memory)

Measured by \`npm run bench:rules\` (test/bench/screening-engine.bench.ts) on ${new Date().toISOString().slice(0, 10)}:
${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}; one thread, one process,
median of ${RUNS} runs after a warm-up. Only screening is timed (not generating, parsing or building the model).

Data: the seeded demo generator (seed \`${SEED}\`), batch 1 of ${fmt(CLAIMS)} claims; as the importer stores it
(${fmt(rejected)} malformed claims and orphan lines rejected): ${fmt(claims.length)} claims with ${fmt(lines)} lines.
${partial ? `json-rules-engine screens the first ${fmt(subset.length)} of them (${fmt(subsetLines)} lines; all of them would take minutes per run); our engine screens those same claims, and separately all of them.` : 'Both engines screen all of them.'}

Rules (${ids.length}, all line rules): ${ids.map((id) => `\`${id}\``).join(', ')}.
Ours: rules/screening/*.yaml through \`loadRuleLibrary()\` and \`screenClaims\`, findings collected in an array (each with
its exact amount at risk, evidence and explanation, which the other side does not compute). json-rules-engine: the same rules as
JSON conditions (test/bench/json-rules-engine-rules.ts) over runtime facts \`claim\`, \`line\`, \`catalog\` and per-claim
\`claimAggregates\` with \`path\`s into them, a custom \`startsWithNone\` operator, and age, setting, daily total and
exclusive-group keeper as dynamic facts read through the almanac; one \`engine.run\` per line. It is measured twice: with
its default JSONPath \`path\` resolution, and with the documented \`pathResolver\` option set to a plain property lookup
(the faster of the two, against which the ratio is stated).

| engine | claims | lines | median s | claims / s | lines / s | hits |
|---|---:|---:|---:|---:|---:|---:|
${row('ours (`screenClaims`, rules compiled to closures)', subset.length, subsetLines, oursSub)}
${row('json-rules-engine 7, `pathResolver`: property lookup', subset.length, subsetLines, jre)}
${row('json-rules-engine 7, default JSONPath paths', subset.length, subsetLines, jrePath)}
${partial ? `${row('ours, every claim', claims.length, lines, oursAll)}\n` : ''}
**Ours / json-rules-engine over the same ${fmt(subset.length)} claims: ${fmt(ratio, 1)}×** (target ≥ ${TARGET}×: **${ratio >= TARGET ? 'met' : 'not met'}**);
against its default configuration ${fmt(ratioPath, 1)}×.

Both engines (both configurations) found exactly the same ${fmt(oursSub.hits.size)} (claim, line, rule) hits over those claims —
checked on every run of the bench, a difference fails it: ${ids.map((id) => `\`${id}\` ${fmt(perRule.get(id) ?? 0)}`).join(', ')}.${
    ids.some((id) => (perRule.get(id) ?? 0) === 0)
      ? ' (The generator plants no case of a rule with 0 here; test/unit/rules/json-rules-engine-parity.spec.ts checks those rules on crafted claims.)'
      : ''
  }

Why: our rules are compiled once into plain closures that read typed fields of the claim and line, all rules in one
synchronous pass per claim with its aggregates built once; json-rules-engine creates an almanac per run and resolves every
fact and every \`{ fact, path }\` operand through a Promise (with a cache key, and by default a JSONPath query), so each
line pays for dozens of promises and allocations before any comparison is made.

All runs (s): ours ${oursSub.seconds.map((x) => fmt(x, 3)).join(', ')}${partial ? `; ours, every claim ${oursAll.seconds.map((x) => fmt(x, 3)).join(', ')}` : ''};
json-rules-engine (property) ${jre.seconds.map((x) => fmt(x, 2)).join(', ')}; json-rules-engine (JSONPath) ${jrePath.seconds.map((x) => fmt(x, 2)).join(', ')}.
`;
  console.log(`\n${md}`);
  if (missing.length > 0) console.warn(`WARNING: measured without ${missing.join(', ')}; BENCHMARKS.md left as it was`);
  else writeBenchSection('rules-engine', md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
