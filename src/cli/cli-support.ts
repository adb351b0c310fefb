import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SingleBar, Presets } from 'cli-progress';
import { userInfo } from 'node:os';
import { Actor, systemActor } from '../accounts/roles';
import { AppModule, ProcessRole } from '../app.module';
import { AppConfig } from '../config/config';
import { ImportRun } from '../imports/import-run.entity';
import { REFERENCE_FILES } from '../imports/interchange';

/** Runs `fn` inside an application context of the given role and closes it afterwards. */
export async function withApp<T>(config: AppConfig, role: ProcessRole, fn: (app: INestApplicationContext) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const verbose = config.logLevel === 'debug' || config.logLevel === 'verbose';
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, role, opts), {
    logger: verbose ? ['error', 'warn', 'log', 'debug'] : ['error', 'warn'],
    abortOnError: false,
  });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** The CLI acts as the system, named after the operating-system user (the audit trail shows who ran it). */
export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the audit still says it came from the CLI.
  }
  return systemActor(`cli:${user}`);
}

/** The one line that says where data and jobs go. */
export function modeLine(config: AppConfig): string {
  const db = config.database.embedded ? `embedded PostgreSQL in ${config.dataDir}` : `PostgreSQL ${redact(config.database.url!)}`;
  const q = config.queue.inProcess ? 'jobs in-process' : `jobs on Redis ${redact(config.queue.redisUrl!)} (workers in this process until done)`;
  return `mode: ${db}; ${q}`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}

/** A progress bar on a terminal, plain lines otherwise (CI logs, pipes). */
export class ProgressReporter {
  private bar?: SingleBar;
  private lastPlain = -1;

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    if (out.isTTY) {
      this.bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {phase} | {eta_formatted} left`, stream: out, hideCursor: true }, Presets.shades_classic);
    }
  }

  update(done: number, total: number, phase: string) {
    const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
    if (this.bar) {
      if (!this.bar.isActive) this.bar.start(100, 0, { phase });
      this.bar.update(pct, { phase });
    } else if (pct >= this.lastPlain + 10 || (phase === 'merge' && this.lastPlain < 100)) {
      this.lastPlain = phase === 'merge' ? 100 : pct - (pct % 10);
      this.out.write(`${this.label}: ${phase} ${pct}%\n`);
    }
  }

  stop() {
    this.bar?.stop();
  }
}

export function describeRun(run: ImportRun): string {
  const lines = [`import ${run.id} (${run.kind}): ${run.status}`];
  const counts = run.counts as Record<string, unknown> | null;
  if (run.kind === 'claims' && counts) {
    const c = counts as Record<string, number>;
    lines.push(
      `  claims received ${c.claimsReceived}: accepted ${c.accepted}, corrected ${c.corrected}, unchanged ${c.unchanged}, rejected ${c.rejected}`,
      `  lines received ${c.linesReceived}: stored ${c.linesStored}, orphan lines rejected ${c.orphanLines}`,
    );
  } else if (counts) {
    // In the order the files are imported (jsonb does not keep key order).
    const order = (f: string) => REFERENCE_FILES.indexOf(f.replace(/\.csv$/, '') as (typeof REFERENCE_FILES)[number]);
    const entries = Object.entries(counts as Record<string, Record<string, number>>).sort(([a], [b]) => order(a) - order(b));
    for (const [file, c] of entries) {
      lines.push(`  ${file}: received ${c.received}, inserted ${c.inserted}, updated ${c.updated}, unchanged ${c.unchanged}, rejected ${c.rejected}`);
    }
  }
  if (run.error) lines.push(`  error: ${run.error}`);
  return lines.join('\n');
}
