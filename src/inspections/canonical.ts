import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/audit-chain';

// The draw hashes its published parts with the audit trail's canonical JSON (keys sorted at every
// level), so one definition of "canonical" serves both and is documented once (docs/draw-algorithm.md).
export { canonicalJson };

/** SHA-256 (lowercase hex) of a UTF-8 string. */
export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 (lowercase hex) of the canonical JSON of a value. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
