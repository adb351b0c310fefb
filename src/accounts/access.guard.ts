import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AccessDecision, decideAccess, isApiPath, RouteAccessMeta } from './access-decision';
import { AccountsService } from './accounts.service';
import { sameSecret } from './credentials';
import { Actor, PUBLIC_KEY, Role, ROLES_KEY } from './roles';
import { bearerTokenOf, csrfTokenOf, sessionTokenOf, setSessionCookie } from './session-cookie';


/** The message of a refused CSRF token (pages show a hint to reload instead of "forbidden"). */
export const CSRF_MESSAGE = 'CSRF token missing or invalid';
/** How a request proved who it is. */
export type RequestAuth =
  | { via: 'session'; actor: Actor; sessionToken: string; csrfToken: string; expiresAt: Date; extended: boolean }
  | { via: 'token'; actor: Actor };

/** What the guard leaves on the request for controllers. */
export interface AuthenticatedRequest extends Request {
  actor?: Actor;
  auth?: RequestAuth;
}

/**
 * The route's declaration, handler first, then its controller: the first of the two that says
 * anything (@Public or @Roles) decides, so a handler can narrow or open up its controller's rule.
 */
export function routeAccessMeta(reflector: Reflector, handler: object, controller: object): RouteAccessMeta {
  for (const target of [handler, controller] as Parameters<Reflector['get']>[1][]) {
    const isPublic = reflector.get<boolean | undefined>(PUBLIC_KEY, target);
    const roles = reflector.get<Role[] | undefined>(ROLES_KEY, target);
    if (isPublic !== undefined || roles !== undefined) return { public: isPublic === true, roles };
  }
  return { public: false, roles: undefined };
}

/**
 * Who sends the request: a bearer token wins over a cookie (an invalid token is 'invalid', never a
 * fall-back to the cookie); null when it sends neither or an unknown/expired session.
 */
export async function authenticate(accounts: AccountsService, req: Request): Promise<RequestAuth | 'invalid-token' | null> {
  const bearer = bearerTokenOf(req);
  if (bearer !== undefined || req.headers.authorization) {
    const actor = bearer ? await accounts.resolveBearer(bearer) : null;
    return actor ? { via: 'token', actor } : 'invalid-token';
  }
  const token = sessionTokenOf(req);
  if (!token) return null;
  const session = await accounts.resolveSession(token);
  return session ? { via: 'session', actor: session.actor, sessionToken: token, csrfToken: session.csrfToken, expiresAt: session.expiresAt, extended: session.extended } : null;
}

/** Whether a state-changing request of a cookie session carries the session's CSRF token. */
export function csrfSatisfied(auth: RequestAuth | null, req: Request): boolean {
  return auth?.via !== 'session' || sameSecret(csrfTokenOf(req), auth.csrfToken);
}

/** A page request without a login: the browser goes to the login form and comes back afterwards. */
export class LoginRedirect extends HttpException {
  constructor(readonly location: string) {
    super(`login required: see ${location}`, HttpStatus.SEE_OTHER);
  }
}

/** The 401/403 of a decision, as the exception the filter turns into the response. */
export function accessFailure(decision: Exclude<AccessDecision, 'allow'>, req: Request, res: Response, actor: Actor | undefined, invalidToken: boolean): HttpException | DomainException {
  const path = req.path;
  if (decision === 'unauthenticated') {
    if (isApiPath(path)) {
      return new DomainException(
        DomainErrorCode.Unauthenticated,
        invalidToken ? 'the bearer token is unknown, expired or revoked' : 'login required: send the session cookie (POST /api/auth/login) or an Authorization: Bearer token',
        [{ path: invalidToken ? 'authorization' : 'session', reason: invalidToken ? 'invalid token' : 'not logged in' }],
      );
    }
    const location = `/login?next=${encodeURIComponent(req.originalUrl)}`;
    res.setHeader('Location', location);
    return new LoginRedirect(location);
  }
  if (decision === 'csrf') {
    return new DomainException(DomainErrorCode.Forbidden, CSRF_MESSAGE, [
      { path: 'x-csrf-token', reason: 'send the session\'s CSRF token in the x-csrf-token header or the _csrf form field' },
    ]);
  }
  return new DomainException(DomainErrorCode.Forbidden, `the ${actor?.role ?? 'anonymous'} role may not ${req.method} ${path}`, [{ path: 'role', reason: 'not allowed on this route' }]);
}

/**
 * The global guard (APP_GUARD): every route is refused unless it is @Public or names the caller's
 * role in @Roles. It also identifies the caller on public routes, so pages can show who is logged in.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const meta = routeAccessMeta(this.reflector, ctx.getHandler(), ctx.getClass());
    const auth = await authenticate(this.accounts, req);
    const known = auth === 'invalid-token' ? null : auth;
    if (known) {
      req.actor = known.actor;
      req.auth = known;
      res.locals.actor = known.actor;
      if (known.via === 'session') {
        res.locals.csrfToken = known.csrfToken;
        // Sliding expiry: the cookie follows the session's new end.
        if (known.extended) setSessionCookie(res, known.sessionToken, known.expiresAt, this.config.auth.secureCookies);
      }
    }
    const decision = decideAccess(meta, known?.actor, req.method, csrfSatisfied(known, req));
    if (decision === 'allow') return true;
    throw accessFailure(decision, req, res, known?.actor, auth === 'invalid-token');
  }
}
