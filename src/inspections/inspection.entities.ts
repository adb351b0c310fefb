import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { MONEY, TimestampedEntity } from '../database/base.entity';
import type { DrawAssignment, DrawInspector, DrawObject, DrawResult, DrawRules } from './draw.types';

export type PlanStatus = 'draft' | 'committed' | 'drawn';
export type AssignmentStatus = 'open' | 'done' | 'superseded';
export const RESULT_OUTCOMES = ['compliant', 'violations', 'referred'] as const;
export type ResultOutcome = (typeof RESULT_OUTCOMES)[number];

/** One inspection matter as copied into a plan (the plan keeps it even if the list changes). */
export interface PlanMatter {
  code: string;
  matter: string;
  basis: string;
  method: string;
}

/** Which institutions are inspection objects of a plan (检查对象名录的筛选). */
export interface ObjectFilter {
  kind: string | null;
  level: number | null;
  region: string | null;
}

/**
 * 抽查工作实施细则: a plan of double-random inspections. The secret seed lives here between the
 * commitment and the draw only (never selected for a response), then moves to the published draw.
 */
@Entity('inspection_plan')
export class InspectionPlan extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_inspection_plan' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  /** As typed: 2026-Q1, 2026-03 or 2026-01-01..2026-03-31. */
  @Column({ type: 'varchar', length: 32 })
  period!: string;

  @Column({ name: 'period_from', type: 'date' })
  periodFrom!: string;

  @Column({ name: 'period_to', type: 'date' })
  periodTo!: string;

  @Column({ type: 'jsonb' })
  matters!: PlanMatter[];

  @Column({ name: 'object_filter', type: 'jsonb' })
  objectFilter!: ObjectFilter;

  @Column({ name: 'sampling_ratio', type: 'jsonb' })
  samplingRatio!: Record<string, number>;

  @Column({ name: 'min_per_stratum', type: 'integer' })
  minPerStratum!: number;

  @Column({ name: 'team_size', type: 'integer' })
  teamSize!: number;

  @Column({ name: 'load_cap', type: 'integer' })
  loadCap!: number;

  @Column({ name: 'avoid_same_region', type: 'boolean' })
  avoidSameRegion!: boolean;

  @Column({ name: 'avoid_previous', type: 'boolean' })
  avoidPrevious!: boolean;

  @Index('idx_inspection_plan_status')
  @Column({ type: 'varchar', length: 16 })
  status!: PlanStatus;

  /** Secret until the draw (hex, 32 bytes); cleared once the draw publishes it. */
  @Column({ type: 'char', length: 64, nullable: true, select: false })
  seed!: string | null;

  /** SHA-256 of the seed, public from the moment of commitment. */
  @Column({ type: 'char', length: 64, nullable: true })
  commitment!: string | null;

  @Column({ name: 'committed_at', type: 'timestamptz', nullable: true })
  committedAt!: Date | null;

  /** The reason of a requested redraw, carried to the next draw. */
  @Column({ name: 'redraw_reason', type: 'text', nullable: true })
  redrawReason!: string | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;
}

/**
 * A published draw: the commitment and its time, the revealed seed, the input snapshots, the result
 * and its hash. Never updated nor deleted (a trigger refuses it); a redraw is a new row.
 */
@Entity('inspection_draw')
@Index('uq_inspection_draw_plan_number', ['planId', 'number'], { unique: true })
export class InspectionDraw extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_inspection_draw' })
  id!: string;

  @Column({ name: 'plan_id', type: 'uuid' })
  planId!: string;

  /** 1 for the first draw of the plan, 2 for its first redraw, … */
  @Column({ type: 'integer' })
  number!: number;

  @Column({ type: 'char', length: 64 })
  commitment!: string;

  @Column({ name: 'committed_at', type: 'timestamptz' })
  committedAt!: Date;

  @Column({ type: 'char', length: 64 })
  seed!: string;

  @Column({ name: 'drawn_at', type: 'timestamptz' })
  drawnAt!: Date;

  @Column({ name: 'drawn_by', type: 'text' })
  drawnBy!: string;

  @Column({ type: 'jsonb' })
  rules!: DrawRules;

  @Column({ type: 'jsonb' })
  objects!: DrawObject[];

  @Column({ type: 'jsonb' })
  inspectors!: DrawInspector[];

  @Column({ type: 'jsonb' })
  previous!: { institution: string; inspectors: string[] }[];

  @Column({ type: 'jsonb' })
  result!: DrawResult;

  @Column({ name: 'result_hash', type: 'char', length: 64 })
  resultHash!: string;

  /** The draw this one replaces (a redraw), with the reason recorded. */
  @Column({ name: 'replaces_draw_id', type: 'uuid', nullable: true })
  replacesDrawId!: string | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;
}

/** One drawn institution with its team (from a draw's result). */
@Entity('inspection_assignment')
@Index('idx_inspection_assignment_draw', ['drawId'])
export class InspectionAssignment extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_inspection_assignment' })
  id!: string;

  @Column({ name: 'plan_id', type: 'uuid' })
  planId!: string;

  @Column({ name: 'draw_id', type: 'uuid' })
  drawId!: string;

  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  @Column({ type: 'varchar', length: 8 })
  grade!: string;

  /** Inspector codes; the first leads. */
  @Column({ type: 'text', array: true })
  team!: DrawAssignment['team'];

  @Column({ type: 'varchar', length: 16 })
  status!: AssignmentStatus;

  @Column({ name: 'due_on', type: 'date' })
  dueOn!: string;
}

/** The result of an assignment, recorded once by a member of its team. */
@Entity('inspection_result')
@Index('idx_inspection_result_publication', ['publishDueOn'], { where: 'published_at IS NULL' })
export class InspectionResult extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_inspection_result' })
  id!: string;

  @Index('uq_inspection_result_assignment', { unique: true })
  @Column({ name: 'assignment_id', type: 'uuid' })
  assignmentId!: string;

  @Column({ type: 'varchar', length: 16 })
  outcome!: ResultOutcome;

  @Column({ name: 'amount_found', ...MONEY, nullable: true })
  amountFound!: string | null;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ name: 'case_id', type: 'uuid', nullable: true })
  caseId!: string | null;

  @Column({ name: 'credit_entry_id', type: 'text', nullable: true })
  creditEntryId!: string | null;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;

  @Column({ name: 'recorded_by', type: 'uuid', nullable: true })
  recordedBy!: string | null;

  @Column({ name: 'recorded_by_inspector', type: 'varchar', length: 64 })
  recordedByInspector!: string;

  /** 20 working days after the result (Mon–Fri; holidays not modelled). */
  @Column({ name: 'publish_due_on', type: 'date' })
  publishDueOn!: string;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}

/** Which login acts as which inspector of the directory (one each way). */
@Entity('inspector_account')
export class InspectorAccount extends TimestampedEntity {
  @PrimaryColumn({ name: 'inspector_code', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_inspector_account' })
  inspectorCode!: string;

  @Index('uq_inspector_account_user', { unique: true })
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;
}

export const INSPECTION_ENTITIES = [InspectionPlan, InspectionDraw, InspectionAssignment, InspectionResult, InspectorAccount];
