import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CASE_STATUSES } from '../cases/case-workflow';
import { parseCaseFilter } from '../cases/cases.dto';
import { CasesService } from '../cases/cases.service';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { cliActor, modeLine, withApp } from './cli-support';

@SubCommand({ name: 'open', description: 'open cases from open findings not yet in a case (grouped by CASE_GROUPING) and from risk scores at or above CASE_RISK_THRESHOLD' })
export class CasesOpenCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<void> {
    process.stderr.write(`${modeLine(this.config)}\n`);
    await withApp(this.config, 'cli', async (app) => {
      const r = await app.get(CasesService).open(cliActor());
      const f = r.findings;
      process.stdout.write(
        `from findings (grouping ${this.config.cases.grouping}): ${f.opened} case(s) opened, ${f.extended} extended, ${f.findingsAdded} finding(s) added, ${f.refreshed} refreshed\n` +
          `from risk scores (≥ ${this.config.cases.riskThreshold}): ${r.risk.opened} case(s) opened\n`,
      );
    });
  }
}

@SubCommand({ name: 'list', description: 'list cases, largest amount at risk first: number, status, institution, period, findings, amount at risk, assignee' })
export class CasesListCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { status?: string; institution?: string; limit?: string }): Promise<void> {
    const query: Record<string, unknown> = { status: o.status, institution: o.institution, sort: 'amount' };
    const limit = Number(o.limit ?? 50);
    const filter = parseCaseFilter(query, { page: 1, pageSize: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 10_000) : 50 });
    await withApp(this.config, 'cli', async (app) => {
      const r = await app.get(CasesService).list(filter, cliActor());
      process.stdout.write(`${r.total} case(s)${r.total > r.items.length ? `, the first ${r.items.length} shown` : ''}\n`);
      if (!r.items.length) return;
      process.stdout.write(`${'number'.padEnd(16)} ${'kind'.padEnd(8)} ${'status'.padEnd(10)} ${'institution'.padEnd(14)} ${'period'.padEnd(7)} ${'findings'.padStart(8)} ${'amount at risk'.padStart(15)}  assignee\n`);
      for (const c of r.items) {
        process.stdout.write(
          `${c.number.padEnd(16)} ${c.kind.padEnd(8)} ${c.status.padEnd(10)} ${c.institutionCode.padEnd(14)} ${c.period.padEnd(7)} ${String(c.findingCount).padStart(8)} ${c.amountAtRisk.padStart(15)}  ${c.assigneeName ?? c.assigneeId ?? '-'}${c.claimId ? `  claim ${c.claimId}` : ''}${c.riskScore !== null ? `  risk ${c.riskScore}` : ''}\n`,
        );
      }
    });
  }

  @Option({ flags: '-s, --status <S>', description: `only cases in this status (comma-separated: ${CASE_STATUSES.join(', ')})` })
  parseStatus(v: string) {
    return v;
  }

  @Option({ flags: '-i, --institution <CODE>', description: 'only this institution' })
  parseInstitution(v: string) {
    return v;
  }

  @Option({ flags: '-n, --limit <N>', description: 'at most N cases (default 50)' })
  parseLimit(v: string) {
    return v;
  }
}

@Command({ name: 'cases', description: 'supervision cases: open them from findings and risk scores, list them', subCommands: [CasesOpenCommand, CasesListCommand] })
export class CasesCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
