import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { AppConfig } from '../config/config';

/**
 * Paths that keep their own security headers: the OpenAPI explorer and Bull Board run scripts,
 * which the console's policy forbids.
 */
const OWN_POLICY_PREFIXES = ['/api/docs', '/admin/queues'];

/**
 * helmet with a CSP that allows no script at all (console pages need none) and no framing, for
 * every response except the explorer and the queue board. API JSON gets the same headers: harmless
 * there, and one rule is easier to reason about than a list of page paths.
 */
export function consoleSecurityHeaders(config: AppConfig) {
  const strict = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'none'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    // HSTS only where TLS is certain to front the service; on plain http (demo, tests) it is noise.
    strictTransportSecurity: config.env === 'production' && Boolean(config.http.publicUrl?.startsWith('https:')),
    referrerPolicy: { policy: 'same-origin' },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (OWN_POLICY_PREFIXES.some((p) => req.path === p || req.path.startsWith(`${p}/`) || req.path.startsWith(`${p}-`))) return next();
    strict(req, res, next);
  };
}

/** Requests answered with HTML pages (errors too): everything but the JSON API and health. */
export function isPageRequest(req: Request): boolean {
  const p = req.path ?? req.url ?? '';
  return !(p === '/api' || p.startsWith('/api/') || p === '/health' || p.startsWith('/health/') || OWN_POLICY_PREFIXES.some((x) => p.startsWith(x)));
}
