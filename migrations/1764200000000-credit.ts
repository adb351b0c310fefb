import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credit management (信用管理): the stored versions of the credit policy, the append-only ledger of
 * credit entries (a trigger refuses UPDATE and DELETE: scores are replayed, never edited), the
 * derived standing per institution and cycle, closed cycles, and appeals / repair requests.
 */
export class Credit1764200000000 implements MigrationInterface {
  name = 'Credit1764200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "credit_policy_version" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, "hash" character(64) NOT NULL, "content" jsonb NOT NULL, "source" text NOT NULL, "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_credit_policy_version" PRIMARY KEY ("version"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_credit_policy_version_hash" ON "credit_policy_version" ("hash")`);
    await queryRunner.query(`CREATE TABLE "credit_entry" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" BIGSERIAL NOT NULL, "institution_code" character varying(64) NOT NULL, "cycle" integer NOT NULL, "points" integer NOT NULL, "kind" character varying(24) NOT NULL, "cause_type" character varying(24) NOT NULL, "cause_id" character varying(200) NOT NULL, "cause_facts" jsonb NOT NULL, "policy_version" integer NOT NULL, "reason_zh" text NOT NULL, "reason_en" text NOT NULL, "actor_user_id" uuid, "actor_name" character varying(128) NOT NULL, "actor_role" character varying(16) NOT NULL, "effective_at" TIMESTAMP WITH TIME ZONE NOT NULL, "reverses_entry_id" bigint, CONSTRAINT "pk_credit_entry" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_credit_entry_cycle_kind" ON "credit_entry" ("cycle", "kind")`);
    await queryRunner.query(`CREATE INDEX "idx_credit_entry_institution_cycle" ON "credit_entry" ("institution_code", "cycle", "id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_credit_entry_reverses" ON "credit_entry" ("reverses_entry_id") WHERE reverses_entry_id IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_credit_entry_cause" ON "credit_entry" ("institution_code", "kind", "cause_type", "cause_id")`);
    await queryRunner.query(`CREATE TABLE "credit_standing" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "institution_code" character varying(64) NOT NULL, "cycle" integer NOT NULL, "score" integer NOT NULL, "grade" character varying(2) NOT NULL, "policy_version" integer NOT NULL, "entry_count" integer NOT NULL DEFAULT '0', "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_credit_standing" PRIMARY KEY ("institution_code", "cycle"))`);
    await queryRunner.query(`CREATE INDEX "idx_credit_standing_cycle_grade" ON "credit_standing" ("cycle", "grade")`);
    await queryRunner.query(`CREATE TABLE "credit_cycle" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "year" integer NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closed_by" character varying(128) NOT NULL, "policy_version" integer NOT NULL, "institutions" integer NOT NULL, "grade_counts" jsonb NOT NULL, CONSTRAINT "pk_credit_cycle" PRIMARY KEY ("year"))`);
    await queryRunner.query(`CREATE TABLE "credit_request" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "type" character varying(8) NOT NULL, "institution_code" character varying(64) NOT NULL, "entry_id" bigint NOT NULL, "reason" text NOT NULL, "filed_by" uuid, "filed_by_name" character varying(128) NOT NULL, "filed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "due_on" date NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'open', "decision_reason" text, "rectified" boolean, "decided_by" uuid, "decided_by_name" character varying(128), "decided_at" TIMESTAMP WITH TIME ZONE, "result_entry_id" bigint, CONSTRAINT "pk_credit_request" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_credit_request_institution" ON "credit_request" ("institution_code", "filed_at")`);
    await queryRunner.query(`CREATE INDEX "idx_credit_request_status_due" ON "credit_request" ("status", "due_on")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_credit_request_repair_active" ON "credit_request" ("entry_id") WHERE type = 'repair' AND status IN ('open', 'granted')`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_credit_request_appeal" ON "credit_request" ("entry_id") WHERE type = 'appeal'`);
    await queryRunner.query(`ALTER TABLE "credit_entry" ADD CONSTRAINT "fk_credit_entry_policy_version" FOREIGN KEY ("policy_version") REFERENCES "credit_policy_version"("version") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "credit_entry" ADD CONSTRAINT "fk_credit_entry_reverses" FOREIGN KEY ("reverses_entry_id") REFERENCES "credit_entry"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "credit_request" ADD CONSTRAINT "fk_credit_request_entry" FOREIGN KEY ("entry_id") REFERENCES "credit_entry"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "credit_request" ADD CONSTRAINT "fk_credit_request_result_entry" FOREIGN KEY ("result_entry_id") REFERENCES "credit_entry"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    // Entries are the record: a correction is a new entry (reversal, repair), never an edit.
    await queryRunner.query(`CREATE FUNCTION credit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_entry is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$`);
    await queryRunner.query(`CREATE TRIGGER "trg_credit_entry_no_update" BEFORE UPDATE OR DELETE ON "credit_entry" FOR EACH ROW EXECUTE FUNCTION credit_entry_append_only()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "credit_request"`);
    await queryRunner.query(`DROP TABLE "credit_cycle"`);
    await queryRunner.query(`DROP TABLE "credit_standing"`);
    await queryRunner.query(`DROP TABLE "credit_entry"`);
    await queryRunner.query(`DROP FUNCTION credit_entry_append_only()`);
    await queryRunner.query(`DROP TABLE "credit_policy_version"`);
  }
}
