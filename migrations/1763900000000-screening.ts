import { MigrationInterface, QueryRunner } from 'typeorm';

/** Screening: findings, screening runs and their batches, and per-claim digests for cross-claim rules. */
export class Screening1763900000000 implements MigrationInterface {
  name = 'Screening1763900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "finding" ("id" BIGSERIAL NOT NULL, "claim_pk" bigint NOT NULL, "claim_id" character varying(64) NOT NULL, "item_seq" integer NOT NULL DEFAULT '0', "rule_id" character varying(64) NOT NULL, "rule_version" integer NOT NULL, "rule_hash" character(16) NOT NULL, "category" character varying(64) NOT NULL, "result_type" character varying(16) NOT NULL, "severity" character varying(8) NOT NULL, "institution_code" character varying(64) NOT NULL, "physician_code" character varying(64), "patient_key" character(32) NOT NULL, "settle_month" date NOT NULL, "amount_at_risk" numeric(16,2) NOT NULL, "evidence" jsonb NOT NULL, "why_zh" text NOT NULL, "why_en" text NOT NULL, "related_claim_id" character varying(64), "status" character varying(16) NOT NULL DEFAULT 'open', "screening_run_id" uuid NOT NULL, "retired_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_finding" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_finding_category_month" ON "finding" ("category", "settle_month") `);
    await queryRunner.query(`CREATE INDEX "idx_finding_rule_status" ON "finding" ("rule_id", "status") `);
    await queryRunner.query(`CREATE INDEX "idx_finding_institution_month" ON "finding" ("institution_code", "settle_month") `);
    await queryRunner.query(`CREATE INDEX "idx_finding_patient" ON "finding" ("patient_key") `);
    await queryRunner.query(`CREATE INDEX "idx_finding_claim" ON "finding" ("claim_id", "item_seq", "rule_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_finding_subject" ON "finding" ("claim_pk", "item_seq", "rule_id") `);
    await queryRunner.query(`CREATE TABLE "screening_run" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "import_id" uuid, "status" character varying(16) NOT NULL DEFAULT 'planned', "library_hash" character(16) NOT NULL, "plans" integer NOT NULL DEFAULT '0', "batches_total" integer NOT NULL DEFAULT '0', "counts" jsonb NOT NULL DEFAULT '{}', "error" text, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_screening_run" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_screening_run_import" ON "screening_run" ("import_id") WHERE import_id IS NOT NULL`);
    await queryRunner.query(`CREATE TABLE "claim_digest" ("claim_pk" bigint NOT NULL, "line_count" integer NOT NULL, "items_signature" character(32) NOT NULL, "first_service_date" date, "last_service_date" date, CONSTRAINT "pk_claim_digest" PRIMARY KEY ("claim_pk"))`);
    await queryRunner.query(`CREATE TABLE "screening_batch" ("run_id" uuid NOT NULL, "from_pk" bigint NOT NULL, "claims" integer NOT NULL, "lines" integer NOT NULL, "hits" jsonb NOT NULL, "inserted" integer NOT NULL, "updated" integer NOT NULL, "retired" integer NOT NULL, "finished_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_screening_batch" PRIMARY KEY ("run_id", "from_pk"))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "screening_batch"`);
    await queryRunner.query(`DROP TABLE "claim_digest"`);
    await queryRunner.query(`DROP INDEX "uq_screening_run_import"`);
    await queryRunner.query(`DROP TABLE "screening_run"`);
    await queryRunner.query(`DROP INDEX "uq_finding_subject"`);
    await queryRunner.query(`DROP INDEX "idx_finding_claim"`);
    await queryRunner.query(`DROP INDEX "idx_finding_patient"`);
    await queryRunner.query(`DROP INDEX "idx_finding_institution_month"`);
    await queryRunner.query(`DROP INDEX "idx_finding_rule_status"`);
    await queryRunner.query(`DROP INDEX "idx_finding_category_month"`);
    await queryRunner.query(`DROP TABLE "finding"`);
  }
}
