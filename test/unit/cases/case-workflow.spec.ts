import { DomainErrorCode, DomainException } from '../../../src/common/domain.exception';
import {
  ActionInput,
  allowedActions,
  appealDeadline,
  CASE_ACTIONS,
  CASE_STATUSES,
  CaseAction,
  CaseStatus,
  transition,
  WorkflowActor,
  WorkflowCase,
} from '../../../src/cases/case-workflow';

/**
 * The case workflow as a state machine: every legal transition, and every action refused in every
 * status it is not allowed in, with the message naming the status and what is allowed.
 */

const NOW = new Date('2026-03-10T08:00:00Z');
const DAY = 86_400_000;

const supervisor: WorkflowActor = { role: 'supervisor', userId: 'u-sup', institutionCode: null };
const admin: WorkflowActor = { role: 'admin', userId: 'u-adm', institutionCode: null };
const auditor: WorkflowActor = { role: 'auditor', userId: 'u-aud', institutionCode: null };
const inspector: WorkflowActor = { role: 'inspector', userId: 'u-ins', institutionCode: null };
const ownInstitution: WorkflowActor = { role: 'institution', userId: 'u-h1', institutionCode: 'H37010200001' };
const otherInstitution: WorkflowActor = { role: 'institution', userId: 'u-h2', institutionCode: 'H37010200002' };
const system: WorkflowActor = { role: 'system', userId: null, institutionCode: null };

function aCase(status: CaseStatus, over: Partial<WorkflowCase> = {}): WorkflowCase {
  return {
    number: 'AJ-2026-000012',
    status,
    institutionCode: 'H37010200001',
    assigneeId: null,
    appealDeadline: status === 'decided' || status === 'appealed' ? new Date(NOW.getTime() + 5 * DAY) : null,
    appealWaived: false,
    recoveriesOutstanding: 0,
    ...over,
  };
}

function refusal(fn: () => unknown): DomainException {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainException);
    return e as DomainException;
  }
  throw new Error('expected the action to be refused');
}

/** The legal moves: action, from, input, actor → to. */
const LEGAL: { action: CaseAction; from: CaseStatus; to: CaseStatus; input?: ActionInput; actor?: WorkflowActor; over?: Partial<WorkflowCase> }[] = [
  { action: 'assign', from: 'open', to: 'open' },
  { action: 'assign', from: 'in_review', to: 'in_review' },
  { action: 'assign', from: 'confirmed', to: 'confirmed' },
  { action: 'start_review', from: 'open', to: 'in_review' },
  { action: 'confirm', from: 'in_review', to: 'confirmed' },
  { action: 'dismiss', from: 'in_review', to: 'dismissed', input: { reason: 'coding error at the hospital, corrected' } },
  { action: 'decide', from: 'confirmed', to: 'decided' },
  { action: 'appeal', from: 'decided', to: 'appealed', input: { reason: 'the items were prescribed' }, actor: ownInstitution },
  { action: 'decide_appeal', from: 'appealed', to: 'final', input: { outcome: 'upheld', reason: 'evidence holds' } },
  { action: 'decide_appeal', from: 'appealed', to: 'final', input: { outcome: 'amended', reason: 'partly justified', hasDecision: true } },
  { action: 'decide_appeal', from: 'appealed', to: 'dismissed', input: { outcome: 'overturned', reason: 'the records prove the service' } },
  { action: 'finalize', from: 'decided', to: 'final', over: { appealDeadline: new Date(NOW.getTime() - DAY) } },
  { action: 'finalize', from: 'decided', to: 'final', input: { waived: true } },
  { action: 'close', from: 'final', to: 'closed' },
  { action: 'close', from: 'final', to: 'closed', input: { reason: 'written off by the bureau' }, over: { recoveriesOutstanding: 1 } },
  { action: 'close', from: 'dismissed', to: 'closed' },
];

describe('legal transitions', () => {
  it.each(LEGAL.map((l) => [`${l.action}: ${l.from} → ${l.to}${l.input ? ` ${JSON.stringify(l.input)}` : ''}`, l] as const))('%s', (_name, l) => {
    const t = transition(aCase(l.from, l.over), l.action, l.actor ?? supervisor, l.input ?? {}, NOW);
    expect(t).toMatchObject({ action: l.action, from: l.from, to: l.to });
  });

  it('an admin may take every supervisor action', () => {
    expect(transition(aCase('open'), 'start_review', admin, {}, NOW).to).toBe('in_review');
  });

  it('start review assigns an unassigned case to the reviewer, and leaves an assigned one alone', () => {
    expect(transition(aCase('open'), 'start_review', supervisor, {}, NOW).assignTo).toBe('u-sup');
    expect(transition(aCase('open', { assigneeId: 'u-other' }), 'start_review', supervisor, {}, NOW).assignTo).toBeUndefined();
  });
});

describe('illegal transitions', () => {
  const legalFrom = new Map<CaseAction, Set<CaseStatus>>();
  for (const l of LEGAL) legalFrom.set(l.action, new Set([...(legalFrom.get(l.action) ?? []), l.from]));
  const cases: [string, CaseAction, CaseStatus][] = [];
  for (const action of CASE_ACTIONS) for (const status of CASE_STATUSES) if (!legalFrom.get(action)!.has(status)) cases.push([`${action} from ${status}`, action, status]);

  it.each(cases)('%s is a conflict naming the status and what is allowed', (_n, action, status) => {
    const actor = action === 'appeal' ? ownInstitution : supervisor;
    const input: ActionInput = { reason: 'r', outcome: 'upheld', waived: true };
    const e = refusal(() => transition(aCase(status), action, actor, input, NOW));
    expect(e.code).toBe(DomainErrorCode.Conflict);
    expect(e.message).toMatch(new RegExp(`^case AJ-2026-000012 is ${status}; allowed: `));
  });

  it('says exactly what is allowed', () => {
    expect(refusal(() => transition(aCase('dismissed'), 'decide', supervisor, {}, NOW)).message).toBe('case AJ-2026-000012 is dismissed; allowed: close');
    expect(refusal(() => transition(aCase('open'), 'confirm', supervisor, {}, NOW)).message).toBe('case AJ-2026-000012 is open; allowed: assign, start_review');
    expect(refusal(() => transition(aCase('closed'), 'close', supervisor, {}, NOW)).message).toBe('case AJ-2026-000012 is closed; allowed: none');
  });

  it('dismissing needs a reason (a 400 naming it)', () => {
    for (const reason of [undefined, null, '', '   ']) {
      const e = refusal(() => transition(aCase('in_review'), 'dismiss', supervisor, { reason }, NOW));
      expect(e.code).toBe(DomainErrorCode.InvalidInput);
      expect(e.errors).toEqual([{ path: 'reason', reason: expect.stringMatching(/required/) }]);
    }
  });

  it('appealing needs a reason', () => {
    const e = refusal(() => transition(aCase('decided'), 'appeal', ownInstitution, {}, NOW));
    expect(e.code).toBe(DomainErrorCode.InvalidInput);
    expect(e.errors[0]!.path).toBe('reason');
  });

  it('only the case institution appeals; another institution does not even see the case', () => {
    expect(refusal(() => transition(aCase('decided'), 'appeal', otherInstitution, { reason: 'x' }, NOW)).code).toBe(DomainErrorCode.NotFound);
    expect(refusal(() => transition(aCase('decided'), 'appeal', supervisor, { reason: 'x' }, NOW)).code).toBe(DomainErrorCode.Forbidden);
  });

  it('an appeal after the window is refused; on the last moment it is accepted', () => {
    const deadline = appealDeadline(new Date('2026-02-01T02:00:00Z'), 15);
    expect(deadline.toISOString()).toBe('2026-02-16T02:00:00.000Z');
    const c = aCase('decided', { appealDeadline: deadline });
    expect(transition(c, 'appeal', ownInstitution, { reason: 'x' }, deadline).to).toBe('appealed');
    const e = refusal(() => transition(c, 'appeal', ownInstitution, { reason: 'x' }, new Date(deadline.getTime() + 1)));
    expect(e.code).toBe(DomainErrorCode.Conflict);
    expect(e.message).toBe('case AJ-2026-000012: the appeal window closed on 2026-02-16; allowed: none');
  });

  it('no appeal once the institution waived it', () => {
    const e = refusal(() => transition(aCase('decided', { appealWaived: true }), 'appeal', ownInstitution, { reason: 'x' }, NOW));
    expect(e.code).toBe(DomainErrorCode.Conflict);
    expect(e.message).toMatch(/waived/);
  });

  it('finalizing inside the appeal window needs the waiver', () => {
    const e = refusal(() => transition(aCase('decided'), 'finalize', supervisor, {}, NOW));
    expect(e.code).toBe(DomainErrorCode.Conflict);
    expect(e.message).toMatch(/appeal window is open until 2026-03-15/);
  });

  it('deciding an appeal needs an outcome and a reason; amended needs the new decision, the others none', () => {
    const c = aCase('appealed');
    expect(refusal(() => transition(c, 'decide_appeal', supervisor, { reason: 'x' }, NOW)).errors.map((e) => e.path)).toEqual(['outcome']);
    expect(refusal(() => transition(c, 'decide_appeal', supervisor, { outcome: 'upheld' }, NOW)).errors.map((e) => e.path)).toEqual(['reason']);
    expect(refusal(() => transition(c, 'decide_appeal', supervisor, { outcome: 'amended', reason: 'x' }, NOW)).errors.map((e) => e.path)).toEqual(['decision']);
    expect(refusal(() => transition(c, 'decide_appeal', supervisor, { outcome: 'upheld', reason: 'x', hasDecision: true }, NOW)).errors.map((e) => e.path)).toEqual(['decision']);
  });

  it('closing a final case with recoveries outstanding needs a reason', () => {
    const e = refusal(() => transition(aCase('final', { recoveriesOutstanding: 2 }), 'close', supervisor, {}, NOW));
    expect(e.code).toBe(DomainErrorCode.InvalidInput);
    expect(e.errors).toEqual([{ path: 'reason', reason: 'is required: 2 recoveries are not paid in full' }]);
  });

  it.each([auditor, inspector, ownInstitution, system])('%p may take no supervisor action', (actor) => {
    for (const action of CASE_ACTIONS.filter((a) => a !== 'appeal')) {
      expect(refusal(() => transition(aCase('open'), action, actor, { reason: 'x' }, NOW)).code).toBe(DomainErrorCode.Forbidden);
    }
  });
});

describe('allowed actions', () => {
  it.each([
    ['open', supervisor, ['assign', 'start_review']],
    ['in_review', supervisor, ['assign', 'confirm', 'dismiss']],
    ['confirmed', supervisor, ['assign', 'decide']],
    ['dismissed', supervisor, ['close']],
    ['decided', supervisor, ['finalize']],
    ['decided', ownInstitution, ['appeal']],
    ['decided', otherInstitution, []],
    ['appealed', supervisor, ['decide_appeal']],
    ['final', admin, ['close']],
    ['closed', supervisor, []],
    ['in_review', auditor, []],
  ] as [CaseStatus, WorkflowActor, CaseAction[]][])('%s for %p: %p', (status, actor, expected) => {
    expect(allowedActions(aCase(status), actor, NOW)).toEqual(expected);
  });

  it('the institution can no longer appeal once the window has passed', () => {
    expect(allowedActions(aCase('decided', { appealDeadline: new Date(NOW.getTime() - 1) }), ownInstitution, NOW)).toEqual([]);
  });
});
