import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthenticatedRequest } from '../accounts/access.guard';
import { AccountsService } from '../accounts/accounts.service';
import { Public, Roles, ROLES } from '../accounts/roles';
import { clearSessionCookie, setSessionCookie } from '../accounts/session-cookie';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { safeNext } from './format';
import { ViewRenderer, redirectWithFlash } from './view-renderer.service';
import { sameOrigin } from '../accounts/require-roles';

/** Why a login failed, as the form shows it, and the status it answers with. */
export function loginFailure(err: DomainException): { key: string; status: number } {
  if (err.code === DomainErrorCode.TooManyRequests) return { key: 'login.rateLimited', status: 429 };
  if (err.errors.some((e) => /^locked until/.test(e.reason))) return { key: 'login.locked', status: 423 };
  if (err.errors.some((e) => e.reason === 'account disabled')) return { key: 'login.disabled', status: 401 };
  return { key: 'login.failed', status: 401 };
}

/** The login form, logging in and out with a session cookie, and the site root. */
@ApiExcludeController()
@Controller()
export class LoginController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  root(@Res() res: Response) {
    res.redirect(302, '/console');
  }

  @Get('login')
  @Public()
  form(@Req() req: AuthenticatedRequest, @Res() res: Response, @Query('next') next?: unknown) {
    // Already logged in (e.g. the back button): go where the form would have gone.
    if (req.auth?.via === 'session') return res.redirect(303, safeNext(next));
    this.views.render(res, 'console/login', { next: safeNext(next), name: '' }, { title: 'login.title' });
  }

  /**
   * No CSRF token exists before a session: a post whose `Origin` names another site (a page there
   * logging the visitor into the attacker's account) is refused; SameSite=Lax cookies and the login
   * rate limit do the rest. Clients that send no `Origin` (scripts) are not browsers posting cross-site.
   */
  @Post('login')
  @Public()
  @HttpCode(303)
  async login(@Body() body: Record<string, unknown> | undefined, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    const password = typeof body?.password === 'string' ? body.password : '';
    const next = safeNext(body?.next);
    const fail = (key: string, status: number) => this.views.render(res, 'console/login', { next, name, error: key }, { title: 'login.title', status });
    if (req.headers.origin !== undefined && !sameOrigin(req)) return fail('login.crossSite', 403);
    if (!name || !password) return fail('login.missing', 400);
    try {
      const r = await this.accounts.login(name, password, req.ip ?? '', req.get('user-agent') ?? null);
      setSessionCookie(res, r.sessionToken, r.expiresAt, this.config.auth.secureCookies);
      res.redirect(303, next);
    } catch (err) {
      if (!(err instanceof DomainException)) throw err;
      const f = loginFailure(err);
      fail(f.key, f.status);
    }
  }

  @Post('logout')
  @Roles(...ROLES)
  @HttpCode(303)
  async logout(@Req() req: AuthenticatedRequest, @Res() res: Response) {
    if (req.auth?.via === 'session') await this.accounts.logout(req.auth.sessionToken, req.ip ?? null);
    clearSessionCookie(res);
    redirectWithFlash(res, '/login', 'loggedOut');
  }
}
