import { priceBonus, priceInspection, priceOverdueRecovery } from '../../../src/credit/credit-policy';
import { replay } from '../../../src/credit/ledger';
import { policy } from './builders';

/** Bonuses (clean inspection, self-correction, pledge) add; failed inspections and overdue recoveries deduct. */
describe('bonuses and the other causes', () => {
  const p = policy();

  it('prices each bonus kind from the policy', () => {
    expect(priceBonus(p, 'clean_inspection')).toBe(10);
    expect(priceBonus(p, 'self_correction')).toBe(15);
    expect(priceBonus(p, 'pledge_signed')).toBe(10);
    expect(p.bonuses.pledge_signed.oncePerCycle).toBe(true);
  });

  it('a compliant inspection earns the clean-inspection bonus; violations and referrals deduct', () => {
    expect(priceInspection(p, 'compliant')).toBe(10);
    expect(priceInspection(p, 'violations')).toBe(-30);
    expect(priceInspection(p, 'referred')).toBe(-60);
  });

  it('an overdue recovery deducts its fixed amount', () => {
    expect(priceOverdueRecovery(p)).toBe(-20);
  });

  it('bonuses raise the score from the base, deductions lower it', () => {
    const r = replay(p.scale, [
      { id: '1', points: priceBonus(p, 'pledge_signed') },
      { id: '2', points: priceBonus(p, 'self_correction') },
      { id: '3', points: priceOverdueRecovery(p) },
    ]);
    expect(r.steps.map((s) => s.scoreAfter)).toEqual([860, 875, 855]);
    expect(r.score).toBe(855);
  });
});
