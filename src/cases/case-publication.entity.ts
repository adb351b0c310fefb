import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TimestampedEntity } from '../database/base.entity';
import { SupervisionCase } from './case.entities';

/**
 * 曝光台: a supervisor's mark that a case (final, with a violation decision in force) is a typical
 * case to expose to the public, with the behaviour in plain words. One row per case: marking again
 * replaces the summary, withdrawing sets withdrawn_*; the history of both is in the audit trail.
 * What the public reads is assembled at read time (CasePublicationService.listPublished), so a case
 * whose status changes later drops out without anyone touching this row.
 */
@Entity('case_publication')
export class CasePublication extends TimestampedEntity {
  /** The case (a case is marked at most once; the primary key). */
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_case_publication', name: 'case_id', type: 'uuid' })
  caseId!: string;

  // Cases are never deleted: the key holds.
  @ManyToOne(() => SupervisionCase, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'case_id', foreignKeyConstraintName: 'fk_case_publication_case' })
  case?: SupervisionCase;

  /** The behaviour in plain words for the public (≤ 1000 characters); never a patient, claim or physician. */
  @Column({ name: 'summary_zh', type: 'text' })
  summaryZh!: string;

  @Column({ name: 'summary_en', type: 'text', nullable: true })
  summaryEn!: string | null;

  /** user_account.id of the supervisor who marked it (no foreign key: accounts are deactivated, never deleted). */
  @Column({ name: 'marked_by', type: 'uuid', nullable: true })
  markedBy!: string | null;

  @Column({ name: 'marked_by_name', type: 'varchar', length: 128 })
  markedByName!: string;

  /** The last marking (a re-mark with a new summary moves it). */
  @Column({ name: 'marked_at', type: 'timestamptz' })
  markedAt!: Date;

  @Column({ name: 'withdrawn_at', type: 'timestamptz', nullable: true })
  withdrawnAt!: Date | null;

  @Column({ name: 'withdrawn_by', type: 'uuid', nullable: true })
  withdrawnBy!: string | null;

  @Column({ name: 'withdrawn_by_name', type: 'varchar', length: 128, nullable: true })
  withdrawnByName!: string | null;

  @Column({ name: 'withdraw_reason', type: 'text', nullable: true })
  withdrawReason!: string | null;
}
