import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { isUuid } from '../common/query';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Institution } from '../reference/reference.entities';
import { ApiToken, UserAccount, UserSession } from './account.entities';
import {
  checkInstitutionForRole,
  checkName,
  checkPassword,
  checkRole,
  hashPassword,
  NAME_PATTERN,
  randomToken,
  sha256Hex,
  TOKEN_PREFIX,
  verifyPassword,
} from './credentials';
import { Actor, Role, systemActor } from './roles';

/** Advisory lock serialising changes that could remove the last enabled admin. */
const LAST_ADMIN_LOCK = 7270006;

export interface UserView {
  id: string;
  name: string;
  displayName: string;
  role: Role;
  institutionCode: string | null;
  disabled: boolean;
  lockedUntil: Date | null;
  failedAttempts: number;
  lastLoginAt: Date | null;
  passwordChangedAt: Date;
  createdAt: Date;
}

export interface CreateUserInput {
  name: unknown;
  displayName?: unknown;
  role: unknown;
  institutionCode?: unknown;
  password: unknown;
}

export interface UpdateUserInput {
  role?: unknown;
  displayName?: unknown;
  institutionCode?: unknown;
  /** true disables (ends every session, revokes every token); false enables again. */
  disabled?: unknown;
  /** true clears a lockout and the failure count. */
  unlock?: unknown;
  /** A new password (ends the user's sessions). */
  password?: unknown;
}

export interface LoginResult {
  sessionToken: string;
  csrfToken: string;
  actor: Actor;
  expiresAt: Date;
}

/** A live browser session, as the access guard sees it. */
export interface ResolvedSession {
  actor: Actor;
  csrfToken: string;
  expiresAt: Date;
  /** The expiry moved forward (sliding): the cookie should be sent again with the new date. */
  extended: boolean;
}

export interface TokenView {
  id: string;
  label: string;
  prefix: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

const WRONG_CREDENTIALS = 'wrong name or password';
// Session and token bookkeeping writes at most this often per session/token, not on every request.
const TOUCH_EVERY_MS = 60_000;
const DISPLAY_NAME_MAX = 100;
const LABEL_MAX = 100;

/** Local accounts: users, password logins with lockout and a per-address limit, sessions, bearer tokens. */
@Injectable()
export class AccountsService {
  private readonly limiter: RateLimiterMemory;
  /** Verified against when the name is unknown, so a wrong name costs the same time as a wrong password. */
  private dummyHash?: Promise<string>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.limiter = new RateLimiterMemory({ keyPrefix: 'login', points: config.auth.loginRatePerMinute, duration: 60 });
  }

  // ───────────────────────────── users ─────────────────────────────

  async listUsers(): Promise<UserView[]> {
    const users = await this.ds.getRepository(UserAccount).find({ order: { name: 'ASC' } });
    return users.map(userView);
  }

  async getUser(id: string): Promise<UserView> {
    return userView(await this.loadUser(this.ds.manager, id));
  }

  async findByName(name: string): Promise<UserView> {
    const user = await this.ds.getRepository(UserAccount).findOneBy({ name: name.trim().toLowerCase() });
    if (!user) throw new DomainException(DomainErrorCode.NotFound, `user ${name} does not exist`, [{ path: 'name', reason: 'no such user' }]);
    return userView(user);
  }

  async createUser(actor: Actor, input: CreateUserInput, ip: string | null = null): Promise<UserView> {
    const errors: FieldError[] = [];
    const name = typeof input.name === 'string' ? input.name.trim() : input.name;
    errors.push(...checkName(name), ...checkRole(input.role));
    const role = input.role as Role;
    if (!checkRole(role).length) errors.push(...checkInstitutionForRole(role, input.institutionCode));
    errors.push(...checkPassword(input.password, typeof name === 'string' ? name : undefined));
    const displayName = input.displayName === undefined || input.displayName === null || input.displayName === '' ? name : input.displayName;
    if (input.displayName !== undefined || !errors.some((e) => e.path === 'name')) errors.push(...checkDisplayName(displayName));
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid user', errors);
    const passwordHash = await hashPassword(input.password as string);
    return this.ds.transaction(async (m) => {
      const institutionCode = role === 'institution' ? await this.existingInstitution(m, input.institutionCode as string) : null;
      if (await m.getRepository(UserAccount).existsBy({ name: name as string })) {
        throw new DomainException(DomainErrorCode.Conflict, `user ${name} already exists`, [{ path: 'name', reason: 'is taken' }]);
      }
      const user = await m.getRepository(UserAccount).save(
        m.getRepository(UserAccount).create({
          name: name as string,
          displayName: (displayName as string).trim(),
          role,
          institutionCode,
          passwordHash,
          failedAttempts: 0,
          lockedUntil: null,
          disabledAt: null,
          lastLoginAt: null,
          passwordChangedAt: new Date(),
        }),
      );
      const view = userView(user);
      await this.audit.record(m, { actor, action: 'user.create', entityType: 'user_account', entityId: user.id, after: auditedUser(view), ip });
      return view;
    });
  }

  async updateUser(actor: Actor, id: string, patch: UpdateUserInput, ip: string | null = null): Promise<UserView> {
    if (!isUuid(id)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid user id', [{ path: 'id', reason: 'must be a UUID' }]);
    const errors: FieldError[] = [];
    if (patch.role !== undefined) errors.push(...checkRole(patch.role));
    if (patch.displayName !== undefined) errors.push(...checkDisplayName(patch.displayName));
    if (patch.disabled !== undefined && typeof patch.disabled !== 'boolean') errors.push({ path: 'disabled', reason: 'must be true or false' });
    if (patch.unlock !== undefined && patch.unlock !== true && patch.unlock !== false) errors.push({ path: 'unlock', reason: 'must be true or false' });
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid change', errors);
    // Hashing takes a moment: do it before the row is locked.
    const newHash = patch.password !== undefined ? await this.hashChecked(patch.password) : undefined;
    return this.ds.transaction(async (m) => {
      const user = await this.loadUser(m, id, true);
      const before = userView(user);
      const role = (patch.role ?? user.role) as Role;
      // Leaving the institution role drops the code; any other change keeps it unless one is given.
      const codeGiven = patch.institutionCode !== undefined;
      const code = codeGiven ? patch.institutionCode : role === 'institution' ? user.institutionCode : null;
      const codeErrors = checkInstitutionForRole(role, code);
      if (codeErrors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid change', codeErrors);
      if (newHash !== undefined) {
        const pwErrors = checkPassword(patch.password, user.name);
        if (pwErrors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid change', pwErrors);
      }
      const now = new Date();
      const disabling = patch.disabled === true && !user.disabledAt;
      if (user.role === 'admin' && !user.disabledAt && (role !== 'admin' || disabling)) await this.keepOneAdmin(m, user.id);

      user.role = role;
      user.institutionCode = role === 'institution' ? await this.existingInstitution(m, code as string) : null;
      if (patch.displayName !== undefined) user.displayName = (patch.displayName as string).trim();
      if (patch.disabled === true && !user.disabledAt) user.disabledAt = now;
      if (patch.disabled === false) user.disabledAt = null;
      if (patch.unlock === true) {
        user.lockedUntil = null;
        user.failedAttempts = 0;
      }
      if (newHash !== undefined) {
        user.passwordHash = newHash;
        user.passwordChangedAt = now;
      }
      await m.getRepository(UserAccount).save(user);
      // A new password or a disabled account ends every browser session; disabling also revokes tokens.
      if (newHash !== undefined || disabling) await m.getRepository(UserSession).delete({ userId: user.id });
      if (disabling) await m.getRepository(ApiToken).update({ userId: user.id, revokedAt: IsNull() }, { revokedAt: now });
      const after = userView(user);
      await this.audit.record(m, {
        actor,
        action: 'user.update',
        entityType: 'user_account',
        entityId: user.id,
        before: auditedUser(before),
        after: { ...auditedUser(after), ...(newHash !== undefined ? { passwordChanged: true } : {}) },
        ip,
      });
      return after;
    });
  }

  // ───────────────────────────── logins and sessions ─────────────────────────────

  /**
   * Checks a name and password and opens a session. Unknown names and wrong passwords get the same
   * message; after `maxFailures` consecutive wrong passwords the account is locked for a while and
   * says so; each client address has a per-minute budget of attempts.
   */
  async login(name: string, password: string, ip: string, userAgent: string | null = null): Promise<LoginResult> {
    try {
      await this.limiter.consume(ip || 'unknown');
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw new DomainException(DomainErrorCode.TooManyRequests, `too many login attempts from this address; try again in ${seconds} s`, [
        { path: 'name', reason: `at most ${this.config.auth.loginRatePerMinute} login attempts per minute from one address` },
      ]);
    }
    const login = typeof name === 'string' ? name.trim().toLowerCase() : '';
    const user = NAME_PATTERN.test(login) ? await this.ds.getRepository(UserAccount).findOneBy({ name: login }) : null;
    const anonymous = systemActor('anonymous');
    if (!user) {
      await verifyPassword(await this.dummy(), String(password ?? ''));
      await this.audit.record(this.ds.manager, { actor: anonymous, action: 'auth.login.failed', entityType: 'user_account', entityId: null, after: { name: login.slice(0, 64), reason: 'unknown name' }, ip });
      throw wrongCredentials();
    }
    const now = new Date();
    if (user.lockedUntil && user.lockedUntil > now) {
      await this.audit.record(this.ds.manager, { actor: anonymous, action: 'auth.login.failed', entityType: 'user_account', entityId: user.id, after: { name: user.name, reason: 'locked' }, ip });
      throw lockedError(user.lockedUntil);
    }
    const ok = typeof password === 'string' && (await verifyPassword(user.passwordHash, password));
    if (!ok) {
      const lockedUntil = await this.recordFailure(user.id, user.name, ip);
      if (lockedUntil) throw lockedError(lockedUntil, this.config.auth.maxFailures);
      throw wrongCredentials();
    }
    if (user.disabledAt) {
      await this.audit.record(this.ds.manager, { actor: anonymous, action: 'auth.login.failed', entityType: 'user_account', entityId: user.id, after: { name: user.name, reason: 'disabled' }, ip });
      throw new DomainException(DomainErrorCode.Unauthenticated, 'this account is disabled; ask an administrator', [{ path: 'name', reason: 'account disabled' }]);
    }
    const sessionToken = randomToken();
    const csrfToken = randomToken();
    const expiresAt = new Date(now.getTime() + this.ttlMs());
    const actor = actorOf(user);
    await this.ds.transaction(async (m) => {
      await m.getRepository(UserSession).insert({
        id: sha256Hex(sessionToken),
        userId: user.id,
        csrfToken,
        expiresAt,
        lastSeenAt: now,
        ip: ip ? ip.slice(0, 64) : null,
        userAgent: userAgent ? userAgent.slice(0, 512) : null,
      });
      await m.query('UPDATE user_account SET failed_attempts = 0, locked_until = NULL, last_login_at = $2, updated_at = now() WHERE id = $1', [user.id, now]);
      // Old sessions of this user are swept here rather than by a job.
      await m.query('DELETE FROM user_session WHERE user_id = $1 AND expires_at < now()', [user.id]);
      await this.audit.record(m, { actor, action: 'auth.login', entityType: 'user_account', entityId: user.id, after: { name: user.name, expiresAt: expiresAt.toISOString() }, ip });
    });
    return { sessionToken, csrfToken, actor, expiresAt };
  }

  /** Ends the session of this cookie token (nothing happens for an unknown one). */
  async logout(sessionToken: string, ip: string | null = null): Promise<void> {
    if (!sessionToken) return;
    await this.ds.transaction(async (m) => {
      const session = await m.getRepository(UserSession).findOne({ where: { id: sha256Hex(sessionToken) }, relations: { user: true } });
      if (!session) return;
      await m.getRepository(UserSession).delete({ id: session.id });
      await this.audit.record(m, { actor: actorOf(session.user!), action: 'auth.logout', entityType: 'user_account', entityId: session.userId, ip });
    });
  }

  /** The session of a cookie token, extended (sliding expiry), or null when unknown, expired or its user disabled. */
  async resolveSession(sessionToken: string): Promise<ResolvedSession | null> {
    if (!sessionToken || sessionToken.length > 128) return null;
    const id = sha256Hex(sessionToken);
    const session = await this.ds.getRepository(UserSession).findOne({ where: { id }, relations: { user: true } });
    if (!session || !session.user) return null;
    const now = new Date();
    if (session.expiresAt <= now) {
      await this.ds.getRepository(UserSession).delete({ id });
      return null;
    }
    if (session.user.disabledAt) return null;
    let expiresAt = session.expiresAt;
    let extended = false;
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      expiresAt = new Date(now.getTime() + this.ttlMs());
      extended = true;
      await this.ds.getRepository(UserSession).update({ id }, { lastSeenAt: now, expiresAt });
    }
    return { actor: actorOf(session.user), csrfToken: session.csrfToken, expiresAt, extended };
  }

  // ───────────────────────────── bearer tokens ─────────────────────────────

  /** The owner of a bearer token, or null when it is unknown, revoked, expired or its owner disabled. */
  async resolveBearer(token: string): Promise<Actor | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return null;
    const row = await this.ds.getRepository(ApiToken).findOne({ where: { tokenHash: sha256Hex(token) }, relations: { user: true } });
    const now = new Date();
    if (!row || !row.user || row.revokedAt || (row.expiresAt && row.expiresAt <= now) || row.user.disabledAt) return null;
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      await this.ds.getRepository(ApiToken).update({ id: row.id }, { lastUsedAt: now });
    }
    return actorOf(row.user);
  }

  /** A new bearer token for `userId`; the token is in the answer and nowhere else, ever. */
  async createToken(actor: Actor, userId: string, input: { label: unknown; expiresInDays?: unknown }, ip: string | null = null): Promise<{ token: string; view: TokenView }> {
    const errors: FieldError[] = [];
    const label = typeof input.label === 'string' ? input.label.trim() : '';
    if (!label) errors.push({ path: 'label', reason: 'is required (what the token is for, e.g. "nightly export")' });
    else if (label.length > LABEL_MAX) errors.push({ path: 'label', reason: `must be at most ${LABEL_MAX} characters` });
    let expiresAt: Date | null = null;
    if (input.expiresInDays !== undefined && input.expiresInDays !== null && input.expiresInDays !== '') {
      const days = Number(input.expiresInDays);
      if (!Number.isInteger(days) || days < 1 || days > 3650) errors.push({ path: 'expiresInDays', reason: 'must be a whole number of days from 1 to 3650' });
      else expiresAt = new Date(Date.now() + days * 86_400_000);
    }
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid token request', errors);
    const token = `${TOKEN_PREFIX}${randomToken()}`;
    return this.ds.transaction(async (m) => {
      const user = await this.loadUser(m, userId);
      if (user.disabledAt) throw new DomainException(DomainErrorCode.Conflict, `user ${user.name} is disabled`, [{ path: 'name', reason: 'account disabled' }]);
      const row = await m.getRepository(ApiToken).save(
        m.getRepository(ApiToken).create({ userId, label, tokenHash: sha256Hex(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6), expiresAt, lastUsedAt: null, revokedAt: null }),
      );
      const view = tokenView(row);
      await this.audit.record(m, { actor, action: 'token.create', entityType: 'api_token', entityId: row.id, after: { userId, user: user.name, label, expiresAt: expiresAt?.toISOString() ?? null }, ip });
      return { token, view };
    });
  }

  async listTokens(userId: string): Promise<TokenView[]> {
    const rows = await this.ds.getRepository(ApiToken).find({ where: { userId }, order: { createdAt: 'DESC' } });
    return rows.map(tokenView);
  }

  /** Revokes one of `ownerId`'s tokens; someone else's token is "not found", not "forbidden". */
  async revokeToken(actor: Actor, ownerId: string, tokenId: string, ip: string | null = null): Promise<TokenView> {
    if (!isUuid(tokenId)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid token id', [{ path: 'id', reason: 'must be a UUID' }]);
    return this.ds.transaction(async (m) => {
      const row = await m.getRepository(ApiToken).findOne({ where: { id: tokenId, userId: ownerId }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw new DomainException(DomainErrorCode.NotFound, `token ${tokenId} does not exist`);
      if (row.revokedAt) return tokenView(row);
      const before = tokenView(row);
      row.revokedAt = new Date();
      await m.getRepository(ApiToken).save(row);
      await this.audit.record(m, {
        actor,
        action: 'token.revoke',
        entityType: 'api_token',
        entityId: row.id,
        before: { label: before.label, revokedAt: null },
        after: { label: row.label, revokedAt: row.revokedAt.toISOString() },
        ip,
      });
      return tokenView(row);
    });
  }

  // ───────────────────────────── internals ─────────────────────────────

  /** Counts a wrong password; returns the lock's end when this failure locked the account. */
  private async recordFailure(userId: string, name: string, ip: string): Promise<Date | null> {
    return this.ds.transaction(async (m) => {
      const [row] = (await m.query('SELECT failed_attempts FROM user_account WHERE id = $1 FOR UPDATE', [userId])) as { failed_attempts: number }[];
      const failures = (row?.failed_attempts ?? 0) + 1;
      await m.query('UPDATE user_account SET failed_attempts = $2, updated_at = now() WHERE id = $1', [userId, failures]);
      await this.audit.record(m, { actor: systemActor('anonymous'), action: 'auth.login.failed', entityType: 'user_account', entityId: userId, after: { name, reason: 'wrong password', failedAttempts: failures }, ip });
      if (failures < this.config.auth.maxFailures) return null;
      const lockedUntil = new Date(Date.now() + this.config.auth.lockoutMinutes * 60_000);
      // The count starts again after the lock, so one more wrong password does not re-lock at once.
      await m.query('UPDATE user_account SET failed_attempts = 0, locked_until = $2, updated_at = now() WHERE id = $1', [userId, lockedUntil]);
      await this.audit.record(m, {
        actor: systemActor(),
        action: 'auth.lockout',
        entityType: 'user_account',
        entityId: userId,
        before: { lockedUntil: null, failedAttempts: failures },
        after: { lockedUntil: lockedUntil.toISOString(), failedAttempts: 0 },
        ip,
      });
      return lockedUntil;
    });
  }

  private async loadUser(m: EntityManager, id: string, lock = false): Promise<UserAccount> {
    if (!isUuid(id)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid user id', [{ path: 'id', reason: 'must be a UUID' }]);
    const user = await m.getRepository(UserAccount).findOne({ where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!user) throw new DomainException(DomainErrorCode.NotFound, `user ${id} does not exist`);
    return user;
  }

  /** The institution's stored code (codes are compared case-insensitively, stored upper case). */
  private async existingInstitution(m: EntityManager, code: string): Promise<string> {
    const found = await m.getRepository(Institution).findOneBy({ code: code.trim().toUpperCase() });
    if (!found) throw new DomainException(DomainErrorCode.InvalidInput, `institution ${code} does not exist`, [{ path: 'institutionCode', reason: 'no institution with this code (import the reference data first)' }]);
    return found.code;
  }

  /**
   * Refuses to remove the last enabled admin. Serialised by an advisory lock: two demotions of two
   * different admins at once would each still count the other and leave none.
   */
  private async keepOneAdmin(m: EntityManager, userId: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock($1)`, [LAST_ADMIN_LOCK]);
    const [{ n }] = (await m.query(`SELECT count(*)::int AS n FROM user_account WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1`, [userId])) as { n: number }[];
    if (n === 0) throw new DomainException(DomainErrorCode.Conflict, 'the last enabled admin cannot be disabled or given another role', [{ path: 'role', reason: 'create another admin first' }]);
  }

  private async hashChecked(password: unknown): Promise<string> {
    // The name is checked again under the row lock; this pass only rejects the obviously bad early.
    const errors = checkPassword(password, undefined);
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid change', errors);
    return hashPassword(password as string);
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomToken());
    return this.dummyHash;
  }

  private ttlMs(): number {
    return this.config.auth.sessionTtlHours * 3_600_000;
  }
}

export function actorOf(user: Pick<UserAccount, 'id' | 'name' | 'role' | 'institutionCode'>): Actor {
  return { userId: user.id, name: user.name, role: user.role, institutionCode: user.institutionCode };
}

function userView(u: UserAccount): UserView {
  return {
    id: u.id,
    name: u.name,
    displayName: u.displayName,
    role: u.role,
    institutionCode: u.institutionCode,
    disabled: u.disabledAt !== null,
    lockedUntil: u.lockedUntil && u.lockedUntil > new Date() ? u.lockedUntil : null,
    failedAttempts: u.failedAttempts,
    lastLoginAt: u.lastLoginAt,
    passwordChangedAt: u.passwordChangedAt,
    createdAt: u.createdAt,
  };
}

/** What the audit trail keeps of a user: never the hash. */
function auditedUser(v: UserView) {
  return { name: v.name, displayName: v.displayName, role: v.role, institutionCode: v.institutionCode, disabled: v.disabled, lockedUntil: v.lockedUntil?.toISOString() ?? null };
}

function tokenView(t: ApiToken): TokenView {
  return { id: t.id, label: t.label, prefix: t.prefix, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt, createdAt: t.createdAt };
}

function checkDisplayName(v: unknown): FieldError[] {
  if (typeof v !== 'string' || v.trim() === '') return [{ path: 'displayName', reason: 'must be a non-empty text' }];
  return v.trim().length > DISPLAY_NAME_MAX ? [{ path: 'displayName', reason: `must be at most ${DISPLAY_NAME_MAX} characters` }] : [];
}

function wrongCredentials(): DomainException {
  return new DomainException(DomainErrorCode.Unauthenticated, WRONG_CREDENTIALS, [{ path: 'password', reason: WRONG_CREDENTIALS }]);
}

function lockedError(until: Date, justNow?: number): DomainException {
  const when = until.toISOString();
  const message = justNow
    ? `wrong name or password; after ${justNow} failed attempts the account is locked until ${when}`
    : `this account is locked until ${when} after repeated failed logins; an administrator can unlock it`;
  return new DomainException(DomainErrorCode.Unauthenticated, message, [{ path: 'name', reason: `locked until ${when}` }]);
}
