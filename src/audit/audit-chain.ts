import { createHash } from 'node:crypto';

/** prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed content of an entry: everything but the hash itself. */
export interface ChainedContent {
  seq: string;
  at: Date;
  actorUserId: string | null;
  actorName: string;
  actorRole: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  prevHash: string;
}

/**
 * JSON with object keys sorted at every level, so the same value hashes the same before it is
 * stored and after PostgreSQL's jsonb (which reorders keys) gives it back.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** A snapshot as jsonb will keep it: dates become ISO strings, undefined keys vanish, undefined → null. */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** SHA-256 over the entry's content and its predecessor's hash. */
export function entryHash(e: ChainedContent): string {
  const content = canonicalJson([
    e.seq,
    e.at.toISOString(),
    e.actorUserId,
    e.actorName,
    e.actorRole,
    e.action,
    e.entityType,
    e.entityId,
    e.before ?? null,
    e.after ?? null,
    e.ip,
    e.prevHash,
  ]);
  return createHash('sha256').update(content).digest('hex');
}

/** Where a chain stops holding, and why. */
export interface ChainBreak {
  seq: string;
  problem: 'altered' | 'inserted-or-removed' | 'missing' | 'anchor-mismatch';
  message: string;
}

/**
 * Checks a run of entries in seq order, continuing from the previous entry's seq and hash.
 * Returns the first break (and how many entries of the run held before it), or null if the run holds.
 */
export function checkRun(entries: (ChainedContent & { hash: string })[], prev: { seq: bigint; hash: string }): (ChainBreak & { held: number }) | null {
  const at = findBreak(entries, prev);
  return at ? { ...at.problem, held: at.index } : null;
}

function findBreak(entries: (ChainedContent & { hash: string })[], prev: { seq: bigint; hash: string }): { index: number; problem: ChainBreak } | null {
  let expectSeq = prev.seq + 1n;
  let prevHash = prev.hash;
  for (const [index, e] of entries.entries()) {
    const bad = (problem: ChainBreak) => ({ index, problem });
    const seq = BigInt(e.seq);
    if (seq !== expectSeq) {
      return bad({
        seq: expectSeq.toString(),
        problem: 'missing',
        message: seq > expectSeq ? `entry ${expectSeq}${seq - expectSeq > 1n ? `–${seq - 1n}` : ''} is missing (deleted)` : `entry ${seq} appears out of order`,
      });
    }
    if (e.prevHash !== prevHash) {
      return bad({
        seq: e.seq,
        problem: 'inserted-or-removed',
        message: `entry ${e.seq} does not follow entry ${seq - 1n}: its prev_hash is not that entry's hash (an entry was inserted, removed or rewritten before it)`,
      });
    }
    if (entryHash(e) !== e.hash) {
      return bad({ seq: e.seq, problem: 'altered', message: `entry ${e.seq} was altered: its content no longer matches its hash` });
    }
    prevHash = e.hash;
    expectSeq = seq + 1n;
  }
  return null;
}
