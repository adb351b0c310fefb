import { MigrationInterface, QueryRunner } from 'typeorm';

/** Local accounts (argon2id hashes, lockout), browser sessions and API bearer tokens (both stored as SHA-256 only). */
export class Accounts1764100000000 implements MigrationInterface {
  name = 'Accounts1764100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "user_account" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(64) NOT NULL, "display_name" text NOT NULL, "role" character varying(16) NOT NULL, "institution_code" character varying(64), "password_hash" text NOT NULL, "failed_attempts" integer NOT NULL DEFAULT '0', "locked_until" TIMESTAMP WITH TIME ZONE, "disabled_at" TIMESTAMP WITH TIME ZONE, "last_login_at" TIMESTAMP WITH TIME ZONE, "password_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_user_account" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_user_account_name" ON "user_account" ("name") `);
    await queryRunner.query(`CREATE INDEX "idx_user_account_institution" ON "user_account" ("institution_code") `);
    await queryRunner.query(`CREATE TABLE "user_session" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" character(64) NOT NULL, "user_id" uuid NOT NULL, "csrf_token" character varying(64) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ip" character varying(64), "user_agent" text, CONSTRAINT "pk_user_session" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_user_session_user" ON "user_session" ("user_id") `);
    await queryRunner.query(`CREATE INDEX "idx_user_session_expires_at" ON "user_session" ("expires_at") `);
    await queryRunner.query(`CREATE TABLE "api_token" ("created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "label" character varying(100) NOT NULL, "token_hash" character(64) NOT NULL, "prefix" character varying(16) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_api_token" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_api_token_user" ON "api_token" ("user_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_token_token_hash" ON "api_token" ("token_hash") `);
    await queryRunner.query(`ALTER TABLE "user_account" ADD CONSTRAINT "fk_user_account_institution" FOREIGN KEY ("institution_code") REFERENCES "institution"("code") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "user_session" ADD CONSTRAINT "fk_user_session_user" FOREIGN KEY ("user_id") REFERENCES "user_account"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_token" ADD CONSTRAINT "fk_api_token_user" FOREIGN KEY ("user_id") REFERENCES "user_account"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_token" DROP CONSTRAINT "fk_api_token_user"`);
    await queryRunner.query(`ALTER TABLE "user_session" DROP CONSTRAINT "fk_user_session_user"`);
    await queryRunner.query(`ALTER TABLE "user_account" DROP CONSTRAINT "fk_user_account_institution"`);
    await queryRunner.query(`DROP INDEX "uq_api_token_token_hash"`);
    await queryRunner.query(`DROP INDEX "idx_api_token_user"`);
    await queryRunner.query(`DROP TABLE "api_token"`);
    await queryRunner.query(`DROP INDEX "idx_user_session_expires_at"`);
    await queryRunner.query(`DROP INDEX "idx_user_session_user"`);
    await queryRunner.query(`DROP TABLE "user_session"`);
    await queryRunner.query(`DROP INDEX "idx_user_account_institution"`);
    await queryRunner.query(`DROP INDEX "uq_user_account_name"`);
    await queryRunner.query(`DROP TABLE "user_account"`);
  }
}
