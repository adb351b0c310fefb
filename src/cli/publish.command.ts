import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { isMonth } from '../common/calendar';
import { SiteExporter } from '../disclosure/site-exporter';
import { modeLine, ProgressReporter, withApp } from './cli-support';

@Command({
  name: 'publish',
  description: 'write the public disclosure site for a month as static files (zh, en/), with every draw and the open data (CSV, JSON) and a manifest of SHA-256 sums',
})
export class PublishCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { period?: string; out: string }): Promise<void> {
    process.stderr.write(`${modeLine(this.config)}\n`);
    const s = await withApp(this.config, 'cli', async (app) => {
      const progress = new ProgressReporter('publish');
      try {
        return await app.get(SiteExporter).export(o.period ?? '', o.out, (done, total) => progress.update(done, total, 'pages'));
      } finally {
        progress.stop();
      }
    });
    process.stdout.write(`published ${s.period}: ${s.pages} pages, ${s.dataFiles} open-data files, ${s.files} files (${(s.bytes / 1024 / 1024).toFixed(1)} MiB) in ${(s.ms / 1000).toFixed(1)} s → ${s.outDir}\n`);
  }

  @Option({ flags: '-p, --period <YYYY-MM>', description: 'the month to publish (default: the newest month with data)' })
  parsePeriod(v: string) {
    if (!isMonth(v)) throw new Error(`--period must be a month written YYYY-MM, got ${JSON.stringify(v)}`);
    return v;
  }

  @Option({ flags: '-o, --out <dir>', description: 'folder to write (created; an earlier export there is replaced)', required: true })
  parseOut(v: string) {
    return v;
  }
}
