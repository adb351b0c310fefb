import { Inject } from '@nestjs/common';
import { resolve } from 'node:path';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { CreditPolicyError, loadPolicyFile } from '../credit/credit-policy';
import { CreditPolicyService } from '../credit/credit-policy.service';
import { CreditService } from '../credit/credit.service';
import { cliActor, modeLine, withApp } from './cli-support';

@SubCommand({ name: 'scan', description: 'deduct credit once for every recovery (refund or fine) past its due date (the daily job does the same)' })
export class CreditScanCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<void> {
    process.stderr.write(`${modeLine(this.config)}\n`);
    await withApp(this.config, 'cli', async (app) => {
      const r = await app.get(CreditService).scanOverdueRecoveries(cliActor());
      process.stdout.write(`overdue recoveries: ${r.overdue}; new deductions: ${r.deducted} (the others were deducted before)\n`);
    });
  }
}

@SubCommand({ name: 'rollover', description: 'close a credit cycle: archive every institution\'s final score and grade of YEAR; the next year starts at the base (once per year)' })
export class CreditRolloverCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { year?: string }): Promise<void> {
    await withApp(this.config, 'cli', async (app) => {
      const credit = app.get(CreditService);
      if (o.year === undefined) {
        const closed = await credit.closeDueCycles(cliActor());
        process.stdout.write(closed.length ? `closed cycle(s): ${closed.join(', ')}\n` : 'no past cycle left to close\n');
        return;
      }
      if (!/^\d{4}$/.test(o.year)) throw new Error('--year must be a year YYYY');
      const r = await credit.rollover(Number(o.year), cliActor());
      const counts = Object.entries(r.gradeCounts)
        .map(([g, n]) => `${g} ${n}`)
        .join(', ');
      process.stdout.write(
        r.alreadyClosed
          ? `cycle ${r.year} was already closed (${r.institutions} institutions: ${counts}); nothing changed\n`
          : `cycle ${r.year} closed: ${r.institutions} institutions archived (${counts}); cycle ${r.year + 1} starts at the base\n`,
      );
    });
  }

  @Option({ flags: '-y, --year <YYYY>', description: 'the year to close (default: every past year not closed yet)' })
  parseYear(v: string) {
    return v;
  }
}

@SubCommand({ name: 'recompute', description: 'rebuild every institution\'s standing (score and grade per cycle) from the ledger entries' })
export class CreditRecomputeCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<void> {
    await withApp(this.config, 'cli', async (app) => {
      const r = await app.get(CreditService).recomputeAll(cliActor());
      process.stdout.write(`${r.standings} standing(s) recomputed; ${r.changed} changed\n`);
    });
  }
}

@SubCommand({ name: 'what-if', description: 'every institution\'s score and grade under a draft policy file, against the policy in force; writes nothing' })
export class CreditWhatIfCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { policy?: string; cycle?: string; json?: boolean; all?: boolean }): Promise<void> {
    if (!o.policy) throw new Error('--policy FILE is required');
    if (o.cycle !== undefined && !/^\d{4}$/.test(o.cycle)) throw new Error('--cycle must be a year YYYY');
    const file = resolve(o.policy);
    await withApp(this.config, 'cli', async (app) => {
      const policies = app.get(CreditPolicyService);
      let draft;
      try {
        // The same checks as at start (categories included), with the draft file's own lines.
        draft = loadPolicyFile(file, { knownCategories: policies.knownCategorySet, displayRoot: process.cwd() });
      } catch (err) {
        if (err instanceof CreditPolicyError) throw new Error(err.message);
        throw err;
      }
      const r = await app.get(CreditService).whatIfPolicy(draft, { cycle: o.cycle ? Number(o.cycle) : undefined });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const s = r.summary;
      const fmt = (c: Record<string, number>) =>
        Object.entries(c)
          .sort()
          .map(([g, n]) => `${g} ${n}`)
          .join(', ');
      process.stdout.write(
        `cycle ${r.cycle}: ${s.institutions} institutions, ${s.entriesRepriced} entries priced again under the draft${r.draft.sameAsCurrent ? ' (the draft is the policy in force)' : ''}\n` +
          `grades now:      ${fmt(s.currentGrades)}\n` +
          `grades in draft: ${fmt(s.draftGrades)}\n` +
          `${s.gradeMoved} institution(s) change grade, ${s.scoreChanged} change score${s.moves.length ? `: ${s.moves.map((m) => `${m.move} ${m.count}`).join(', ')}` : ''}\n`,
      );
      const shown = o.all ? r.institutions : r.institutions.filter((i) => i.gradeMoved || i.scoreChange !== 0).slice(0, 50);
      if (!shown.length) return;
      process.stdout.write(`${'institution'.padEnd(16)} ${'now'.padStart(9)} ${'draft'.padStart(9)} ${'change'.padStart(7)}\n`);
      for (const i of shown) {
        process.stdout.write(`${i.institutionCode.padEnd(16)} ${`${i.current.score} ${i.current.grade}`.padStart(9)} ${`${i.draft.score} ${i.draft.grade}`.padStart(9)} ${String(i.scoreChange).padStart(7)}\n`);
      }
    });
  }

  @Option({ flags: '-p, --policy <FILE>', description: 'the draft policy (YAML)' })
  parsePolicy(v: string) {
    return v;
  }

  @Option({ flags: '-c, --cycle <YYYY>', description: 'the cycle to recompute (default: the current one)' })
  parseCycle(v: string) {
    return v;
  }

  @Option({ flags: '--all', description: 'list every institution, not only those whose score changes' })
  parseAll() {
    return true;
  }

  @Option({ flags: '--json', description: 'the whole result as JSON' })
  parseJson() {
    return true;
  }
}

@Command({
  name: 'credit',
  description: 'institutions\' credit: overdue-recovery scan, year-end rollover, recompute, what-if of a draft policy',
  subCommands: [CreditScanCommand, CreditRolloverCommand, CreditRecomputeCommand, CreditWhatIfCommand],
})
export class CreditCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

export const CREDIT_COMMANDS = [CreditCommand, CreditScanCommand, CreditRolloverCommand, CreditRecomputeCommand, CreditWhatIfCommand];
