import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { TimestampedEntity } from '../database/base.entity';
import { Institution } from '../reference/reference.entities';
import { Role } from './roles';

/** A local login: supervisor, inspector, auditor, admin, or a designated institution's own account. */
@Entity('user_account')
export class UserAccount extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_user_account' })
  id!: string;

  /** The login name (lower case); unique. */
  @Index('uq_user_account_name', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  /** Set exactly when role = institution: the designated institution this login speaks for. */
  @Index('idx_user_account_institution')
  @Column({ name: 'institution_code', type: 'varchar', length: 64, nullable: true })
  institutionCode!: string | null;

  // A foreign key, so an institution login can never point at an institution that is not there.
  @ManyToOne(() => Institution, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'institution_code', referencedColumnName: 'code', foreignKeyConstraintName: 'fk_user_account_institution' })
  institution?: Institution | null;

  /** argon2id, in the PHC string format (algorithm, parameters and salt included). */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  /** Consecutive wrong passwords since the last success or lockout. */
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  @Column({ name: 'password_changed_at', type: 'timestamptz' })
  passwordChangedAt!: Date;
}

/** A browser session. The id is the SHA-256 of the cookie's token: a database leak yields no usable session. */
@Entity('user_session')
export class UserSession extends TimestampedEntity {
  /** sha256 hex of the random cookie token (the token itself is never stored). */
  @PrimaryColumn({ type: 'char', length: 64, primaryKeyConstraintName: 'pk_user_session' })
  id!: string;

  @Index('idx_user_session_user')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_session_user' })
  user?: UserAccount;

  /** Sent back by forms (`_csrf`) and scripts (`x-csrf-token`) on every state-changing request. */
  @Column({ name: 'csrf_token', type: 'varchar', length: 64 })
  csrfToken!: string;

  @Index('idx_user_session_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;
}

/** A bearer token for the API (`fgt_…`); only its SHA-256 is stored, the token is shown once. */
@Entity('api_token')
export class ApiToken extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_api_token' })
  id!: string;

  @Index('idx_api_token_user')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_api_token_user' })
  user?: UserAccount;

  @Column({ type: 'varchar', length: 100 })
  label!: string;

  /** sha256 hex of the whole token. */
  @Index('uq_api_token_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  /** The token's first characters (`fgt_AbC1`), so its owner can tell tokens apart. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
