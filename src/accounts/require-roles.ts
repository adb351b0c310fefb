import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DomainException } from '../common/domain.exception';
import { decideAccess } from './access-decision';
import { accessFailure, AuthenticatedRequest, authenticate, csrfSatisfied } from './access.guard';
import { AccountsService } from './accounts.service';
import { Role } from './roles';

/**
 * Whether a request comes from a page of this very site: browsers send `Origin` on every
 * state-changing fetch and form post, and another site cannot forge it.
 */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (!origin || !req.headers.host) return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * The access rule for raw express mounts that Nest's guard does not see (Bull Board at
 * /admin/queues): the same decision as AccessGuard. Third-party pages cannot send our CSRF token,
 * so for them a same-origin `Origin` header also satisfies CSRF (on top of the SameSite cookie).
 */
export function requireRoles(accounts: AccountsService, roles: readonly Role[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const auth = await authenticate(accounts, req);
      const known = auth === 'invalid-token' ? null : auth;
      if (known) {
        (req as AuthenticatedRequest).actor = known.actor;
        (req as AuthenticatedRequest).auth = known;
        res.locals.actor = known.actor;
      }
      const csrfOk = csrfSatisfied(known, req) || sameOrigin(req);
      const decision = decideAccess({ public: false, roles }, known?.actor, req.method, csrfOk);
      if (decision === 'allow') return next();
      const failure = accessFailure(decision, req, res, known?.actor, auth === 'invalid-token');
      if (failure instanceof DomainException) {
        res.status(decision === 'unauthenticated' ? 401 : 403).json({ error: failure.code, message: failure.message, errors: failure.errors });
      } else {
        res.status(303).end();
      }
    })().catch(next);
  };
}
