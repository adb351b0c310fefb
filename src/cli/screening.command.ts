import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Inject } from '@nestjs/common';
import { stringify } from 'csv-stringify';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { FACTS } from '../rules-engine/facts';
import { OPERATORS } from '../rules-engine/operators';
import { runRuleExamples } from '../rules-engine/rule-examples';
import { RuleLibrary, defaultRulesRoot, loadRuleLibrary } from '../rules-engine/rule-library';
import { BacktestService } from '../screening/backtest.service';
import { FindingsService } from '../screening/findings.service';
import { ScreeningRun } from '../screening/screening.entities';
import { ScreeningService } from '../screening/screening.service';
import { cliActor, modeLine, withApp } from './cli-support';

/** One line per run: what was screened and what changed. */
export function describeScreeningRun(run: ScreeningRun): string {
  const c = run.counts;
  const head = `screening ${run.id}${run.importId ? ` (import ${run.importId})` : run.claimScope ? ` (${run.claimScope.reason})` : ' (all claims)'}: ${run.status}`;
  if (run.status === 'failed') return `${head}\n  error: ${run.error}`;
  return `${head}\n  ${c.claims ?? 0} claims, ${c.lines ?? 0} lines in ${run.batchesTotal} batch(es); findings: ${c.inserted ?? 0} new, ${c.updated ?? 0} updated, ${c.retired ?? 0} retired`;
}

/** Prints open findings per category as a table. */
export async function printFindingCounts(findings: FindingsService): Promise<void> {
  const rows = await findings.countsByCategory();
  const width = Math.max(8, ...rows.map((r) => r.category.length));
  process.stdout.write(`\n${'category'.padEnd(width)}  ${'findings'.padStart(9)}  ${'amount at risk'.padStart(16)}\n`);
  let n = 0;
  let fen = 0;
  for (const r of rows) {
    process.stdout.write(`${r.category.padEnd(width)}  ${String(r.findings).padStart(9)}  ${r.amount.padStart(16)}\n`);
    n += r.findings;
    fen += Math.round(Number(r.amount) * 100);
  }
  process.stdout.write(`${'total'.padEnd(width)}  ${String(n).padStart(9)}  ${(fen / 100).toFixed(2).padStart(16)}\n`);
}

@Command({ name: 'screen', description: 'screen every import not yet screened (or everything with --all), wait, and print open findings per category' })
export class ScreenCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { all?: boolean }): Promise<void> {
    process.stderr.write(`${modeLine(this.config)}\n`);
    const ok = await withApp(this.config, 'cli', async (app) => {
      const screening = app.get(ScreeningService);
      const runs: ScreeningRun[] = [];
      if (o.all) runs.push(await screening.requestFull(cliActor()));
      else for (const id of await screening.unscreenedImports()) runs.push(await screening.requestForImport(id));
      if (runs.length === 0) process.stdout.write('every import is screened already (use --all to screen everything again)\n');
      let allOk = true;
      for (const r of runs) {
        const done = await screening.waitForRun(r.id);
        process.stdout.write(`${describeScreeningRun(done)}\n`);
        allOk &&= done.status === 'completed';
        if (done.status === 'completed') await (await screening.requestScoring(done))?.finished();
      }
      await printFindingCounts(app.get(FindingsService));
      return allOk;
    });
    if (!ok) process.exitCode = 1;
  }

  @Option({ flags: '--all', description: 're-screen every current claim with the rule library as it is now' })
  parseAll() {
    return true;
  }
}

@SubCommand({ name: 'findings', description: 'write findings as CSV: claim_id,item_seq,rule_id,category,amount_at_risk (item_seq empty for claim-level findings)' })
export class ExportFindingsCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { out: string; status?: string }): Promise<void> {
    const n = await withApp(this.config, 'cli', async (app) => {
      const out = createWriteStream(o.out);
      const csv = stringify({ header: true, columns: ['claim_id', 'item_seq', 'rule_id', 'category', 'amount_at_risk'] });
      csv.pipe(out);
      let count = 0;
      for await (const f of app.get(FindingsService).iterateForExport(o.status ?? 'open')) {
        if (!csv.write([f.claim_id, f.item_seq === 0 ? '' : f.item_seq, f.rule_id, f.category, f.amount_at_risk])) await once(csv, 'drain');
        count++;
      }
      csv.end();
      await once(out, 'finish');
      return count;
    });
    process.stdout.write(`${n} finding(s) written to ${o.out}\n`);
  }

  @Option({ flags: '-o, --out <file>', description: 'CSV file to write', required: true })
  parseOut(v: string) {
    return v;
  }

  @Option({ flags: '--status <status>', description: 'open (default), retired, confirmed or dismissed' })
  parseStatus(v: string) {
    if (!['open', 'retired', 'confirmed', 'dismissed'].includes(v)) throw new Error(`--status must be open, retired, confirmed or dismissed (got "${v}")`);
    return v;
  }
}

function library(config: AppConfig): RuleLibrary {
  return loadRuleLibrary(config.screening.rulesDir ?? defaultRulesRoot());
}

@SubCommand({ name: 'list', description: 'list the rule library (with --facts: the facts and operators rules may use)' })
export class RulesListCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { facts?: boolean }): Promise<void> {
    if (o.facts) {
      for (const f of FACTS.values()) process.stdout.write(`${f.name.padEnd(44)} ${f.type.padEnd(8)} ${f.level.padEnd(8)} ${f.zh} — ${f.en}\n`);
      process.stdout.write('\noperators:\n');
      for (const op of OPERATORS.values()) process.stdout.write(`  ${op.name.padEnd(22)} ${op.zh}  (facts: ${op.factTypes.join(', ')})\n`);
      return;
    }
    const lib = library(this.config);
    process.stdout.write(`${lib.rules.length} rules (library ${lib.hash})\n\n`);
    for (const r of lib.rules) {
      const s = r.spec;
      process.stdout.write(`${r.id.padEnd(28)} v${String(r.version).padEnd(3)} ${s.category.padEnd(22)} ${s.scope.padEnd(18)} ${s.result.padEnd(10)} ${s.title.zh}\n`);
    }
  }

  @Option({ flags: '--facts', description: 'list the facts and operators instead' })
  parseFacts() {
    return true;
  }
}

@SubCommand({ name: 'test', description: "run every rule's hit and miss examples" })
export class RulesTestCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<void> {
    const lib = library(this.config);
    let failed = 0;
    let total = 0;
    for (const r of lib.rules) {
      for (const res of runRuleExamples(r)) {
        total++;
        if (res.ok) process.stdout.write(`  ok    ${r.id}: ${res.example}\n`);
        else {
          failed++;
          process.stdout.write(`  FAIL  ${r.id}: ${res.example}\n        ${res.problems.join('\n        ')}\n`);
        }
      }
    }
    process.stdout.write(`\n${total - failed} of ${total} examples pass in ${lib.rules.length} rules\n`);
    if (failed) process.exitCode = 1;
  }
}

@SubCommand({ name: 'backtest', arguments: '<file>', description: 'evaluate a draft rule file over the stored claims without writing findings' })
export class RulesBacktestCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run([file]: string[], o: { from?: string; to?: string; json?: boolean }): Promise<void> {
    const report = await withApp(this.config, 'cli', async (app) => {
      const backtest = app.get(BacktestService);
      return backtest.run(backtest.loadDraft(file!), { from: o.from, to: o.to });
    });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const v = report.versusStored;
    process.stdout.write(
      [
        `rule ${report.rule.id} v${report.rule.version} (${report.rule.category}, ${report.rule.scope}, hash ${report.rule.hash})`,
        `window: ${report.window.from ?? 'start'} … ${report.window.to ?? 'end'} (admission date)`,
        `claims screened:   ${report.claimsScreened}`,
        `hits:              ${report.hits} on ${report.claimsHit} claim(s)`,
        `amount at risk:    ${report.amountAtRisk}`,
        `institutions:      ${report.institutions}`,
        `vs stored findings of ${report.rule.id}: ${v.open} open; ${v.newHits} new hit(s); ${v.noLongerHit} would no longer be hit`,
        v.reviewed
          ? `reviewed: ${v.confirmedHit} confirmed and ${v.dismissedHit} dismissed among its hits (precision ${(100 * (v.precision ?? 0)).toFixed(1)}%)`
          : 'reviewed: no reviewed (confirmed or dismissed) findings among its hits yet',
        ...(report.topInstitutions.length ? ['top institutions by amount at risk:', ...report.topInstitutions.map((t) => `  ${t.code.padEnd(16)} ${String(t.hits).padStart(6)} hit(s)  ${t.amountAtRisk}`)] : []),
        ...(report.examples.length ? ['examples:', ...report.examples.map((e) => `  ${e.claimId}${e.itemSeq ? ` #${e.itemSeq}` : ''}  ${e.amountAtRisk}  ${e.why}`)] : []),
        '',
      ].join('\n'),
    );
  }

  @Option({ flags: '--from <date>', description: 'first admission date (YYYY-MM-DD)' })
  parseFrom(v: string) {
    return v;
  }

  @Option({ flags: '--to <date>', description: 'last admission date (YYYY-MM-DD)' })
  parseTo(v: string) {
    return v;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson() {
    return true;
  }
}

@Command({ name: 'rules', description: 'the rule library: list, test examples, backtest a draft', subCommands: [RulesListCommand, RulesTestCommand, RulesBacktestCommand] })
export class RulesCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
