import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { JobHandle, JobQueue, PermanentJobError } from '../../jobs/job-queue';
import { JobContext } from '../../jobs/job.types';
import { Pseudonymizer } from './claim-rows';
import { ClaimOutcome, ClaimsImporter } from './claims-importer';
import { ColumnMapping, ColumnMappingError, IDENTITY_MAPPING, loadColumnMapping, sourceFileName } from './column-mapping';
import { CsvFormatError } from './csv-source';
import { UnsupportedEncodingError } from './encoding';
import { Actor, systemActor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { ImportProgressBus } from './import-progress.bus';
import { ClaimImportCounts, ImportKind, ImportRun, ReferenceFileCounts, RejectedRecord, RejectionReason } from './import-run.entity';
import { InterchangeFile, REFERENCE_FILES } from './interchange';
import { importReferenceFile } from './reference-importer';
import { fileExists, InputError, jsonInput, openMappedCsv } from './tabular-input';

export interface StartImportOptions {
  mappingPath?: string;
  /** Where the files are kept (the upload folder); defaults to the directory itself. */
  source?: string;
  /** Who asks for the import (the audit trail names them); the system when omitted. */
  actor?: Actor;
}

export interface ClaimJson extends Record<string, unknown> {
  items?: Record<string, unknown>[];
}

export interface ClaimResult {
  index: number;
  claim_id: string | null;
  status: 'accepted' | 'corrected' | 'unchanged' | 'rejected';
  version?: number;
  errors?: { path: string; reason: string }[];
}

/** Renders a reason as one line: where, which value, why. */
export function formatReason(r: RejectionReason): string {
  const where = `${r.file}${r.line !== null ? ` line ${r.line}` : ''}`;
  const what = r.column ? ` ${r.column}${r.value !== null ? ` "${r.value}"` : ''}` : '';
  return `${where}:${what} ${r.reason}`;
}

/** Imports of claims and reference data: runs, jobs, the JSON batch path, rejections. */
@Injectable()
export class ImportsService {
  private readonly pseudonymizer: Pseudonymizer;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobQueue,
    private readonly progressBus: ImportProgressBus,
    private readonly audit: AuditService,
  ) {
    this.pseudonymizer = new Pseudonymizer(config.privacy.pseudonymKey);
  }

  /** Records an import run for the files in `dir` and enqueues its job. */
  async startImport(kind: ImportKind, dir: string, opts: StartImportOptions = {}): Promise<{ run: ImportRun; job: JobHandle }> {
    const directory = resolve(dir);
    const st = await stat(directory).catch(() => null);
    if (!st?.isDirectory()) throw new DomainException(DomainErrorCode.InvalidInput, `${directory} is not a directory`, [{ path: 'dir', reason: 'is not a directory' }]);
    let mapping = IDENTITY_MAPPING;
    if (opts.mappingPath) {
      try {
        mapping = await loadColumnMapping(opts.mappingPath);
      } catch (err) {
        if (err instanceof ColumnMappingError) {
          throw new DomainException(DomainErrorCode.InvalidInput, `the column mapping ${opts.mappingPath} has mistakes; nothing was imported`, err.problems.map((p) => ({ path: 'mapping', reason: p })));
        }
        throw new DomainException(DomainErrorCode.InvalidInput, `cannot read the mapping ${opts.mappingPath}: ${(err as Error).message}`);
      }
    }
    const wanted: InterchangeFile[] = kind === 'claims' ? ['claims', 'claim_items'] : [...REFERENCE_FILES];
    const files: ImportRun['files'] = [];
    for (const f of wanted) {
      const name = sourceFileName(mapping, f);
      const path = join(directory, name);
      if (!(await fileExists(path))) continue;
      files.push({ name, bytes: (await stat(path)).size, sha256: await sha256File(path) });
    }
    const missing = wanted.filter((f) => !files.some((x) => x.name === sourceFileName(mapping, f)));
    if (kind === 'claims' && missing.length > 0) {
      throw new DomainException(
        DomainErrorCode.InvalidInput,
        `${directory} lacks ${missing.map((f) => sourceFileName(mapping, f)).join(' and ')}: a claims import needs claims.csv and claim_items.csv`,
        missing.map((f) => ({ path: sourceFileName(mapping, f), reason: 'is missing' })),
      );
    }
    if (files.length === 0) {
      throw new DomainException(DomainErrorCode.InvalidInput, `${directory} holds none of the reference files (${REFERENCE_FILES.map((f) => `${f}.csv`).join(', ')})`);
    }
    const run = await this.ds.transaction(async (m) => {
      const saved = await m.getRepository(ImportRun).save({
        kind,
        status: 'queued',
        source: opts.source ?? directory,
        files,
        mapping: mapping === IDENTITY_MAPPING ? null : mapping,
      });
      await this.audit.record(m, {
        actor: opts.actor ?? systemActor(),
        action: `import.${kind}.start`,
        entityType: 'import_run',
        entityId: saved.id,
        after: { kind, source: saved.source, files, mapped: saved.mapping !== null },
      });
      return saved;
    });
    const job = await this.jobs.enqueue(kind === 'claims' ? 'import.claims' : 'import.reference', { importId: run.id }, `import-${run.id}`);
    return { run, job };
  }

  /** Which kinds of import the files in `dir` make (reference first: claims may name its codes). */
  async detectKinds(dir: string, mappingPath?: string): Promise<ImportKind[]> {
    const mapping = mappingPath ? await loadColumnMapping(mappingPath).catch(() => IDENTITY_MAPPING) : IDENTITY_MAPPING;
    const has = async (f: InterchangeFile) => fileExists(join(dir, sourceFileName(mapping, f)));
    const kinds: ImportKind[] = [];
    for (const f of REFERENCE_FILES) if (await has(f)) { kinds.push('reference'); break; }
    if ((await has('claims')) || (await has('claim_items'))) kinds.push('claims');
    return kinds;
  }

  /** The job handler: idempotent (a completed run is not run again; a retry restarts from clean staging). */
  async runImport(importId: string, ctx?: JobContext): Promise<ImportRun['counts']> {
    const qr = this.ds.createQueryRunner();
    const client = (await qr.connect()) as PoolClient;
    try {
      const { rows } = await client.query<{ kind: ImportKind; status: string; source: string; mapping: ColumnMapping | null; counts: ImportRun['counts'] }>(
        'SELECT kind, status, source, mapping, counts FROM import_run WHERE id = $1',
        [importId],
      );
      const run = rows[0];
      if (!run) throw new PermanentJobError(`import ${importId} does not exist`);
      if (run.status === 'completed') return run.counts;
      await client.query(`UPDATE import_run SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), error = NULL, updated_at = now() WHERE id = $1`, [importId]);
      const mapping = run.mapping ?? IDENTITY_MAPPING;
      const onProgress = (e: { phase: string; done: number; total: number }) => {
        this.progressBus.emitProgress({ importId, ...e });
        void ctx?.progress({ phase: e.phase, percent: e.total ? Math.round((100 * e.done) / e.total) : 0 });
      };
      try {
        return run.kind === 'claims'
          ? await this.runClaims(client, importId, run.source, mapping, onProgress)
          : await this.runReference(client, importId, run.source, mapping, onProgress);
      } catch (err) {
        const permanent = err instanceof InputError || err instanceof CsvFormatError || err instanceof UnsupportedEncodingError || err instanceof PermanentJobError;
        await client.query(`UPDATE import_run SET status = 'failed', error = $2, updated_at = now() WHERE id = $1`, [importId, (err as Error).message]).catch(() => undefined);
        throw permanent ? new PermanentJobError((err as Error).message) : err;
      }
    } finally {
      qr.release();
    }
  }

  private async runClaims(client: PoolClient, importId: string, dir: string, mapping: ColumnMapping, onProgress: (e: { phase: string; done: number; total: number }) => void) {
    const claims = await openMappedCsv(dir, 'claims', mapping);
    const items = await openMappedCsv(dir, 'claim_items', mapping);
    if (!claims || !items) throw new InputError(`${dir}: claims.csv and claim_items.csv are both required`);
    const importer = new ClaimsImporter(client, {
      importId,
      bulkMode: this.config.database.embedded ? 'unnest' : 'copy',
      parse: { defaultUtcOffset: this.config.import.defaultUtcOffset },
      pseudonymizer: this.pseudonymizer,
      onProgress,
      beforeCommit: (c, counts) => markCompleted(c, importId, counts),
    });
    const { counts } = await importer.run(claims, items);
    return counts;
  }

  private async runReference(client: PoolClient, importId: string, dir: string, mapping: ColumnMapping, onProgress: (e: { phase: string; done: number; total: number }) => void) {
    const counts: Record<string, ReferenceFileCounts> = {};
    await client.query('BEGIN');
    try {
      await client.query(`DELETE FROM rejected_record WHERE import_id = $1`, [importId]);
      // Institutions before physicians, the catalog before anything that names it.
      for (const [i, file] of REFERENCE_FILES.entries()) {
        const input = await openMappedCsv(dir, file, mapping);
        if (!input) continue;
        onProgress({ phase: file, done: i, total: REFERENCE_FILES.length });
        counts[input.file] = await importReferenceFile(client, file, input, {
          importId,
          parse: { defaultUtcOffset: this.config.import.defaultUtcOffset },
          pseudonymizer: this.pseudonymizer,
        });
      }
      await markCompleted(client, importId, counts);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    return counts;
  }

  /** POST /api/claims: a JSON batch through the same validation and merge, answered claim by claim. */
  async importClaimsJson(claims: ClaimJson[], actor: Actor = systemActor()): Promise<{ importId: string; counts: ClaimImportCounts; results: ClaimResult[] }> {
    const claimRows: Record<string, unknown>[] = [];
    const itemRows: Record<string, unknown>[] = [];
    const itemPath: string[] = [];
    claims.forEach((c, i) => {
      const { items, ...fields } = c;
      claimRows.push(fields);
      (items ?? []).forEach((it, j) => {
        itemRows.push({ claim_id: fields.claim_id, ...it });
        itemPath.push(`claims[${i}].items[${j}]`);
      });
    });
    const run = await this.ds.getRepository(ImportRun).save({ kind: 'claims', status: 'running', source: 'api', files: [], startedAt: new Date(), attempts: 1 });
    const qr = this.ds.createQueryRunner();
    const client = (await qr.connect()) as PoolClient;
    try {
      const importer = new ClaimsImporter(client, {
        importId: run.id,
        bulkMode: 'unnest',
        parse: { defaultUtcOffset: this.config.import.defaultUtcOffset },
        pseudonymizer: this.pseudonymizer,
        beforeCommit: (c, counts) => markCompleted(c, run.id, counts),
      });
      const { counts, outcomes } = await importer.run(jsonInput('request.claims', claimRows), jsonInput('request.items', itemRows));
      const pathOf = (r: RejectionReason) => {
        const base = r.file === 'request.items' ? (itemPath[(r.line ?? 1) - 1] ?? 'items') : `claims[${(r.line ?? 1) - 1}]`;
        return r.column ? `${base}.${r.column}` : base;
      };
      const results: ClaimResult[] = (outcomes ?? []).map((o: ClaimOutcome) => ({
        index: o.line - 1,
        claim_id: o.claimId,
        status: o.outcome === 'new' ? 'accepted' : o.outcome,
        version: o.version,
        errors: o.reasons?.map((r) => ({ path: pathOf(r), reason: r.value !== null ? `"${r.value}" ${r.reason}` : r.reason })),
      }));
      await this.audit.record(this.ds.manager, {
        actor,
        action: 'import.claims.json',
        entityType: 'import_run',
        entityId: run.id,
        after: { counts, claims: results.map((r) => ({ claim_id: r.claim_id, status: r.status, version: r.version })) },
      });
      return { importId: run.id, counts, results };
    } catch (err) {
      await this.ds.query(`UPDATE import_run SET status = 'failed', error = $2 WHERE id = $1`, [run.id, (err as Error).message]);
      throw err;
    } finally {
      qr.release();
    }
  }

  async getRun(id: string): Promise<ImportRun> {
    const run = /^[0-9a-f-]{36}$/i.test(id) ? await this.ds.getRepository(ImportRun).findOneBy({ id }) : null;
    if (!run) throw new DomainException(DomainErrorCode.NotFound, `import ${id} does not exist`);
    return run;
  }

  async listRuns(limit = 50): Promise<ImportRun[]> {
    return this.ds.getRepository(ImportRun).find({ order: { createdAt: 'DESC' }, take: limit });
  }

  /** Rejections, newest import first, with whether the claim has since been stored. */
  async listRejections(q: { importId?: string; kind?: string; page: number; pageSize: number }) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.importId) {
      params.push(q.importId);
      where.push(`r.import_id = $${params.length}`);
    }
    if (q.kind) {
      params.push(q.kind);
      where.push(`r.kind = $${params.length}`);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.ds.query(`SELECT count(*)::int AS total FROM rejected_record r ${filter}`, params);
    const rows: (RejectedRecord & { resolved: boolean })[] = await this.ds.query(
      `SELECT r.id, r.import_id AS "importId", r.kind, r.file, r.line, r.claim_id AS "claimId", r.reasons, r.record, r.created_at AS "createdAt",
              EXISTS (SELECT 1 FROM claim_head h WHERE h.claim_id = r.claim_id AND h.updated_at > r.created_at) AS resolved
       FROM rejected_record r ${filter}
       ORDER BY r.created_at DESC, r.id
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, q.pageSize, (q.page - 1) * q.pageSize],
    );
    return { total, page: q.page, pageSize: q.pageSize, items: rows };
  }

  /** Streams rejections in batches (for the CSV export), oldest first. */
  async *iterateRejections(importId?: string): AsyncIterable<{ claim_id: string | null; file: string; line: number | null; reasons: RejectionReason[] }> {
    let after = '0';
    for (;;) {
      const rows: { id: string; claim_id: string | null; file: string; line: number | null; reasons: RejectionReason[] }[] = await this.ds.query(
        `SELECT id, claim_id, file, line, reasons FROM rejected_record
         WHERE id > $1 ${importId ? 'AND import_id = $2' : ''} ORDER BY id LIMIT 5000`,
        importId ? [after, importId] : [after],
      );
      if (rows.length === 0) return;
      yield* rows;
      after = rows[rows.length - 1]!.id;
    }
  }
}

async function markCompleted(client: PoolClient, importId: string, counts: unknown) {
  await client.query(`UPDATE import_run SET status = 'completed', counts = $2, finished_at = clock_timestamp(), error = NULL, updated_at = clock_timestamp() WHERE id = $1`, [importId, JSON.stringify(counts)]);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
