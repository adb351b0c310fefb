import { FactType, FactValue } from './facts';

/**
 * The operators a condition may use. A missing value (null) never satisfies a comparison: a rule
 * that means "absent" says so with `absent`. Types are checked when a rule is compiled.
 */
export interface OperatorDef {
  name: string;
  zh: string;
  /** Fact types the operator applies to. */
  factTypes: readonly FactType[];
  /** What the right-hand side must be: nothing, a value of the fact's type, a list, or code prefixes. */
  operand: 'none' | 'same' | 'list' | 'prefixes';
  test(a: FactValue, b: FactValue): boolean;
}

const ORDERED: FactType[] = ['number', 'money', 'date'];
const ANY: FactType[] = ['number', 'money', 'date', 'code', 'codes', 'enum', 'text', 'boolean'];
const isNum = (v: FactValue): v is number => typeof v === 'number';

function anyStartsWith(a: FactValue, b: FactValue): boolean {
  const values = typeof a === 'string' ? [a] : (a as readonly string[]);
  const prefixes = b as readonly string[];
  for (const v of values) for (const p of prefixes) if (v.startsWith(p)) return true;
  return false;
}

const DEFS: OperatorDef[] = [
  { name: 'equal', zh: '等于', factTypes: ANY, operand: 'same', test: (a, b) => a !== null && b !== null && a === b },
  { name: 'notEqual', zh: '不等于', factTypes: ANY, operand: 'same', test: (a, b) => a !== null && b !== null && a !== b },
  { name: 'lessThan', zh: '小于', factTypes: ORDERED, operand: 'same', test: (a, b) => isNum(a) && isNum(b) && a < b },
  { name: 'lessThanInclusive', zh: '不大于', factTypes: ORDERED, operand: 'same', test: (a, b) => isNum(a) && isNum(b) && a <= b },
  { name: 'greaterThan', zh: '大于', factTypes: ORDERED, operand: 'same', test: (a, b) => isNum(a) && isNum(b) && a > b },
  { name: 'greaterThanInclusive', zh: '不小于', factTypes: ORDERED, operand: 'same', test: (a, b) => isNum(a) && isNum(b) && a >= b },
  { name: 'in', zh: '属于', factTypes: ['number', 'code', 'enum', 'text'], operand: 'list', test: (a, b) => a !== null && b !== null && (b as readonly FactValue[]).includes(a) },
  { name: 'notIn', zh: '不属于', factTypes: ['number', 'code', 'enum', 'text'], operand: 'list', test: (a, b) => a !== null && b !== null && !(b as readonly FactValue[]).includes(a) },
  { name: 'present', zh: '有值', factTypes: ANY, operand: 'none', test: (a) => a !== null && !(Array.isArray(a) && a.length === 0) },
  { name: 'absent', zh: '无值', factTypes: ANY, operand: 'none', test: (a) => a === null || (Array.isArray(a) && a.length === 0) },
  { name: 'isTrue', zh: '为是', factTypes: ['boolean'], operand: 'none', test: (a) => a === true },
  { name: 'isFalse', zh: '为否', factTypes: ['boolean'], operand: 'none', test: (a) => a === false },
  { name: 'startsWithAny', zh: '以其中之一开头', factTypes: ['code', 'codes'], operand: 'prefixes', test: (a, b) => a !== null && b !== null && anyStartsWith(a, b) },
  { name: 'startsWithNone', zh: '均不以其中任何一个开头', factTypes: ['code', 'codes'], operand: 'prefixes', test: (a, b) => a !== null && b !== null && !anyStartsWith(a, b) },
];

export const OPERATORS: ReadonlyMap<string, OperatorDef> = new Map(DEFS.map((d) => [d.name, d]));
