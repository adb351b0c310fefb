import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { AppConfig } from '../../src/config/config';
import { AppModule } from '../../src/app.module';
import { startHttp } from '../../src/http';

/** An application context with queue workers in-process (like the CLI), schema migrated. */
export async function createTestContext(config: AppConfig): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.forRoot(config, 'cli', { migrate: true }), { logger: ['error'] });
}

/** The HTTP application on a free port, schema migrated; 'api' only enqueues, 'all' also runs workers. */
export async function createTestHttp(config: AppConfig, role: 'api' | 'all' = 'all'): Promise<{ app: INestApplication; url: string }> {
  return startHttp({ ...config, http: { ...config.http, port: 0 }, database: { ...config.database, migrateOnStart: true } }, role);
}

/** Reads a small CSV file (labels, exports) into objects. */
export function readCsv(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true });
}
