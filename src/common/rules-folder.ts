import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';

/**
 * The product's rules/ folder (policies as data), found upwards from this file in src/ or dist/src/
 * by a file it must hold, e.g. 'credit-policy.schema.json'.
 */
export function rulesFolder(marker: string, from = __dirname): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    try {
      if (statSync(join(dir, 'rules', marker)).isFile()) return join(dir, 'rules');
    } catch {
      /* keep looking upwards */
    }
    dir = join(dir, '..');
  }
  throw new Error(`cannot find the rules/ folder (rules/${marker})`);
}

const validators = new Map<string, ValidateFunction>();

/** The compiled (once) Ajv validator of a JSON Schema in rules/, with every error reported. */
export function rulesSchemaValidator(schemaFile: string): ValidateFunction {
  let v = validators.get(schemaFile);
  if (!v) {
    const schema = JSON.parse(readFileSync(join(rulesFolder(schemaFile), schemaFile), 'utf8'));
    v = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
    validators.set(schemaFile, v);
  }
  return v;
}

export type PolicyPath = (string | number)[];

/** `levels[2].share`, or `(policy)` for the document itself. */
export function policyWhere(path: PolicyPath): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') : '(policy)';
}

export interface SchemaProblemOptions {
  /** Instance paths whose digit-only segments are map keys written as text in the YAML (e.g. '38'), not array indexes. */
  textKeys?: (instancePath: string) => boolean;
  /** Instance paths whose digit-only segments are numeric map keys (e.g. 11: 7): found as numbers, written `.11`. */
  numericKeys?: (instancePath: string) => boolean;
  /** What a key refused by `propertyNames` should have been, e.g. 'a finding category name'. */
  propertyNamesHint?: string;
}

/** A policy file's schema errors as messages naming the path (one per distinct message), with the path for the line. */
export function schemaProblems(errors: readonly ErrorObject[], opts: SchemaProblemOptions = {}): { path: PolicyPath; message: string }[] {
  const out = new Map<string, { path: PolicyPath; message: string }>();
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const textKeys = opts.textKeys?.(e.instancePath) ?? false;
    const path: PolicyPath = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) && !textKeys ? Number(s) : s));
    const at = opts.numericKeys?.(e.instancePath) ? path.join('.') || '(policy)' : policyWhere(path);
    let message: string;
    if (e.keyword === 'additionalProperties') {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      message = `${at}: unknown key "${prop}"`;
      path.push(prop);
    } else if (e.keyword === 'required') {
      message = `${at}: missing "${(e.params as { missingProperty: string }).missingProperty}"`;
    } else if (e.keyword === 'enum') {
      message = `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    } else if (e.keyword === 'propertyNames') {
      const name = (e.params as { propertyName?: string }).propertyName;
      message = `${at}: "${name}" is not ${opts.propertyNamesHint ?? 'an allowed key'}`;
      if (name) path.push(name);
    } else if (e.keyword === 'pattern' && e.schemaPath.includes('propertyNames')) {
      continue; // reported by the propertyNames error itself
    } else {
      message = `${at}: ${e.message}`;
    }
    out.set(message, { path, message });
  }
  return [...out.values()];
}
