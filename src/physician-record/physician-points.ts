import { civilFromDays, daysFromCivil, daysInMonth, formatDay, parseDay } from '../common/calendar';

/**
 * 驾照式记分 (physicians' and pharmacists' "driving-licence" points), as pure functions over day
 * numbers (days since 1970-01-01): the band of an incident's points, the local date and year of an
 * instant, the sanction a year total triggers, and how it combines with the sanctions in force.
 * The service (physician-record.service.ts) reads and writes the rows; everything decided is here.
 */

export type SanctionKind = 'suspension' | 'termination';
/** What screening sees on a date: the qualification suspended (暂停) or terminated (终止). */
export type SanctionState = 'suspended' | 'terminated';

export interface SeverityBand {
  band: string;
  zh: string;
  min: number;
  max: number;
}

/** rules/physician-points.yaml, checked (see physician-points.policy.ts). */
export interface PhysicianPointsPolicy {
  version: number;
  cycle: 'calendar-year';
  /** IANA zone whose calendar dates and years count (Asia/Shanghai). */
  timezone: string;
  annualPoints: number;
  bands: readonly SeverityBand[];
  suspension: { threshold: number; monthsByTotal: ReadonlyMap<number, number> };
  termination: { threshold: number; barYears: number; singleIncidentBarYears: number };
  /** sha256 of the file's content, first 16 hex digits: which policy decided a sanction. */
  hash: string;
}

/** The band of an incident's points (1–3 minor … 10–12 grave by default); null outside every band. */
export function bandOf(policy: PhysicianPointsPolicy, points: number): SeverityBand | null {
  return policy.bands.find((b) => points >= b.min && points <= b.max) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Dates

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant in `timeZone`, as a day number. */
export function localDay(at: Date, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) formatters.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return daysFromCivil(Number(parts.year), Number(parts.month), Number(parts.day));
}

/** The calendar year of a day number: the points' cycle. */
export function yearOf(day: number): number {
  return civilFromDays(day).y;
}

export const dayText = formatDay;
export const dayOf = (text: string): number => {
  const d = parseDay(text);
  if (d === null) throw new RangeError(`not a date: ${text}`);
  return d;
};

/**
 * The last day of a period of `months` months starting on `start` (inclusive): the day before the
 * same day of the month `months` later (2025-03-10 + 1 month → 2025-04-09), or the last day of that
 * month when it has no such day (2025-01-31 + 1 month → 2025-02-28).
 */
export function lastDayOfMonths(start: number, months: number): number {
  const { y, m, d } = civilFromDays(start);
  const idx = y * 12 + (m - 1) + months;
  const ty = Math.floor(idx / 12);
  const tm = (idx % 12) + 1;
  return d <= daysInMonth(ty, tm) ? daysFromCivil(ty, tm, d) - 1 : daysFromCivil(ty, tm, daysInMonth(ty, tm));
}

// ---------------------------------------------------------------------------------------------
// Sanctions

/** A sanction's window: from `startsOn` to `endsOn`, both inclusive (day numbers). */
export interface SanctionWindow {
  kind: SanctionKind;
  startsOn: number;
  endsOn: number;
}

export interface SanctionPlan extends SanctionWindow {
  /** Suspension: months served. */
  months: number | null;
  /** Termination: years during which no new registration is accepted (the window). */
  barYears: number | null;
}

/** Months of suspension for a year total at or above the threshold: its own entry, else the highest total below it. */
export function suspensionMonths(policy: PhysicianPointsPolicy, total: number): number | null {
  if (total < policy.suspension.threshold) return null;
  let best: number | null = null;
  let bestTotal = -1;
  for (const [t, months] of policy.suspension.monthsByTotal) {
    if (t <= total && t > bestTotal) {
      best = months;
      bestTotal = t;
    }
  }
  return best;
}

/**
 * What the year's total (this incident included) calls for, starting on the incident's date:
 * termination at the termination threshold — re-registration barred `barYears`, or
 * `singleIncidentBarYears` when this incident alone carries the threshold —, suspension for the
 * total's months at the suspension threshold, nothing below it.
 */
export function sanctionFor(policy: PhysicianPointsPolicy, input: { yearTotal: number; incidentPoints: number; incidentDay: number }): SanctionPlan | null {
  const { yearTotal, incidentPoints, incidentDay } = input;
  if (yearTotal >= policy.termination.threshold) {
    const barYears = incidentPoints >= policy.termination.threshold ? policy.termination.singleIncidentBarYears : policy.termination.barYears;
    return { kind: 'termination', startsOn: incidentDay, endsOn: lastDayOfMonths(incidentDay, 12 * barYears), months: null, barYears };
  }
  const months = suspensionMonths(policy, yearTotal);
  if (months === null) return null;
  return { kind: 'suspension', startsOn: incidentDay, endsOn: lastDayOfMonths(incidentDay, months), months, barYears: null };
}

export interface SanctionInForce extends SanctionWindow {
  id: string;
}

export type SanctionOutcome = 'below_threshold' | 'suspended' | 'suspension_extended' | 'terminated' | 'termination_extended' | 'already_terminated';

export interface SanctionDecision {
  outcome: SanctionOutcome;
  /** The sanction to record, if any. */
  create: SanctionPlan | null;
  /** Sanctions in force that the new one supersedes (their windows are kept: the past is not rewritten). */
  supersede: string[];
}

/**
 * Combines what the total calls for with the sanctions in force on the incident's date (not
 * superseded, window covering it):
 * - nothing in force: the sanction as called for;
 * - a suspension in force, another suspension called for: the new one starts on the incident date
 *   and never ends before the one in force (ends on the later of the two last days); the old is superseded;
 * - a suspension in force, termination called for: termination supersedes it;
 * - a termination in force: only a single incident carrying the whole termination threshold (its
 *   3-year bar) supersedes it, when that bar ends later; anything else adds nothing (already terminated).
 */
export function decideSanction(policy: PhysicianPointsPolicy, input: { yearTotal: number; incidentPoints: number; incidentDay: number }, inForce: readonly SanctionInForce[]): SanctionDecision {
  const wanted = sanctionFor(policy, input);
  if (!wanted) return { outcome: 'below_threshold', create: null, supersede: [] };
  const covering = inForce.filter((s) => s.startsOn <= input.incidentDay && s.endsOn >= input.incidentDay);
  const terminations = covering.filter((s) => s.kind === 'termination');
  const suspensions = covering.filter((s) => s.kind === 'suspension');
  if (terminations.length) {
    const latest = Math.max(...terminations.map((t) => t.endsOn));
    // Only a single incident carrying the whole threshold lengthens a bar in force (to its 3 years).
    const single = input.incidentPoints >= policy.termination.threshold;
    if (wanted.kind === 'termination' && single && wanted.endsOn > latest) return { outcome: 'termination_extended', create: wanted, supersede: covering.map((s) => s.id) };
    return { outcome: 'already_terminated', create: null, supersede: [] };
  }
  if (wanted.kind === 'termination') return { outcome: 'terminated', create: wanted, supersede: suspensions.map((s) => s.id) };
  if (!suspensions.length) return { outcome: 'suspended', create: wanted, supersede: [] };
  const endsOn = Math.max(wanted.endsOn, ...suspensions.map((s) => s.endsOn));
  return { outcome: 'suspension_extended', create: { ...wanted, endsOn }, supersede: suspensions.map((s) => s.id) };
}

/** The state on `day` given every sanction window of a person (superseded ones included): termination wins. */
export function stateOn(windows: readonly SanctionWindow[], day: number): SanctionState | null {
  let state: SanctionState | null = null;
  for (const w of windows) {
    if (w.startsOn > day || w.endsOn < day) continue;
    if (w.kind === 'termination') return 'terminated';
    state = 'suspended';
  }
  return state;
}

/** The sum of points per year of a person's entries. */
export function yearTotals(entries: readonly { year: number; points: number }[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of entries) out.set(e.year, (out.get(e.year) ?? 0) + e.points);
  return out;
}
