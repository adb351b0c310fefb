import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CSRF_MESSAGE } from '../accounts/access.guard';
import { DomainException } from '../common/domain.exception';
import { domainStatus } from '../common/domain-exception.filter';
import { isPageRequest } from './console-security';
import { LIVE_SITE } from '../disclosure/public-site';
import { ViewRenderer } from './view-renderer.service';

const HEADINGS: Record<number, string> = {
  400: 'error.status400',
  401: 'error.status401',
  403: 'error.status403',
  404: 'error.status404',
  409: 'error.status409',
  423: 'error.status423',
  429: 'error.status429',
  503: 'error.status503',
};
const DETAILS: Record<number, string> = { 403: 'error.status403Detail', 404: 'error.status404Detail', 500: 'error.status500Detail' };

/**
 * Failures of page requests become pages (403, 404, 400 with the field errors, 500); everything
 * else — the JSON API — goes to the API's filter unchanged. An unauthenticated GET of a page is
 * sent to the login form and back.
 */
@Catch()
export class ConsolePageFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(
    private readonly views: ViewRenderer,
    private readonly api: ExceptionFilter,
  ) {}

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') return this.api.catch(exception, host);
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (!isPageRequest(req) || res.headersSent) return this.api.catch(exception, host);

    let status = 500;
    let errors: { path: string; reason: string }[] = [];
    let message: string | undefined;
    if (exception instanceof DomainException) {
      status = domainStatus(exception.code);
      errors = exception.errors;
      message = exception.message;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      // A redirect thrown by the access guard (login required): it has set Location already.
      if (status >= 300 && status < 400) {
        res.status(status).end();
        return;
      }
    } else {
      const e = exception as { type?: string; status?: number };
      if (e?.type === 'entity.parse.failed' || e?.type === 'entity.too.large') status = e.type === 'entity.too.large' ? 413 : 400;
      else this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (status === 401 && (req.method === 'GET' || req.method === 'HEAD')) {
      res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    const lang = this.views.langOf(req);
    const heading = this.views.t(lang, HEADINGS[status] ?? 'error.status500');
    // A refused CSRF token is not a missing permission: say what to do about it.
    const detailKey = status === 403 && message === CSRF_MESSAGE ? 'error.csrfDetail' : DETAILS[status];
    const detail = detailKey ? this.views.t(lang, detailKey) : status === 400 || status === 409 ? message : undefined;
    try {
      // The public site's errors keep its frame (no login, its own navigation).
      const isPublic = (req.path ?? '').startsWith('/public');
      const frame = isPublic ? { site: LIVE_SITE, privacy: { minCell: this.views.publicMinCell } } : {};
      this.views.render(res, 'console/error', { heading, detail, errors, status, ...frame }, { title: heading, status, layout: isPublic ? 'disclosure/layout' : undefined });
    } catch (renderError) {
      // A broken template must not hide the original failure.
      this.logger.error(`error page failed: ${(renderError as Error).stack ?? renderError}`);
      if (!res.headersSent) res.status(status).type('text').send(heading);
    }
  }
}
