import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tips from the public (举报): the tip (identity only as an AES-256-GCM ciphertext, tracking code
 * only as its sha256, the challenge nonce unique so a challenge answers one tip), its timeline
 * (append-only: a trigger refuses UPDATE and DELETE), its reward; the sequence behind tip numbers
 * (JB-YYYY-NNNNNN). Assignees are user_account ids without a foreign key, like cases'.
 */
export class Tips1764400001000 implements MigrationInterface {
  name = 'Tips1764400001000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE "tip_number_seq" AS bigint START 1`);
    await queryRunner.query(`CREATE TABLE "tip" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL, "number" character varying(32) NOT NULL, "tracking_code_hash" character(64) NOT NULL, "status" character varying(20) NOT NULL, "institution_code" character varying(64), "institution_name" character varying(200), "category" character varying(24) NOT NULL, "description" text NOT NULL, "occurred_on" character varying(10), "anonymous" boolean NOT NULL, "identity_ciphertext" bytea, "identity_key_id" character(16), "assigned_to" uuid, "assigned_at" TIMESTAMP WITH TIME ZONE, "case_id" uuid, "reward_level" smallint, "challenge_nonce" character(32) NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_tip" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_tip_case" ON "tip" ("case_id") `);
    await queryRunner.query(`CREATE INDEX "idx_tip_status_received" ON "tip" ("status", "received_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_tip_challenge_nonce" ON "tip" ("challenge_nonce") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_tip_tracking_code_hash" ON "tip" ("tracking_code_hash") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_tip_number" ON "tip" ("number") `);
    await queryRunner.query(`CREATE TABLE "tip_event" ("id" BIGSERIAL NOT NULL, "tip_id" uuid NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "action" character varying(24) NOT NULL, "status" character varying(20) NOT NULL, "public_note" text, "internal_note" text, "actor_user_id" uuid, "actor_name" character varying(128) NOT NULL, CONSTRAINT "pk_tip_event" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_tip_event_tip_at" ON "tip_event" ("tip_id", "at") `);
    await queryRunner.query(`CREATE TABLE "tip_reward" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "tip_id" uuid NOT NULL, "case_id" uuid NOT NULL, "decision_id" uuid NOT NULL, "level" smallint NOT NULL, "level_defaulted" boolean NOT NULL, "basis_amount" numeric(16,2) NOT NULL, "share" numeric(6,4) NOT NULL, "computed_amount" numeric(16,2) NOT NULL, "amount" numeric(16,2) NOT NULL, "clamped_by" character varying(8), "policy_version" character(64) NOT NULL, "recorded_by" uuid, "recorded_by_name" character varying(128) NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL, "paid_on" date, CONSTRAINT "pk_tip_reward" PRIMARY KEY ("tip_id"))`);
    await queryRunner.query(`ALTER TABLE "tip_event" ADD CONSTRAINT "fk_tip_event_tip" FOREIGN KEY ("tip_id") REFERENCES "tip"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "tip_reward" ADD CONSTRAINT "fk_tip_reward_tip" FOREIGN KEY ("tip_id") REFERENCES "tip"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    // The timeline is the record of how a tip was handled: never edited nor removed.
    await queryRunner.query(`CREATE FUNCTION tip_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'tip_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
    $$`);
    await queryRunner.query(`CREATE TRIGGER "trg_tip_event_no_update" BEFORE UPDATE OR DELETE ON "tip_event" FOR EACH ROW EXECUTE FUNCTION tip_event_append_only()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "trg_tip_event_no_update" ON "tip_event"`);
    await queryRunner.query(`DROP FUNCTION tip_event_append_only()`);
    await queryRunner.query(`ALTER TABLE "tip_reward" DROP CONSTRAINT "fk_tip_reward_tip"`);
    await queryRunner.query(`ALTER TABLE "tip_event" DROP CONSTRAINT "fk_tip_event_tip"`);
    await queryRunner.query(`DROP TABLE "tip_reward"`);
    await queryRunner.query(`DROP INDEX "idx_tip_event_tip_at"`);
    await queryRunner.query(`DROP TABLE "tip_event"`);
    await queryRunner.query(`DROP INDEX "uq_tip_number"`);
    await queryRunner.query(`DROP INDEX "uq_tip_tracking_code_hash"`);
    await queryRunner.query(`DROP INDEX "uq_tip_challenge_nonce"`);
    await queryRunner.query(`DROP INDEX "idx_tip_status_received"`);
    await queryRunner.query(`DROP INDEX "idx_tip_case"`);
    await queryRunner.query(`DROP TABLE "tip"`);
    await queryRunner.query(`DROP SEQUENCE "tip_number_seq"`);
  }
}
