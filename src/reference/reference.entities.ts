import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { MONEY, TimestampedEntity } from '../database/base.entity';

/** 定点医药机构: a designated medical institution or pharmacy. */
@Entity('institution')
export class Institution extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_institution', type: 'varchar', length: 64 })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'hospital' | 'primary_care' | 'clinic' | 'pharmacy';

  @Column({ type: 'smallint', nullable: true })
  level!: number | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  ownership!: 'public' | 'private' | null;

  @Index('idx_institution_region')
  @Column({ type: 'char', length: 6 })
  region!: string;
}

/** 医保医师: an insured-service physician. */
@Entity('physician')
export class Physician extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_physician', type: 'varchar', length: 64 })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Index('idx_physician_institution')
  @Column({ name: 'institution_code', type: 'varchar', length: 64 })
  institutionCode!: string;

  @Column({ type: 'text', nullable: true })
  specialty!: string | null;
}

/** 知识库条目: a drug, service item or consumable with the limits the rules read. */
@Entity('catalog_item')
export class CatalogItem extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_catalog_item', type: 'varchar', length: 64 })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'drug' | 'service' | 'consumable';

  @Column({ name: 'price_ceiling', ...MONEY, nullable: true })
  priceCeiling!: string | null;

  @Column({ name: 'gender_limit', type: 'char', length: 1, nullable: true })
  genderLimit!: 'M' | 'F' | null;

  @Column({ name: 'min_age', type: 'smallint', nullable: true })
  minAge!: number | null;

  @Column({ name: 'max_age', type: 'smallint', nullable: true })
  maxAge!: number | null;

  @Column({ name: 'max_daily_qty', type: 'numeric', nullable: true })
  maxDailyQty!: string | null;

  @Column({ name: 'max_days_supply', type: 'integer', nullable: true })
  maxDaysSupply!: number | null;

  /** ICD-10 code prefixes, upper case. */
  @Column({ type: 'text', array: true, nullable: true })
  indications!: string[] | null;

  @Column({ name: 'setting_limit', type: 'varchar', length: 16, nullable: true })
  settingLimit!: 'inpatient' | 'outpatient' | null;

  @Index('idx_catalog_item_exclusive_group')
  @Column({ name: 'exclusive_group', type: 'varchar', length: 64, nullable: true })
  exclusiveGroup!: string | null;
}

/** Registry facts about an insured person, keyed by the pseudonymised patient id. */
@Entity('person')
export class Person extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_person', name: 'patient_key', type: 'char', length: 32 })
  patientKey!: string;

  @Column({ name: 'death_date', type: 'date', nullable: true })
  deathDate!: string | null;
}

/** 检查人员名录库: the inspector directory. */
@Entity('inspector')
export class Inspector extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_inspector', type: 'varchar', length: 64 })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  unit!: string;

  @Column({ type: 'char', length: 6 })
  region!: string;

  /** Institution codes this inspector must never inspect (回避). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  conflicts!: string[];
}

/** The pooled fund's monthly accounts (基金收支). */
@Entity('fund_ledger')
export class FundLedgerEntry extends TimestampedEntity {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_fund_ledger', type: 'char', length: 7 })
  period!: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_fund_ledger', name: 'insurance_type', type: 'varchar', length: 16 })
  insuranceType!: 'employee' | 'resident';

  @Column({ ...MONEY })
  income!: string;

  @Column({ ...MONEY })
  expenditure!: string;

  @Column({ ...MONEY })
  balance!: string;
}
