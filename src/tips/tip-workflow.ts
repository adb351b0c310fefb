import { Role } from '../accounts/roles';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';

/**
 * The life of a tip (举报线索) as a pure state machine: which action may move a tip from which
 * status, and for whom. The service asks it before every change and stores what it answers.
 *
 *   received → assigned → investigating → case_opened → substantiated → rewarded
 *          ↘            ↘              ↘           ↘ unsubstantiated (the case was dismissed)
 *           unsubstantiated (closed with a reason)
 *
 * substantiated is reached only when the tip's case becomes final with a violation (the reward is
 * computed then); rewarded when a supervisor records that the reward was paid.
 */

export const TIP_STATUSES = ['received', 'assigned', 'investigating', 'case_opened', 'substantiated', 'unsubstantiated', 'rewarded'] as const;
export type TipStatus = (typeof TIP_STATUSES)[number];

export const TIP_ACTIONS = ['assign', 'start_investigation', 'note', 'set_level', 'open_case', 'close', 'substantiate', 'record_payment'] as const;
export type TipAction = (typeof TIP_ACTIONS)[number];

/** Statuses after which nothing but notes (and the payment of a granted reward) happens. */
export const CLOSED_STATUSES: readonly TipStatus[] = ['substantiated', 'unsubstantiated', 'rewarded'];

/** What the workflow needs to know about a tip. */
export interface WorkflowTip {
  number: string;
  status: TipStatus;
  /** The number of the case opened from the tip, and whether that case was dismissed (不予立案). */
  caseNumber: string | null;
  caseDismissed: boolean;
  hasReward: boolean;
}

export interface WorkflowActor {
  role: Role | 'system';
}

export interface TipActionInput {
  reason?: string | null;
  note?: string | null;
  level?: number | null;
  assignee?: string | null;
  paidOn?: string | null;
}

export interface TipTransition {
  action: TipAction;
  from: TipStatus;
  to: TipStatus;
}

const SUPERVISING: readonly (Role | 'system')[] = ['admin', 'supervisor'];
const OPEN: readonly TipStatus[] = ['received', 'assigned', 'investigating', 'case_opened'];

interface ActionDef {
  from: readonly TipStatus[];
  roles: readonly (Role | 'system')[];
  refuse?: (t: WorkflowTip) => string | null;
  check?: (t: WorkflowTip, input: TipActionInput) => FieldError[];
  to: (t: WorkflowTip) => TipStatus;
}

const hasText = (s: string | null | undefined) => typeof s === 'string' && s.trim().length > 0;

const ACTIONS: Readonly<Record<TipAction, ActionDef>> = {
  assign: {
    from: OPEN,
    roles: SUPERVISING,
    check: (_t, i) => (hasText(i.assignee) ? [] : [{ path: 'assignee', reason: 'is required: the supervisor who handles the tip' }]),
    to: (t) => (t.status === 'received' ? 'assigned' : t.status),
  },
  start_investigation: { from: ['assigned'], roles: SUPERVISING, to: () => 'investigating' },
  note: {
    from: TIP_STATUSES,
    roles: SUPERVISING,
    check: (_t, i) => (hasText(i.note) ? [] : [{ path: 'note', reason: 'is required' }]),
    to: (t) => t.status,
  },
  set_level: {
    from: OPEN,
    roles: SUPERVISING,
    check: (_t, i) => (Number.isInteger(i.level) && i.level! >= 1 ? [] : [{ path: 'level', reason: 'is required: a reward level of the policy' }]),
    to: (t) => t.status,
  },
  open_case: { from: ['investigating'], roles: SUPERVISING, to: () => 'case_opened' },
  close: {
    from: OPEN,
    roles: SUPERVISING,
    refuse: (t) =>
      t.status === 'case_opened' && !t.caseDismissed
        ? `tip ${t.number} is case_opened and its case ${t.caseNumber ?? ''} is still being handled: close the tip as unsubstantiated only when the case is dismissed (a final case substantiates it)`
        : null,
    check: (_t, i) => (hasText(i.reason) ? [] : [{ path: 'reason', reason: 'is required: say why the tip is not substantiated' }]),
    to: () => 'unsubstantiated',
  },
  substantiate: { from: ['case_opened'], roles: ['system'], to: () => 'substantiated' },
  record_payment: {
    from: ['substantiated'],
    roles: SUPERVISING,
    refuse: (t) => (t.hasReward ? null : `tip ${t.number} has no reward recorded`),
    check: (_t, i) => (hasText(i.paidOn) ? [] : [{ path: 'paidOn', reason: 'is required: the date the reward was paid (YYYY-MM-DD)' }]),
    to: () => 'rewarded',
  },
};

function roleAllowed(def: ActionDef, actor: WorkflowActor): boolean {
  return def.roles.includes(actor.role);
}

/** The actions the actor may take on the tip now (the console shows exactly these). */
export function allowedActions(t: WorkflowTip, actor: WorkflowActor): TipAction[] {
  return TIP_ACTIONS.filter((a) => {
    const def = ACTIONS[a];
    return def.from.includes(t.status) && roleAllowed(def, actor) && !def.refuse?.(t);
  });
}

/**
 * The transition of `action`, or the refusal: 403 for a role that may never take it, 409 naming
 * the status and the allowed actions for a step the status forbids, 400 naming each missing field.
 */
export function transition(t: WorkflowTip, action: TipAction, actor: WorkflowActor, input: TipActionInput = {}): TipTransition {
  const def = ACTIONS[action];
  if (!roleAllowed(def, actor)) {
    throw new DomainException(DomainErrorCode.Forbidden, `the ${actor.role} role may not ${action.replace(/_/g, ' ')} a tip`, [{ path: 'role', reason: 'not allowed for this action' }]);
  }
  if (!def.from.includes(t.status)) {
    const allowed = allowedActions(t, actor);
    throw new DomainException(
      DomainErrorCode.Conflict,
      `tip ${t.number} is ${t.status}: ${action} is not possible (allowed now: ${allowed.length ? allowed.join(', ') : 'none'})`,
      [{ path: 'status', reason: `is ${t.status}` }],
    );
  }
  const refusal = def.refuse?.(t);
  if (refusal) throw new DomainException(DomainErrorCode.Conflict, refusal, [{ path: 'status', reason: `is ${t.status}` }]);
  const errors = def.check?.(t, input) ?? [];
  if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, `invalid ${action.replace(/_/g, ' ')} of tip ${t.number}`, errors);
  return { action, from: t.status, to: def.to(t) };
}
