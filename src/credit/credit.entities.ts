import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { TimestampedEntity } from '../database/base.entity';
import type { CauseFacts, EntryKind } from './ledger';

/** Every distinct content the credit policy file has had; ledger entries name the version they were priced under. */
@Entity('credit_policy_version')
@Index('uq_credit_policy_version_hash', ['hash'], { unique: true })
export class CreditPolicyVersion extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_credit_policy_version', type: 'integer' })
  version!: number;

  /** sha256 of the canonical JSON of the content. */
  @Column({ type: 'char', length: 64 })
  hash!: string;

  @Column({ type: 'jsonb' })
  content!: Record<string, unknown>;

  /** The file it was first read from. */
  @Column({ type: 'text' })
  source!: string;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;
}

/**
 * 信用记分明细: one change of an institution's credit, linked to its cause (a final case decision,
 * an inspection result, an overdue recovery, a bonus, an appeal reversal, a repair) and to the policy
 * version that priced it. Append-only (a trigger refuses UPDATE and DELETE); one entry per cause,
 * so a retried job or a re-emitted event never counts twice. Scores are replayed from these.
 */
@Entity('credit_entry')
@Index('uq_credit_entry_cause', ['institutionCode', 'kind', 'causeType', 'causeId'], { unique: true })
@Index('uq_credit_entry_reverses', ['reversesEntryId'], { unique: true, where: 'reverses_entry_id IS NOT NULL' })
@Index('idx_credit_entry_institution_cycle', ['institutionCode', 'cycle', 'id'])
@Index('idx_credit_entry_cycle_kind', ['cycle', 'kind'])
export class CreditEntry extends TimestampedEntity {
  /** Also the replay order. */
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_credit_entry', type: 'bigint' })
  id!: string;

  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  /** The cycle (calendar year) whose score it changes. */
  @Column({ type: 'integer' })
  cycle!: number;

  /** Negative: a deduction. As priced when recorded; the replay clamps to the scale. */
  @Column({ type: 'integer' })
  points!: number;

  @Column({ type: 'varchar', length: 24 })
  kind!: EntryKind;

  /** case, inspection, recovery, bonus, credit_appeal, credit_repair. */
  @Column({ name: 'cause_type', type: 'varchar', length: 24 })
  causeType!: string;

  @Column({ name: 'cause_id', type: 'varchar', length: 200 })
  causeId!: string;

  /** What the cause was (article, categories, severity, outcome …): enough to price it again. */
  @Column({ name: 'cause_facts', type: 'jsonb' })
  causeFacts!: CauseFacts;

  @Column({ name: 'policy_version', type: 'integer' })
  policyVersion!: number;

  @ManyToOne(() => CreditPolicyVersion, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'policy_version', foreignKeyConstraintName: 'fk_credit_entry_policy_version' })
  policy?: CreditPolicyVersion;

  @Column({ name: 'reason_zh', type: 'text' })
  reasonZh!: string;

  @Column({ name: 'reason_en', type: 'text' })
  reasonEn!: string;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_name', type: 'varchar', length: 128 })
  actorName!: string;

  @Column({ name: 'actor_role', type: 'varchar', length: 16 })
  actorRole!: string;

  /** When the cause happened (the decision became final, the inspection took place …). */
  @Column({ name: 'effective_at', type: 'timestamptz' })
  effectiveAt!: Date;

  /** appeal_reversal and repair: the deduction they undo. */
  @Column({ name: 'reverses_entry_id', type: 'bigint', nullable: true })
  reversesEntryId!: string | null;

  @ManyToOne(() => CreditEntry, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'reverses_entry_id', foreignKeyConstraintName: 'fk_credit_entry_reverses' })
  reverses?: CreditEntry;
}

/**
 * The derived score and grade of an institution in a cycle: a cache rebuilt from the entries in
 * the transaction of every entry (and by `fundguard credit recompute`); never edited by hand.
 * closed_at marks the archived final standing of a cycle closed by the year-end rollover.
 */
@Entity('credit_standing')
@Index('idx_credit_standing_cycle_grade', ['cycle', 'grade'])
export class CreditStanding extends TimestampedEntity {
  @PrimaryColumn({ name: 'institution_code', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_credit_standing' })
  institutionCode!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'pk_credit_standing' })
  cycle!: number;

  @Column({ type: 'integer' })
  score!: number;

  @Column({ type: 'varchar', length: 2 })
  grade!: string;

  /** The policy whose scale and bands gave score and grade. */
  @Column({ name: 'policy_version', type: 'integer' })
  policyVersion!: number;

  @Column({ name: 'entry_count', type: 'integer', default: 0 })
  entryCount!: number;

  @Column({ name: 'computed_at', type: 'timestamptz' })
  computedAt!: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}

/** A closed cycle: the rollover ran for this year (once: a second run changes nothing). */
@Entity('credit_cycle')
export class CreditCycle extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_credit_cycle', type: 'integer' })
  year!: number;

  @Column({ name: 'closed_at', type: 'timestamptz' })
  closedAt!: Date;

  @Column({ name: 'closed_by', type: 'varchar', length: 128 })
  closedBy!: string;

  @Column({ name: 'policy_version', type: 'integer' })
  policyVersion!: number;

  /** Institutions archived, and how many per grade. */
  @Column({ type: 'integer' })
  institutions!: number;

  @Column({ name: 'grade_counts', type: 'jsonb' })
  gradeCounts!: Record<string, number>;
}

export type CreditRequestType = 'appeal' | 'repair';
export type CreditRequestStatus = 'open' | 'upheld' | 'reversed' | 'granted' | 'refused';

/**
 * An institution's request about one of its entries: an appeal (申诉) of a deduction, upheld or
 * reversed; or a repair (信用修复) of a violation deduction, granted or refused. A supervisor decides
 * by due_on (working days after filing).
 */
@Entity('credit_request')
@Index('uq_credit_request_appeal', ['entryId'], { unique: true, where: `type = 'appeal'` })
@Index('uq_credit_request_repair_active', ['entryId'], { unique: true, where: `type = 'repair' AND status IN ('open', 'granted')` })
@Index('idx_credit_request_status_due', ['status', 'dueOn'])
@Index('idx_credit_request_institution', ['institutionCode', 'filedAt'])
export class CreditRequest extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_credit_request' })
  id!: string;

  @Column({ type: 'varchar', length: 8 })
  type!: CreditRequestType;

  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @ManyToOne(() => CreditEntry, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'entry_id', foreignKeyConstraintName: 'fk_credit_request_entry' })
  entry?: CreditEntry;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'filed_by', type: 'uuid', nullable: true })
  filedBy!: string | null;

  @Column({ name: 'filed_by_name', type: 'varchar', length: 128 })
  filedByName!: string;

  @Column({ name: 'filed_at', type: 'timestamptz' })
  filedAt!: Date;

  /** The decision is due by this local date (working days after filing). */
  @Column({ name: 'due_on', type: 'date' })
  dueOn!: string;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: CreditRequestStatus;

  @Column({ name: 'decision_reason', type: 'text', nullable: true })
  decisionReason!: string | null;

  /** Repairs: the supervisor confirmed the fault rectified. */
  @Column({ type: 'boolean', nullable: true })
  rectified!: boolean | null;

  @Column({ name: 'decided_by', type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_by_name', type: 'varchar', length: 128, nullable: true })
  decidedByName!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** The reversal or repair entry a granted request wrote. */
  @Column({ name: 'result_entry_id', type: 'bigint', nullable: true })
  resultEntryId!: string | null;

  @ManyToOne(() => CreditEntry, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'result_entry_id', foreignKeyConstraintName: 'fk_credit_request_result_entry' })
  resultEntry?: CreditEntry;
}

export const CREDIT_ENTITIES = [CreditPolicyVersion, CreditEntry, CreditStanding, CreditCycle, CreditRequest];
