import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One entry of the append-only audit trail (执法全过程记录). Entries are hash-chained: `hash` covers the
 * entry's content and `prev_hash`, so an edit, insertion or deletion anywhere breaks the chain from
 * there on. No created/updated columns: `at` is the time, and an entry is never updated (a trigger
 * refuses UPDATE, DELETE and TRUNCATE).
 */
@Entity('audit_entry')
@Index('idx_audit_entry_entity', ['entityType', 'entityId', 'seq'])
@Index('idx_audit_entry_actor', ['actorName', 'seq'])
@Index('idx_audit_entry_action', ['action', 'seq'])
@Index('idx_audit_entry_at', ['at'])
export class AuditEntry {
  /** 1, 2, 3 … without gaps: assigned under a lock, so a missing number is a deleted entry. */
  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_audit_entry' })
  seq!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_name', type: 'varchar', length: 128 })
  actorName!: string;

  @Column({ name: 'actor_role', type: 'varchar', length: 16 })
  actorRole!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'entity_type', type: 'varchar', length: 64 })
  entityType!: string;

  @Column({ name: 'entity_id', type: 'varchar', length: 128, nullable: true })
  entityId!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  before!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  after!: unknown;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}
