import { createHash } from 'node:crypto';

/**
 * What a case shows for a patient: `P-3f9a2c`, a short hash of the stored patient key (itself a keyed
 * hash of the person number). The stored key never leaves the service through case views, and the
 * short form cannot be joined to other exports; within one case, the same patient reads the same.
 */
export function patientPseudonym(patientKey: string): string {
  return `P-${createHash('sha256').update(`fundguard-case-view|${patientKey}`).digest('hex').slice(0, 6)}`;
}

const KEY_LIKE = /\b[0-9a-f]{32}\b/g;

/** Evidence as shown in a case: any patient-key-shaped value (32 hex digits) becomes its pseudonym. */
export function scrubEvidence(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(KEY_LIKE, (k) => patientPseudonym(k));
  if (Array.isArray(value)) return value.map(scrubEvidence);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubEvidence(v)]));
  return value;
}
