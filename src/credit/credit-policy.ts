import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { canonicalHash } from '../inspections/canonical';
import { policyWhere, rulesFolder, rulesSchemaValidator, schemaProblems as schemaErrors } from '../common/rules-folder';
import { parseYamlSource } from '../common/yaml-source';

/**
 * The credit policy (信用评价办法) as data: rules/credit-policy.yaml, checked against
 * rules/credit-policy.schema.json and against rules no schema can say (bands in order, base inside
 * the scale, categories that exist). Pure: loading, pricing of causes, grading.
 */

export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const INSPECTION_OUTCOMES = ['compliant', 'violations', 'referred'] as const;
export type InspectionOutcome = (typeof INSPECTION_OUTCOMES)[number];
export const BONUS_KINDS = ['clean_inspection', 'self_correction', 'pledge_signed'] as const;
export type BonusKind = (typeof BONUS_KINDS)[number];
export type Article = '38' | '40';

export interface Bilingual {
  zh: string;
  en: string;
}

export interface GradeBand {
  grade: string;
  minScore: number;
  /** Share of the grade's institutions drawn for double-random inspections (0 < r ≤ 1). */
  samplingRatio: number;
  reviewIntensity: Bilingual;
}

export interface CreditPolicy {
  name: Bilingual;
  scale: { minimum: number; base: number; maximum: number };
  cycle: { period: 'calendar_year'; timeZone: string; carryOver: 'restart_at_base' };
  violation: {
    combine: 'sum' | 'largest';
    byArticle: Record<Article, number>;
    byCategory: Record<string, number>;
    bySeverity: Record<Severity, number>;
    maxPerCase: number | null;
  };
  inspection: { violations: number; referred: number };
  overdueRecovery: number;
  bonuses: Record<BonusKind, { points: number; oncePerCycle: boolean }>;
  /** Best first; the last starts at the scale's minimum. */
  grades: GradeBand[];
  appeals: { windowDays: number; decisionWorkingDays: number };
  repair: { waitingMonths: number; decisionWorkingDays: number };
}

/** A checked policy with the content hash that identifies its version. */
export interface LoadedPolicy {
  policy: CreditPolicy;
  /** The document as plain JSON (what the version table stores). */
  content: Record<string, unknown>;
  /** sha256 of the canonical JSON of the content: comments and layout do not make a new version. */
  hash: string;
}

/** Every problem of a policy document, each naming its file and line (or its path). */
export class CreditPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`the credit policy has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    this.name = 'CreditPolicyError';
  }
}

export interface PolicyCheckOptions {
  /** Finding categories by_category may name; unset: any well-formed name. */
  knownCategories?: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------------------------
// Loading

export function defaultPolicyFile(): string {
  return join(rulesFolder('credit-policy.schema.json'), 'credit-policy.yaml');
}

const schemaValidator = () => rulesSchemaValidator('credit-policy.schema.json');

type Path = (string | number)[];

/** Article numbers key `by_article`: digits there are keys, not indexes. */
const schemaProblems = (errors: Parameters<typeof schemaErrors>[0]) =>
  schemaErrors(errors, { textKeys: (p) => p.includes('by_article'), propertyNamesHint: 'a finding category name (upper-case letters, digits and _)' });

/** Parses and checks policy YAML (or JSON) text; problems are `shown:line: where: message`. */
export function parsePolicyText(text: string, shown: string, opts: PolicyCheckOptions = {}): { loaded?: LoadedPolicy; problems: string[] } {
  const src = parseYamlSource(text, shown);
  if (src.syntaxProblems.length > 0) return { problems: src.syntaxProblems };
  return checkPolicyData(src.data, (path, message) => `${shown}:${src.lineOf(path)}: ${message}`, opts);
}

/** Checks a policy given as an object (a JSON body); problems name the path. */
export function parsePolicyObject(data: unknown, opts: PolicyCheckOptions = {}): { loaded?: LoadedPolicy; problems: string[] } {
  return checkPolicyData(data, (_path, message) => message, opts);
}

/** Reads and checks a policy file, or throws a CreditPolicyError listing every problem with its line. */
export function loadPolicyFile(file: string, opts: PolicyCheckOptions & { displayRoot?: string } = {}): LoadedPolicy {
  const shown = opts.displayRoot ? relative(opts.displayRoot, file) || file : file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CreditPolicyError([`${shown}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  const r = parsePolicyText(text, shown, opts);
  if (!r.loaded) throw new CreditPolicyError(r.problems);
  return r.loaded;
}

/** `grades[1].min_score`; the document itself is `(policy)`. */
const where = policyWhere;

function checkPolicyData(data: unknown, report: (path: Path, message: string) => string, opts: PolicyCheckOptions): { loaded?: LoadedPolicy; problems: string[] } {
  const validate = schemaValidator();
  if (!validate(data)) {
    return { problems: schemaProblems(validate.errors ?? []).map((e) => report(e.path, e.message)) };
  }
  const d = data as RawPolicy;
  const policy: CreditPolicy = {
    name: d.name,
    scale: d.scale,
    cycle: { period: d.cycle.period, timeZone: d.cycle.time_zone, carryOver: d.cycle.carry_over },
    violation: {
      combine: d.violation.combine,
      byArticle: d.violation.by_article,
      byCategory: d.violation.by_category,
      bySeverity: d.violation.by_severity,
      maxPerCase: d.violation.max_per_case ?? null,
    },
    inspection: d.inspection,
    overdueRecovery: d.overdue_recovery,
    bonuses: Object.fromEntries(BONUS_KINDS.map((k) => [k, { points: d.bonuses[k].points, oncePerCycle: d.bonuses[k].once_per_cycle ?? false }])) as CreditPolicy['bonuses'],
    grades: d.grades.map((g) => ({ grade: g.grade, minScore: g.min_score, samplingRatio: g.sampling_ratio, reviewIntensity: g.review_intensity })),
    appeals: { windowDays: d.appeals.window_days, decisionWorkingDays: d.appeals.decision_working_days },
    repair: { waitingMonths: d.repair.waiting_months, decisionWorkingDays: d.repair.decision_working_days },
  };
  const problems = semanticProblems(policy, opts).map((p) => report(p.path, `${where(p.path)}: ${p.message}`));
  if (problems.length) return { problems };
  const content = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  return { loaded: { policy, content, hash: policyHash(content) }, problems: [] };
}

/** sha256 of the canonical JSON (keys sorted at every level). */
export function policyHash(content: unknown): string {
  return canonicalHash(content);
}

interface RawPolicy {
  name: Bilingual;
  scale: { minimum: number; base: number; maximum: number };
  cycle: { period: 'calendar_year'; time_zone: string; carry_over: 'restart_at_base' };
  violation: {
    combine: 'sum' | 'largest';
    by_article: Record<Article, number>;
    by_category: Record<string, number>;
    by_severity: Record<Severity, number>;
    max_per_case?: number;
  };
  inspection: { violations: number; referred: number };
  overdue_recovery: number;
  bonuses: Record<BonusKind, { points: number; once_per_cycle?: boolean }>;
  grades: { grade: string; min_score: number; sampling_ratio: number; review_intensity: Bilingual }[];
  appeals: { window_days: number; decision_working_days: number };
  repair: { waiting_months: number; decision_working_days: number };
}

/** What a schema cannot say: the scale holds the base, bands descend and cover the scale, categories exist, the zone exists. */
function semanticProblems(p: CreditPolicy, opts: PolicyCheckOptions): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  const { minimum, base, maximum } = p.scale;
  if (minimum >= maximum) out.push({ path: ['scale', 'minimum'], message: `must be below maximum (${maximum})` });
  if (base < minimum || base > maximum) out.push({ path: ['scale', 'base'], message: `must lie between minimum (${minimum}) and maximum (${maximum})` });
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: p.cycle.timeZone });
  } catch {
    out.push({ path: ['cycle', 'time_zone'], message: `"${p.cycle.timeZone}" is not an IANA time zone (e.g. Asia/Shanghai)` });
  }
  if (opts.knownCategories) {
    for (const c of Object.keys(p.violation.byCategory)) {
      if (!opts.knownCategories.has(c)) out.push({ path: ['violation', 'by_category', c], message: `unknown finding category "${c}" (known: ${[...opts.knownCategories].sort().join(', ')})` });
    }
  }
  const seen = new Set<string>();
  p.grades.forEach((g, i) => {
    if (seen.has(g.grade)) out.push({ path: ['grades', i, 'grade'], message: `grade ${g.grade} is defined twice` });
    seen.add(g.grade);
    if (g.minScore < minimum || g.minScore > maximum) out.push({ path: ['grades', i, 'min_score'], message: `must lie within the scale (${minimum}–${maximum})` });
    const prev = p.grades[i - 1];
    if (prev && g.minScore >= prev.minScore) out.push({ path: ['grades', i, 'min_score'], message: `must be below the previous grade's (${prev.grade}: ${prev.minScore}); grades go best first` });
    if (prev && g.samplingRatio < prev.samplingRatio) {
      out.push({ path: ['grades', i, 'sampling_ratio'], message: `must not be below the better grade ${prev.grade}'s (${prev.samplingRatio}): a worse grade is inspected at least as often` });
    }
  });
  const last = p.grades[p.grades.length - 1];
  if (last && last.minScore !== minimum) out.push({ path: ['grades', p.grades.length - 1, 'min_score'], message: `the last grade must start at the scale's minimum (${minimum}) so every score has a grade` });
  return out;
}


// ---------------------------------------------------------------------------------------------
// Pricing: what a cause is worth under a policy (negative = deduction)

export interface ViolationFacts {
  article: Article;
  /** Categories of the case's confirmed findings (empty for a risk case without findings). */
  categories: string[];
  /** The highest severity among the confirmed findings; null without findings. */
  severity: Severity | null;
}

export interface ViolationPrice {
  points: number;
  article: number;
  /** The category with the largest deduction (null when none of them is listed). */
  category: { code: string | null; points: number };
  severity: number;
  capped: boolean;
}

/**
 * A confirmed violation's deduction: `sum` = article + the largest listed category + severity;
 * `largest` = the largest of the three; at most max_per_case either way.
 */
export function priceViolation(p: CreditPolicy, f: ViolationFacts): ViolationPrice {
  const article = p.violation.byArticle[f.article];
  let category: { code: string | null; points: number } = { code: null, points: 0 };
  for (const c of [...f.categories].sort()) {
    const pts = p.violation.byCategory[c];
    if (pts !== undefined && pts > category.points) category = { code: c, points: pts };
  }
  const severity = f.severity ? p.violation.bySeverity[f.severity] : 0;
  const raw = p.violation.combine === 'sum' ? article + category.points + severity : Math.max(article, category.points, severity);
  const capped = p.violation.maxPerCase !== null && raw > p.violation.maxPerCase;
  return { points: -(capped ? p.violation.maxPerCase! : raw), article, category, severity, capped };
}

/** An inspection result: a compliant one earns the clean-inspection bonus, the others deduct. */
export function priceInspection(p: CreditPolicy, outcome: InspectionOutcome): number {
  if (outcome === 'compliant') return p.bonuses.clean_inspection.points;
  return -p.inspection[outcome];
}

export function priceOverdueRecovery(p: CreditPolicy): number {
  return -p.overdueRecovery;
}

export function priceBonus(p: CreditPolicy, kind: BonusKind): number {
  return p.bonuses[kind].points;
}

/** The grade of a score: the first band (best first) whose minimum it reaches. */
export function gradeOf(p: CreditPolicy, score: number): GradeBand {
  for (const g of p.grades) if (score >= g.minScore) return g;
  return p.grades[p.grades.length - 1]!;
}
