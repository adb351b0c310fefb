import type { CompiledRule } from '../rules-engine/rule-compiler';
import type { Condition, Operand } from '../rules-engine/rule-spec';
import type { RuleHitStats } from '../screening/findings.service';
import { toFen } from './format';

export type RuleSort = 'id' | 'precision' | 'hits' | 'amount';
export const RULE_SORTS: readonly RuleSort[] = ['id', 'precision', 'hits', 'amount'];

export interface RuleRow {
  id: string;
  version: number;
  title: { zh: string; en: string };
  category: string;
  group: string;
  scope: string;
  result: string;
  severity: string;
  open: number;
  confirmed: number;
  dismissed: number;
  /** confirmed ÷ (confirmed + dismissed); null until a hit has been reviewed */
  precision: number | null;
  amountAtRisk: string;
  institutions: number;
}

export function ruleRow(r: CompiledRule, s: RuleHitStats | undefined): RuleRow {
  const reviewed = (s?.confirmed ?? 0) + (s?.dismissed ?? 0);
  return {
    id: r.id,
    version: r.version,
    title: r.spec.title,
    category: r.spec.category,
    group: r.spec.group,
    scope: r.spec.scope,
    result: r.spec.result,
    severity: r.spec.severity,
    open: s?.open ?? 0,
    confirmed: s?.confirmed ?? 0,
    dismissed: s?.dismissed ?? 0,
    precision: reviewed > 0 ? s!.confirmed / reviewed : null,
    amountAtRisk: s?.amountAtRisk ?? '0.00',
    institutions: s?.institutions ?? 0,
  };
}

/**
 * Orders the rule list. Precision goes lowest first — the rules most worth tuning — with rules
 * nobody has reviewed yet at the end; hits and amount go largest first; ties by id.
 */
export function sortRules(rows: RuleRow[], sort: RuleSort): RuleRow[] {
  const byId = (a: RuleRow, b: RuleRow) => a.id.localeCompare(b.id);
  const cmp: Record<RuleSort, (a: RuleRow, b: RuleRow) => number> = {
    id: byId,
    precision: (a, b) => (a.precision === null ? 1 : 0) - (b.precision === null ? 1 : 0) || (a.precision ?? 0) - (b.precision ?? 0) || byId(a, b),
    hits: (a, b) => b.open - a.open || byId(a, b),
    amount: (a, b) => {
      const d = (toFen(b.amountAtRisk) ?? 0n) - (toFen(a.amountAtRisk) ?? 0n);
      return d > 0n ? 1 : d < 0n ? -1 : byId(a, b);
    },
  };
  return [...rows].sort(cmp[sort]);
}

/** A condition tree for the page: all/any/not nodes with children, leaves as one readable line. */
export interface ConditionNode {
  kind: 'all' | 'any' | 'not' | 'leaf';
  text?: string;
  children?: ConditionNode[];
}

function operand(v: Operand | undefined): string {
  if (v === undefined) return '';
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    if ('fact' in v) return v.fact;
    if ('param' in v) return `param.${v.param}`;
  }
  return JSON.stringify(v);
}

export function conditionTree(c: Condition): ConditionNode {
  if ('all' in c) return { kind: 'all', children: c.all.map(conditionTree) };
  if ('any' in c) return { kind: 'any', children: c.any.map(conditionTree) };
  if ('not' in c) return { kind: 'not', children: [conditionTree(c.not)] };
  return { kind: 'leaf', text: `${c.fact} ${c.operator}${c.value === undefined ? '' : ` ${operand(c.value)}`}` };
}
