import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ImportKind = 'claims' | 'reference';
export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed';

/** Counts of a claims import; reference imports keep one ReferenceFileCounts per file. */
export interface ClaimImportCounts {
  claimsReceived: number;
  linesReceived: number;
  accepted: number;
  corrected: number;
  unchanged: number;
  rejected: number;
  linesStored: number;
  orphanLines: number;
}

export interface ReferenceFileCounts {
  received: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export type ImportCounts = ClaimImportCounts | Record<string, ReferenceFileCounts>;

/** One import job: its files, status and outcome. */
@Entity('import_run')
@Index('idx_import_run_created', ['createdAt'])
export class ImportRun {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_import_run' })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ImportKind;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status!: ImportStatus;

  /** Where the files are: a directory given to the CLI, or the upload folder. */
  @Column({ type: 'text' })
  source!: string;

  /** File names with their size and SHA-256, as received. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  files!: { name: string; bytes: number; sha256: string }[];

  /** Column mapping applied, if any. */
  @Column({ type: 'jsonb', nullable: true })
  mapping!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  counts!: ImportCounts | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export interface RejectionReason {
  file: string;
  line: number | null;
  column: string | null;
  value: string | null;
  reason: string;
}

/** A rejected claim (with its lines), orphan line or reference row: kept with every reason. */
@Entity('rejected_record')
@Index('idx_rejected_record_import', ['importId', 'id'])
@Index('idx_rejected_record_claim', ['claimId'])
export class RejectedRecord {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_rejected_record', type: 'bigint' })
  id!: string;

  @Column({ name: 'import_id', type: 'uuid' })
  importId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'claim' | 'orphan_line' | 'reference_row';

  /** The file the record came from (contract name, e.g. claims.csv). */
  @Column({ type: 'varchar', length: 64 })
  file!: string;

  @Column({ type: 'integer', nullable: true })
  line!: number | null;

  @Column({ name: 'claim_id', type: 'varchar', length: 64, nullable: true })
  claimId!: string | null;

  @Column({ type: 'jsonb' })
  reasons!: RejectionReason[];

  /** The record as received (patient ids pseudonymised), with its lines for a claim. */
  @Column({ type: 'jsonb' })
  record!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
