import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'fg_session';

/**
 * HttpOnly (scripts never see the token) and SameSite=Lax (other sites' forms and scripts cannot
 * send it with a POST; the CSRF token is the second line of defence).
 */
export function setSessionCookie(res: Response, token: string, expiresAt: Date, secure: boolean): void {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: expiresAt });
}

export function clearSessionCookie(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', path: '/' });
}

/** The session token of a request: from cookie-parser when mounted, else from the raw header. */
export function sessionTokenOf(req: Request): string | undefined {
  const parsed = (req as Request & { cookies?: Record<string, unknown> }).cookies?.[SESSION_COOKIE];
  if (typeof parsed === 'string' && parsed) return parsed;
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The bearer token of a request, if it sends one (`Authorization: Bearer fgt_…`). */
export function bearerTokenOf(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** The CSRF token a request carries: header `x-csrf-token`, or the form field `_csrf`. */
export function csrfTokenOf(req: Request): string | undefined {
  const h = req.headers['x-csrf-token'];
  if (typeof h === 'string' && h) return h;
  const body = req.body as Record<string, unknown> | undefined;
  const f = body && typeof body === 'object' ? body._csrf : undefined;
  return typeof f === 'string' && f ? f : undefined;
}
