import { addMonths, addWorkingDays, repriceEntry, standingOf } from '../../../src/credit/ledger';
import { entry, policy, violation } from './builders';

/**
 * Repair (信用修复): a granted repair is an entry restoring exactly what the violation took; it may
 * be asked for `waiting_months` after the decision; requests are due within working days (Mon–Fri).
 * The conditions against the stored ledger (no newer violation, rectified) are in the integration test.
 */
describe('credit repair', () => {
  const p = policy();

  it('a repair entry restores the violation deduction: the score is back where it would be without it', () => {
    const v = violation('38', ['SPLIT_ADMISSION'], 'high', -80, 'v1');
    const other = entry('overdue_recovery', -20, { type: 'recovery', recoveryId: 'r', caseId: 'c', caseNumber: 'AJ-2026-000002', recoveryKind: 'fine', dueDate: '2026-03-01', amountDue: '100.00' }, 'o1');
    const repair = entry('repair', 80, { type: 'credit_repair', repairId: 'q', reverses: 'v1' }, 'r1');
    expect(standingOf(p, [v, other, repair]).score).toBe(standingOf(p, [other]).score);
    expect(standingOf(p, [v, other, repair])).toMatchObject({ score: 830, grade: 'C' });
  });

  it('under another policy the repair restores what the violation costs under that policy', () => {
    const v = violation('38', ['SPLIT_ADMISSION'], 'high', -80, 'v2');
    const repair = entry('repair', 80, { type: 'credit_repair', repairId: 'q', reverses: 'v2' }, 'r2');
    const heavier = policy((x) => (x.violation.byArticle['38'] = 100));
    const byId = new Map([v, repair].map((e) => [e.id, e]));
    expect(repriceEntry(heavier, v, (id) => byId.get(id))).toBe(-140);
    expect(repriceEntry(heavier, repair, (id) => byId.get(id))).toBe(140);
  });

  it('may be asked for N calendar months after the decision (the month end when shorter)', () => {
    expect(addMonths('2026-01-15', 6)).toBe('2026-07-15');
    expect(addMonths('2025-08-31', 6)).toBe('2026-02-28');
    expect(addMonths('2023-08-31', 6)).toBe('2024-02-29');
    expect(addMonths('2026-11-30', 3)).toBe('2027-02-28');
  });

  it('is due 15 working days (Monday to Friday) after the request', () => {
    expect(addWorkingDays('2026-03-02', 15)).toBe('2026-03-23'); // a Monday: three weeks later
    expect(addWorkingDays('2026-03-06', 1)).toBe('2026-03-09'); // Friday → Monday
    expect(addWorkingDays('2026-03-07', 1)).toBe('2026-03-09'); // Saturday → Monday
    expect(addWorkingDays('2026-12-24', 15)).toBe('2027-01-14'); // across the year end, holidays not modelled
  });
});
