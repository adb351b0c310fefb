/* Developer aid: prints the SQL that would bring DATABASE_URL's schema in line with the entities,
 * as a starting point for a hand-reviewed migration. Usage: node dist/test/support/print-schema-diff.js */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../../src/config/config';
import { dataSourceOptions } from '../../src/database/data-source';
import { pendingSchemaChanges } from '../../src/database/schema-drift';

async function main() {
  const config = loadConfigOrExit();
  const ds = await new DataSource(dataSourceOptions(config, config.database.url!)).initialize();
  await ds.runMigrations();
  const { up, down } = await pendingSchemaChanges(ds);
  console.log('-- up');
  for (const q of up) console.log(`${q};`);
  console.log('-- down');
  for (const q of down.reverse()) console.log(`${q};`);
  await ds.destroy();
}
main().catch((e) => { console.error(e); process.exit(1); });
