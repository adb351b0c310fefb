import { MigrationInterface, QueryRunner } from 'typeorm';

/** Risk scores of institutions and physicians per period (features, peer comparison, drivers), and supervised model versions. */
export class RiskScores1764000000000 implements MigrationInterface {
  name = 'RiskScores1764000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "risk_score" ("entity_type" character varying(16) NOT NULL, "entity_code" character varying(64) NOT NULL, "period" character(7) NOT NULL, "peer_group" character varying(128) NOT NULL, "peer_size" integer NOT NULL, "score" numeric(6,2) NOT NULL, "rank" integer NOT NULL, "unsupervised" double precision NOT NULL, "supervised" double precision, "model_version" integer, "features" jsonb NOT NULL, "z_scores" jsonb NOT NULL, "percentiles" jsonb NOT NULL, "peer_medians" jsonb NOT NULL, "drivers" jsonb NOT NULL, "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_risk_score" PRIMARY KEY ("entity_type", "entity_code", "period"))`);
    await queryRunner.query(`CREATE INDEX "idx_risk_score_period_rank" ON "risk_score" ("entity_type", "period", "rank") `);
    await queryRunner.query(`CREATE TABLE "risk_model" ("version" SERIAL NOT NULL, "entity_type" character varying(16) NOT NULL, "trained_at" TIMESTAMP WITH TIME ZONE NOT NULL, "seed" integer NOT NULL, "rows" integer NOT NULL, "positives" integer NOT NULL, "features" jsonb NOT NULL, "options" jsonb NOT NULL, "metrics" jsonb NOT NULL, "importance" jsonb NOT NULL, "model" jsonb NOT NULL, CONSTRAINT "pk_risk_model" PRIMARY KEY ("version"))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "risk_model"`);
    await queryRunner.query(`DROP INDEX "idx_risk_score_period_rank"`);
    await queryRunner.query(`DROP TABLE "risk_score"`);
  }
}
