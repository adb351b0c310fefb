import { Inject } from '@nestjs/common';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { modeLine, withApp } from './cli-support';

@SubCommand({ name: 'migrate', description: 'apply pending database migrations (the only way the schema changes)' })
export class DbMigrateCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<void> {
    process.stderr.write(`${modeLine(this.config)}\n`);
    // Migrations run while the context starts (DatabaseModule with migrate: true).
    await withApp(
      this.config,
      'cli',
      async (app) => {
        const ds = app.get<DataSource>(getDataSourceToken());
        const rows: { name: string }[] = await ds.query(`SELECT name FROM schema_migration ORDER BY id`);
        process.stdout.write(`schema up to date: ${rows.length} migration(s) applied (latest ${rows.at(-1)?.name ?? 'none'})\n`);
      },
      { migrate: true },
    );
  }
}

@Command({ name: 'db', description: 'database administration', subCommands: [DbMigrateCommand] })
export class DbCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
