import { compareUnderDraft, LedgerEntryFacts } from '../../../src/credit/ledger';
import { entry, policy, violation } from './builders';

/**
 * What-if: every entry priced again from its cause under a draft and replayed from the draft's
 * base; grades compared with the policy in force. (That nothing is written is in the integration test.)
 */
describe('what-if of a draft policy', () => {
  const current = policy();
  const v1 = violation('38', ['SPLIT_ADMISSION'], 'medium', -70, 'w1'); // 40 + 20 + 10
  const v2 = violation('40', ['AFTER_DEATH'], 'high', -200, 'w2');
  const appeal = entry('appeal_reversal', 70, { type: 'credit_appeal', appealId: 'a', reverses: 'w1' }, 'w3');
  const overdue = entry('overdue_recovery', -20, { type: 'recovery', recoveryId: 'r', caseId: 'c', caseNumber: 'AJ', recoveryKind: 'fine', dueDate: '2026-01-01', amountDue: '1.00' }, 'w4');
  const pledge = entry('bonus', 10, { type: 'bonus', bonusKind: 'pledge_signed', reference: 'P1' }, 'w5');
  const all = new Map<string, LedgerEntryFacts>([v1, v2, appeal, overdue, pledge].map((e) => [e.id, e]));
  const institutions = [
    { code: 'H1', name: null, entries: [v1] }, // 780 C
    { code: 'H2', name: null, entries: [v2, overdue] }, // 630 D
    { code: 'H3', name: null, entries: [v1, appeal, pledge] }, // 860 B
    { code: 'H4', name: null, entries: [] }, // 850 B
  ];

  it('the policy in force against itself moves nobody', () => {
    const r = compareUnderDraft(current, current, institutions, (id) => all.get(id));
    expect(r.summary).toMatchObject({ institutions: 4, gradeMoved: 0, scoreChanged: 0, moves: [] });
    expect(r.institutions.find((i) => i.institutionCode === 'H2')).toMatchObject({ current: { score: 630, grade: 'D' }, draft: { score: 630, grade: 'D' } });
  });

  it('heavier art. 38 deductions and a higher B band change scores and grades, reversals follow their originals', () => {
    const draft = policy((p) => {
      p.violation.byArticle['38'] = 100;
      p.grades[1]!.minScore = 860; // B from 860: the base (850) is now C
    });
    const r = compareUnderDraft(current, draft, institutions, (id) => all.get(id));
    const by = Object.fromEntries(r.institutions.map((i) => [i.institutionCode, i]));
    expect(by.H1).toMatchObject({ current: { score: 780, grade: 'C' }, draft: { score: 720, grade: 'C' }, scoreChange: -60, gradeMoved: false });
    // The reversal restores what the violation costs under the draft (130): the score is unchanged.
    expect(by.H3).toMatchObject({ current: { score: 860, grade: 'B' }, draft: { score: 860, grade: 'B' }, gradeMoved: false });
    expect(by.H4).toMatchObject({ current: { score: 850, grade: 'B' }, draft: { score: 850, grade: 'C' }, gradeMoved: true });
    expect(r.summary.moves).toEqual([{ move: 'B→C', count: 1 }]);
    expect(r.summary.currentGrades).toEqual({ B: 2, C: 1, D: 1 });
    expect(r.summary.draftGrades).toEqual({ B: 1, C: 2, D: 1 });
    // Those that move come first.
    expect(r.institutions[0]!.institutionCode).toBe('H4');
  });

  it('a draft bonus schedule re-prices bonuses; a lower base shifts everyone', () => {
    const draft = policy((p) => {
      p.bonuses.pledge_signed.points = 50;
      p.scale.base = 800;
    });
    const r = compareUnderDraft(current, draft, institutions, (id) => all.get(id));
    const by = Object.fromEntries(r.institutions.map((i) => [i.institutionCode, i]));
    expect(by.H3!.draft.score).toBe(850); // 800 − 70 + 70 + 50
    expect(by.H4!.draft).toEqual({ score: 800, grade: 'C' });
  });
});
