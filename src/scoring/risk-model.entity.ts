import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A version of the supervised risk model: a random forest trained on reviewed outcomes (periods of
 * institutions with confirmed findings versus those whose reviewed findings were all dismissed),
 * with its cross-validated quality. Versions are kept; scores name the version they used.
 */
@Entity('risk_model')
export class RiskModel {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'pk_risk_model', type: 'integer' })
  version!: number;

  @Column({ name: 'entity_type', type: 'varchar', length: 16 })
  entityType!: 'institution' | 'physician';

  @Column({ name: 'trained_at', type: 'timestamptz' })
  trainedAt!: Date;

  @Column({ type: 'integer' })
  seed!: number;

  @Column({ type: 'integer' })
  rows!: number;

  @Column({ type: 'integer' })
  positives!: number;

  /** Feature keys, in column order (robust z-scores against peers). */
  @Column({ type: 'jsonb' })
  features!: string[];

  @Column({ type: 'jsonb' })
  options!: Record<string, unknown>;

  /** Cross-validated ROC-AUC and PR-AUC: per fold, mean and standard deviation. */
  @Column({ type: 'jsonb' })
  metrics!: Record<string, unknown>;

  /** Mean decrease in impurity per feature. */
  @Column({ type: 'jsonb' })
  importance!: Record<string, number>;

  @Column({ type: 'jsonb' })
  model!: unknown;
}
