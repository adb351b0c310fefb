import { loadRuleLibrary } from '../../../src/rules-engine/rule-library';
import { runExample } from '../../../src/rules-engine/rule-examples';
import { FINDING_CATEGORIES } from '../../../src/imports/interchange';

/** Every rule file loads, compiles, and its hit and miss examples hold. */
const library = loadRuleLibrary();

describe('the rule library', () => {
  it('covers the twelve contract categories, each with exactly one rule, and at least ten more rules', () => {
    for (const category of FINDING_CATEGORIES) {
      expect(library.rules.filter((r) => r.spec.category === category).map((r) => r.id)).toHaveLength(1);
    }
    const others = library.rules.filter((r) => !(FINDING_CATEGORIES as readonly string[]).includes(r.spec.category));
    expect(others.length).toBeGreaterThanOrEqual(10);
  });

  it('gives every rule at least one hit and one miss example', () => {
    for (const r of library.rules) {
      expect({ id: r.id, hit: r.spec.examples.some((e) => e.expect === 'hit'), miss: r.spec.examples.some((e) => e.expect === 'miss') }).toEqual({
        id: r.id,
        hit: true,
        miss: true,
      });
    }
  });

  describe.each(library.rules.map((r) => [r.id, r] as const))('%s', (_id, rule) => {
    it.each(rule.spec.examples.map((e) => [e.name, e] as const))('example: %s', (_name, example) => {
      expect(runExample(rule, example).problems).toEqual([]);
    });
  });
});
