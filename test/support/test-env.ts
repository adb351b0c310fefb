import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AppConfig, loadConfig } from '../../src/config/config';

/** The PostgreSQL database and Redis the integration tests use (real services, never embedded). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fundguard_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh schema name and queue prefix per test file, so files run in parallel without meeting. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
}

/** Environment of a test process (also passed to child processes: workers, the CLI). */
export function testEnv(schema: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `fgtest-${schema}`,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'fundguard-test-')),
    JOB_BACKOFF_MS: '200',
    JOB_ATTEMPTS: '3',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    PSEUDONYM_KEY: 'test-pseudonym-key-0123456789',
    ...overrides,
  };
}

export function testConfig(schema: string, overrides: Record<string, string> = {}): { config: AppConfig; env: Record<string, string> } {
  const env = testEnv(schema, overrides);
  return { config: loadConfig(env as NodeJS.ProcessEnv), env };
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** Polls until `fn` returns a truthy value (queues and jobs are awaited, never slept on blindly). */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
