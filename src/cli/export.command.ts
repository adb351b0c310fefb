import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Inject } from '@nestjs/common';
import { stringify } from 'csv-stringify';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { formatReason, ImportsService } from '../imports/imports.service';
import { withApp } from './cli-support';
import { ExportFindingsCommand } from './screening.command';
import { ExportRiskCommand } from './scoring.command';

@SubCommand({ name: 'rejections', description: 'write rejected claims and orphan lines as CSV: claim_id,file,line,reason' })
export class ExportRejectionsCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], options: { out: string; import?: string }): Promise<void> {
    const n = await withApp(this.config, 'cli', async (app) => {
      const out = createWriteStream(options.out);
      const csv = stringify({ header: true, columns: ['claim_id', 'file', 'line', 'reason'] });
      csv.pipe(out);
      let count = 0;
      for await (const r of app.get(ImportsService).iterateRejections(options.import)) {
        const reason = r.reasons.map(formatReason).join('; ');
        if (!csv.write([r.claim_id ?? '', r.file, r.line ?? '', reason])) await once(csv, 'drain');
        count++;
      }
      csv.end();
      await once(out, 'finish');
      return count;
    });
    process.stdout.write(`${n} rejected record(s) written to ${options.out}\n`);
  }

  @Option({ flags: '-o, --out <file>', description: 'CSV file to write', required: true })
  parseOut(v: string) {
    return v;
  }

  @Option({ flags: '-i, --import <id>', description: 'only this import' })
  parseImport(v: string) {
    return v;
  }
}

@Command({ name: 'export', description: 'export data as CSV', subCommands: [ExportRejectionsCommand, ExportFindingsCommand, ExportRiskCommand] })
export class ExportCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
