import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The risk score of an institution or physician for one period (settlement month), with its
 * features, their comparison with the peer group, and the drivers that explain it. A re-scoring
 * of a period replaces its rows (scores are derived data, reproducible from the claims).
 */
@Entity('risk_score')
@Index('idx_risk_score_period_rank', ['entityType', 'period', 'rank'])
export class RiskScore {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_risk_score', name: 'entity_type', type: 'varchar', length: 16 })
  entityType!: 'institution' | 'physician';

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_risk_score', name: 'entity_code', type: 'varchar', length: 64 })
  entityCode!: string;

  /** YYYY-MM */
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_risk_score', type: 'char', length: 7 })
  period!: string;

  @Column({ name: 'peer_group', type: 'varchar', length: 128 })
  peerGroup!: string;

  @Column({ name: 'peer_size', type: 'integer' })
  peerSize!: number;

  /** 0–100, higher is riskier. */
  @Column({ type: 'numeric', precision: 6, scale: 2 })
  score!: string;

  /** 1 = riskiest of its type within the period. */
  @Column({ type: 'integer' })
  rank!: number;

  /** The unsupervised peer score before scaling (weighted mean of positive robust z). */
  @Column({ type: 'double precision' })
  unsupervised!: number;

  /** Probability from the supervised model, when one is trained. */
  @Column({ type: 'double precision', nullable: true })
  supervised!: number | null;

  @Column({ name: 'model_version', type: 'integer', nullable: true })
  modelVersion!: number | null;

  @Column({ type: 'jsonb' })
  features!: Record<string, number | null>;

  @Column({ name: 'z_scores', type: 'jsonb' })
  zScores!: Record<string, number | null>;

  @Column({ type: 'jsonb' })
  percentiles!: Record<string, number | null>;

  @Column({ name: 'peer_medians', type: 'jsonb' })
  peerMedians!: Record<string, number | null>;

  /** The features that drive the score: value, peer median, ratio, z, and a sentence in Chinese and English. */
  @Column({ type: 'jsonb' })
  drivers!: unknown[];

  @Column({ name: 'computed_at', type: 'timestamptz' })
  computedAt!: Date;
}
