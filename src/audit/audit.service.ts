import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { ChainBreak, ChainedContent, checkRun, entryHash, GENESIS_HASH, toJsonValue } from './audit-chain';
import { AuditInput } from './audit.types';

/** Serialises appends so every entry sees its predecessor (held until the recording transaction ends). */
const AUDIT_LOCK = 7270004;
const VERIFY_PAGE = 5000;

export interface AuditEntryView {
  seq: string;
  at: string;
  actor: { userId: string | null; name: string; role: string };
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  hash: string;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The last entry that was checked and holds: publish it to detect a later truncation. */
  head: { seq: string; hash: string } | null;
  firstBad?: ChainBreak;
}

interface Row {
  seq: string;
  at: Date;
  actor_user_id: string | null;
  actor_name: string;
  actor_role: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

/** The append-only, hash-chained audit trail: records every change, lists it, and proves it unaltered. */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Appends one entry. Pass the manager of the transaction that makes the change, so the change and
   * its record commit or roll back together; outside a transaction a short one is opened.
   */
  async record(manager: EntityManager, input: AuditInput): Promise<void> {
    if (!manager.queryRunner?.isTransactionActive) {
      await manager.transaction((m) => this.append(m, input));
      return;
    }
    await this.append(manager, input);
  }

  private async append(m: EntityManager, input: AuditInput): Promise<void> {
    if (!input.action || !input.entityType) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'an audit entry needs an action and an entity type', [
        { path: input.action ? 'entityType' : 'action', reason: 'is required' },
      ]);
    }
    await m.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
    const [last] = (await m.query('SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1')) as { seq: string; hash: string }[];
    const content: ChainedContent = {
      seq: (BigInt(last?.seq ?? '0') + 1n).toString(),
      // Milliseconds: what both JavaScript and the timestamptz column keep exactly.
      at: new Date(),
      actorUserId: input.actor.userId,
      actorName: input.actor.name,
      actorRole: input.actor.role,
      action: input.action,
      entityType: input.entityType,
      entityId: input.entityId,
      before: input.before === undefined ? null : toJsonValue(input.before),
      after: input.after === undefined ? null : toJsonValue(input.after),
      ip: input.ip ?? null,
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    await m.query(
      `INSERT INTO audit_entry (seq, at, actor_user_id, actor_name, actor_role, action, entity_type, entity_id, before, after, ip, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13)`,
      [
        content.seq,
        content.at,
        content.actorUserId,
        content.actorName,
        content.actorRole,
        content.action,
        content.entityType,
        content.entityId,
        content.before === null ? null : JSON.stringify(content.before),
        content.after === null ? null : JSON.stringify(content.after),
        content.ip,
        content.prevHash,
        entryHash(content),
      ],
    );
  }

  /** Entries newest first, filtered by actor name, action (prefix with a trailing *), subject and time. */
  async list(q: AuditQuery): Promise<{ total: number; items: AuditEntryView[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.actor) add('actor_name = ?', q.actor);
    if (q.action) q.action.endsWith('*') ? add('action LIKE ?', `${q.action.slice(0, -1).replace(/[%_\\]/g, '\\$&')}%`) : add('action = ?', q.action);
    if (q.entityType) add('entity_type = ?', q.entityType);
    if (q.entityId) add('entity_id = ?', q.entityId);
    if (q.from) add('at >= ?', q.from);
    if (q.to) add('at < ?', q.to);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ n }] = (await this.ds.query(`SELECT count(*)::int AS n FROM audit_entry ${w}`, params)) as { n: number }[];
    const rows = (await this.ds.query(`SELECT * FROM audit_entry ${w} ORDER BY seq DESC LIMIT ${q.limit | 0} OFFSET ${q.offset | 0}`, params)) as Row[];
    return { total: n, items: rows.map(toView) };
  }

  /** The actions recorded so far (for the console's filter). */
  async actions(): Promise<string[]> {
    const rows = (await this.ds.query('SELECT DISTINCT action FROM audit_entry ORDER BY action')) as { action: string }[];
    return rows.map((r) => r.action);
  }

  /**
   * Walks the whole chain in order and reports the first altered, inserted or deleted entry. With an
   * anchor (a seq and hash published earlier), also proves the chain still reaches it unchanged, which
   * catches a truncated tail.
   */
  async verify(anchor?: { seq: string; hash: string }): Promise<VerifyResult> {
    let prev = { seq: 0n, hash: GENESIS_HASH };
    let checked = 0;
    let anchorSeen = false;
    for (;;) {
      const rows = (await this.ds.query('SELECT * FROM audit_entry WHERE seq > $1 ORDER BY seq LIMIT $2', [prev.seq.toString(), VERIFY_PAGE])) as Row[];
      if (rows.length === 0) break;
      const entries = rows.map(toContent);
      const bad = checkRun(entries, prev);
      if (bad) {
        const { held, ...firstBad } = bad;
        const good = held > 0 ? entries[held - 1] : null;
        const head = good ? { seq: good.seq, hash: good.hash } : prev.seq > 0n ? { seq: prev.seq.toString(), hash: prev.hash } : null;
        return { ok: false, checked: checked + held, head, firstBad };
      }
      if (anchor) {
        const hit = entries.find((e) => e.seq === anchor.seq);
        if (hit) {
          anchorSeen = true;
          if (hit.hash !== anchor.hash) {
            return { ok: false, checked: checked + entries.indexOf(hit), head: null, firstBad: { seq: anchor.seq, problem: 'anchor-mismatch', message: `entry ${anchor.seq} no longer has the published hash ${anchor.hash.slice(0, 12)}…: the chain was rewritten` } };
          }
        }
      }
      checked += entries.length;
      const last = entries[entries.length - 1];
      prev = { seq: BigInt(last.seq), hash: last.hash };
    }
    if (anchor && !anchorSeen) {
      return {
        ok: false,
        checked,
        head: prev.seq > 0n ? { seq: prev.seq.toString(), hash: prev.hash } : null,
        firstBad: { seq: anchor.seq, problem: 'anchor-mismatch', message: `entry ${anchor.seq} of the published anchor is gone: the chain was truncated at ${prev.seq}` },
      };
    }
    return { ok: true, checked, head: prev.seq > 0n ? { seq: prev.seq.toString(), hash: prev.hash } : null };
  }
}

function toContent(r: Row): ChainedContent & { hash: string } {
  return {
    seq: String(r.seq),
    at: r.at,
    actorUserId: r.actor_user_id,
    actorName: r.actor_name,
    actorRole: r.actor_role,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    before: r.before,
    after: r.after,
    ip: r.ip,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function toView(r: Row): AuditEntryView {
  return {
    seq: String(r.seq),
    at: r.at.toISOString(),
    actor: { userId: r.actor_user_id, name: r.actor_name, role: r.actor_role },
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    before: r.before,
    after: r.after,
    ip: r.ip,
    hash: r.hash,
  };
}
