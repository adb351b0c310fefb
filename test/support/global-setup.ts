import { Client } from 'pg';
import Redis from 'ioredis';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './test-env';

/** Integration tests need the real services: fail early and clearly if they are not there. */
export default async function globalSetup(): Promise<void> {
  const url = new URL(TEST_DATABASE_URL);
  const dbName = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`integration tests need PostgreSQL at ${url.host} (${(err as Error).message}); .ci/run starts it`);
  }
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${dbName}"`);
  // Schemas left by interrupted runs.
  await admin.end();
  const db = new Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  const stale = await db.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'`);
  for (const { nspname } of stale.rows) await db.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  await db.end();
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`integration tests need Redis at ${TEST_REDIS_URL} (${(err as Error).message}); .ci/run starts it`);
  } finally {
    redis.disconnect();
  }
}
