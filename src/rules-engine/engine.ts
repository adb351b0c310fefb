import { FactContext, PatientHistory, PeriodStats, buildPeriodStats } from './facts';
import { KnowledgeBase, ScreenClaim } from './model';
import { CompiledRule } from './rule-compiler';

/** One hit of a rule: a claim, or one of its lines, with the amount at risk and its reasons. */
export interface RuleHit {
  rule: CompiledRule;
  claim: ScreenClaim;
  /** null for a claim-level finding */
  itemSeq: number | null;
  amountFen: number;
  evidence: Record<string, unknown>;
  why: { zh: string; en: string };
  /** Pair rules: the other claim that made it fire. */
  relatedClaim: ScreenClaim | null;
}

export type HitSink = (hit: RuleHit) => void;

function context(claim: ScreenClaim, kb: KnowledgeBase): FactContext {
  return { claim, kb, line: null, catalog: null, agg: null, other: null, patient: null, period: null, params: {} };
}

function hit(rule: CompiledRule, ctx: FactContext, itemSeq: number | null): RuleHit {
  return {
    rule,
    claim: ctx.claim,
    itemSeq,
    amountFen: rule.amountFen(ctx),
    evidence: rule.evidence(ctx),
    why: rule.explain(ctx),
    relatedClaim: ctx.other,
  };
}

/**
 * Line and claim rules in one pass over a batch of claims: each claim's lines are visited once for
 * all line rules, then the claim rules run. The work per line is a handful of closure calls.
 */
export function screenClaims(claims: Iterable<ScreenClaim>, kb: KnowledgeBase, rules: readonly CompiledRule[], emit: HitSink): void {
  const lineRules = rules.filter((r) => r.scope === 'line');
  const claimRules = rules.filter((r) => r.scope === 'claim');
  const nLine = lineRules.length;
  const active: CompiledRule[] = new Array(nLine);
  for (const claim of claims) {
    const ctx = context(claim, kb);
    let n = 0;
    for (let i = 0; i < nLine; i++) {
      const r = lineRules[i] as CompiledRule;
      if (r.applies(ctx)) active[n++] = r;
    }
    if (n > 0) {
      for (const line of claim.lines) {
        ctx.line = line;
        ctx.catalog = kb.catalog.get(line.code) ?? null;
        for (let i = 0; i < n; i++) {
          const r = active[i] as CompiledRule;
          ctx.params = r.spec.parameters ?? EMPTY;
          if (r.test(ctx)) emit(hit(r, ctx, line.seq));
        }
      }
      ctx.line = null;
      ctx.catalog = null;
    }
    for (const r of claimRules) {
      ctx.params = r.spec.parameters ?? EMPTY;
      if (r.applies(ctx) && r.test(ctx)) emit(hit(r, ctx, null));
    }
  }
}

const EMPTY = Object.freeze({});

/**
 * History rules over one patient's current claims (all of them, in admission order). A pair rule
 * fires on a claim when some other claim of the patient satisfies it with this one; the first such
 * claim, in admission order, is recorded as the related claim.
 */
export function screenPatient(claims: readonly ScreenClaim[], kb: KnowledgeBase, rules: readonly CompiledRule[], emit: HitSink): void {
  const history = rules.filter((r) => r.scope === 'history');
  if (history.length === 0 || claims.length === 0) return;
  const patientKey = (claims[0] as ScreenClaim).patientKey;
  const patient: PatientHistory = { claims, registryDeathDay: kb.deaths.get(patientKey) ?? null };
  for (const claim of claims) {
    const ctx = context(claim, kb);
    ctx.patient = patient;
    for (const r of history) {
      if (!r.applies(ctx)) continue;
      ctx.params = r.spec.parameters ?? EMPTY;
      if (!r.pair) {
        if (r.test(ctx)) emit(hit(r, ctx, null));
        continue;
      }
      for (const other of claims) {
        if (other === claim) continue;
        ctx.other = other;
        if (r.test(ctx)) {
          emit(hit(r, ctx, null));
          break;
        }
      }
      ctx.other = null;
    }
  }
}

/**
 * Institution-period rules over claims of one settlement month. The month's statistics are built
 * from `claims` (all of the month's current claims), or given when they were computed elsewhere
 * (in SQL, for a month read in parts).
 */
export function screenPeriod(claims: readonly ScreenClaim[], kb: KnowledgeBase, rules: readonly CompiledRule[], emit: HitSink, given?: PeriodStats): void {
  const periodRules = rules.filter((r) => r.scope === 'institution-period');
  if (periodRules.length === 0) return;
  const stats: PeriodStats = given ?? buildPeriodStats(claims);
  for (const claim of claims) {
    const ctx = context(claim, kb);
    ctx.period = stats;
    for (const r of periodRules) {
      ctx.params = r.spec.parameters ?? EMPTY;
      if (r.applies(ctx) && r.test(ctx)) emit(hit(r, ctx, null));
    }
  }
}

/** Groups claims by patient, each patient's claims in admission order (then claim id). */
export function byPatient(claims: Iterable<ScreenClaim>): Map<string, ScreenClaim[]> {
  const out = new Map<string, ScreenClaim[]>();
  for (const c of claims) {
    let a = out.get(c.patientKey);
    if (!a) out.set(c.patientKey, (a = []));
    a.push(c);
  }
  for (const a of out.values()) a.sort(compareAdmission);
  return out;
}

export function compareAdmission(a: ScreenClaim, b: ScreenClaim): number {
  return a.admissionDay - b.admissionDay || (a.claimId < b.claimId ? -1 : a.claimId > b.claimId ? 1 : 0);
}

/** Every scope over an in-memory data set (rule examples, tests, small backtests). */
export function screenAll(claims: readonly ScreenClaim[], kb: KnowledgeBase, rules: readonly CompiledRule[]): RuleHit[] {
  const hits: RuleHit[] = [];
  const emit = (h: RuleHit) => hits.push(h);
  screenClaims(claims, kb, rules, emit);
  for (const cs of byPatient(claims).values()) screenPatient(cs, kb, rules, emit);
  const months = new Map<string, ScreenClaim[]>();
  for (const c of claims) {
    let a = months.get(c.settleMonth);
    if (!a) months.set(c.settleMonth, (a = []));
    a.push(c);
  }
  for (const cs of months.values()) screenPeriod(cs, kb, rules, emit);
  return hits;
}
