import { auditDiff } from '../../../src/console/audit-diff';
import { RuleRow, conditionTree, sortRules } from '../../../src/console/rule-pages';
import { loginFailure } from '../../../src/console/login.controller';
import { DomainErrorCode, DomainException } from '../../../src/common/domain.exception';

const row = (id: string, over: Partial<RuleRow> = {}): RuleRow => ({
  id, version: 1, title: { zh: id, en: id }, category: 'X', group: 'policy', scope: 'line', result: 'violation', severity: 'low',
  open: 0, confirmed: 0, dismissed: 0, precision: null, amountAtRisk: '0.00', institutions: 0, ...over,
});

describe('rule list ordering', () => {
  const rows = [
    row('a', { precision: 0.9, open: 5, amountAtRisk: '10.00' }),
    row('b', { precision: null, open: 50, amountAtRisk: '9.99' }),
    row('c', { precision: 0.2, open: 5, amountAtRisk: '1000.10' }),
    row('d', { precision: 0.2, open: 1, amountAtRisk: '1000.09' }),
  ];
  it('puts the lowest precision first and unreviewed rules last', () => {
    expect(sortRules(rows, 'precision').map((r) => r.id)).toEqual(['c', 'd', 'a', 'b']);
  });
  it('sorts hits and amounts largest first, exactly to the fen', () => {
    expect(sortRules(rows, 'hits').map((r) => r.id)).toEqual(['b', 'a', 'c', 'd']);
    expect(sortRules(rows, 'amount').map((r) => r.id)).toEqual(['c', 'd', 'a', 'b']);
    expect(sortRules(rows, 'id').map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('condition tree', () => {
  it('renders nested conditions with facts, params and literals', () => {
    expect(
      conditionTree({ all: [{ fact: 'line.unit_price', operator: 'greaterThan', value: { fact: 'catalog.price_ceiling' } }, { not: { fact: 'claim.visit_type', operator: 'in', value: ['inpatient'] } }, { fact: 'line.quantity', operator: 'greaterThan', value: { param: 'max' } }] }),
    ).toEqual({
      kind: 'all',
      children: [
        { kind: 'leaf', text: 'line.unit_price greaterThan catalog.price_ceiling' },
        { kind: 'not', children: [{ kind: 'leaf', text: 'claim.visit_type in ["inpatient"]' }] },
        { kind: 'leaf', text: 'line.quantity greaterThan param.max' },
      ],
    });
  });
});

describe('audit diff', () => {
  it('lists only the fields that changed', () => {
    expect(auditDiff({ status: 'open', amount: '1.00', same: 1 }, { status: 'confirmed', amount: '1.00', same: 1, reason: 'x' })).toEqual([
      { field: 'reason', before: null, after: 'x' },
      { field: 'status', before: 'open', after: 'confirmed' },
    ]);
  });
  it('shows a creation as every field added and nested values as JSON', () => {
    expect(auditDiff(null, { a: { b: 1 } })).toEqual([{ field: 'a', before: null, after: '{"b":1}' }]);
    expect(auditDiff(null, null)).toEqual([]);
    expect(auditDiff('x', 'y')).toEqual([{ field: '', before: 'x', after: 'y' }]);
  });
});

describe('login failures', () => {
  it('maps the service errors to messages and statuses', () => {
    expect(loginFailure(new DomainException(DomainErrorCode.TooManyRequests, 'x', []))).toEqual({ key: 'login.rateLimited', status: 429 });
    expect(loginFailure(new DomainException(DomainErrorCode.Unauthenticated, 'x', [{ path: 'name', reason: 'locked until 2030-01-01T00:00:00.000Z' }]))).toEqual({ key: 'login.locked', status: 423 });
    expect(loginFailure(new DomainException(DomainErrorCode.Unauthenticated, 'x', [{ path: 'name', reason: 'account disabled' }]))).toEqual({ key: 'login.disabled', status: 401 });
    expect(loginFailure(new DomainException(DomainErrorCode.Unauthenticated, 'x', [{ path: 'password', reason: 'wrong' }]))).toEqual({ key: 'login.failed', status: 401 });
  });
});
