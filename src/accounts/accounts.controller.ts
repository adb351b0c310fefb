import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AuthenticatedRequest } from './access.guard';
import { AccountsService } from './accounts.service';
import { Actor, CurrentActor, Public, Roles, ROLES } from './roles';
import { clearSessionCookie, setSessionCookie } from './session-cookie';

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DomainException(DomainErrorCode.InvalidInput, 'the request body must be a JSON object', [{ path: 'body', reason: 'must be an object' }]);
  }
  return body as Record<string, unknown>;
}

/** Every route here has an actor: the guard let the request through only with one. */
function self(actor: Actor | undefined): Actor & { userId: string } {
  if (!actor?.userId) throw new DomainException(DomainErrorCode.Unauthenticated, 'login required');
  return actor as Actor & { userId: string };
}

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in with name and password: sets the fg_session cookie; state-changing requests of that session must send csrfToken (header x-csrf-token)',
    description: 'Unknown names and wrong passwords get the same 401; repeated failures lock the account for a while (401 saying until when); too many attempts from one address: 429.',
  })
  @ApiBody({ schema: { type: 'object', required: ['name', 'password'], properties: { name: { type: 'string' }, password: { type: 'string', format: 'password' } } } })
  @ApiOkResponse({ description: '{ actor: { userId, name, role, institutionCode }, csrfToken, expiresAt }' })
  async login(@Body() body: unknown, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response) {
    const b = bodyObject(body);
    const errors = (['name', 'password'] as const).filter((k) => typeof b[k] !== 'string' || b[k] === '').map((k) => ({ path: k, reason: 'is required' }));
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'name and password are required', errors);
    const r = await this.accounts.login(b.name as string, b.password as string, req.ip ?? '', req.get('user-agent') ?? null);
    setSessionCookie(res, r.sessionToken, r.expiresAt, this.config.auth.secureCookies);
    return { actor: r.actor, csrfToken: r.csrfToken, expiresAt: r.expiresAt };
  }

  @Post('logout')
  @Roles(...ROLES)
  @HttpCode(204)
  @ApiOperation({ summary: 'End this browser session (bearer tokens are revoked with DELETE /api/auth/tokens/{id})' })
  async logout(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    if (req.auth?.via === 'session') await this.accounts.logout(req.auth.sessionToken, req.ip ?? null);
    clearSessionCookie(res);
  }

  @Get('me')
  @Roles(...ROLES)
  @ApiOperation({ summary: 'Who is calling: the actor, and for a cookie session its CSRF token and expiry' })
  me(@Req() req: AuthenticatedRequest) {
    const auth = req.auth!;
    return auth.via === 'session'
      ? { actor: auth.actor, via: 'session', csrfToken: auth.csrfToken, expiresAt: auth.expiresAt }
      : { actor: auth.actor, via: 'token' };
  }

  @Get('tokens')
  @Roles(...ROLES)
  @ApiOperation({ summary: 'My bearer tokens (label, display prefix, expiry, last use, revocation); never the tokens themselves' })
  async tokens(@CurrentActor() actor?: Actor) {
    return { tokens: await this.accounts.listTokens(self(actor).userId) };
  }

  @Post('tokens')
  @Roles(...ROLES)
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a bearer token for me (Authorization: Bearer fgt_…); the token is shown in this answer only' })
  @ApiBody({ schema: { type: 'object', required: ['label'], properties: { label: { type: 'string' }, expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 } } } })
  async createToken(@Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentActor() actor?: Actor) {
    const b = bodyObject(body);
    const me = self(actor);
    const { token, view } = await this.accounts.createToken(me, me.userId, { label: b.label, expiresInDays: b.expiresInDays }, req.ip ?? null);
    return { token, ...view };
  }

  @Delete('tokens/:id')
  @Roles(...ROLES)
  @ApiOperation({ summary: 'Revoke one of my bearer tokens' })
  async revokeToken(@Param('id') id: string, @Req() req: AuthenticatedRequest, @CurrentActor() actor?: Actor) {
    const me = self(actor);
    return this.accounts.revokeToken(me, me.userId, id, req.ip ?? null);
  }
}

@ApiTags('users')
@Roles('admin')
@Controller('api/users')
export class UsersController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: 'Every account (admin)' })
  async list() {
    return { users: await this.accounts.listUsers() };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an account (admin); institution logins name their institution' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'role', 'password'],
      properties: {
        name: { type: 'string', pattern: '^[a-z][a-z0-9._-]{1,63}$' },
        displayName: { type: 'string' },
        role: { type: 'string', enum: [...ROLES] },
        institutionCode: { type: 'string', description: 'required for the institution role, refused for the others' },
        password: { type: 'string', format: 'password', minLength: 12 },
      },
    },
  })
  async create(@Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentActor() actor?: Actor) {
    const b = bodyObject(body);
    return this.accounts.createUser(self(actor), { name: b.name, displayName: b.displayName, role: b.role, institutionCode: b.institutionCode, password: b.password }, req.ip ?? null);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an account (admin): role, display name, institution, disable/enable, unlock, reset the password' })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        role: { type: 'string', enum: [...ROLES] },
        displayName: { type: 'string' },
        institutionCode: { type: 'string' },
        disabled: { type: 'boolean', description: 'true ends every session and revokes every token of the account' },
        unlock: { type: 'boolean' },
        password: { type: 'string', format: 'password', minLength: 12 },
      },
    },
  })
  async update(@Param('id') id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentActor() actor?: Actor) {
    const b = bodyObject(body);
    const known = ['role', 'displayName', 'institutionCode', 'disabled', 'unlock', 'password'];
    const unknown = Object.keys(b).filter((k) => !known.includes(k));
    if (unknown.length) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'unknown fields', unknown.map((k) => ({ path: k, reason: `is not a field of an account change (${known.join(', ')})` })));
    }
    return this.accounts.updateUser(self(actor), id, b, req.ip ?? null);
  }
}
