import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Supervision cases (案件): cases with their findings and review outcomes, decisions under 条例 art. 38/40,
 * appeals, recoveries and their payments; the sequence behind case numbers (AJ-YYYY-NNNNNN).
 * Assignees and deciders are user_account ids stored without a foreign key: accounts are disabled,
 * never deleted, and the service checks an assignee's role when assigning.
 */
export class Cases1764100002000 implements MigrationInterface {
  name = 'Cases1764100002000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE "supervision_case_number_seq" AS bigint START 1`);
    await queryRunner.query(`CREATE TABLE "supervision_case" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "number" character varying(32) NOT NULL, "kind" character varying(16) NOT NULL, "grouping" character varying(24) NOT NULL, "institution_code" character varying(64) NOT NULL, "period" character(7) NOT NULL, "claim_id" character varying(64), "status" character varying(16) NOT NULL DEFAULT 'open', "assignee_id" uuid, "amount_at_risk" numeric(16,2) NOT NULL DEFAULT '0', "finding_count" integer NOT NULL DEFAULT '0', "risk_snapshot" jsonb, "opened_at" TIMESTAMP WITH TIME ZONE NOT NULL, "review_due_on" date NOT NULL, "reviewed_at" TIMESTAMP WITH TIME ZONE, "confirm_reason" text, "dismiss_reason" text, "decided_at" TIMESTAMP WITH TIME ZONE, "appeal_deadline" TIMESTAMP WITH TIME ZONE, "appeal_waived" boolean NOT NULL DEFAULT false, "final_at" TIMESTAMP WITH TIME ZONE, "closed_at" TIMESTAMP WITH TIME ZONE, "close_reason" text, CONSTRAINT "pk_supervision_case" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_supervision_case_assignee" ON "supervision_case"("assignee_id") `);
    await queryRunner.query(`CREATE INDEX "idx_supervision_case_institution_period" ON "supervision_case"("institution_code", "period") `);
    await queryRunner.query(`CREATE INDEX "idx_supervision_case_status_opened" ON "supervision_case"("status", "opened_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_supervision_case_risk" ON "supervision_case"("institution_code", "period") WHERE kind = 'risk'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_supervision_case_collecting_claim" ON "supervision_case"("claim_id") WHERE kind = 'findings' AND claim_id IS NOT NULL AND status IN ('open', 'in_review')`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_supervision_case_collecting_period" ON "supervision_case"("institution_code", "period") WHERE kind = 'findings' AND claim_id IS NULL AND status IN ('open', 'in_review')`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_supervision_case_number" ON "supervision_case"("number") `);
    await queryRunner.query(`CREATE TABLE "case_finding" ("finding_id" bigint NOT NULL, "case_id" uuid NOT NULL, "outcome" character varying(16), "added_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_case_finding" PRIMARY KEY ("finding_id"))`);
    await queryRunner.query(`CREATE INDEX "idx_case_finding_case" ON "case_finding"("case_id") `);
    await queryRunner.query(`CREATE TABLE "case_decision" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "violation_type" character varying(200) NOT NULL, "article" character varying(4) NOT NULL, "clause_text" text, "amount_to_recover" numeric(16,2) NOT NULL, "fine_multiple" numeric(4,2) NOT NULL, "fine_amount" numeric(16,2) NOT NULL, "suspension_months" integer NOT NULL DEFAULT '0', "agreement_action" character varying(16) NOT NULL, "reason" text, "decided_by" uuid, "decided_by_name" character varying(128) NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE NOT NULL, "superseded_by" uuid, CONSTRAINT "pk_case_decision" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_case_decision_case" ON "case_decision"("case_id", "decided_at") `);
    await queryRunner.query(`CREATE TABLE "case_appeal" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "decision_id" uuid NOT NULL, "filed_by" uuid, "filed_by_name" character varying(128) NOT NULL, "reason" text NOT NULL, "filed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "outcome" character varying(16), "outcome_reason" text, "decided_by" uuid, "decided_by_name" character varying(128), "decided_at" TIMESTAMP WITH TIME ZONE, "new_decision_id" uuid, CONSTRAINT "pk_case_appeal" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_case_appeal_case" ON "case_appeal"("case_id", "filed_at") `);
    await queryRunner.query(`CREATE TABLE "recovery" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "decision_id" uuid NOT NULL, "kind" character varying(8) NOT NULL, "institution_code" character varying(64) NOT NULL, "amount_due" numeric(16,2) NOT NULL, "amount_paid" numeric(16,2) NOT NULL DEFAULT '0', "due_date" date NOT NULL, "cancelled_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_recovery" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_recovery_due" ON "recovery"("due_date") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_recovery_case_kind" ON "recovery"("case_id", "kind") `);
    await queryRunner.query(`CREATE TABLE "recovery_payment" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "recovery_id" uuid NOT NULL, "amount" numeric(16,2) NOT NULL, "paid_on" date NOT NULL, "reference" character varying(128) NOT NULL, "recorded_by" uuid, "recorded_by_name" character varying(128) NOT NULL, CONSTRAINT "pk_recovery_payment" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_recovery_payment_recovery" ON "recovery_payment"("recovery_id", "paid_on") `);
    await queryRunner.query(`ALTER TABLE "case_finding" ADD CONSTRAINT "fk_case_finding_finding" FOREIGN KEY ("finding_id") REFERENCES "finding"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "case_finding" ADD CONSTRAINT "fk_case_finding_case" FOREIGN KEY ("case_id") REFERENCES "supervision_case"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "case_decision" ADD CONSTRAINT "fk_case_decision_case" FOREIGN KEY ("case_id") REFERENCES "supervision_case"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "case_appeal" ADD CONSTRAINT "fk_case_appeal_case" FOREIGN KEY ("case_id") REFERENCES "supervision_case"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "case_appeal" ADD CONSTRAINT "fk_case_appeal_decision" FOREIGN KEY ("decision_id") REFERENCES "case_decision"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "recovery" ADD CONSTRAINT "fk_recovery_case" FOREIGN KEY ("case_id") REFERENCES "supervision_case"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "recovery" ADD CONSTRAINT "fk_recovery_decision" FOREIGN KEY ("decision_id") REFERENCES "case_decision"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "recovery_payment" ADD CONSTRAINT "fk_recovery_payment_recovery" FOREIGN KEY ("recovery_id") REFERENCES "recovery"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "recovery_payment"`);
    await queryRunner.query(`DROP TABLE "recovery"`);
    await queryRunner.query(`DROP TABLE "case_appeal"`);
    await queryRunner.query(`DROP TABLE "case_decision"`);
    await queryRunner.query(`DROP TABLE "case_finding"`);
    await queryRunner.query(`DROP TABLE "supervision_case"`);
    await queryRunner.query(`DROP SEQUENCE "supervision_case_number_seq"`);
  }
}
