import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** The five roles of the service (DOMAIN.md "Who uses it"); the public needs no account. */
export const ROLES = ['admin', 'supervisor', 'inspector', 'auditor', 'institution'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting: a logged-in account, a bearer token's owner, or the system itself (jobs, CLI). */
export interface Actor {
  /** user_account.id; null for the system actor. */
  userId: string | null;
  name: string;
  role: Role | 'system';
  /** Set for the institution role only: the designated institution this login belongs to. */
  institutionCode: string | null;
}

/** Jobs and CLI commands act as the system (the CLI names the operating-system user in `name`). */
export function systemActor(name = 'system'): Actor {
  return { userId: null, name, role: 'system', institutionCode: null };
}

export const ROLES_KEY = 'fundguard:roles';
export const PUBLIC_KEY = 'fundguard:public';

/**
 * The roles allowed on a route (or every route of a controller). Routes carry no implicit access:
 * a route with neither @Roles nor @Public is refused to everyone (deny by default).
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** A route anyone may call without logging in (health, login, public disclosure pages). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The request's actor, set by the access guard (undefined on public routes without a login). */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor | undefined => {
  return ctx.switchToHttp().getRequest<{ actor?: Actor }>().actor;
});
