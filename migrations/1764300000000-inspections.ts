import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 双随机、一公开: inspection plans (the secret seed between commitment and draw), published draws
 * (append-only: a trigger refuses UPDATE and DELETE, a redraw is a new row), assignments, results,
 * and the link of inspector logins to the inspector directory.
 */
export class Inspections1764300000000 implements MigrationInterface {
  name = 'Inspections1764300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "inspection_plan" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "period" character varying(32) NOT NULL, "period_from" date NOT NULL, "period_to" date NOT NULL, "matters" jsonb NOT NULL, "object_filter" jsonb NOT NULL, "sampling_ratio" jsonb NOT NULL, "min_per_stratum" integer NOT NULL, "team_size" integer NOT NULL, "load_cap" integer NOT NULL, "avoid_same_region" boolean NOT NULL, "avoid_previous" boolean NOT NULL, "status" character varying(16) NOT NULL, "seed" character(64), "commitment" character(64), "committed_at" TIMESTAMP WITH TIME ZONE, "redraw_reason" text, "created_by" text NOT NULL, CONSTRAINT "pk_inspection_plan" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_inspection_plan_status" ON "inspection_plan" ("status") `);
    await queryRunner.query(`CREATE TABLE "inspection_draw" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "plan_id" uuid NOT NULL, "number" integer NOT NULL, "commitment" character(64) NOT NULL, "committed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "seed" character(64) NOT NULL, "drawn_at" TIMESTAMP WITH TIME ZONE NOT NULL, "drawn_by" text NOT NULL, "rules" jsonb NOT NULL, "objects" jsonb NOT NULL, "inspectors" jsonb NOT NULL, "previous" jsonb NOT NULL, "result" jsonb NOT NULL, "result_hash" character(64) NOT NULL, "replaces_draw_id" uuid, "reason" text, CONSTRAINT "pk_inspection_draw" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_inspection_draw_plan_number" ON "inspection_draw" ("plan_id", "number") `);
    await queryRunner.query(`CREATE TABLE "inspection_assignment" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "plan_id" uuid NOT NULL, "draw_id" uuid NOT NULL, "institution_code" character varying(64) NOT NULL, "grade" character varying(8) NOT NULL, "team" text array NOT NULL, "status" character varying(16) NOT NULL, "due_on" date NOT NULL, CONSTRAINT "pk_inspection_assignment" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_inspection_assignment_draw" ON "inspection_assignment" ("draw_id") `);
    await queryRunner.query(`CREATE TABLE "inspection_result" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "assignment_id" uuid NOT NULL, "outcome" character varying(16) NOT NULL, "amount_found" numeric(16,2), "notes" text, "case_id" uuid, "credit_entry_id" text, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL, "recorded_by" uuid, "recorded_by_inspector" character varying(64) NOT NULL, "publish_due_on" date NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_inspection_result" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_inspection_result_assignment" ON "inspection_result" ("assignment_id") `);
    await queryRunner.query(`CREATE INDEX "idx_inspection_result_publication" ON "inspection_result" ("publish_due_on") WHERE published_at IS NULL`);
    await queryRunner.query(`CREATE TABLE "inspector_account" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "inspector_code" character varying(64) NOT NULL, "user_id" uuid NOT NULL, CONSTRAINT "pk_inspector_account" PRIMARY KEY ("inspector_code"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_inspector_account_user" ON "inspector_account" ("user_id") `);
    // A published draw is evidence: never edited nor removed (a redraw is a new row).
    await queryRunner.query(`CREATE FUNCTION inspection_draw_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'inspection_draw is append-only: % refused (a redraw is a new draw)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
    $$`);
    await queryRunner.query(`CREATE TRIGGER "trg_inspection_draw_no_update" BEFORE UPDATE OR DELETE ON "inspection_draw" FOR EACH ROW EXECUTE FUNCTION inspection_draw_append_only()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "trg_inspection_draw_no_update" ON "inspection_draw"`);
    await queryRunner.query(`DROP FUNCTION inspection_draw_append_only()`);
    await queryRunner.query(`DROP INDEX "uq_inspector_account_user"`);
    await queryRunner.query(`DROP TABLE "inspector_account"`);
    await queryRunner.query(`DROP INDEX "idx_inspection_result_publication"`);
    await queryRunner.query(`DROP INDEX "uq_inspection_result_assignment"`);
    await queryRunner.query(`DROP TABLE "inspection_result"`);
    await queryRunner.query(`DROP INDEX "idx_inspection_assignment_draw"`);
    await queryRunner.query(`DROP TABLE "inspection_assignment"`);
    await queryRunner.query(`DROP INDEX "uq_inspection_draw_plan_number"`);
    await queryRunner.query(`DROP TABLE "inspection_draw"`);
    await queryRunner.query(`DROP INDEX "idx_inspection_plan_status"`);
    await queryRunner.query(`DROP TABLE "inspection_plan"`);
  }
}
