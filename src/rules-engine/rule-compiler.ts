import { createHash } from 'node:crypto';
import jsep from 'jsep';
import { FACTS, FactContext, FactDef, FactLevel, FactType, FactValue } from './facts';
import { OPERATORS } from './operators';
import { Condition, Literal, Operand, RuleScope, RuleSpec } from './rule-spec';
import { F, Fraction, dayNumber, dayText, fractionOf, fractionToFen } from './values';

/** A rule error, located by its path in the rule document (the loader turns it into a line). */
export class RuleCompileError extends Error {
  constructor(
    message: string,
    readonly path: readonly (string | number)[],
  ) {
    super(message);
  }
}

/** A rule compiled once into plain functions. */
export interface CompiledRule {
  id: string;
  version: number;
  /** sha256 of the rule's canonical content, first 16 hex digits. */
  hash: string;
  spec: RuleSpec;
  scope: RuleScope;
  pair: boolean;
  /** Whether the rule looks at a claim at all (visit type, institution kind and level). */
  applies(ctx: FactContext): boolean;
  test(ctx: FactContext): boolean;
  /** Amount at risk in fen, exact, rounded half up. */
  amountFen(ctx: FactContext): number;
  /** The values of every fact the rule reads (the "why", as data). */
  evidence(ctx: FactContext): Record<string, string | number | boolean | string[] | null>;
  explain(ctx: FactContext): { zh: string; en: string };
  /** Facts the rule reads. */
  facts: readonly FactDef[];
}

/** The fact levels each scope can provide. */
const LEVELS: Record<RuleScope, FactLevel[]> = {
  line: ['line', 'claim'],
  claim: ['claim'],
  history: ['claim', 'history', 'pair'],
  'institution-period': ['claim', 'period'],
};

type Getter = (ctx: FactContext) => FactValue;

export function compileRule(spec: RuleSpec): CompiledRule {
  const params = spec.parameters ?? {};
  const usedParams = new Set<string>();
  const used = new Map<string, FactDef>();
  const allowed = LEVELS[spec.scope];
  if (spec.pair && spec.scope !== 'history') throw new RuleCompileError('`pair` is only for history rules', ['pair']);

  const fact = (name: string, path: (string | number)[]): FactDef => {
    const def = FACTS.get(name);
    if (!def) throw new RuleCompileError(`unknown fact "${name}"${suggest(name, [...FACTS.keys()])}`, path);
    if (!allowed.includes(def.level) || (def.level === 'pair' && !spec.pair)) {
      const where = def.level === 'pair' ? 'history rules with `pair: true`' : `${scopesFor(def.level)} rules`;
      throw new RuleCompileError(`fact "${name}" is available only in ${where}, not in a ${spec.scope}${spec.pair ? ' pair' : ''} rule`, path);
    }
    for (const p of def.params ?? []) {
      if (!(p in params)) throw new RuleCompileError(`fact "${name}" needs the parameter "${p}", which the rule does not declare`, path);
      usedParams.add(p);
    }
    used.set(name, def);
    return def;
  };
  const param = (name: string, path: (string | number)[]): Literal => {
    if (!(name in params)) throw new RuleCompileError(`unknown parameter "${name}" (declared: ${Object.keys(params).join(', ') || 'none'})`, path);
    usedParams.add(name);
    return params[name] as Literal;
  };

  /** A literal in the fact's terms: dates to day numbers, codes upper case. */
  const literal = (v: Literal, type: FactType, path: (string | number)[]): FactValue => {
    const one = (x: string | number | boolean): FactValue => {
      if (type === 'date') {
        const d = typeof x === 'string' ? dayNumber(x) : null;
        if (d === null) throw new RuleCompileError(`"${x}" is not a date (YYYY-MM-DD)`, path);
        return d;
      }
      if (type === 'number' || type === 'money') {
        if (typeof x !== 'number') throw new RuleCompileError(`${JSON.stringify(x)} is not a number`, path);
        return x;
      }
      if (type === 'boolean') {
        if (typeof x !== 'boolean') throw new RuleCompileError(`${JSON.stringify(x)} is not true or false`, path);
        return x;
      }
      if (typeof x !== 'string') throw new RuleCompileError(`${JSON.stringify(x)} is not text`, path);
      return type === 'code' || type === 'codes' ? x.trim().toUpperCase() : x;
    };
    if (Array.isArray(v)) return v.map((x) => one(x)) as string[];
    return one(v as string | number | boolean);
  };

  const compileCondition = (c: Condition, path: (string | number)[]): ((ctx: FactContext) => boolean) => {
    if ('all' in c) {
      const parts = c.all.map((x, i) => compileCondition(x, [...path, 'all', i]));
      return (ctx) => {
        for (const p of parts) if (!p(ctx)) return false;
        return true;
      };
    }
    if ('any' in c) {
      const parts = c.any.map((x, i) => compileCondition(x, [...path, 'any', i]));
      return (ctx) => {
        for (const p of parts) if (p(ctx)) return true;
        return false;
      };
    }
    if ('not' in c) {
      const inner = compileCondition(c.not, [...path, 'not']);
      return (ctx) => !inner(ctx);
    }
    const def = fact(c.fact, [...path, 'fact']);
    const op = OPERATORS.get(c.operator);
    if (!op) throw new RuleCompileError(`unknown operator "${c.operator}"${suggest(c.operator, [...OPERATORS.keys()])}`, [...path, 'operator']);
    if (!op.factTypes.includes(def.type)) {
      throw new RuleCompileError(`operator "${op.name}" does not apply to "${def.name}" (a ${def.type} fact)`, [...path, 'operator']);
    }
    const get = def.get;
    if (op.operand === 'none') {
      if (c.value !== undefined) throw new RuleCompileError(`operator "${op.name}" takes no value`, [...path, 'value']);
      return (ctx) => op.test(get(ctx), null);
    }
    if (c.value === undefined) throw new RuleCompileError(`operator "${op.name}" needs a value`, [...path, 'operator']);
    const rhs = compileOperand(c.value, def, op.operand, [...path, 'value']);
    const test = op.test;
    return (ctx) => test(get(ctx), rhs(ctx));
  };

  const compileOperand = (v: Operand, lhs: FactDef, kind: 'same' | 'list' | 'prefixes', path: (string | number)[]): Getter => {
    const isRef = typeof v === 'object' && v !== null && !Array.isArray(v);
    if (isRef && 'fact' in v) {
      const def = fact(v.fact, [...path, 'fact']);
      const want: FactType[] = kind === 'same' ? compatible(lhs.type) : kind === 'prefixes' ? ['codes', 'code'] : ['codes'];
      if (!want.includes(def.type)) {
        throw new RuleCompileError(`"${def.name}" (a ${def.type} fact) cannot be compared with "${lhs.name}" (a ${lhs.type} fact)`, [...path, 'fact']);
      }
      if (kind === 'prefixes' && def.type === 'code') {
        const g = def.get;
        return (ctx) => {
          const x = g(ctx);
          return x === null ? null : [x as string];
        };
      }
      return def.get;
    }
    const raw: Literal = isRef ? param((v as { param: string }).param, [...path, 'param']) : (v as Literal);
    if (kind === 'same' && Array.isArray(raw)) throw new RuleCompileError(`a single value is expected, not a list`, path);
    if (kind !== 'same' && !Array.isArray(raw)) throw new RuleCompileError(`a list is expected`, path);
    const type = kind === 'prefixes' ? 'codes' : lhs.type === 'codes' ? 'code' : lhs.type;
    const value = literal(raw, type, path);
    return () => value;
  };

  const test = compileCondition(spec.when, ['when']);
  const amount = compileAmount(spec.amount, fact, param);
  const explainZh = compileTemplate(spec.why.zh, fact, param, ['why', 'zh'], 'zh');
  const explainEn = spec.why.en ? compileTemplate(spec.why.en, fact, param, ['why', 'en'], 'en') : explainZh;
  for (const p of Object.keys(params)) {
    if (!usedParams.has(p)) throw new RuleCompileError(`parameter "${p}" is declared but no condition, amount or explanation uses it`, ['parameters', p]);
  }

  const facts = [...used.values()];
  const applies = compileAppliesTo(spec);
  return {
    id: spec.id,
    version: spec.version,
    hash: ruleHash(spec),
    spec,
    scope: spec.scope,
    pair: spec.pair === true,
    applies,
    test,
    amountFen: (ctx) => {
      const v = amount(ctx);
      return v === null || typeof v === 'boolean' ? 0 : fractionToFen(v);
    },
    evidence: (ctx) => {
      const out: Record<string, string | number | boolean | string[] | null> = {};
      for (const d of facts) out[d.name] = evidenceValue(d, d.get(ctx));
      return out;
    },
    explain: (ctx) => ({ zh: explainZh(ctx), en: explainEn(ctx) }),
    facts,
  };
}

function compatible(t: FactType): FactType[] {
  if (t === 'number' || t === 'money') return ['number', 'money'];
  if (t === 'code' || t === 'text' || t === 'enum') return ['code', 'text', 'enum'];
  return [t];
}

function scopesFor(level: FactLevel): string {
  return (Object.keys(LEVELS) as RuleScope[]).filter((s) => LEVELS[s].includes(level)).join(' or ');
}

function compileAppliesTo(spec: RuleSpec): (ctx: FactContext) => boolean {
  const a = spec.applies_to;
  if (!a) return () => true;
  const visits = a.visit_types ? new Set(a.visit_types) : null;
  const kinds = a.institution_kinds ? new Set(a.institution_kinds) : null;
  const levels = a.institution_levels ? new Set(a.institution_levels) : null;
  return (ctx) => {
    if (visits && !visits.has(ctx.claim.visitType)) return false;
    if (!kinds && !levels) return true;
    const inst = ctx.kb.institutions.get(ctx.claim.institutionCode);
    if (kinds && !(inst && kinds.has(inst.kind))) return false;
    if (levels && !(inst && levels.has(inst.level ?? 0))) return false;
    return true;
  };
}

export function ruleHash(spec: RuleSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function evidenceValue(def: FactDef, v: FactValue): string | number | boolean | string[] | null {
  if (v === null) return null;
  if (def.type === 'date') return dayText(v as number);
  return Array.isArray(v) ? [...(v as string[])] : (v as string | number | boolean);
}

/** How a value reads in an explanation. */
export function displayValue(def: FactDef, v: FactValue, lang: 'zh' | 'en'): string {
  if (v === null) return lang === 'zh' ? '（无）' : '(none)';
  if (def.display && lang === 'zh') return def.display(v);
  if (def.type === 'date') return dayText(v as number);
  if (def.type === 'money') return `¥${(v as number).toFixed(2)}`;
  if (Array.isArray(v)) return v.join(lang === 'zh' ? '、' : ', ');
  if (typeof v === 'boolean') return lang === 'zh' ? (v ? '是' : '否') : v ? 'yes' : 'no';
  return String(v);
}

type FactLookup = (name: string, path: (string | number)[]) => FactDef;
type ParamLookup = (name: string, path: (string | number)[]) => Literal;

function compileTemplate(text: string, fact: FactLookup, param: ParamLookup, path: (string | number)[], lang: 'zh' | 'en'): (ctx: FactContext) => string {
  const parts: ((ctx: FactContext) => string)[] = [];
  let last = 0;
  for (const m of text.matchAll(/\{([a-z_.]+)\}/g)) {
    const lit = text.slice(last, m.index);
    parts.push(() => lit);
    const name = m[1] as string;
    if (name.startsWith('params.')) {
      const v = param(name.slice(7), path);
      const s = Array.isArray(v) ? v.join('、') : String(v);
      parts.push(() => s);
    } else {
      const def = fact(name, path);
      parts.push((ctx) => displayValue(def, def.get(ctx), lang));
    }
    last = (m.index as number) + m[0].length;
  }
  const tail = text.slice(last);
  parts.push(() => tail);
  return (ctx) => parts.map((p) => p(ctx)).join('');
}

// ---------------------------------------------------------------------------------------------
// Amount expressions: arithmetic over facts and parameters, evaluated exactly

type AmountValue = Fraction | boolean | null;
type AmountFn = (ctx: FactContext) => AmountValue;

const ARITH: Record<string, (a: Fraction, b: Fraction) => Fraction> = { '+': F.add, '-': F.sub, '*': F.mul, '/': F.div };
const COMPARE: Record<string, (c: number) => boolean> = {
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '==': (c) => c === 0,
  '!=': (c) => c !== 0,
};

function compileAmount(text: string, fact: FactLookup, param: ParamLookup): AmountFn {
  const path = ['amount'];
  let ast: jsep.Expression;
  try {
    ast = jsep(text);
  } catch (err) {
    throw new RuleCompileError(`amount expression: ${(err as Error).message}`, path);
  }
  const toValue = (v: FactValue | Literal, what: string): AmountValue => {
    if (v === null) return null;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return fractionOf(v);
    throw new RuleCompileError(`amount expression: ${what} is not a number`, path);
  };
  const walk = (n: jsep.Expression): AmountFn => {
    switch (n.type) {
      case 'Literal': {
        const v = toValue((n as jsep.Literal).value as number, `literal ${(n as jsep.Literal).raw}`);
        return () => v;
      }
      case 'MemberExpression': {
        const name = memberName(n as jsep.MemberExpression);
        if (name === null) throw new RuleCompileError(`amount expression: unsupported reference`, path);
        if (name.startsWith('params.')) {
          const v = toValue(param(name.slice(7), path), name);
          return () => v;
        }
        const def = fact(name, path);
        if (!['number', 'money', 'date', 'boolean'].includes(def.type)) {
          throw new RuleCompileError(`amount expression: "${name}" is a ${def.type} fact, not a number`, path);
        }
        const get = def.get;
        return (ctx) => {
          const v = get(ctx);
          return v === null ? null : typeof v === 'boolean' ? v : fractionOf(v as number);
        };
      }
      case 'UnaryExpression': {
        const u = n as jsep.UnaryExpression;
        const arg = walk(u.argument);
        if (u.operator === '-') return (ctx) => neg(arg(ctx));
        if (u.operator === '!') return (ctx) => !truthy(arg(ctx));
        throw new RuleCompileError(`amount expression: unsupported operator ${u.operator}`, path);
      }
      case 'BinaryExpression': {
        const b = n as jsep.BinaryExpression;
        const l = walk(b.left);
        const r = walk(b.right);
        const arith = ARITH[b.operator];
        if (arith) {
          return (ctx) => {
            const x = l(ctx);
            const y = r(ctx);
            if (x === null || y === null || typeof x === 'boolean' || typeof y === 'boolean') return null;
            if (b.operator === '/' && y.n === 0n) return null;
            return arith(x, y);
          };
        }
        const cmp = COMPARE[b.operator];
        if (cmp) {
          return (ctx) => {
            const x = l(ctx);
            const y = r(ctx);
            if (x === null || y === null || typeof x === 'boolean' || typeof y === 'boolean') return x === y && b.operator === '==';
            return cmp(F.cmp(x, y));
          };
        }
        if (b.operator === '&&') return (ctx) => truthy(l(ctx)) && truthy(r(ctx));
        if (b.operator === '||') return (ctx) => truthy(l(ctx)) || truthy(r(ctx));
        throw new RuleCompileError(`amount expression: unsupported operator ${b.operator}`, path);
      }
      case 'ConditionalExpression': {
        const c = n as jsep.ConditionalExpression;
        const t = walk(c.test);
        const a = walk(c.consequent);
        const e = walk(c.alternate);
        return (ctx) => (truthy(t(ctx)) ? a(ctx) : e(ctx));
      }
      case 'CallExpression': {
        const call = n as jsep.CallExpression;
        const fn = call.callee.type === 'Identifier' ? (call.callee as jsep.Identifier).name : '';
        if (fn !== 'min' && fn !== 'max') throw new RuleCompileError(`amount expression: unknown function ${fn || '?'} (min and max exist)`, path);
        const args = call.arguments.map(walk);
        return (ctx) => {
          let best: Fraction | null = null;
          for (const a of args) {
            const v = a(ctx);
            if (v === null || typeof v === 'boolean') return null;
            if (best === null || (fn === 'min' ? F.cmp(v, best) < 0 : F.cmp(v, best) > 0)) best = v;
          }
          return best;
        };
      }
      default:
        throw new RuleCompileError(`amount expression: unsupported syntax (${n.type})`, path);
    }
  };
  return walk(ast);
}

function memberName(m: jsep.MemberExpression): string | null {
  if (m.computed || m.object.type !== 'Identifier' || m.property.type !== 'Identifier') return null;
  return `${(m.object as jsep.Identifier).name}.${(m.property as jsep.Identifier).name}`;
}

const truthy = (v: AmountValue): boolean => (typeof v === 'boolean' ? v : v !== null && v.n !== 0n);
const neg = (v: AmountValue): AmountValue => (v === null || typeof v === 'boolean' ? null : { n: -v.n, d: v.d });

function suggest(name: string, known: string[]): string {
  const scored = known.map((k) => ({ k, d: distance(k, name) })).filter((x) => x.d <= 3);
  const best = Math.min(...scored.map((x) => x.d));
  const close = scored.filter((x) => x.d === best).slice(0, 3).map((x) => x.k);
  return close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}

