import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';

/** Runs `fn` on one pooled `pg` client of the data source (bulk COPY, row-array reads, advisory locks), then releases it. */
export async function withPgClient<T>(ds: DataSource, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const qr = ds.createQueryRunner();
  const client = (await qr.connect()) as PoolClient;
  try {
    return await fn(client);
  } finally {
    await qr.release();
  }
}
