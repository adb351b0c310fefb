import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreditPolicyError, defaultPolicyFile, gradeOf, loadPolicyFile, parsePolicyObject, parsePolicyText } from '../../../src/credit/credit-policy';

/** The policy file is checked at start: the shipped one loads; every problem names its line; the service would refuse to start. */
describe('loading the credit policy', () => {
  const shipped = readFileSync(defaultPolicyFile(), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'fg-credit-policy-'));
  const problemsOf = (text: string, opts = {}) => parsePolicyText(text, 'draft.yaml', opts).problems;

  it('loads the shipped policy: 1000-point scale, base 850 in grade B, five grades A–E', () => {
    const { policy } = loadPolicyFile(defaultPolicyFile());
    expect(policy.scale).toEqual({ minimum: 0, base: 850, maximum: 1000 });
    expect(policy.grades.map((g) => g.grade)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(gradeOf(policy, policy.scale.base).grade).toBe('B');
    expect(policy.grades.map((g) => g.samplingRatio)).toEqual([0.05, 0.1, 0.25, 0.5, 1]);
    expect(policy.cycle).toEqual({ period: 'calendar_year', timeZone: 'Asia/Shanghai', carryOver: 'restart_at_base' });
    expect(policy.repair).toEqual({ waitingMonths: 6, decisionWorkingDays: 15 });
  });

  it('names the line of an unknown key', () => {
    const text = shipped.replace('overdue_recovery: 20', 'overdue_recovery: 20\noverdue_recoveries: 5');
    const line = text.split('\n').findIndex((l) => l.startsWith('overdue_recoveries')) + 1;
    expect(problemsOf(text)).toEqual([`draft.yaml:${line}: (policy): unknown key "overdue_recoveries"`]);
  });

  it('names the line of a wrong value and of a YAML syntax error', () => {
    const text = shipped.replace('    sampling_ratio: 0.25', '    sampling_ratio: 1.5');
    const line = text.split('\n').findIndex((l) => l.includes('sampling_ratio: 1.5')) + 1;
    expect(problemsOf(text)).toEqual([`draft.yaml:${line}: grades[2].sampling_ratio: must be <= 1`]);
    expect(problemsOf('scale: [\n')[0]).toMatch(/^draft\.yaml:\d+: YAML: /);
  });

  it('refuses bands out of order, a last band above the minimum, a worse grade sampled less, a base outside the scale', () => {
    const text = shipped
      .replace('min_score: 700', 'min_score: 900')
      .replace('min_score: 0', 'min_score: 10')
      .replace('sampling_ratio: 0.5', 'sampling_ratio: 0.2')
      .replace('base: 850', 'base: 1200');
    const problems = problemsOf(text).map((p) => p.replace(/^draft\.yaml:\d+: /, ''));
    expect(problems).toEqual(
      expect.arrayContaining([
        'scale.base: must lie between minimum (0) and maximum (1000)',
        "grades[2].min_score: must be below the previous grade's (B: 850); grades go best first",
        "grades[3].sampling_ratio: must not be below the better grade C's (0.25): a worse grade is inspected at least as often",
        "grades[4].min_score: the last grade must start at the scale's minimum (0) so every score has a grade",
      ]),
    );
  });

  it('refuses an unknown finding category and time zone', () => {
    const text = shipped.replace('    SPLIT_ADMISSION: 20', '    SPLIT_ADMISION: 20').replace('time_zone: Asia/Shanghai', 'time_zone: Asia/Beijing');
    const problems = problemsOf(text, { knownCategories: new Set(['SPLIT_ADMISSION', 'AFTER_DEATH', 'OVERLAP_ADMISSION', 'BILLING_OUTSIDE_STAY', 'PHYSICIAN_OVERLOAD', 'DUPLICATE_CLAIM', 'LOW_STANDARD_ADMISSION', 'UNLISTED_ITEM']) });
    const lineOf = (s: string) => text.split('\n').findIndex((l) => l.includes(s)) + 1;
    expect(problems).toEqual([
      `draft.yaml:${lineOf('time_zone')}: cycle.time_zone: "Asia/Beijing" is not an IANA time zone (e.g. Asia/Shanghai)`,
      expect.stringMatching(new RegExp(`^draft\\.yaml:${lineOf('SPLIT_ADMISION')}: violation\\.by_category\\.SPLIT_ADMISION: unknown finding category "SPLIT_ADMISION"`)),
    ]);
  });

  it('loadPolicyFile throws a CreditPolicyError naming the file and line (what stops the service)', () => {
    const file = join(dir, 'credit-policy.yaml');
    writeFileSync(file, shipped.replace('base: 850', 'base: eight hundred'));
    const line = shipped.split('\n').findIndex((l) => l.includes('base: 850')) + 1;
    expect(() => loadPolicyFile(file)).toThrow(CreditPolicyError);
    expect(() => loadPolicyFile(file)).toThrow(`${file}:${line}: scale.base: must be integer`);
    expect(() => loadPolicyFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot be read \(ENOENT\)/);
  });

  it('checks a policy given as an object (a JSON body), naming the path', () => {
    const { content } = loadPolicyFile(defaultPolicyFile());
    const bad = structuredClone(content) as { scale: { base: unknown } };
    bad.scale.base = -5;
    expect(parsePolicyObject(bad).problems).toEqual(['scale.base: must be >= 0']);
    expect(parsePolicyObject(content).loaded).toBeDefined();
  });
});
