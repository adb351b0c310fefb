import { MigrationInterface, QueryRunner } from 'typeorm';

/** Reference data (knowledge base), versioned claims and lines, import runs and rejections. */
export class Init1763800000000 implements MigrationInterface {
  name = 'Init1763800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "claim" ("id" BIGSERIAL NOT NULL, "claim_id" character varying(64) NOT NULL, "version" integer NOT NULL, "content_hash" character(32) NOT NULL, "import_id" uuid NOT NULL, "is_current" boolean NOT NULL DEFAULT true, "superseded_at" TIMESTAMP WITH TIME ZONE, "institution_code" character varying(64) NOT NULL, "physician_code" character varying(64), "patient_key" character(32) NOT NULL, "patient_gender" character(1) NOT NULL, "patient_birth_date" date NOT NULL, "insurance_type" character varying(16) NOT NULL, "visit_type" character varying(16) NOT NULL, "admission_date" date NOT NULL, "discharge_date" date NOT NULL, "primary_diagnosis" character varying(64), "secondary_diagnoses" text array NOT NULL DEFAULT '{}', "discharge_status" character varying(16), "total_amount" numeric(16,2) NOT NULL, "fund_paid" numeric(16,2) NOT NULL, "self_paid" numeric(16,2) NOT NULL, "settled_at" TIMESTAMP WITH TIME ZONE NOT NULL, "settle_month" date NOT NULL, "insured_region" character(6), "service_region" character(6), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_claim" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_claim_patient_admission" ON "claim" ("patient_key", "admission_date") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_claim_claim_id_version" ON "claim" ("claim_id", "version") `);
    await queryRunner.query(`CREATE TABLE "claim_item" ("claim_pk" bigint NOT NULL, "item_seq" integer NOT NULL, "item_code" character varying(64) NOT NULL, "item_name" text, "service_date" date NOT NULL, "unit_price" numeric(16,2) NOT NULL, "quantity" numeric NOT NULL, "amount" numeric(16,2) NOT NULL, "days_supply" integer, "settle_month" date NOT NULL, CONSTRAINT "pk_claim_item" PRIMARY KEY ("claim_pk", "item_seq"))`);
    await queryRunner.query(`CREATE TABLE "claim_head" ("claim_id" character varying(64) NOT NULL, "version" integer NOT NULL, "content_hash" character(32) NOT NULL, "current_claim_pk" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_claim_head" PRIMARY KEY ("claim_id"))`);
    await queryRunner.query(`CREATE TABLE "import_run" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(16) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'queued', "source" text NOT NULL, "files" jsonb NOT NULL DEFAULT '[]', "mapping" jsonb, "counts" jsonb, "error" text, "attempts" integer NOT NULL DEFAULT '0', "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_import_run" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_import_run_created" ON "import_run" ("created_at") `);
    await queryRunner.query(`CREATE TABLE "rejected_record" ("id" BIGSERIAL NOT NULL, "import_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "file" character varying(64) NOT NULL, "line" integer, "claim_id" character varying(64), "reasons" jsonb NOT NULL, "record" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_rejected_record" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_rejected_record_claim" ON "rejected_record" ("claim_id") `);
    await queryRunner.query(`CREATE INDEX "idx_rejected_record_import" ON "rejected_record" ("import_id", "id") `);
    await queryRunner.query(`CREATE TABLE "institution" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "code" character varying(64) NOT NULL, "name" text NOT NULL, "kind" character varying(16) NOT NULL, "level" smallint, "ownership" character varying(16), "region" character(6) NOT NULL, CONSTRAINT "pk_institution" PRIMARY KEY ("code"))`);
    await queryRunner.query(`CREATE INDEX "idx_institution_region" ON "institution" ("region") `);
    await queryRunner.query(`CREATE TABLE "physician" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "code" character varying(64) NOT NULL, "name" text NOT NULL, "institution_code" character varying(64) NOT NULL, "specialty" text, CONSTRAINT "pk_physician" PRIMARY KEY ("code"))`);
    await queryRunner.query(`CREATE INDEX "idx_physician_institution" ON "physician" ("institution_code") `);
    await queryRunner.query(`CREATE TABLE "catalog_item" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "code" character varying(64) NOT NULL, "name" text NOT NULL, "kind" character varying(16) NOT NULL, "price_ceiling" numeric(16,2), "gender_limit" character(1), "min_age" smallint, "max_age" smallint, "max_daily_qty" numeric, "max_days_supply" integer, "indications" text array, "setting_limit" character varying(16), "exclusive_group" character varying(64), CONSTRAINT "pk_catalog_item" PRIMARY KEY ("code"))`);
    await queryRunner.query(`CREATE INDEX "idx_catalog_item_exclusive_group" ON "catalog_item" ("exclusive_group") `);
    await queryRunner.query(`CREATE TABLE "person" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "patient_key" character(32) NOT NULL, "death_date" date, CONSTRAINT "pk_person" PRIMARY KEY ("patient_key"))`);
    await queryRunner.query(`CREATE TABLE "inspector" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "code" character varying(64) NOT NULL, "name" text NOT NULL, "unit" text NOT NULL, "region" character(6) NOT NULL, "conflicts" text array NOT NULL DEFAULT '{}', CONSTRAINT "pk_inspector" PRIMARY KEY ("code"))`);
    await queryRunner.query(`CREATE TABLE "fund_ledger" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "period" character(7) NOT NULL, "insurance_type" character varying(16) NOT NULL, "income" numeric(16,2) NOT NULL, "expenditure" numeric(16,2) NOT NULL, "balance" numeric(16,2) NOT NULL, CONSTRAINT "pk_fund_ledger" PRIMARY KEY ("period", "insurance_type"))`);
    // BRIN: a month of claims is a contiguous range of the table (TypeORM cannot declare BRIN; the entities mark these synchronize: false).
    await queryRunner.query(`CREATE INDEX "brin_claim_settle_month" ON "claim" USING brin ("settle_month")`);
    await queryRunner.query(`CREATE INDEX "brin_claim_item_settle_month" ON "claim_item" USING brin ("settle_month")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "brin_claim_item_settle_month"`);
    await queryRunner.query(`DROP INDEX "brin_claim_settle_month"`);
    await queryRunner.query(`DROP TABLE "fund_ledger"`);
    await queryRunner.query(`DROP TABLE "inspector"`);
    await queryRunner.query(`DROP TABLE "person"`);
    await queryRunner.query(`DROP INDEX "idx_catalog_item_exclusive_group"`);
    await queryRunner.query(`DROP TABLE "catalog_item"`);
    await queryRunner.query(`DROP INDEX "idx_physician_institution"`);
    await queryRunner.query(`DROP TABLE "physician"`);
    await queryRunner.query(`DROP INDEX "idx_institution_region"`);
    await queryRunner.query(`DROP TABLE "institution"`);
    await queryRunner.query(`DROP INDEX "idx_rejected_record_import"`);
    await queryRunner.query(`DROP INDEX "idx_rejected_record_claim"`);
    await queryRunner.query(`DROP TABLE "rejected_record"`);
    await queryRunner.query(`DROP INDEX "idx_import_run_created"`);
    await queryRunner.query(`DROP TABLE "import_run"`);
    await queryRunner.query(`DROP TABLE "claim_head"`);
    await queryRunner.query(`DROP TABLE "claim_item"`);
    await queryRunner.query(`DROP INDEX "uq_claim_claim_id_version"`);
    await queryRunner.query(`DROP INDEX "idx_claim_patient_admission"`);
    await queryRunner.query(`DROP TABLE "claim"`);
  }
}
