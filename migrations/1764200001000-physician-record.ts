import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The physicians' points record (驾照式记分): the responsible physician and points on case decisions,
 * point entries (one per final decision), suspensions and terminations; screening runs scoped to one
 * physician's claims (re-screened when a sanction is recorded).
 */
export class PhysicianRecord1764200001000 implements MigrationInterface {
  name = 'PhysicianRecord1764200001000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "case_decision" ADD "responsible_physician_code" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "case_decision" ADD "physician_points" smallint`);
    await queryRunner.query(`ALTER TABLE "case_decision" ADD "physician_severity_band" character varying(16)`);
    await queryRunner.query(`ALTER TABLE "screening_run" ADD "claim_scope" jsonb`);
    await queryRunner.query(
      `CREATE TABLE "physician_point_entry" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "physician_code" character varying(64) NOT NULL, "institution_code" character varying(64) NOT NULL, "year" smallint NOT NULL, "points" smallint NOT NULL, "severity_band" character varying(16) NOT NULL, "case_id" uuid NOT NULL, "decision_id" uuid NOT NULL, "incident_date" date NOT NULL, "recorded_by" uuid, "recorded_by_name" character varying(128) NOT NULL, CONSTRAINT "pk_physician_point_entry" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_physician_point_entry_case" ON "physician_point_entry" ("case_id") `);
    await queryRunner.query(`CREATE INDEX "idx_physician_point_entry_physician_year" ON "physician_point_entry" ("physician_code", "year") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_physician_point_entry_decision" ON "physician_point_entry" ("decision_id") `);
    await queryRunner.query(
      `CREATE TABLE "physician_sanction" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "physician_code" character varying(64) NOT NULL, "kind" character varying(16) NOT NULL, "starts_on" date NOT NULL, "ends_on" date NOT NULL, "months" smallint, "bar_years" smallint, "year" smallint NOT NULL, "year_total" smallint NOT NULL, "cause_entry_id" uuid NOT NULL, "superseded_by" uuid, "policy_hash" character(16) NOT NULL, CONSTRAINT "pk_physician_sanction" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_physician_sanction_window" ON "physician_sanction" ("ends_on", "starts_on") `);
    await queryRunner.query(`CREATE INDEX "idx_physician_sanction_physician" ON "physician_sanction" ("physician_code", "starts_on") `);
    await queryRunner.query(
      `ALTER TABLE "physician_point_entry" ADD CONSTRAINT "fk_physician_point_entry_physician" FOREIGN KEY ("physician_code") REFERENCES "physician"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "physician_point_entry" ADD CONSTRAINT "fk_physician_point_entry_case" FOREIGN KEY ("case_id") REFERENCES "supervision_case"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "physician_point_entry" ADD CONSTRAINT "fk_physician_point_entry_decision" FOREIGN KEY ("decision_id") REFERENCES "case_decision"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "physician_sanction" ADD CONSTRAINT "fk_physician_sanction_physician" FOREIGN KEY ("physician_code") REFERENCES "physician"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "physician_sanction" ADD CONSTRAINT "fk_physician_sanction_cause_entry" FOREIGN KEY ("cause_entry_id") REFERENCES "physician_point_entry"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "physician_sanction" DROP CONSTRAINT "fk_physician_sanction_cause_entry"`);
    await queryRunner.query(`ALTER TABLE "physician_sanction" DROP CONSTRAINT "fk_physician_sanction_physician"`);
    await queryRunner.query(`ALTER TABLE "physician_point_entry" DROP CONSTRAINT "fk_physician_point_entry_decision"`);
    await queryRunner.query(`ALTER TABLE "physician_point_entry" DROP CONSTRAINT "fk_physician_point_entry_case"`);
    await queryRunner.query(`ALTER TABLE "physician_point_entry" DROP CONSTRAINT "fk_physician_point_entry_physician"`);
    await queryRunner.query(`DROP INDEX "idx_physician_sanction_physician"`);
    await queryRunner.query(`DROP INDEX "idx_physician_sanction_window"`);
    await queryRunner.query(`DROP TABLE "physician_sanction"`);
    await queryRunner.query(`DROP INDEX "uq_physician_point_entry_decision"`);
    await queryRunner.query(`DROP INDEX "idx_physician_point_entry_physician_year"`);
    await queryRunner.query(`DROP INDEX "idx_physician_point_entry_case"`);
    await queryRunner.query(`DROP TABLE "physician_point_entry"`);
    await queryRunner.query(`ALTER TABLE "screening_run" DROP COLUMN "claim_scope"`);
    await queryRunner.query(`ALTER TABLE "case_decision" DROP COLUMN "physician_severity_band"`);
    await queryRunner.query(`ALTER TABLE "case_decision" DROP COLUMN "physician_points"`);
    await queryRunner.query(`ALTER TABLE "case_decision" DROP COLUMN "responsible_physician_code"`);
  }
}
