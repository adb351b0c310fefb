import { priceViolation } from '../../../src/credit/credit-policy';
import { policy } from './builders';

/**
 * A confirmed violation's deduction: article (38 / 40) + the largest listed category among the
 * case's confirmed findings + the highest severity ("sum"); "largest" takes the largest of the three;
 * max_per_case caps either.
 */
describe('deductions for a confirmed violation', () => {
  const p = policy();

  it('by article alone (a risk case without findings)', () => {
    expect(priceViolation(p, { article: '38', categories: [], severity: null }).points).toBe(-40);
    expect(priceViolation(p, { article: '40', categories: [], severity: null }).points).toBe(-120);
  });

  it('adds the largest listed category of the case, not every category; unlisted ones add nothing', () => {
    const r = priceViolation(p, { article: '38', categories: ['SPLIT_ADMISSION', 'AFTER_DEATH', 'PRICE_CEILING'], severity: null });
    expect(r.category).toEqual({ code: 'AFTER_DEATH', points: 60 });
    expect(r.points).toBe(-100);
    expect(priceViolation(p, { article: '38', categories: ['PRICE_CEILING'], severity: null }).category).toEqual({ code: null, points: 0 });
  });

  it('adds the highest severity', () => {
    expect(priceViolation(p, { article: '38', categories: ['SPLIT_ADMISSION'], severity: 'high' }).points).toBe(-(40 + 20 + 20));
    expect(priceViolation(p, { article: '38', categories: [], severity: 'medium' }).points).toBe(-50);
    expect(priceViolation(p, { article: '38', categories: [], severity: 'low' }).points).toBe(-40);
  });

  it('fraud (art. 40) with a phantom-service category and high severity is the heaviest', () => {
    const r = priceViolation(p, { article: '40', categories: ['AFTER_DEATH'], severity: 'high' });
    expect(r).toEqual({ points: -200, article: 120, category: { code: 'AFTER_DEATH', points: 60 }, severity: 20, capped: false });
  });

  it('"largest" takes the largest of article, category and severity', () => {
    const q = policy((x) => (x.violation.combine = 'largest'));
    expect(priceViolation(q, { article: '38', categories: ['AFTER_DEATH'], severity: 'high' }).points).toBe(-60);
    expect(priceViolation(q, { article: '40', categories: ['AFTER_DEATH'], severity: 'high' }).points).toBe(-120);
  });

  it('caps at max_per_case', () => {
    const q = policy((x) => (x.violation.maxPerCase = 150));
    expect(priceViolation(q, { article: '40', categories: ['AFTER_DEATH'], severity: 'high' })).toMatchObject({ points: -150, capped: true });
    expect(priceViolation(q, { article: '38', categories: [], severity: null })).toMatchObject({ points: -40, capped: false });
  });
});
