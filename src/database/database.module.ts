import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { dataSourceOptions } from './data-source';
import { EmbeddedPostgres } from './embedded-postgres';

export class PendingMigrationsError extends Error {}

/** Resolves the database URL: the configured server, or an embedded PostgreSQL started here. */
@Injectable()
export class DatabaseEndpoint implements OnApplicationShutdown {
  private embedded?: EmbeddedPostgres;
  url?: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async resolve(): Promise<string> {
    if (this.url) return this.url;
    if (this.config.database.url) {
      new Logger('Database').log(`database mode: PostgreSQL server (schema ${this.config.database.schema})`);
      this.url = this.config.database.url;
    } else {
      new Logger('Database').log('database mode: embedded (DATABASE_URL unset) — for trials and demos, not production');
      this.embedded = await EmbeddedPostgres.start(this.config.dataDir);
      this.url = this.embedded.url;
    }
    return this.url;
  }

  async onApplicationShutdown() {
    await this.embedded?.stop();
  }
}

/** Brings the schema up to date (embedded mode, `db migrate`) or refuses to run on a stale one. */
export async function prepareSchema(ds: DataSource, config: AppConfig, migrate: boolean): Promise<string[]> {
  if (config.database.schema !== 'public') await ds.query(`CREATE SCHEMA IF NOT EXISTS "${config.database.schema}"`);
  if (migrate) {
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  }
  if (await ds.showMigrations()) {
    throw new PendingMigrationsError('the database schema is behind this version: run `fundguard db migrate` first');
  }
  return [];
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, opts: { migrate?: boolean } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: [EndpointModule],
          inject: [DatabaseEndpoint],
          useFactory: async (ep: DatabaseEndpoint) => ({
            ...dataSourceOptions(config, await ep.resolve()),
            retryAttempts: 3,
            retryDelay: 1000,
            // A stale schema will not fix itself: fail at once with the remedy.
            toRetry: (err: unknown) => !(err instanceof PendingMigrationsError),
          }),
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize();
            const ran = await prepareSchema(ds, config, opts.migrate ?? config.database.migrateOnStart);
            if (ran.length) new Logger('Database').log(`applied migrations: ${ran.join(', ')}`);
            return ds;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}

@Module({ providers: [DatabaseEndpoint], exports: [DatabaseEndpoint] })
class EndpointModule {}
