import { join, resolve } from 'node:path';
import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { generateDemoData } from '../demo/generator';
import { ImportProgressBus } from '../imports/import-progress.bus';
import { ImportKind } from '../imports/import-run.entity';
import { ImportsService } from '../imports/imports.service';
import { startHttp } from '../http';
import { FindingsService } from '../screening/findings.service';
import { ensureDemoAccounts } from '../demo/demo-accounts';
import { demoDisclosure } from '../demo/demo-disclosure';
import { demoInspectionDraw } from '../demo/demo-inspections';
import { cliActor, describeRun, modeLine, ProgressReporter } from './cli-support';
import { awaitScreening } from './import.command';
import { printFindingCounts } from './screening.command';

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DomainException(DomainErrorCode.InvalidInput, `--${name} must be a positive whole number (got "${v}")`);
  return n;
}

@SubCommand({ name: 'generate', description: 'write a seeded, realistic data set in the interchange format (with planted violations and a labels file)' })
export class DemoGenerateCommand extends CommandRunner {
  async run(_: string[], o: { out: string; claims?: number; seed?: string }): Promise<void> {
    const summary = await generateDemoData({ outDir: resolve(o.out), claims: o.claims ?? 20_000, seed: o.seed ?? '42' });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  }

  @Option({ flags: '-o, --out <dir>', description: 'output directory', required: true })
  parseOut(v: string) {
    return v;
  }

  @Option({ flags: '-n, --claims <n>', description: 'number of claims in the first batch (default 20000)' })
  parseClaims(v: string) {
    return positiveInt('claims', v);
  }

  @Option({ flags: '-s, --seed <seed>', description: 'seed (same seed → same files; default 42)' })
  parseSeed(v: string) {
    return v;
  }
}

@SubCommand({ name: 'run', description: 'generate a demo data set, import it (reference, claims, a second batch of re-sends and corrections) and serve' })
export class DemoRunCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { claims?: number; seed?: string; exit?: boolean }): Promise<void> {
    const config = this.config;
    process.stderr.write(`${modeLine(config)}\n`);
    const dir = join(config.dataDir, 'demo');
    const claims = o.claims ?? 20_000;
    process.stdout.write(`generating ${claims} claims into ${dir} …\n`);
    const summary = await generateDemoData({ outDir: dir, claims, seed: o.seed ?? '42' });
    process.stdout.write(`  ${summary.institutions} institutions, ${summary.physicians} physicians, ${summary.catalogItems} catalog items; batch 1: ${summary.batch1.claims} claims, ${summary.batch1.lines} lines\n`);
    const { app, url } = await startHttp(config, 'all');
    const imports = app.get(ImportsService);
    const bus = app.get(ImportProgressBus);
    const steps: [string, ImportKind, string][] = [
      ['reference data', 'reference', join(dir, 'reference')],
      ['claims, batch 1', 'claims', join(dir, 'claims')],
      ['claims, batch 2 (re-sends and corrections)', 'claims', join(dir, 'claims-batch2')],
    ];
    for (const [label, kind, path] of steps) {
      const { run, job } = await imports.startImport(kind, path, { actor: cliActor() });
      const progress = new ProgressReporter(label);
      const listener = (e: { importId: string; phase: string; done: number; total: number }) => e.importId === run.id && progress.update(e.done, e.total, e.phase);
      bus.on('progress', listener);
      await job.finished().catch(() => undefined);
      progress.stop();
      bus.off('progress', listener);
      process.stdout.write(`${label}:\n${describeRun(await imports.getRun(run.id))}\n`);
      if (kind === 'claims') await awaitScreening(app, run.id);
    }
    await printFindingCounts(app.get(FindingsService));
    const logins = await ensureDemoAccounts(app, cliActor());
    const draw = await demoInspectionDraw(app, cliActor(), currentQuarter(), 'demo-inspector');
    const disclosure = await demoDisclosure(app, draw);
    process.stdout.write(
      [
        '',
        'Console logins (new passwords on every run; demo only):',
        ...logins.map((l) => `  ${l.role.padEnd(12)} ${l.name.padEnd(18)} ${l.password}${l.institutionCode ? `  (institution ${l.institutionCode})` : ''}`),
        '',
        'FundGuard demo is running:',
        `  console (log in)     ${url}/console`,
        `  case queue           ${url}/console/cases`,
        `  credit               ${url}/console/credit`,
        `  inspection plans     ${url}/console/inspections  (demo-inspector leads team 1 as ${draw.inspectorCode ?? '—'}: ${url}/console/inspections/mine)`,
        `  draw, verifiable     ${url}/public/draws/${draw.drawId}  (no login; ${draw.assignments} institutions drawn; fundguard draw verify --plan ${draw.planId})`,
        '',
        'Public disclosure site (no login):',
        `  the fund             ${url}/public`,
        `  institutions         ${url}/public/institutions`,
        `  inspections          ${url}/public/inspections  (${disclosure.results} result published)`,
        `  曝光台 exposure      ${url}/public/exposure  (${disclosure.exposed.join(', ') || 'none'})`,
        `  open data            ${url}/public/data`,
        `  tips (举报)          ${url}/public/tips  (tip ${disclosure.tip.number}: track it at ${url}/public/tips/track with ${disclosure.tip.trackingCode}; demo-supervisor reads it at ${url}/console/tips)`,
        `  static copy          fundguard publish --out ./public-site`,
        '',
        `  API docs (OpenAPI)   ${url}/api/docs`,
        `  health               ${url}/health`,
        `  imports              ${url}/api/imports`,
        `  rejections           ${url}/api/rejections`,
        `  findings             ${url}/api/findings`,
        `  rule library         ${url}/api/rules`,
        `  risk scores          ${url}/api/risk`,
        `  cases                ${url}/api/cases`,
        `  audit trail          ${url}/console/audit  (auditor, admin)`,
        `  queues               ${url}/console/queues  (admin)`,
        `  demo files + labels  ${dir}`,
        o.exit ? '' : 'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    if (o.exit) {
      await app.close();
      return;
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => void app.close().then(() => resolveStop());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  }

  @Option({ flags: '-n, --claims <n>', description: 'claims in the first batch (default 20000)' })
  parseClaims(v: string) {
    return positiveInt('claims', v);
  }

  @Option({ flags: '-s, --seed <seed>', description: 'seed (default 42)' })
  parseSeed(v: string) {
    return v;
  }

  @Option({ flags: '--exit', description: 'stop after importing instead of serving' })
  parseExit() {
    return true;
  }
}

@Command({ name: 'demo', description: 'demo data and the one-command demo', subCommands: [DemoGenerateCommand, DemoRunCommand] })
export class DemoCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

/** This quarter in the bureau's zone (Asia/Shanghai), e.g. 2026-Q4. */
function currentQuarter(now = new Date()): string {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(now).split('-').map(Number);
  return `${y}-Q${Math.ceil(m! / 3)}`;
}
