import { DomainErrorCode, DomainException } from '../../../src/common/domain.exception';
import { allowedActions, TIP_STATUSES, TipAction, TipStatus, transition, WorkflowTip } from '../../../src/tips/tip-workflow';

/** The tip's state machine: received → assigned → investigating → case_opened → substantiated → rewarded, or unsubstantiated. */
describe('tip workflow', () => {
  const sup = { role: 'supervisor' as const };
  const admin = { role: 'admin' as const };
  const system = { role: 'system' as const };
  const tip = (status: TipStatus, extra: Partial<WorkflowTip> = {}): WorkflowTip => ({ number: 'JB-2026-000001', status, caseNumber: null, caseDismissed: false, hasReward: false, ...extra });
  const refusal = (fn: () => unknown): DomainException => {
    try {
      fn();
    } catch (e) {
      if (e instanceof DomainException) return e;
      throw e;
    }
    throw new Error('expected a refusal');
  };

  it('walks the happy path to rewarded', () => {
    expect(transition(tip('received'), 'assign', sup, { assignee: 'sup-a' })).toEqual({ action: 'assign', from: 'received', to: 'assigned' });
    expect(transition(tip('assigned'), 'start_investigation', sup).to).toBe('investigating');
    expect(transition(tip('investigating'), 'open_case', admin).to).toBe('case_opened');
    expect(transition(tip('case_opened', { caseNumber: 'AJ-2026-000009' }), 'substantiate', system).to).toBe('substantiated');
    expect(transition(tip('substantiated', { hasReward: true }), 'record_payment', sup, { paidOn: '2026-03-01' }).to).toBe('rewarded');
  });

  it('reassigning, notes and the reward level keep the status', () => {
    expect(transition(tip('investigating'), 'assign', sup, { assignee: 'sup-b' }).to).toBe('investigating');
    for (const s of TIP_STATUSES) expect(transition(tip(s), 'note', sup, { note: 'x' }).to).toBe(s);
    expect(transition(tip('case_opened'), 'set_level', sup, { level: 1 }).to).toBe('case_opened');
  });

  it('closes as unsubstantiated from any open status with a reason', () => {
    for (const s of ['received', 'assigned', 'investigating'] as const) expect(transition(tip(s), 'close', sup, { reason: '证据不足' }).to).toBe('unsubstantiated');
    const e = refusal(() => transition(tip('investigating'), 'close', sup, {}));
    expect(e.code).toBe(DomainErrorCode.InvalidInput);
    expect(e.errors).toEqual([expect.objectContaining({ path: 'reason' })]);
  });

  it('refuses to close a tip whose case is still being handled; allows it once the case is dismissed', () => {
    const e = refusal(() => transition(tip('case_opened', { caseNumber: 'AJ-2026-000009' }), 'close', sup, { reason: 'x' }));
    expect(e.code).toBe(DomainErrorCode.Conflict);
    expect(e.message).toContain('AJ-2026-000009');
    expect(e.message).toContain('case_opened');
    expect(allowedActions(tip('case_opened', { caseNumber: 'AJ-2026-000009' }), sup)).not.toContain('close');
    expect(transition(tip('case_opened', { caseNumber: 'AJ-2026-000009', caseDismissed: true }), 'close', sup, { reason: '案件不予立案' }).to).toBe('unsubstantiated');
  });

  it('answers an illegal step with 409 naming the status and the allowed actions', () => {
    const e = refusal(() => transition(tip('received'), 'open_case', sup));
    expect(e.code).toBe(DomainErrorCode.Conflict);
    expect(e.message).toBe('tip JB-2026-000001 is received: open_case is not possible (allowed now: assign, note, set_level, close)');
    expect(e.errors).toEqual([{ path: 'status', reason: 'is received' }]);
    const closed = refusal(() => transition(tip('unsubstantiated'), 'assign', sup, { assignee: 'x' }));
    expect(closed.message).toBe('tip JB-2026-000001 is unsubstantiated: assign is not possible (allowed now: note)');
    expect(refusal(() => transition(tip('rewarded'), 'record_payment', sup, { paidOn: '2026-03-01' })).code).toBe(DomainErrorCode.Conflict);
    expect(refusal(() => transition(tip('substantiated'), 'set_level', sup, { level: 1 })).code).toBe(DomainErrorCode.Conflict);
  });

  it('substantiates only for the system (the case-final listener), never by hand', () => {
    const e = refusal(() => transition(tip('case_opened'), 'substantiate', sup));
    expect(e.code).toBe(DomainErrorCode.Forbidden);
    expect(allowedActions(tip('case_opened'), admin)).not.toContain('substantiate');
    expect(refusal(() => transition(tip('received'), 'assign', { role: 'auditor' }, { assignee: 'x' })).code).toBe(DomainErrorCode.Forbidden);
    expect(refusal(() => transition(tip('received'), 'note', { role: 'institution' }, { note: 'x' })).code).toBe(DomainErrorCode.Forbidden);
  });

  it('records a payment only when a reward exists, with its date', () => {
    expect(refusal(() => transition(tip('substantiated'), 'record_payment', sup, { paidOn: '2026-03-01' })).message).toBe('tip JB-2026-000001 has no reward recorded');
    expect(refusal(() => transition(tip('substantiated', { hasReward: true }), 'record_payment', sup, {})).errors).toEqual([expect.objectContaining({ path: 'paidOn' })]);
  });

  it('lists exactly the actions each status allows a supervisor', () => {
    const table: Record<TipStatus, TipAction[]> = {
      received: ['assign', 'note', 'set_level', 'close'],
      assigned: ['assign', 'start_investigation', 'note', 'set_level', 'close'],
      investigating: ['assign', 'note', 'set_level', 'open_case', 'close'],
      case_opened: ['assign', 'note', 'set_level'],
      substantiated: ['note'],
      unsubstantiated: ['note'],
      rewarded: ['note'],
    };
    for (const s of TIP_STATUSES) expect([s, allowedActions(tip(s), sup)]).toEqual([s, table[s]]);
    expect(allowedActions(tip('substantiated', { hasReward: true }), sup)).toEqual(['note', 'record_payment']);
  });
});
