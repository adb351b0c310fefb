import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Inject } from '@nestjs/common';
import { stringify } from 'csv-stringify';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ScoringService } from '../scoring/scoring.service';
import { modeLine, withApp } from './cli-support';

@Command({ name: 'score', description: 'compute risk scores of institutions and physicians against their peers, for one period or every period with claims' })
export class ScoreCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { period?: string }): Promise<void> {
    process.stderr.write(`${modeLine(this.config)}\n`);
    await withApp(this.config, 'cli', async (app) => {
      const scoring = app.get(ScoringService);
      const r = await scoring.score(o.period ? [o.period] : undefined);
      process.stdout.write(`scored ${r.periods.length} period(s) (${r.periods.join(', ') || 'none'}): ${r.institutions} institution-periods, ${r.physicians} physician-periods\n`);
      for (const period of r.periods) {
        const top = await scoring.list({ entityType: 'institution', period, page: 1, pageSize: 5 });
        process.stdout.write(`\n${period}: riskiest institutions\n`);
        for (const i of top.items as { rank: number; code: string; score: number; drivers: { zh: string }[] }[]) {
          process.stdout.write(`  ${String(i.rank).padStart(3)}  ${i.code.padEnd(16)} ${i.score.toFixed(2).padStart(6)}  ${i.drivers[0]?.zh ?? ''}\n`);
        }
      }
    });
  }

  @Option({ flags: '-p, --period <YYYY-MM>', description: 'the settlement month to score (default: every month with claims)' })
  parsePeriod(v: string) {
    return v;
  }
}

@SubCommand({ name: 'risk', description: 'write institution risk scores as CSV: institution_code,period,score,rank (higher score = riskier; rank 1 = riskiest within the period)' })
export class ExportRiskCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { out: string }): Promise<void> {
    const n = await withApp(this.config, 'cli', async (app) => {
      const out = createWriteStream(o.out);
      const csv = stringify({ header: true, columns: ['institution_code', 'period', 'score', 'rank'] });
      csv.pipe(out);
      let count = 0;
      for await (const r of app.get(ScoringService).iterateInstitutionScores()) {
        if (!csv.write([r.institution_code, r.period, r.score, r.rank])) await once(csv, 'drain');
        count++;
      }
      csv.end();
      await once(out, 'finish');
      return count;
    });
    process.stdout.write(`${n} score(s) written to ${o.out}\n`);
  }

  @Option({ flags: '-o, --out <file>', description: 'CSV file to write', required: true })
  parseOut(v: string) {
    return v;
  }
}
