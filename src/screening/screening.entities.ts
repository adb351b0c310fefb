import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { MONEY } from '../database/base.entity';

/** open → retired when its claim version is replaced or the rule no longer holds; confirmed/dismissed by case review. */
export type FindingStatus = 'open' | 'retired' | 'confirmed' | 'dismissed';

/**
 * 疑点 / 违规: one hit of one rule on a claim version, or on one of its lines. The subject
 * (claim version, line, rule) is unique, so a retry or a re-run never duplicates a finding. A
 * finding that no longer holds (its claim was corrected, or the claim it paired with changed) is
 * retired, not deleted.
 */
@Entity('finding')
@Index('uq_finding_subject', ['claimPk', 'itemSeq', 'ruleId'], { unique: true })
@Index('idx_finding_claim', ['claimId', 'itemSeq', 'ruleId'])
@Index('idx_finding_patient', ['patientKey'])
@Index('idx_finding_institution_month', ['institutionCode', 'settleMonth'])
@Index('idx_finding_rule_status', ['ruleId', 'status'])
@Index('idx_finding_category_month', ['category', 'settleMonth'])
export class Finding {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_finding', type: 'bigint' })
  id!: string;

  @Column({ name: 'claim_pk', type: 'bigint' })
  claimPk!: string;

  @Column({ name: 'claim_id', type: 'varchar', length: 64 })
  claimId!: string;

  /** The flagged line; 0 for a claim-level finding. */
  @Column({ name: 'item_seq', type: 'integer', default: 0 })
  itemSeq!: number;

  @Column({ name: 'rule_id', type: 'varchar', length: 64 })
  ruleId!: string;

  @Column({ name: 'rule_version', type: 'integer' })
  ruleVersion!: number;

  /** The rule file's content hash when the finding was made. */
  @Column({ name: 'rule_hash', type: 'char', length: 16 })
  ruleHash!: string;

  @Column({ type: 'varchar', length: 64 })
  category!: string;

  /** violation (明确违规) or suspicious (可疑). */
  @Column({ name: 'result_type', type: 'varchar', length: 16 })
  resultType!: 'violation' | 'suspicious';

  @Column({ type: 'varchar', length: 8 })
  severity!: 'low' | 'medium' | 'high';

  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  @Column({ name: 'physician_code', type: 'varchar', length: 64, nullable: true })
  physicianCode!: string | null;

  @Column({ name: 'patient_key', type: 'char', length: 32 })
  patientKey!: string;

  @Column({ name: 'settle_month', type: 'date' })
  settleMonth!: string;

  @Column({ name: 'amount_at_risk', ...MONEY })
  amountAtRisk!: string;

  /** The value of every fact the rule read when it fired. */
  @Column({ type: 'jsonb' })
  evidence!: Record<string, unknown>;

  @Column({ name: 'why_zh', type: 'text' })
  whyZh!: string;

  @Column({ name: 'why_en', type: 'text' })
  whyEn!: string;

  /** Pair rules: the other claim that made it fire. */
  @Column({ name: 'related_claim_id', type: 'varchar', length: 64, nullable: true })
  relatedClaimId!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: FindingStatus;

  @Column({ name: 'screening_run_id', type: 'uuid' })
  screeningRunId!: string;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export type ScreeningRunStatus = 'planned' | 'running' | 'completed' | 'failed';

export interface ScreeningCounts {
  claims: number;
  lines: number;
  /** Hits per category in this run (line/claim hits of its claims; history and period hits of what it touched). */
  hits: Record<string, number>;
  inserted: number;
  updated: number;
  retired: number;
}

/**
 * The claims of a scoped run: one physician's current claims admitted or with a line dated from
 * `from` to `to` (inclusive) — a sanction recorded for that physician changes what they owe.
 */
export interface ClaimScope {
  physicianCode: string;
  from: string;
  to: string;
  /** Why (shown with the run), e.g. the sanction that asked for it. */
  reason: string;
}

/** One screening of an import's claims (or of a scope, or of everything), split into batch jobs. */
@Entity('screening_run')
@Index('uq_screening_run_import', ['importId'], { unique: true, where: 'import_id IS NOT NULL' })
export class ScreeningRun {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_screening_run' })
  id!: string;

  /** The import whose claims are screened; null for a full re-screening. */
  @Column({ name: 'import_id', type: 'uuid', nullable: true })
  importId!: string | null;

  /** A scoped run's claims (import_id is then null); null for import and full runs. */
  @Column({ name: 'claim_scope', type: 'jsonb', nullable: true })
  claimScope!: ClaimScope | null;

  @Column({ type: 'varchar', length: 16, default: 'planned' })
  status!: ScreeningRunStatus;

  /** Identifies the rule library it ran with. */
  @Column({ name: 'library_hash', type: 'char', length: 16 })
  libraryHash!: string;

  /** How many times the run was planned (a failed run is planned again); part of its job ids. */
  @Column({ type: 'integer', default: 0 })
  plans!: number;

  @Column({ name: 'batches_total', type: 'integer', default: 0 })
  batchesTotal!: number;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  counts!: Partial<ScreeningCounts>;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** What cross-claim rules need of a claim version's lines, computed once when it is screened. */
@Entity('claim_digest')
export class ClaimDigestRow {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_claim_digest', name: 'claim_pk', type: 'bigint' })
  claimPk!: string;

  @Column({ name: 'line_count', type: 'integer' })
  lineCount!: number;

  /** md5 of the sorted multiset of (item_code, unit_price, quantity). */
  @Column({ name: 'items_signature', type: 'char', length: 32 })
  itemsSignature!: string;

  @Column({ name: 'first_service_date', type: 'date', nullable: true })
  firstServiceDate!: string | null;

  @Column({ name: 'last_service_date', type: 'date', nullable: true })
  lastServiceDate!: string | null;
}

/** One finished batch of a screening run: makes batch completion idempotent and countable. */
@Entity('screening_batch')
export class ScreeningBatch {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_screening_batch', name: 'run_id', type: 'uuid' })
  runId!: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_screening_batch', name: 'from_pk', type: 'bigint' })
  fromPk!: string;

  @Column({ type: 'integer' })
  claims!: number;

  @Column({ type: 'integer' })
  lines!: number;

  /** Hits per category. */
  @Column({ type: 'jsonb' })
  hits!: Record<string, number>;

  @Column({ type: 'integer' })
  inserted!: number;

  @Column({ type: 'integer' })
  updated!: number;

  @Column({ type: 'integer' })
  retired!: number;

  @CreateDateColumn({ name: 'finished_at', type: 'timestamptz' })
  finishedAt!: Date;
}
