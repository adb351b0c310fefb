import { CreditPolicy, defaultPolicyFile, loadPolicyFile } from '../../../src/credit/credit-policy';
import { CauseFacts, EntryKind, LedgerEntryFacts } from '../../../src/credit/ledger';

/** The shipped policy, checked as at start; each call returns a fresh copy to change. */
export function shippedPolicy(): CreditPolicy {
  return structuredClone(loadPolicyFile(defaultPolicyFile()).policy);
}

/** A small policy with round numbers, so each test states its arithmetic. */
export function policy(change: (p: CreditPolicy) => void = () => undefined): CreditPolicy {
  const p = shippedPolicy();
  p.scale = { minimum: 0, base: 850, maximum: 1000 };
  p.violation = {
    combine: 'sum',
    byArticle: { '38': 40, '40': 120 },
    byCategory: { AFTER_DEATH: 60, SPLIT_ADMISSION: 20 },
    bySeverity: { low: 0, medium: 10, high: 20 },
    maxPerCase: null,
  };
  p.inspection = { violations: 30, referred: 60 };
  p.overdueRecovery = 20;
  p.bonuses = { clean_inspection: { points: 10, oncePerCycle: false }, self_correction: { points: 15, oncePerCycle: false }, pledge_signed: { points: 10, oncePerCycle: true } };
  change(p);
  return p;
}

let seq = 0;

/** An entry of the ledger with its cause. */
export function entry(kind: EntryKind, points: number, facts: CauseFacts, id = String(++seq)): LedgerEntryFacts {
  return { id, kind, points, facts };
}

export const violation = (article: '38' | '40', categories: string[], severity: 'low' | 'medium' | 'high' | null, points: number, id?: string) =>
  entry(
    'violation',
    points,
    { type: 'case', caseId: `case-${id ?? seq + 1}`, caseNumber: 'AJ-2026-000001', decisionId: 'd', decidedAt: '2026-01-10T02:00:00.000Z', article, violationType: '超标准收费', categories, severity },
    id,
  );
