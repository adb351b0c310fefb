import { once } from 'node:events';
import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type BulkValue = string | number | null;

/** A column of a bulk write and its PostgreSQL type (used by the unnest path to cast arrays). */
export interface BulkColumn {
  name: string;
  type: 'text' | 'integer' | 'bigint' | 'numeric' | 'date' | 'timestamptz' | 'jsonb' | 'char' | 'uuid';
}

/** Streams rows into a table; `end` flushes and returns the number of rows written. */
export interface BulkSink {
  write(row: BulkValue[]): Promise<void> | void;
  end(): Promise<number>;
}

/**
 * One interface for bulk writes, two implementations: `COPY … FROM STDIN` on PostgreSQL (the
 * physical limit), and batched `INSERT … SELECT FROM unnest(…)` in embedded mode, where COPY
 * through the PGlite socket breaks the protocol.
 */
export function openBulkSink(client: PoolClient, table: string, columns: BulkColumn[], mode: 'copy' | 'unnest'): BulkSink {
  return mode === 'copy' ? new CopySink(client, table, columns) : new UnnestSink(client, table, columns);
}

const CHUNK_BYTES = 256 * 1024;

/** COPY text format: tab-separated, \N for NULL, backslash escapes. */
export function copyEscape(v: BulkValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  // Fast path: most values need no escaping.
  if (!/[\\\t\n\r]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

class CopySink implements BulkSink {
  private readonly stream;
  private buffer = '';
  private count = 0;
  private readonly done: Promise<void>;

  constructor(client: PoolClient, table: string, columns: BulkColumn[]) {
    this.stream = client.query(copyFrom(`COPY ${table} (${columns.map((c) => `"${c.name}"`).join(', ')}) FROM STDIN`));
    this.done = new Promise((resolve, reject) => {
      this.stream.on('finish', resolve);
      this.stream.on('error', reject);
    });
    // Avoid an unhandled rejection if the COPY fails before end() is awaited.
    this.done.catch(() => undefined);
  }

  async write(row: BulkValue[]): Promise<void> {
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + copyEscape(row[i]!);
    this.buffer += line + '\n';
    this.count++;
    if (this.buffer.length >= CHUNK_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.buffer) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) {
      await Promise.race([once(this.stream, 'drain'), this.done]);
    }
  }

  async end(): Promise<number> {
    await this.flush();
    this.stream.end();
    await this.done;
    return this.count;
  }
}

const UNNEST_BATCH = 5000;

class UnnestSink implements BulkSink {
  private batch: BulkValue[][];
  private rows = 0;
  private count = 0;
  private readonly sql: string;

  constructor(
    private readonly client: PoolClient,
    table: string,
    private readonly columns: BulkColumn[],
  ) {
    this.batch = columns.map(() => []);
    const casts = columns.map((c, i) => `$${i + 1}::${c.type === 'char' ? 'text' : c.type}[]`).join(', ');
    this.sql = `INSERT INTO ${table} (${columns.map((c) => `"${c.name}"`).join(', ')}) SELECT * FROM unnest(${casts})`;
  }

  async write(row: BulkValue[]): Promise<void> {
    for (let i = 0; i < row.length; i++) this.batch[i]!.push(row[i]!);
    this.rows++;
    if (this.rows >= UNNEST_BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.rows === 0) return;
    await this.client.query(this.sql, this.batch);
    this.count += this.rows;
    this.rows = 0;
    this.batch = this.columns.map(() => []);
  }

  async end(): Promise<number> {
    await this.flush();
    return this.count;
  }
}
