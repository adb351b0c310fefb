import { daysFromCivil, daysInMonth, formatDay, parseDay, weekday } from '../common/calendar';
import {
  Article,
  BonusKind,
  CreditPolicy,
  gradeOf,
  InspectionOutcome,
  priceBonus,
  priceInspection,
  priceOverdueRecovery,
  priceViolation,
  Severity,
} from './credit-policy';

/**
 * The ledger's pure half: replaying entries into a score, re-pricing entries under another policy
 * (what-if), and the calendar of cycles, appeal windows and working-day due dates.
 */

export const ENTRY_KINDS = ['violation', 'inspection', 'overdue_recovery', 'bonus', 'appeal_reversal', 'repair'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** What caused an entry: enough to price it again under another policy and to link to it. */
export type CauseFacts =
  | {
      type: 'case';
      caseId: string;
      caseNumber: string;
      decisionId: string;
      /** When the decision in force was taken (ISO): the repair waiting period runs from it. */
      decidedAt: string;
      article: Article;
      violationType: string;
      categories: string[];
      severity: Severity | null;
    }
  | { type: 'inspection'; inspectionId: string; outcome: InspectionOutcome; at: string }
  | { type: 'recovery'; recoveryId: string; caseId: string; caseNumber: string; recoveryKind: string; dueDate: string; amountDue: string }
  | { type: 'bonus'; bonusKind: BonusKind; reference: string }
  | { type: 'credit_appeal'; appealId: string; reverses: string }
  | { type: 'credit_repair'; repairId: string; reverses: string };

export interface LedgerEntryFacts {
  id: string;
  kind: EntryKind;
  /** The points as priced when recorded (negative = deduction). */
  points: number;
  facts: CauseFacts;
}

export interface ReplayStep {
  id: string;
  /** The entry's points. */
  points: number;
  /** What the entry actually changed once clamped to the scale (a bonus at the maximum changes nothing). */
  applied: number;
  scoreAfter: number;
}

/**
 * The score of a cycle: from the base, each entry in order, clamped to [minimum, maximum] at every
 * step (so a bonus at the maximum is lost and a deduction at the minimum takes nothing).
 */
export function replay(scale: CreditPolicy['scale'], entries: readonly { id: string; points: number }[]): { score: number; steps: ReplayStep[] } {
  let score = scale.base;
  const steps: ReplayStep[] = [];
  for (const e of entries) {
    const next = Math.min(scale.maximum, Math.max(scale.minimum, score + e.points));
    steps.push({ id: e.id, points: e.points, applied: next - score, scoreAfter: next });
    score = next;
  }
  return { score, steps };
}

/** Score and grade of a cycle's entries under a policy (stored points, or `price` to re-price them). */
export function standingOf(policy: CreditPolicy, entries: readonly { id: string; points: number }[]): { score: number; grade: string; steps: ReplayStep[] } {
  const r = replay(policy.scale, entries);
  return { ...r, grade: gradeOf(policy, r.score).grade };
}

/**
 * What an entry is worth under `policy`: its cause priced again. A reversal or repair undoes what
 * its original is worth under the same policy (`original` looks the original up).
 */
export function repriceEntry(policy: CreditPolicy, e: LedgerEntryFacts, original: (id: string) => LedgerEntryFacts | undefined): number {
  const f = e.facts;
  switch (f.type) {
    case 'case':
      return priceViolation(policy, { article: f.article, categories: f.categories, severity: f.severity }).points;
    case 'inspection':
      return priceInspection(policy, f.outcome);
    case 'recovery':
      return priceOverdueRecovery(policy);
    case 'bonus':
      return priceBonus(policy, f.bonusKind);
    case 'credit_appeal':
    case 'credit_repair': {
      const o = original(f.reverses);
      // The original is always stored (entries are never deleted); without it keep what was recorded.
      return o ? -repriceEntry(policy, o, original) : e.points;
    }
  }
}

export interface DraftComparison {
  institutions: {
    institutionCode: string;
    name: string | null;
    entries: number;
    current: { score: number; grade: string };
    draft: { score: number; grade: string };
    scoreChange: number;
    gradeMoved: boolean;
  }[];
  summary: {
    institutions: number;
    gradeMoved: number;
    scoreChanged: number;
    currentGrades: Record<string, number>;
    draftGrades: Record<string, number>;
    /** "B→C" with how many institutions make that move, the most common first. */
    moves: { move: string; count: number }[];
  };
}

/**
 * What-if: each institution's standing under the policy in force (the points as recorded) against
 * a draft (every entry priced again from its cause, replayed from the draft's base). Institutions
 * that change grade come first, then the largest score changes.
 */
export function compareUnderDraft(
  current: CreditPolicy,
  draft: CreditPolicy,
  institutions: readonly { code: string; name: string | null; entries: readonly LedgerEntryFacts[] }[],
  original: (id: string) => LedgerEntryFacts | undefined,
): DraftComparison {
  const moves = new Map<string, number>();
  const currentGrades: Record<string, number> = {};
  const draftGrades: Record<string, number> = {};
  const items = institutions.map((i) => {
    const now = standingOf(current, i.entries);
    const then = standingOf(draft, i.entries.map((e) => ({ id: e.id, points: repriceEntry(draft, e, original) })));
    currentGrades[now.grade] = (currentGrades[now.grade] ?? 0) + 1;
    draftGrades[then.grade] = (draftGrades[then.grade] ?? 0) + 1;
    if (now.grade !== then.grade) moves.set(`${now.grade}→${then.grade}`, (moves.get(`${now.grade}→${then.grade}`) ?? 0) + 1);
    return {
      institutionCode: i.code,
      name: i.name,
      entries: i.entries.length,
      current: { score: now.score, grade: now.grade },
      draft: { score: then.score, grade: then.grade },
      scoreChange: then.score - now.score,
      gradeMoved: now.grade !== then.grade,
    };
  });
  items.sort(
    (a, b) => Number(b.gradeMoved) - Number(a.gradeMoved) || Math.abs(b.scoreChange) - Math.abs(a.scoreChange) || a.institutionCode.localeCompare(b.institutionCode),
  );
  return {
    institutions: items,
    summary: {
      institutions: items.length,
      gradeMoved: items.filter((x) => x.gradeMoved).length,
      scoreChanged: items.filter((x) => x.scoreChange !== 0).length,
      currentGrades,
      draftGrades,
      moves: [...moves.entries()].map(([move, count]) => ({ move, count })).sort((a, b) => b.count - a.count || a.move.localeCompare(b.move)),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Calendar (cycles are calendar years in the policy's zone)

/** The local calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The cycle (calendar year in the zone) an instant falls in. */
export function cycleOf(at: Date, timeZone: string): number {
  return Number(localDate(at, timeZone).slice(0, 4));
}

/** The date `n` working days (Monday–Friday) after `date`; public holidays are not modelled. */
export function addWorkingDays(date: string, n: number): string {
  let d = parseDay(date);
  if (d === null) throw new RangeError(`not a date: ${date}`);
  let left = n;
  while (left > 0) {
    d++;
    if (weekday(d) < 5) left--;
  }
  return formatDay(d);
}

/** The same day `months` calendar months later (the month's last day when it is shorter). */
export function addMonths(date: string, months: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m || parseDay(date) === null) throw new RangeError(`not a date: ${date}`);
  const total = Number(m[1]) * 12 + (Number(m[2]) - 1) + months;
  const y = Math.floor(total / 12);
  const mo = (total % 12) + 1;
  return formatDay(daysFromCivil(y, mo, Math.min(Number(m[3]), daysInMonth(y, mo))));
}

/** The date `days` calendar days after `date`. */
export function addDays(date: string, days: number): string {
  const d = parseDay(date);
  if (d === null) throw new RangeError(`not a date: ${date}`);
  return formatDay(d + days);
}
