import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 曝光台: a case marked for publication by a supervisor (one row per case, the summary for the
 * public; withdrawal kept on the row, the history of both in the audit trail).
 */
export class CasePublication1764400000000 implements MigrationInterface {
  name = 'CasePublication1764400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "case_publication" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "case_id" uuid NOT NULL, "summary_zh" text NOT NULL, "summary_en" text, "marked_by" uuid, "marked_by_name" character varying(128) NOT NULL, "marked_at" TIMESTAMP WITH TIME ZONE NOT NULL, "withdrawn_at" TIMESTAMP WITH TIME ZONE, "withdrawn_by" uuid, "withdrawn_by_name" character varying(128), "withdraw_reason" text, CONSTRAINT "pk_case_publication" PRIMARY KEY ("case_id"))`);
    await queryRunner.query(`ALTER TABLE "case_publication" ADD CONSTRAINT "fk_case_publication_case" FOREIGN KEY ("case_id") REFERENCES "supervision_case"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "case_publication" DROP CONSTRAINT "fk_case_publication_case"`);
    await queryRunner.query(`DROP TABLE "case_publication"`);
  }
}
