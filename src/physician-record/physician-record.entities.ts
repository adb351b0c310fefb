import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CaseDecision, SupervisionCase } from '../cases/case.entities';
import { TimestampedEntity } from '../database/base.entity';
import { Physician } from '../reference/reference.entities';
import { SanctionKind } from './physician-points';

/**
 * 记分: points a final case decision gives the physician it names as responsible. One entry per
 * decision (a retried or repeated final event never counts twice); the year is the calendar year
 * (policy time zone) of the incident date, the date the decision became final.
 */
@Entity('physician_point_entry')
@Index('uq_physician_point_entry_decision', ['decisionId'], { unique: true })
@Index('idx_physician_point_entry_physician_year', ['physicianCode', 'year'])
@Index('idx_physician_point_entry_case', ['caseId'])
export class PhysicianPointEntry extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_physician_point_entry' })
  id!: string;

  @Column({ name: 'physician_code', type: 'varchar', length: 64 })
  physicianCode!: string;

  @ManyToOne(() => Physician, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'physician_code', foreignKeyConstraintName: 'fk_physician_point_entry_physician' })
  physician?: Physician;

  /** The institution of the case (where the incident happened). */
  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  @Column({ type: 'smallint' })
  year!: number;

  @Column({ type: 'smallint' })
  points!: number;

  /** minor / moderate / serious / grave (the policy's band of the points). */
  @Column({ name: 'severity_band', type: 'varchar', length: 16 })
  severityBand!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @ManyToOne(() => SupervisionCase, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'case_id', foreignKeyConstraintName: 'fk_physician_point_entry_case' })
  case?: SupervisionCase;

  /** The final decision that gave the points. */
  @Column({ name: 'decision_id', type: 'uuid' })
  decisionId!: string;

  @ManyToOne(() => CaseDecision, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'decision_id', foreignKeyConstraintName: 'fk_physician_point_entry_decision' })
  decision?: CaseDecision;

  /** The date (policy time zone) the decision became final. */
  @Column({ name: 'incident_date', type: 'date' })
  incidentDate!: string;

  /** Who made the decision final (user_account.id; null for the system). */
  @Column({ name: 'recorded_by', type: 'uuid', nullable: true })
  recordedBy!: string | null;

  @Column({ name: 'recorded_by_name', type: 'varchar', length: 128 })
  recordedByName!: string;
}

/**
 * 暂停 / 终止医保支付资格: a suspension (the year total reached the suspension threshold) or a
 * termination (it reached the termination threshold), in force from `starts_on` to `ends_on`, both
 * inclusive. A termination's `ends_on` is the last day of the re-registration bar (1 year, 3 when
 * one incident reached the threshold alone). A later sanction supersedes one in force; the
 * superseded row keeps its window (what was in force then stays true).
 */
@Entity('physician_sanction')
@Index('idx_physician_sanction_physician', ['physicianCode', 'startsOn'])
@Index('idx_physician_sanction_window', ['endsOn', 'startsOn'])
export class PhysicianSanction extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_physician_sanction' })
  id!: string;

  @Column({ name: 'physician_code', type: 'varchar', length: 64 })
  physicianCode!: string;

  @ManyToOne(() => Physician, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'physician_code', foreignKeyConstraintName: 'fk_physician_sanction_physician' })
  physician?: Physician;

  @Column({ type: 'varchar', length: 16 })
  kind!: SanctionKind;

  @Column({ name: 'starts_on', type: 'date' })
  startsOn!: string;

  @Column({ name: 'ends_on', type: 'date' })
  endsOn!: string;

  /** Suspension: months served. */
  @Column({ type: 'smallint', nullable: true })
  months!: number | null;

  /** Termination: years of the re-registration bar. */
  @Column({ name: 'bar_years', type: 'smallint', nullable: true })
  barYears!: number | null;

  /** The points year and its total (this incident included) that triggered it. */
  @Column({ type: 'smallint' })
  year!: number;

  @Column({ name: 'year_total', type: 'smallint' })
  yearTotal!: number;

  @Column({ name: 'cause_entry_id', type: 'uuid' })
  causeEntryId!: string;

  @ManyToOne(() => PhysicianPointEntry, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'cause_entry_id', foreignKeyConstraintName: 'fk_physician_sanction_cause_entry' })
  causeEntry?: PhysicianPointEntry;

  /** The later sanction that replaced this one (its window is kept). */
  @Column({ name: 'superseded_by', type: 'uuid', nullable: true })
  supersededBy!: string | null;

  /** The policy (physician-points.yaml's hash) that decided it. */
  @Column({ name: 'policy_hash', type: 'char', length: 16 })
  policyHash!: string;
}

export const PHYSICIAN_RECORD_ENTITIES = [PhysicianPointEntry, PhysicianSanction];
