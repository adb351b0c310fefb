import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { MONEY } from '../database/base.entity';

/**
 * One version of a settled claim (结算). A correction (same claim_id, new content) adds a version and
 * retires the previous one; nothing is overwritten. Monthly screening reads by settle_month through
 * a BRIN index (claims arrive roughly in settlement order, so it stays tiny and cheap to maintain;
 * created in the migration, hence `synchronize: false` here).
 */
@Entity('claim')
@Index('uq_claim_claim_id_version', ['claimId', 'version'], { unique: true })
@Index('brin_claim_settle_month', { synchronize: false })
@Index('idx_claim_patient_admission', ['patientKey', 'admissionDate'])
export class Claim {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_claim', type: 'bigint' })
  id!: string;

  @Column({ name: 'claim_id', type: 'varchar', length: 64 })
  claimId!: string;

  @Column({ type: 'integer' })
  version!: number;

  /** md5 of the canonical content of the claim and its lines. */
  @Column({ name: 'content_hash', type: 'char', length: 32 })
  contentHash!: string;

  @Column({ name: 'import_id', type: 'uuid' })
  importId!: string;

  @Column({ name: 'is_current', type: 'boolean', default: true })
  isCurrent!: boolean;

  @Column({ name: 'superseded_at', type: 'timestamptz', nullable: true })
  supersededAt!: Date | null;

  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  @Column({ name: 'physician_code', type: 'varchar', length: 64, nullable: true })
  physicianCode!: string | null;

  /** Keyed hash of the person number: the clear id is never stored. */
  @Column({ name: 'patient_key', type: 'char', length: 32 })
  patientKey!: string;

  @Column({ name: 'patient_gender', type: 'char', length: 1 })
  patientGender!: 'M' | 'F';

  @Column({ name: 'patient_birth_date', type: 'date' })
  patientBirthDate!: string;

  @Column({ name: 'insurance_type', type: 'varchar', length: 16 })
  insuranceType!: 'employee' | 'resident';

  @Column({ name: 'visit_type', type: 'varchar', length: 16 })
  visitType!: 'outpatient' | 'inpatient' | 'pharmacy';

  @Column({ name: 'admission_date', type: 'date' })
  admissionDate!: string;

  @Column({ name: 'discharge_date', type: 'date' })
  dischargeDate!: string;

  @Column({ name: 'primary_diagnosis', type: 'varchar', length: 64, nullable: true })
  primaryDiagnosis!: string | null;

  @Column({ name: 'secondary_diagnoses', type: 'text', array: true, default: () => "'{}'" })
  secondaryDiagnoses!: string[];

  @Column({ name: 'discharge_status', type: 'varchar', length: 16, nullable: true })
  dischargeStatus!: string | null;

  @Column({ name: 'total_amount', ...MONEY })
  totalAmount!: string;

  @Column({ name: 'fund_paid', ...MONEY })
  fundPaid!: string;

  @Column({ name: 'self_paid', ...MONEY })
  selfPaid!: string;

  @Column({ name: 'settled_at', type: 'timestamptz' })
  settledAt!: Date;

  /** First day of the settlement month (local time as written). */
  @Column({ name: 'settle_month', type: 'date' })
  settleMonth!: string;

  @Column({ name: 'insured_region', type: 'char', length: 6, nullable: true })
  insuredRegion!: string | null;

  @Column({ name: 'service_region', type: 'char', length: 6, nullable: true })
  serviceRegion!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * 费用明细: one billed line of a claim version, keyed by (claim version, item_seq). Only the import
 * writes lines, together with their claim in one transaction; a foreign key would add a lookup per
 * line to the bulk path (a third of its cost) for a guarantee the import already gives.
 */
@Entity('claim_item')
@Index('brin_claim_item_settle_month', { synchronize: false })
export class ClaimItem {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_claim_item', name: 'claim_pk', type: 'bigint' })
  claimPk!: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_claim_item', name: 'item_seq', type: 'integer' })
  itemSeq!: number;

  @Column({ name: 'item_code', type: 'varchar', length: 64 })
  itemCode!: string;

  @Column({ name: 'item_name', type: 'text', nullable: true })
  itemName!: string | null;

  @Column({ name: 'service_date', type: 'date' })
  serviceDate!: string;

  @Column({ name: 'unit_price', ...MONEY })
  unitPrice!: string;

  /** Exact decimal (may have decimals, e.g. 0.5 of a box). */
  @Column({ type: 'numeric' })
  quantity!: string;

  @Column({ ...MONEY })
  amount!: string;

  @Column({ name: 'days_supply', type: 'integer', nullable: true })
  daysSupply!: number | null;

  /** Copied from the claim so a month's lines are read without a join. */
  @Column({ name: 'settle_month', type: 'date' })
  settleMonth!: string;
}

/** The current version of every claim_id: the idempotency key of imports. */
@Entity('claim_head')
export class ClaimHead {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_claim_head', name: 'claim_id', type: 'varchar', length: 64 })
  claimId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'content_hash', type: 'char', length: 32 })
  contentHash!: string;

  @Column({ name: 'current_claim_pk', type: 'bigint' })
  currentClaimPk!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
