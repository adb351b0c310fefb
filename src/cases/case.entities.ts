import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { MONEY, TimestampedEntity } from '../database/base.entity';
import { Finding } from '../screening/screening.entities';
import { AppealOutcome, CaseStatus } from './case-workflow';
import { AgreementAction, LegalArticle } from './penalties';

/** findings: from screening; risk: from a risk score; inspection: from an on-site inspection result (src/inspections); tip: from a public tip (举报, src/tips). */
export type CaseKind = 'findings' | 'risk' | 'inspection' | 'tip';
export type CaseGrouping = 'institution-period' | 'claim';
export type FindingOutcome = 'confirmed' | 'dismissed';

/**
 * 案件: findings of one group (an institution's settlement month, or one claim) or a high risk score
 * of an institution-month, under review by a supervisor until decided, appealed, final and closed.
 * A group has at most one case collecting findings (open / in review) at a time, and an
 * institution-month at most one risk case.
 */
@Entity('supervision_case')
@Index('uq_supervision_case_number', ['number'], { unique: true })
@Index('uq_supervision_case_collecting_period', ['institutionCode', 'period'], {
  unique: true,
  where: `kind = 'findings' AND claim_id IS NULL AND status IN ('open', 'in_review')`,
})
@Index('uq_supervision_case_collecting_claim', ['claimId'], { unique: true, where: `kind = 'findings' AND claim_id IS NOT NULL AND status IN ('open', 'in_review')` })
@Index('uq_supervision_case_risk', ['institutionCode', 'period'], { unique: true, where: `kind = 'risk'` })
@Index('idx_supervision_case_status_opened', ['status', 'openedAt'])
@Index('idx_supervision_case_institution_period', ['institutionCode', 'period'])
@Index('idx_supervision_case_assignee', ['assigneeId'])
export class SupervisionCase extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_supervision_case' })
  id!: string;

  /** Human number AJ-YYYY-NNNNNN (year of opening, from the sequence supervision_case_number_seq). */
  @Column({ type: 'varchar', length: 32 })
  number!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: CaseKind;

  @Column({ type: 'varchar', length: 24 })
  grouping!: CaseGrouping;

  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  /** Settlement month YYYY-MM (of the claim, for claim cases). */
  @Column({ type: 'char', length: 7 })
  period!: string;

  /** Set for claim cases. */
  @Column({ name: 'claim_id', type: 'varchar', length: 64, nullable: true })
  claimId!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: CaseStatus;

  /** user_account.id of the reviewer (no foreign key: accounts are deactivated, never deleted). */
  @Column({ name: 'assignee_id', type: 'uuid', nullable: true })
  assigneeId!: string | null;

  /** Σ amount at risk of its findings that are neither retired nor dismissed. */
  @Column({ name: 'amount_at_risk', ...MONEY, default: 0 })
  amountAtRisk!: string;

  @Column({ name: 'finding_count', type: 'integer', default: 0 })
  findingCount!: number;

  /** Risk cases: the score, rank, peer group and drivers when the case was opened. */
  @Column({ name: 'risk_snapshot', type: 'jsonb', nullable: true })
  riskSnapshot!: Record<string, unknown> | null;

  @Column({ name: 'opened_at', type: 'timestamptz' })
  openedAt!: Date;

  @Column({ name: 'review_due_on', type: 'date' })
  reviewDueOn!: string;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt!: Date | null;

  @Column({ name: 'confirm_reason', type: 'text', nullable: true })
  confirmReason!: string | null;

  @Column({ name: 'dismiss_reason', type: 'text', nullable: true })
  dismissReason!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** The last moment the institution may appeal (decision + CASE_APPEAL_DAYS). */
  @Column({ name: 'appeal_deadline', type: 'timestamptz', nullable: true })
  appealDeadline!: Date | null;

  @Column({ name: 'appeal_waived', type: 'boolean', default: false })
  appealWaived!: boolean;

  @Column({ name: 'final_at', type: 'timestamptz', nullable: true })
  finalAt!: Date | null;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @Column({ name: 'close_reason', type: 'text', nullable: true })
  closeReason!: string | null;
}

/** A finding in a case (a finding belongs to at most one case), with the reviewer's outcome. */
@Entity('case_finding')
@Index('idx_case_finding_case', ['caseId'])
export class CaseFinding {
  /** The primary key: a finding is in one case at most. */
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_case_finding', name: 'finding_id', type: 'bigint' })
  findingId!: string;

  // Findings are retired, never deleted: the key holds.
  @ManyToOne(() => Finding, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'finding_id', foreignKeyConstraintName: 'fk_case_finding_finding' })
  finding?: Finding;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @ManyToOne(() => SupervisionCase, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'case_id', foreignKeyConstraintName: 'fk_case_finding_case' })
  case?: SupervisionCase;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: FindingOutcome | null;

  @Column({ name: 'added_at', type: 'timestamptz' })
  addedAt!: Date;
}

/** 处理决定: the violation, its legal basis and the penalty; an amended decision supersedes the earlier one. */
@Entity('case_decision')
@Index('idx_case_decision_case', ['caseId', 'decidedAt'])
export class CaseDecision extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_case_decision' })
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @ManyToOne(() => SupervisionCase, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'case_id', foreignKeyConstraintName: 'fk_case_decision_case' })
  case?: SupervisionCase;

  /** 违规类型, e.g. 超标准收费, 分解住院, 虚构医疗服务. */
  @Column({ name: 'violation_type', type: 'varchar', length: 200 })
  violationType!: string;

  /** Article of 条例 (Decree 735). */
  @Column({ type: 'varchar', length: 4 })
  article!: LegalArticle;

  /** The clause as written in the decision, e.g. 第三十八条第（五）项. */
  @Column({ name: 'clause_text', type: 'text', nullable: true })
  clauseText!: string | null;

  @Column({ name: 'amount_to_recover', ...MONEY })
  amountToRecover!: string;

  @Column({ name: 'fine_multiple', type: 'numeric', precision: 4, scale: 2 })
  fineMultiple!: string;

  /** amount_to_recover × fine_multiple, rounded half up to the fen. */
  @Column({ name: 'fine_amount', ...MONEY })
  fineAmount!: string;

  @Column({ name: 'suspension_months', type: 'integer', default: 0 })
  suspensionMonths!: number;

  @Column({ name: 'agreement_action', type: 'varchar', length: 16 })
  agreementAction!: AgreementAction;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'decided_by', type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_by_name', type: 'varchar', length: 128 })
  decidedByName!: string;

  @Column({ name: 'decided_at', type: 'timestamptz' })
  decidedAt!: Date;

  /** The amending decision that replaced this one. */
  @Column({ name: 'superseded_by', type: 'uuid', nullable: true })
  supersededBy!: string | null;

  /** 责任医师: the physician (physician.code) held responsible; points are recorded when the decision becomes final. */
  @Column({ name: 'responsible_physician_code', type: 'varchar', length: 64, nullable: true })
  responsiblePhysicianCode!: string | null;

  /** 记分: 1–12 points for the responsible physician (set iff one is named). */
  @Column({ name: 'physician_points', type: 'smallint', nullable: true })
  physicianPoints!: number | null;

  /** The points' severity band under rules/physician-points.yaml (minor 1–3, moderate 4–6, serious 7–9, grave 10–12). */
  @Column({ name: 'physician_severity_band', type: 'varchar', length: 16, nullable: true })
  physicianSeverityBand!: string | null;
}

/** 申诉: the institution contests a decision; a supervisor upholds, amends or overturns it. */
@Entity('case_appeal')
@Index('idx_case_appeal_case', ['caseId', 'filedAt'])
export class CaseAppeal extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_case_appeal' })
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @ManyToOne(() => SupervisionCase, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'case_id', foreignKeyConstraintName: 'fk_case_appeal_case' })
  case?: SupervisionCase;

  /** The contested decision. */
  @Column({ name: 'decision_id', type: 'uuid' })
  decisionId!: string;

  @ManyToOne(() => CaseDecision, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'decision_id', foreignKeyConstraintName: 'fk_case_appeal_decision' })
  decision?: CaseDecision;

  @Column({ name: 'filed_by', type: 'uuid', nullable: true })
  filedBy!: string | null;

  @Column({ name: 'filed_by_name', type: 'varchar', length: 128 })
  filedByName!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'filed_at', type: 'timestamptz' })
  filedAt!: Date;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: AppealOutcome | null;

  @Column({ name: 'outcome_reason', type: 'text', nullable: true })
  outcomeReason!: string | null;

  @Column({ name: 'decided_by', type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_by_name', type: 'varchar', length: 128, nullable: true })
  decidedByName!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** amended: the decision that replaced the contested one. */
  @Column({ name: 'new_decision_id', type: 'uuid', nullable: true })
  newDecisionId!: string | null;
}

export type RecoveryKind = 'refund' | 'fine';
export type RecoveryStatus = 'open' | 'paid' | 'overdue' | 'cancelled';

/**
 * 追回 / 罚没: money a decision orders the institution to pay, one row per kind (refund of the loss,
 * fine). An amended decision changes the amount due; an overturned one cancels it. The status is
 * computed (paid in full, past due, cancelled, else open), never stored.
 */
@Entity('recovery')
@Index('uq_recovery_case_kind', ['caseId', 'kind'], { unique: true })
@Index('idx_recovery_due', ['dueDate'])
export class Recovery extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_recovery' })
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @ManyToOne(() => SupervisionCase, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'case_id', foreignKeyConstraintName: 'fk_recovery_case' })
  case?: SupervisionCase;

  /** The decision whose terms set amount_due. */
  @Column({ name: 'decision_id', type: 'uuid' })
  decisionId!: string;

  @ManyToOne(() => CaseDecision, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'decision_id', foreignKeyConstraintName: 'fk_recovery_decision' })
  decision?: CaseDecision;

  @Column({ type: 'varchar', length: 8 })
  kind!: RecoveryKind;

  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  @Column({ name: 'amount_due', ...MONEY })
  amountDue!: string;

  /** Σ of its payments (kept in the same transaction as each payment). */
  @Column({ name: 'amount_paid', ...MONEY, default: 0 })
  amountPaid!: string;

  @Column({ name: 'due_date', type: 'date' })
  dueDate!: string;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;
}

/** One payment against a recovery (a bank transfer, a deduction from the next settlement …). */
@Entity('recovery_payment')
@Index('idx_recovery_payment_recovery', ['recoveryId', 'paidOn'])
export class RecoveryPayment extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_recovery_payment' })
  id!: string;

  @Column({ name: 'recovery_id', type: 'uuid' })
  recoveryId!: string;

  @ManyToOne(() => Recovery, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'recovery_id', foreignKeyConstraintName: 'fk_recovery_payment_recovery' })
  recovery?: Recovery;

  @Column({ ...MONEY })
  amount!: string;

  @Column({ name: 'paid_on', type: 'date' })
  paidOn!: string;

  @Column({ type: 'varchar', length: 128 })
  reference!: string;

  @Column({ name: 'recorded_by', type: 'uuid', nullable: true })
  recordedBy!: string | null;

  @Column({ name: 'recorded_by_name', type: 'varchar', length: 128 })
  recordedByName!: string;
}

export const CASE_ENTITIES = [SupervisionCase, CaseFinding, CaseDecision, CaseAppeal, Recovery, RecoveryPayment];
