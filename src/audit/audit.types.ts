import { Actor } from '../accounts/roles';

/** One change to record in the audit trail (执法全过程记录): who, what, on which subject, before and after. */
export interface AuditInput {
  actor: Actor;
  /** Dotted verb naming the change, e.g. `case.confirm`, `user.create`, `auth.login.failed`. */
  action: string;
  /** The kind of subject, e.g. `case`, `user_account`, `import_run`. */
  entityType: string;
  /** The subject's id (as text); null for actions without one (a failed login of an unknown name). */
  entityId: string | null;
  /** The subject's state before the change (omit for creations); plain JSON, no secrets. */
  before?: unknown;
  /** The subject's state after the change (omit for deletions); plain JSON, no secrets. */
  after?: unknown;
  /** The client address for HTTP requests. */
  ip?: string | null;
}
