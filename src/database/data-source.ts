import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from '../../migrations';

/** TypeORM options for the service, the CLI and the tests alike: schema only through migrations. */
export function dataSourceOptions(config: AppConfig, url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    schema: config.database.schema,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    logging: ['error'],
    poolSize: config.database.poolSize,
    extra: {
      // Each session works in the configured schema (tests give every Jest worker its own).
      options: `-c search_path=${config.database.schema},public`,
      application_name: 'fundguard',
    },
  };
}
