import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { prepareSchema } from '../../src/database/database.module';
import { pendingSchemaChanges } from '../../src/database/schema-drift';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

describe('migrations', () => {
  const schema = uniqueName('t_mig');
  const { config } = testConfig(schema);
  let ds: DataSource;

  beforeAll(async () => {
    ds = await new DataSource(dataSourceOptions(config, config.database.url!)).initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await dropSchema(schema);
  });

  it('build the schema the entities describe (no drift)', async () => {
    const ran = await prepareSchema(ds, config, true);
    expect(ran.length).toBeGreaterThan(0);
    const drift = await pendingSchemaChanges(ds);
    // Any SQL here means an entity changed without a migration (or the reverse).
    expect(drift.up).toEqual([]);
  });

  it('refuse to start on a schema that lacks migrations', async () => {
    await ds.undoLastMigration();
    await expect(prepareSchema(ds, config, false)).rejects.toThrow(/fundguard db migrate/);
    await prepareSchema(ds, config, true);
    expect((await pendingSchemaChanges(ds)).up).toEqual([]);
  });
});
