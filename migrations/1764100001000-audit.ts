import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hash-chained audit trail. Append-only in the database too: a trigger refuses UPDATE, DELETE and
 * TRUNCATE, so the service cannot rewrite history; someone with the power to drop the trigger still
 * can, and `fundguard audit verify` then names the first entry that no longer holds.
 */
export class Audit1764100001000 implements MigrationInterface {
  name = 'Audit1764100001000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_entry" ("seq" bigint NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_user_id" uuid, "actor_name" character varying(128) NOT NULL, "actor_role" character varying(16) NOT NULL, "action" character varying(64) NOT NULL, "entity_type" character varying(64) NOT NULL, "entity_id" character varying(128), "before" jsonb, "after" jsonb, "ip" character varying(64), "prev_hash" character(64) NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "pk_audit_entry" PRIMARY KEY ("seq"))`);
    await queryRunner.query(`CREATE INDEX "idx_audit_entry_at" ON "audit_entry" ("at")`);
    await queryRunner.query(`CREATE INDEX "idx_audit_entry_action" ON "audit_entry" ("action", "seq")`);
    await queryRunner.query(`CREATE INDEX "idx_audit_entry_actor" ON "audit_entry" ("actor_name", "seq")`);
    await queryRunner.query(`CREATE INDEX "idx_audit_entry_entity" ON "audit_entry" ("entity_type", "entity_id", "seq")`);
    await queryRunner.query(`CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_entry is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$`);
    await queryRunner.query(`CREATE TRIGGER "trg_audit_entry_no_update" BEFORE UPDATE OR DELETE ON "audit_entry" FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()`);
    await queryRunner.query(`CREATE TRIGGER "trg_audit_entry_no_truncate" BEFORE TRUNCATE ON "audit_entry" FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_entry"`);
    await queryRunner.query(`DROP FUNCTION audit_entry_append_only()`);
  }
}
