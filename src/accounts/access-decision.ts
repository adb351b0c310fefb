import { Actor, Role } from './roles';

/** What a route declares: @Public, @Roles(...), or nothing (refused to everyone). */
export interface RouteAccessMeta {
  public: boolean;
  roles: readonly Role[] | undefined;
}

export type AccessDecision = 'allow' | 'unauthenticated' | 'forbidden' | 'csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a method changes state, so a cookie session must prove it came from our own page. */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * The access rule of every route, deny by default: public routes pass; otherwise an actor is needed,
 * its role must be among the route's @Roles (a route without any is refused to all), and a
 * state-changing request made with a session cookie must carry the session's CSRF token
 * (`csrfOk` is true for bearer tokens, which a browser never sends by itself).
 */
export function decideAccess(meta: RouteAccessMeta, actor: Actor | null | undefined, method: string, csrfOk: boolean): AccessDecision {
  if (meta.public) return 'allow';
  if (!actor) return 'unauthenticated';
  if (!meta.roles || meta.roles.length === 0) return 'forbidden';
  if (actor.role === 'system' || !meta.roles.includes(actor.role)) return 'forbidden';
  if (isUnsafeMethod(method) && !csrfOk) return 'csrf';
  return 'allow';
}

/** API paths answer 401 in JSON; pages send the browser to the login form. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}
