import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import Ajv, { ErrorObject } from 'ajv';
import { parseYamlSource } from '../common/yaml-source';
import { CompiledRule, RuleCompileError, compileRule } from './rule-compiler';
import { RuleSpec } from './rule-spec';

/** Every problem of a rule library, each naming its file and line; the service refuses to start. */
export class RuleLibraryError extends Error {
  constructor(readonly problems: string[]) {
    super(`the rule library has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  }
}

export interface RuleLibrary {
  rules: CompiledRule[];
  byId: ReadonlyMap<string, CompiledRule>;
  /** sha256 of every rule hash, in id order: identifies the library a screening ran with. */
  hash: string;
}

let validator: ReturnType<Ajv['compile']> | undefined;

/** The schema is the product's (rules/ as shipped), whichever folder the rules are read from. */
function schemaValidator() {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(defaultRulesRoot(), 'screening-rule.schema.json'), 'utf8'));
    validator = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
  }
  return validator;
}

/** The folder holding the rule library (…/rules), found from this file in src/ or dist/src/. */
export function defaultRulesRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'rules', 'screening-rule.schema.json');
    try {
      if (statSync(candidate).isFile()) return join(dir, 'rules');
    } catch {
      /* keep looking upwards */
    }
    dir = join(dir, '..');
  }
  throw new Error('cannot find the rules/ folder (rules/screening-rule.schema.json)');
}

/**
 * Parses, validates and compiles one rule file. Returns the compiled rule or the problems, each as
 * `file:line: message`.
 */
export function loadRuleFile(
  file: string,
  rulesRoot: string,
  displayRoot = join(rulesRoot, '..'),
  opts: { draft?: boolean } = {},
): { rule?: CompiledRule; problems: string[] } {
  const shown = relative(displayRoot, file) || file;
  const text = readFileSync(file, 'utf8');
  const src = parseYamlSource(text, shown);
  if (src.syntaxProblems.length > 0) return { problems: src.syntaxProblems };
  const { data, lineOf } = src;
  const validate = schemaValidator();
  if (!validate(data)) {
    return { problems: schemaProblems(validate.errors ?? []).map((e) => `${shown}:${lineOf(e.path)}: ${e.message}`) };
  }
  const spec = data as RuleSpec;
  if (!opts.draft && basename(file, '.yaml') !== spec.id) {
    return { problems: [`${shown}:${lineOf(['id'])}: the rule id "${spec.id}" must match the file name`] };
  }
  try {
    return { rule: compileRule(spec), problems: [] };
  } catch (err) {
    if (err instanceof RuleCompileError) return { problems: [`${shown}:${lineOf(err.path)}: ${err.message}`] };
    throw err;
  }
}

/** Loads every `*.yaml` of `rulesRoot/screening`, or throws a RuleLibraryError listing every problem. */
export function loadRuleLibrary(rulesRoot = defaultRulesRoot(), extraFiles: string[] = []): RuleLibrary {
  const dir = join(rulesRoot, 'screening');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
  const problems: string[] = [];
  const rules: CompiledRule[] = [];
  for (const file of [...files, ...extraFiles]) {
    const r = loadRuleFile(file, rulesRoot);
    problems.push(...r.problems);
    if (r.rule) rules.push(r.rule);
  }
  const byId = new Map<string, CompiledRule>();
  for (const r of rules) {
    if (byId.has(r.id)) problems.push(`rule id "${r.id}" is defined twice`);
    byId.set(r.id, r);
  }
  if (problems.length > 0) throw new RuleLibraryError(problems);
  rules.sort((a, b) => (a.id < b.id ? -1 : 1));
  const hash = createHash('sha256')
    .update(rules.map((r) => `${r.id}@${r.hash}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return { rules, byId, hash };
}

/** Ajv errors → one message per problem with its document path; branches of a `oneOf` are summarised. */
function schemaProblems(errors: ErrorObject[]): { path: (string | number)[]; message: string }[] {
  const out = new Map<string, { path: (string | number)[]; message: string }>();
  for (const e of errors) {
    if (e.schemaPath.includes('/oneOf/') || e.keyword === 'if') continue;
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(rule)';
    let message: string;
    if (e.keyword === 'additionalProperties') {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      message = `${where}: unknown key "${prop}"`;
      path.push(prop);
    } else if (e.keyword === 'propertyNames') {
      message = `${where}: a test holds only fact, operator and value (use all/any/not to combine)`;
    } else if (e.keyword === 'maxProperties') {
      message = `${where}: a group holds exactly one of all, any or not`;
    } else if (e.keyword === 'enum') {
      message = `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    } else if (e.keyword === 'required') {
      message = `${where}: missing "${(e.params as { missingProperty: string }).missingProperty}"`;
    } else if (e.keyword === 'oneOf') {
      message = `${where}: is not a valid ${e.schemaPath.includes('operand') ? 'value (a literal, {fact: …} or {param: …})' : 'value'}`;
    } else {
      message = `${where}: ${e.message}`;
    }
    out.set(message, { path, message });
  }
  return [...out.values()];
}
