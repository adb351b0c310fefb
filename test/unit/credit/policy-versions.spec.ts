import { readFileSync } from 'node:fs';
import { defaultPolicyFile, parsePolicyText, policyHash } from '../../../src/credit/credit-policy';

/**
 * Versions are kept by content: the hash of the canonical JSON, so comments, layout and key order
 * do not make a new version while any change of a value does. (The version table itself is in the
 * integration test.)
 */
describe('policy versions by content hash', () => {
  const shipped = readFileSync(defaultPolicyFile(), 'utf8');
  const hashOf = (text: string) => {
    const r = parsePolicyText(text, 'p.yaml');
    if (!r.loaded) throw new Error(r.problems.join('\n'));
    return r.loaded.hash;
  };

  it('is a sha256 of the content', () => {
    expect(hashOf(shipped)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores comments, blank lines and the order of keys', () => {
    const reordered = shipped.replace(/^#.*\n/gm, '').replace('scale:\n  minimum: 0\n  base: 850\n  maximum: 1000', 'scale:\n  maximum: 1000\n  base: 850\n  minimum: 0');
    expect(reordered).not.toBe(shipped);
    expect(hashOf(reordered)).toBe(hashOf(shipped));
    expect(policyHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(policyHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
  });

  it('changes with any value', () => {
    expect(hashOf(shipped.replace('overdue_recovery: 20', 'overdue_recovery: 25'))).not.toBe(hashOf(shipped));
    expect(hashOf(shipped.replace('window_days: 30', 'window_days: 31'))).not.toBe(hashOf(shipped));
  });
});
