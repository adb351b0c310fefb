import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Embedded mode: PGlite (PostgreSQL compiled to WebAssembly) served over the PostgreSQL wire
 * protocol, so the same `pg` driver and TypeORM code run unchanged. For trials and demos only:
 * one process owns the data directory, and the server runs one query at a time.
 */
export class EmbeddedPostgres {
  private static readonly logger = new Logger('EmbeddedPostgres');

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lockFile: string,
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const dir = join(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    const lockFile = join(dataDir, 'pglite.pid');
    claimLock(lockFile);
    try {
      const db = await PGlite.create(dir);
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
      await server.start();
      const url = `postgres://postgres@${server.getServerConn()}/postgres`;
      EmbeddedPostgres.logger.log(`embedded PostgreSQL (PGlite) on ${url}, data in ${dir}`);
      return new EmbeddedPostgres(db, server, lockFile, url);
    } catch (err) {
      rmSync(lockFile, { force: true });
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    rmSync(this.lockFile, { force: true });
  }
}

/** PGlite is single-process: a second process on the same directory would corrupt it. */
function claimLock(lockFile: string): void {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `the embedded database in ${lockFile.replace(/pglite\.pid$/, '')} is in use by process ${pid}; stop it, or set DATABASE_URL to use a PostgreSQL server`,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeFileSync(lockFile, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
