import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleLibraryError, defaultRulesRoot, loadRuleLibrary } from '../../../src/rules-engine/rule-library';

/**
 * A broken rule file stops the library from loading, and the error names the file and the line of
 * the problem: unknown facts, operators and parameters are never a silent false.
 */
describe('loading the rule library', () => {
  let root: string;
  const original = readFileSync(join(defaultRulesRoot(), 'screening', 'split-admission.yaml'), 'utf8');
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fg-rules-'));
    cpSync(defaultRulesRoot(), root, { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const breakWith = (from: string, to: string): string => {
    const text = original.replace(from, to);
    expect(text).not.toBe(original);
    writeFileSync(join(root, 'screening', 'split-admission.yaml'), text);
    return text;
  };
  const problems = (): string[] => {
    try {
      loadRuleLibrary(root);
    } catch (err) {
      expect(err).toBeInstanceOf(RuleLibraryError);
      // Paths are shown from the folder above the library (rules/screening/… for the shipped one).
      return (err as RuleLibraryError).problems.map((p) => p.replace(/^fg-rules-[^/]+\//, ''));
    }
    throw new Error('the library loaded');
  };

  it('loads the shipped library', () => {
    expect(loadRuleLibrary(root).rules.length).toBeGreaterThanOrEqual(22);
  });

  it('names an unknown fact with its file and line, and suggests the closest', () => {
    const text = breakWith('fact: other.institution_code', 'fact: other.institution_cod');
    expect(problems()).toEqual([`screening/split-admission.yaml:${lineOf(text, 'other.institution_cod')}: unknown fact "other.institution_cod" (did you mean "other.institution_code"?)`]);
  });

  it('names an unknown operator', () => {
    const text = breakWith('operator: lessThanInclusive', 'operator: atMost');
    expect(problems()).toEqual([`screening/split-admission.yaml:${lineOf(text, 'atMost')}: unknown operator "atMost"`]);
  });

  it('names an unknown parameter, and a declared one no condition uses', () => {
    let text = breakWith('value: { param: max_gap_days }', 'value: { param: max_gap }');
    expect(problems()[0]).toBe(`screening/split-admission.yaml:${lineOf(text, 'param: max_gap }')}: unknown parameter "max_gap" (declared: max_gap_days)`);
    text = breakWith('  max_gap_days: 15', '  max_gap_days: 15\n  unused_days: 3');
    expect(problems().join('\n')).toContain(`split-admission.yaml:${lineOf(text, 'unused_days')}: parameter "unused_days" is declared but`);
  });

  it('refuses a fact outside the scope of the rule', () => {
    const text = breakWith('fact: other.visit_type', 'fact: line.item_code');
    expect(problems()[0]).toBe(`screening/split-admission.yaml:${lineOf(text, 'line.item_code')}: fact "line.item_code" is available only in line rules, not in a history pair rule`);
  });

  it('refuses an operator that does not fit the fact type', () => {
    const text = breakWith('operator: greaterThanInclusive', 'operator: startsWithAny');
    expect(problems()[0]).toBe(`screening/split-admission.yaml:${lineOf(text, 'startsWithAny')}: operator "startsWithAny" does not apply to "pair.gap_days" (a number fact)`);
  });

  it('reports schema problems at their line: unknown keys, bad enumerations, missing fields', () => {
    const text = breakWith('severity: high', 'severity: extreme\nowner: nobody');
    const p = problems();
    expect(p).toContain(`screening/split-admission.yaml:${lineOf(text, 'severity: extreme')}: severity: must be one of low, medium, high`);
    expect(p).toContain(`screening/split-admission.yaml:${lineOf(text, 'owner: nobody')}: (rule): unknown key "owner"`);
  });

  it('reports an amount expression it cannot compile, and a YAML syntax error', () => {
    breakWith('amount: claim.fund_paid', 'amount: claim.fund_paid *');
    expect(problems()[0]).toMatch(/^screening\/split-admission\.yaml:\d+: amount expression: /);
    const text = breakWith('severity: high', 'severity: [high');
    expect(problems()[0]).toMatch(new RegExp(`^screening/split-admission.yaml:(${lineOf(text, 'severity: [high')}|\\d+): YAML: `));
  });

  it('requires the file name to be the rule id', () => {
    writeFileSync(join(root, 'screening', 'split-admission-copy.yaml'), original);
    expect(problems()).toEqual([expect.stringMatching(/split-admission-copy\.yaml:1: the rule id "split-admission" must match the file name/)]);
  });
});
