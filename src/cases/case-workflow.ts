import { Role } from '../accounts/roles';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';

/**
 * The life of a supervision case (案件) as a pure state machine: which action may move a case from
 * which status, for whom, and when. The service asks it before every change and stores what it
 * answers; nothing here touches the database or the clock (the time is passed in).
 *
 *   open → in_review → confirmed → decided → appealed → final → closed
 *                    ↘ dismissed → closed      ↘ final (window passed / waived)
 *                                  appealed → dismissed (appeal overturned)
 */

export const CASE_STATUSES = ['open', 'in_review', 'confirmed', 'dismissed', 'decided', 'appealed', 'final', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_ACTIONS = ['assign', 'start_review', 'confirm', 'dismiss', 'decide', 'appeal', 'decide_appeal', 'finalize', 'close'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

export const APPEAL_OUTCOMES = ['upheld', 'amended', 'overturned'] as const;
export type AppealOutcome = (typeof APPEAL_OUTCOMES)[number];

/** Statuses in which a case still collects findings from new screening runs. */
export const COLLECTING_STATUSES: readonly CaseStatus[] = ['open', 'in_review'];

export const CASE_STATUS_ZH: Readonly<Record<CaseStatus, string>> = {
  open: '待审核',
  in_review: '审核中',
  confirmed: '已确认违规',
  dismissed: '不予立案',
  decided: '已作出处理决定',
  appealed: '申诉中',
  final: '决定已生效',
  closed: '已结案',
};

/** What the workflow needs to know about a case. */
export interface WorkflowCase {
  number: string;
  status: CaseStatus;
  institutionCode: string;
  assigneeId: string | null;
  /** Set by the decision: the last moment the institution may appeal. */
  appealDeadline: Date | null;
  appealWaived: boolean;
  /** Recoveries not yet paid in full (cancelled ones excluded). */
  recoveriesOutstanding: number;
}

export interface WorkflowActor {
  role: Role | 'system';
  userId: string | null;
  institutionCode: string | null;
}

/** What the actor submitted with the action (only what the workflow judges). */
export interface ActionInput {
  reason?: string | null;
  /** finalize: the institution waived its appeal (放弃申诉). */
  waived?: boolean;
  /** decide_appeal */
  outcome?: AppealOutcome;
  /** decide_appeal amended: a new decision was supplied. */
  hasDecision?: boolean;
}

export interface Transition {
  action: CaseAction;
  from: CaseStatus;
  to: CaseStatus;
  /** Set when the action also assigns the case (start_review by an unassigned case's reviewer). */
  assignTo?: string;
}

const SUPERVISING: readonly Role[] = ['admin', 'supervisor'];

interface ActionDef {
  from: readonly CaseStatus[];
  roles: readonly Role[];
  /** Why the action is refused now for this case and actor (state, ownership, time), or null. */
  refuse?: (c: WorkflowCase, actor: WorkflowActor, now: Date) => { code: DomainErrorCode; message: string } | null;
  /** What is missing or wrong in the submitted input, per field. */
  check?: (c: WorkflowCase, input: ActionInput) => FieldError[];
  to: (c: WorkflowCase, input: ActionInput) => CaseStatus;
}

const hasText = (s: string | null | undefined) => typeof s === 'string' && s.trim().length > 0;
const day = (d: Date) => d.toISOString().slice(0, 10);

const ACTIONS: Readonly<Record<CaseAction, ActionDef>> = {
  assign: { from: ['open', 'in_review', 'confirmed'], roles: SUPERVISING, to: (c) => c.status },
  start_review: { from: ['open'], roles: SUPERVISING, to: () => 'in_review' },
  confirm: { from: ['in_review'], roles: SUPERVISING, to: () => 'confirmed' },
  dismiss: {
    from: ['in_review'],
    roles: SUPERVISING,
    check: (_c, i) => (hasText(i.reason) ? [] : [{ path: 'reason', reason: 'is required: say why the case is dismissed' }]),
    to: () => 'dismissed',
  },
  decide: { from: ['confirmed'], roles: SUPERVISING, to: () => 'decided' },
  appeal: {
    from: ['decided'],
    roles: ['institution'],
    refuse: (c, actor, now) => {
      // Another institution's case does not exist for this actor.
      if (actor.institutionCode !== c.institutionCode) return { code: DomainErrorCode.NotFound, message: `case ${c.number} does not exist` };
      if (c.appealWaived) return { code: DomainErrorCode.Conflict, message: `case ${c.number}: the institution waived its appeal` };
      if (!c.appealDeadline || now.getTime() > c.appealDeadline.getTime()) {
        return { code: DomainErrorCode.Conflict, message: `case ${c.number}: the appeal window closed on ${c.appealDeadline ? day(c.appealDeadline) : '(no decision)'}` };
      }
      return null;
    },
    check: (_c, i) => (hasText(i.reason) ? [] : [{ path: 'reason', reason: 'is required: say why the decision is contested' }]),
    to: () => 'appealed',
  },
  decide_appeal: {
    from: ['appealed'],
    roles: SUPERVISING,
    check: (_c, i) => {
      const e: FieldError[] = [];
      if (!i.outcome || !APPEAL_OUTCOMES.includes(i.outcome)) e.push({ path: 'outcome', reason: `must be one of ${APPEAL_OUTCOMES.join(', ')}` });
      if (!hasText(i.reason)) e.push({ path: 'reason', reason: 'is required: say why the appeal is decided this way' });
      if (i.outcome === 'amended' && !i.hasDecision) e.push({ path: 'decision', reason: 'is required when the outcome is amended (the new decision)' });
      if (i.outcome !== 'amended' && i.hasDecision) e.push({ path: 'decision', reason: 'is only given when the outcome is amended' });
      return e;
    },
    to: (_c, i) => (i.outcome === 'overturned' ? 'dismissed' : 'final'),
  },
  finalize: {
    from: ['decided'],
    roles: SUPERVISING,
    refuse: (c, _a, now) =>
      c.appealDeadline && now.getTime() <= c.appealDeadline.getTime() && !c.appealWaived
        ? { code: DomainErrorCode.Conflict, message: `case ${c.number}: the appeal window is open until ${day(c.appealDeadline)}; finalize after it, or record that the institution waived its appeal (waived: true)` }
        : null,
    to: () => 'final',
  },
  close: {
    from: ['final', 'dismissed'],
    roles: SUPERVISING,
    check: (c, i) =>
      c.status === 'final' && c.recoveriesOutstanding > 0 && !hasText(i.reason)
        ? [{ path: 'reason', reason: `is required: ${c.recoveriesOutstanding} recover${c.recoveriesOutstanding === 1 ? 'y is' : 'ies are'} not paid in full` }]
        : [],
    to: () => 'closed',
  },
};

/** finalize with waived: the waiver lifts the window (the refusal above reads the case, so apply it first). */
function effective(c: WorkflowCase, action: CaseAction, input: ActionInput): WorkflowCase {
  return action === 'finalize' && input.waived ? { ...c, appealWaived: true } : c;
}

const roleAllows = (def: ActionDef, actor: WorkflowActor) => actor.role !== 'system' && def.roles.includes(actor.role);

/** The actions this actor may take on the case now (input aside: a reason may still be needed). */
export function allowedActions(c: WorkflowCase, actor: WorkflowActor, now: Date): CaseAction[] {
  return CASE_ACTIONS.filter((a) => {
    const def = ACTIONS[a];
    if (!def.from.includes(c.status) || !roleAllows(def, actor)) return false;
    // finalize is offered when a waiver would make it possible (the form asks for it).
    if (a === 'finalize') return true;
    return !def.refuse?.(c, actor, now);
  });
}

const allowedText = (c: WorkflowCase, actor: WorkflowActor, now: Date) => {
  const a = allowedActions(c, actor, now);
  return a.length ? a.join(', ') : 'none';
};

/**
 * Checks one action and says where it leads; throws a DomainException otherwise: Conflict for the
 * wrong status or time (naming the status and what is allowed), InvalidInput naming missing fields,
 * Forbidden for a role that may not take it, NotFound for another institution's case.
 */
export function transition(c: WorkflowCase, action: CaseAction, actor: WorkflowActor, input: ActionInput, now: Date): Transition {
  const def = ACTIONS[action];
  if (!def) throw new DomainException(DomainErrorCode.InvalidInput, `unknown action ${String(action)}`, [{ path: 'action', reason: `must be one of ${CASE_ACTIONS.join(', ')}` }]);
  if (!roleAllows(def, actor)) {
    throw new DomainException(DomainErrorCode.Forbidden, `${actor.role} may not ${action} a case; it takes ${def.roles.join(' or ')}`);
  }
  if (!def.from.includes(c.status)) {
    throw new DomainException(DomainErrorCode.Conflict, `case ${c.number} is ${c.status}; allowed: ${allowedText(c, actor, now)}`);
  }
  const eff = effective(c, action, input);
  const refused = def.refuse?.(eff, actor, now);
  if (refused) {
    const msg = refused.code === DomainErrorCode.Conflict ? `${refused.message}; allowed: ${allowedText(c, actor, now)}` : refused.message;
    throw new DomainException(refused.code, msg);
  }
  const errors = def.check?.(eff, input) ?? [];
  if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, `cannot ${action} case ${c.number}: ${errors.map((e) => `${e.path} ${e.reason}`).join('; ')}`, errors);
  const t: Transition = { action, from: c.status, to: def.to(eff, input) };
  if (action === 'start_review' && !c.assigneeId && actor.userId) t.assignTo = actor.userId;
  return t;
}

/** The appeal deadline of a decision taken at `decidedAt`: the same clock time `days` days later. */
export function appealDeadline(decidedAt: Date, days: number): Date {
  return new Date(decidedAt.getTime() + days * 24 * 3600 * 1000);
}
