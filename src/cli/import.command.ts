import { Inject, INestApplicationContext } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ImportProgressBus } from '../imports/import-progress.bus';
import { ImportKind } from '../imports/import-run.entity';
import { ImportsService } from '../imports/imports.service';
import { ScreeningService } from '../screening/screening.service';
import { CasesService } from '../cases/cases.service';
import { cliActor, describeRun, modeLine, ProgressReporter, withApp } from './cli-support';
import { describeScreeningRun } from './screening.command';

/** Waits for the screening of an import, if it asked for one, and prints it. */
export async function awaitScreening(app: INestApplicationContext, importId: string): Promise<boolean> {
  const screening = app.get(ScreeningService);
  const run = (await screening.listRuns(50)).find((r) => r.importId === importId);
  if (!run) return true; // nothing accepted or corrected: nothing to screen
  const done = await screening.waitForRun(run.id);
  process.stdout.write(`${describeScreeningRun(done)}\n`);
  if (done.status !== 'completed') return false;
  // The run queued the risk scoring of the months it touched: wait for it too (the same job).
  await (await screening.requestScoring(done))?.finished();
  // Then the cases (the jobs queue the same opening; it is idempotent, and this command should leave
  // the queue of cases complete when it exits).
  const opened = await app.get(CasesService).open(cliActor());
  process.stdout.write(`cases: ${opened.findings.opened} opened from findings (${opened.findings.findingsAdded} finding(s) added), ${opened.risk.opened} from risk scores\n`);
  return true;
}

/** Starts an import job and runs it to completion in this process; prints the counts. */
export async function runImportCommand(config: AppConfig, kind: ImportKind, dir: string, mappingPath?: string): Promise<boolean> {
  process.stderr.write(`${modeLine(config)}\n`);
  return withApp(config, 'cli', async (app) => {
    const imports = app.get(ImportsService);
    const { run, job } = await imports.startImport(kind, dir, { mappingPath, actor: cliActor() });
    const progress = new ProgressReporter(`import ${kind}`);
    const onProgress = (e: { importId: string; phase: string; done: number; total: number }) => {
      if (e.importId === run.id) progress.update(e.done, e.total, e.phase);
    };
    app.get(ImportProgressBus).on('progress', onProgress);
    let ok = true;
    try {
      await job.finished();
    } catch {
      ok = false;
    } finally {
      progress.stop();
      app.get(ImportProgressBus).off('progress', onProgress);
    }
    const final = await imports.getRun(run.id);
    process.stdout.write(`${describeRun(final)}\n`);
    if (!ok || final.status !== 'completed') return false;
    // The import job asked for the screening of what it stored: this process runs it to completion too.
    return kind === 'claims' ? awaitScreening(app, run.id) : true;
  });
}

abstract class ImportSubCommand extends CommandRunner {
  protected abstract kind: ImportKind;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run([dir]: string[], options: { mapping?: string }): Promise<void> {
    const ok = await runImportCommand(this.config, this.kind, dir!, options.mapping);
    if (!ok) process.exitCode = 1;
  }

  @Option({ flags: '-m, --mapping <file>', description: 'column-mapping YAML for a bureau export (docs/column-mapping.md)' })
  parseMapping(v: string) {
    return v;
  }
}

@SubCommand({ name: 'claims', arguments: '<dir>', description: 'import claims.csv + claim_items.csv from DIR' })
export class ImportClaimsCommand extends ImportSubCommand {
  protected kind: ImportKind = 'claims';
}

@SubCommand({ name: 'reference', arguments: '<dir>', description: 'import the reference files (institutions, physicians, catalog_items, persons, inspectors, fund_ledger) present in DIR' })
export class ImportReferenceCommand extends ImportSubCommand {
  protected kind: ImportKind = 'reference';
}

@SubCommand({ name: 'status', arguments: '[id]', description: 'show an import (counts, error), or list the recent ones' })
export class ImportStatusCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run([id]: string[]): Promise<void> {
    await withApp(this.config, 'cli', async (app) => {
      const imports = app.get(ImportsService);
      if (id) {
        process.stdout.write(`${describeRun(await imports.getRun(id))}\n`);
        return;
      }
      const runs = await imports.listRuns(20);
      if (runs.length === 0) process.stdout.write('no imports yet\n');
      for (const r of runs) {
        process.stdout.write(`${r.createdAt.toISOString()}  ${r.id}  ${r.kind.padEnd(9)}  ${r.status.padEnd(9)}  ${r.source}\n`);
      }
    });
  }
}

@Command({ name: 'import', description: 'import interchange files', subCommands: [ImportClaimsCommand, ImportReferenceCommand, ImportStatusCommand] })
export class ImportCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
