import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRewardPolicyFile, loadRewardPolicyFile, parseRewardPolicyText, TipRewardPolicyError } from '../../../src/tips/tip-reward-policy';

/** rules/tip-rewards.yaml is checked at start against its schema and its own rules; every problem names the line. */
describe('loading the tip reward policy', () => {
  const shipped = readFileSync(defaultRewardPolicyFile(), 'utf8');
  const problemsOf = (text: string) => parseRewardPolicyText(text, 'draft.yaml').problems;
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('loads the shipped policy, and its version is the hash of the content (comments do not count)', () => {
    const a = loadRewardPolicyFile(defaultRewardPolicyFile());
    expect(a.version).toMatch(/^[0-9a-f]{64}$/);
    const withComment = parseRewardPolicyText(`# a new comment\n${shipped}`, 'x.yaml');
    expect(withComment.loaded!.version).toBe(a.version);
    const changed = parseRewardPolicyText(shipped.replace('maximum: 200000', 'maximum: 100000'), 'x.yaml');
    expect(changed.loaded!.version).not.toBe(a.version);
  });

  it('names the line of an unknown key and of a missing one', () => {
    const text = shipped.replace('basis: refund', 'basis: refund\nbasis_kind: fine');
    expect(problemsOf(text)).toEqual([`draft.yaml:${lineOf(text, 'basis_kind')}: (policy): unknown key "basis_kind"`]);
    const missing = shipped.replace(/\nminimum: 200\n/, '\n');
    expect(problemsOf(missing)).toEqual([expect.stringMatching(/^draft\.yaml:\d+: \(policy\): missing "minimum"$/)]);
  });

  it('names the line of a share above 1, of a basis it does not know, and of a YAML syntax error', () => {
    const text = shipped.replace('share: 0.02', 'share: 2');
    expect(problemsOf(text)).toEqual([`draft.yaml:${lineOf(text, 'share: 2')}: levels[1].share: must be <= 1`]);
    const basis = shipped.replace('basis: refund', 'basis: fine');
    expect(problemsOf(basis)).toEqual([`draft.yaml:${lineOf(basis, 'basis: fine')}: basis: must be one of refund`]);
    expect(problemsOf('levels: [\n')[0]).toMatch(/^draft\.yaml:\d+: YAML: /);
  });

  it('refuses levels out of order, a share rising with the level, too many decimals, a minimum above the maximum', () => {
    const text = shipped
      .replace('  - level: 2', '  - level: 3')
      .replace('share: 0.01', 'share: 0.05')
      .replace('share: 0.03', 'share: 0.03125')
      .replace('minimum: 200', 'minimum: 300000');
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        `draft.yaml:${lineOf(text, 'minimum: 300000')}: minimum: must not exceed maximum (200000)`,
        `draft.yaml:${lineOf(text, '  - level: 3')}: levels[1].level: must be 2 (levels are numbered 1, 2, … in order)`,
        `draft.yaml:${lineOf(text, 'share: 0.03125')}: levels[0].share: 0.03125 has more than 4 decimals (write e.g. 0.03 or 0.0125)`,
        `draft.yaml:${lineOf(text, 'share: 0.05')}: levels[2].share: must not exceed level 3's (0.02): a better-supported tip earns at least as much`,
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('a broken file stops the start with an error naming the file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-tip-policy-'));
    const file = join(dir, 'tip-rewards.yaml');
    writeFileSync(file, shipped.replace('maximum: 200000', 'maximum: -5'));
    expect(() => loadRewardPolicyFile(file)).toThrow(TipRewardPolicyError);
    expect(() => loadRewardPolicyFile(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${lineOf(shipped, 'maximum: 200000')}: maximum: must be >= 0`));
    expect(() => loadRewardPolicyFile(join(dir, 'missing.yaml'))).toThrow(/cannot be read \(ENOENT\)/);
  });
});
