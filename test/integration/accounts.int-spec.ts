import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccountsService } from '../../src/accounts/accounts.service';
import { systemActor } from '../../src/accounts/roles';
import { requireRoles } from '../../src/accounts/require-roles';
import { createTestHttp } from '../support/app';
import { bearer, createUserWithToken, ensureInstitution, TestUser, testUserName } from '../support/auth';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

const INST_A = 'H64010500001';
const INST_B = 'H64010500002';

/** The session cookie of a login response, ready for a Cookie header. */
function sessionCookie(res: request.Response): string {
  const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('fg_session='));
  if (!raw) throw new Error(`no fg_session cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return raw.split(';')[0]!;
}

describe('accounts, logins, sessions, tokens', () => {
  const schema = uniqueName('t_accounts');
  // A generous per-address budget here: the limit itself is tested on a second app below.
  const { config, env } = testConfig(schema, { LOGIN_RATE_PER_MINUTE: '1000' });
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let ds: DataSource;
  let admin: TestUser;

  beforeAll(async () => {
    app = (await createTestHttp(config)).app;
    http = request(app.getHttpServer());
    ds = app.get<DataSource>(getDataSourceToken());
    admin = await createUserWithToken(app, { role: 'admin' });
    await ensureInstitution(app, INST_A);
    await ensureInstitution(app, INST_B);
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  /** Runs the built CLI against this schema with `input` on its stdin (not a TTY). */
  function cli(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(input);
    });
  }

  const login = (name: string, password: string) => http.post('/api/auth/login').send({ name, password });

  async function auditRows(action: string, entityId?: string | null) {
    const rows: { action: string; actor_name: string; actor_role: string; entity_type: string; entity_id: string | null; before: unknown; after: unknown }[] = await ds.query(
      `SELECT action, actor_name, actor_role, entity_type, entity_id, before, after FROM audit_entry WHERE action = $1 ORDER BY seq`,
      [action],
    );
    return entityId === undefined ? rows : rows.filter((r) => r.entity_id === entityId);
  }

  describe('the CLI', () => {
    it('`users create` reads the password from stdin, and the new admin can log in', async () => {
      const password = 'a long admin passphrase';
      const r = await cli(['users', 'create', '--role', 'admin', '--name', 'root.admin', '--display-name', '系统管理员'], `${password}\n`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^created admin root\.admin \([0-9a-f-]{36}\)/);
      const res = await login('root.admin', password).expect(200);
      expect(res.body.actor).toMatchObject({ name: 'root.admin', role: 'admin', institutionCode: null });
      // The audit names the operating-system user behind the CLI; never the password or its hash.
      const [created] = await auditRows('user.create', res.body.actor.userId);
      expect(created).toMatchObject({ actor_name: `cli:${userInfo().username}`, actor_role: 'system', entity_type: 'user_account' });
      expect(JSON.stringify(created)).not.toContain(password);
      expect(JSON.stringify(created)).not.toContain('argon2');
    });

    it('`users create` refuses a short password, a bad name and an unknown institution, naming the field', async () => {
      const short = await cli(['users', 'create', '--role', 'supervisor', '--name', 'short.pw'], 'tooshort\n');
      expect(short.code).toBe(1);
      expect(short.stderr).toMatch(/password: must be at least 12 characters/);
      const badName = await cli(['users', 'create', '--role', 'supervisor', '--name', 'Bad Name'], 'a fine password here\n');
      expect(badName.code).toBe(1);
      expect(badName.stderr).toMatch(/--name: must be 2–64 characters/);
      const noInst = await cli(['users', 'create', '--role', 'institution', '--name', 'hosp.x', '--institution', 'H99999999999'], 'a fine password here\n');
      expect(noInst.code).toBe(1);
      expect(noInst.stderr).toMatch(/institutionCode: no institution with this code/);
      const empty = await cli(['users', 'create', '--role', 'auditor', '--name', 'no.input'], '');
      expect(empty.code).toBe(1);
      expect(empty.stderr).toMatch(/password: stdin ended/);
      expect((await ds.query(`SELECT name FROM user_account WHERE name IN ('short.pw', 'hosp.x', 'no.input')`)).length).toBe(0);
    });

    it('`users list`, `users token`, `users disable` and `users unlock` work on the named user', async () => {
      const list = await cli(['users', 'list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/root\.admin\s+admin/);
      const tok = await cli(['users', 'token', '--name', 'root.admin', '--label', 'nightly export', '--expires-days', '30']);
      expect(tok.code).toBe(0);
      const token = tok.stdout.trim();
      expect(token).toMatch(/^fgt_[A-Za-z0-9_-]{43}$/);
      const me = await http.get('/api/auth/me').set(bearer(token)).expect(200);
      expect(me.body).toMatchObject({ via: 'token', actor: { name: 'root.admin', role: 'admin' } });

      const victim = await createUserWithToken(app, { role: 'auditor' });
      expect((await cli(['users', 'disable', victim.name])).code).toBe(0);
      await http.get('/api/auth/me').set(bearer(victim.token)).expect(401);
      const unknown = await cli(['users', 'unlock', 'nobody.here']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/user nobody\.here does not exist/);
    });
  });

  describe('logins', () => {
    it('answers an unknown name and a wrong password with the same 401, and logs both', async () => {
      const u = await createUserWithToken(app, { role: 'supervisor' });
      const wrong = await login(u.name, 'not the password at all').expect(401);
      const unknown = await login('no.such.user', 'not the password at all').expect(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body.message).toBe('wrong name or password');
      expect(wrong.headers['set-cookie']).toBeUndefined();

      const failed = await auditRows('auth.login.failed');
      expect(failed.find((r) => r.entity_id === u.id)).toMatchObject({ entity_type: 'user_account', after: { name: u.name, reason: 'wrong password' } });
      // A name that does not exist has no entity to point at.
      expect(failed.find((r) => (r.after as { name: string }).name === 'no.such.user')).toMatchObject({ entity_id: null, after: { reason: 'unknown name' } });
      expect(JSON.stringify(failed)).not.toContain('not the password at all');
    });

    it('logs in with the right password: an HttpOnly SameSite cookie, the actor, a CSRF token, an expiry', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      const res = await login(u.name.toUpperCase(), u.password).expect(200);
      expect(res.body).toMatchObject({ actor: { userId: u.id, name: u.name, role: 'auditor', institutionCode: null }, csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      const hours = (new Date(res.body.expiresAt).getTime() - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(11.9);
      expect(hours).toBeLessThanOrEqual(12);
      const raw = ([] as string[]).concat(res.headers['set-cookie']).find((c) => c.startsWith('fg_session='))!;
      expect(raw).toMatch(/HttpOnly/);
      expect(raw).toMatch(/SameSite=Lax/);
      const cookie = sessionCookie(res);
      const me = await http.get('/api/auth/me').set('Cookie', cookie).expect(200);
      expect(me.body).toMatchObject({ via: 'session', actor: { name: u.name }, csrfToken: res.body.csrfToken });
      // Only the token's hash is stored.
      const token = cookie.slice('fg_session='.length);
      const stored = await ds.query('SELECT id FROM user_session WHERE user_id = $1', [u.id]);
      expect(stored).toHaveLength(1);
      expect(stored[0].id).not.toBe(token);
      expect(stored[0].id).toMatch(/^[0-9a-f]{64}$/);
      expect(await auditRows('auth.login', u.id)).toHaveLength(1);
      expect((await ds.query('SELECT last_login_at FROM user_account WHERE id = $1', [u.id]))[0].last_login_at).not.toBeNull();
    });

    it('refuses login requests without name or password with a 400 naming the field', async () => {
      const res = await http.post('/api/auth/login').send({ name: 'x' }).expect(400);
      expect(res.body.errors).toEqual([{ path: 'password', reason: 'is required' }]);
    });

    it('locks an account after 5 wrong passwords, says so, and an admin can unlock it', async () => {
      const u = await createUserWithToken(app, { role: 'supervisor' });
      for (let i = 1; i <= 4; i++) expect((await login(u.name, `wrong password ${i}`).expect(401)).body.message).toBe('wrong name or password');
      const fifth = await login(u.name, 'wrong password 5').expect(401);
      expect(fifth.body.message).toMatch(/after 5 failed attempts the account is locked until/);
      // Locked: even the right password is refused, and the answer says why.
      const locked = await login(u.name, u.password).expect(401);
      expect(locked.body.message).toMatch(/this account is locked until .* an administrator can unlock it/);
      const lockout = await auditRows('auth.lockout', u.id);
      expect(lockout).toHaveLength(1);
      expect(lockout[0]).toMatchObject({ actor_role: 'system', before: { failedAttempts: 5 } });

      const listed = await http.get('/api/users').set(bearer(admin.token)).expect(200);
      expect(listed.body.users.find((x: { id: string }) => x.id === u.id).lockedUntil).not.toBeNull();
      const unlocked = await http.patch(`/api/users/${u.id}`).set(bearer(admin.token)).send({ unlock: true }).expect(200);
      expect(unlocked.body).toMatchObject({ lockedUntil: null, failedAttempts: 0 });
      await login(u.name, u.password).expect(200);
      const update = (await auditRows('user.update', u.id)).at(-1)!;
      expect(update).toMatchObject({ actor_name: admin.name, before: { lockedUntil: expect.any(String) }, after: { lockedUntil: null } });
    });

    it('limits login attempts per client address (429)', async () => {
      const limited = await createTestHttp(testConfig(schema, { LOGIN_RATE_PER_MINUTE: '3' }).config, 'api');
      try {
        const h = request(limited.app.getHttpServer());
        const u = await createUserWithToken(app, { role: 'auditor' });
        for (let i = 0; i < 3; i++) await h.post('/api/auth/login').send({ name: u.name, password: 'wrong password!!' }).expect(401);
        const res = await h.post('/api/auth/login').send({ name: u.name, password: u.password }).expect(429);
        expect(res.body).toMatchObject({ error: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/too many login attempts from this address; try again in \d+ s/) });
      } finally {
        await limited.app.close();
      }
    });
  });

  describe('sessions and CSRF', () => {
    it('requires the CSRF token on state-changing requests of a cookie session (header or form field)', async () => {
      const u = await createUserWithToken(app, { role: 'inspector' });
      const res = await login(u.name, u.password).expect(200);
      const cookie = sessionCookie(res);
      const csrf = res.body.csrfToken as string;
      const without = await http.post('/api/auth/tokens').set('Cookie', cookie).send({ label: 'x' }).expect(403);
      expect(without.body.message).toBe('CSRF token missing or invalid');
      await http.post('/api/auth/tokens').set('Cookie', cookie).set('x-csrf-token', `${csrf}x`).send({ label: 'x' }).expect(403);
      await http.post('/api/auth/tokens').set('Cookie', cookie).set('x-csrf-token', csrf).send({ label: 'via header' }).expect(201);
      await http.post('/api/auth/tokens').set('Cookie', cookie).type('form').send({ label: 'via form', _csrf: csrf }).expect(201);
      // Reading needs no token.
      const list = await http.get('/api/auth/tokens').set('Cookie', cookie).expect(200);
      expect(list.body.tokens.map((t: { label: string }) => t.label)).toEqual(expect.arrayContaining(['via header', 'via form']));
      // A bearer token is not a cookie: no CSRF token needed.
      await http.post('/api/auth/tokens').set(bearer(u.token)).send({ label: 'by token' }).expect(201);
    });

    it('logout ends the session', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      const res = await login(u.name, u.password).expect(200);
      const cookie = sessionCookie(res);
      await http.post('/api/auth/logout').set('Cookie', cookie).set('x-csrf-token', res.body.csrfToken).expect(204);
      await http.get('/api/auth/me').set('Cookie', cookie).expect(401);
      expect(await ds.query('SELECT 1 FROM user_session WHERE user_id = $1', [u.id])).toHaveLength(0);
      expect(await auditRows('auth.logout', u.id)).toHaveLength(1);
    });

    it("disabling a user ends its sessions and revokes its tokens; it can no longer log in", async () => {
      const u = await createUserWithToken(app, { role: 'supervisor' });
      const res = await login(u.name, u.password).expect(200);
      const cookie = sessionCookie(res);
      await http.get('/api/auth/me').set('Cookie', cookie).expect(200);
      await http.patch(`/api/users/${u.id}`).set(bearer(admin.token)).send({ disabled: true }).expect(200);
      await http.get('/api/auth/me').set('Cookie', cookie).expect(401);
      await http.get('/api/auth/me').set(bearer(u.token)).expect(401);
      expect((await login(u.name, u.password).expect(401)).body.message).toMatch(/disabled/);
      // Enabling again does not bring the revoked token back.
      await http.patch(`/api/users/${u.id}`).set(bearer(admin.token)).send({ disabled: false }).expect(200);
      await http.get('/api/auth/me').set(bearer(u.token)).expect(401);
      await login(u.name, u.password).expect(200);
    });

    it('slides the expiry forward on use and sends the cookie again', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      const res = await login(u.name, u.password).expect(200);
      // As if logged in two hours ago and last seen then.
      await ds.query(`UPDATE user_session SET last_seen_at = now() - interval '2 hours', expires_at = now() + interval '10 hours' WHERE user_id = $1`, [u.id]);
      const me = await http.get('/api/auth/me').set('Cookie', sessionCookie(res)).expect(200);
      const hours = (new Date(me.body.expiresAt).getTime() - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(11.9);
      expect(sessionCookie(me)).toBe(sessionCookie(res));
      const [row] = await ds.query('SELECT expires_at, last_seen_at FROM user_session WHERE user_id = $1', [u.id]);
      expect(Date.now() - new Date(row.last_seen_at).getTime()).toBeLessThan(60_000);
    });

    it('an expired session is refused and removed', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      const res = await login(u.name, u.password).expect(200);
      await ds.query(`UPDATE user_session SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [u.id]);
      await http.get('/api/auth/me').set('Cookie', sessionCookie(res)).expect(401);
      expect(await ds.query('SELECT 1 FROM user_session WHERE user_id = $1', [u.id])).toHaveLength(0);
    });
  });

  describe('bearer tokens', () => {
    it('are shown once, listed without the secret, and stop working when revoked', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      const created = await http.post('/api/auth/tokens').set(bearer(u.token)).send({ label: 'report script', expiresInDays: 7 }).expect(201);
      const token = created.body.token as string;
      expect(token).toMatch(/^fgt_/);
      expect(created.body.prefix).toBe(token.slice(0, 10));
      await http.get('/api/rules').set(bearer(token)).expect(200);
      const list = await http.get('/api/auth/tokens').set(bearer(token)).expect(200);
      expect(JSON.stringify(list.body)).not.toContain(token);
      expect(JSON.stringify(await ds.query('SELECT * FROM api_token WHERE user_id = $1', [u.id]))).not.toContain(token);
      expect(list.body.tokens.find((t: { id: string }) => t.id === created.body.id).lastUsedAt).not.toBeNull();

      // Someone else's token is not there for this user.
      await http.delete(`/api/auth/tokens/${created.body.id}`).set(bearer(admin.token)).expect(404);
      const revoked = await http.delete(`/api/auth/tokens/${created.body.id}`).set(bearer(u.token)).expect(200);
      expect(revoked.body.revokedAt).not.toBeNull();
      const res = await http.get('/api/rules').set(bearer(token)).expect(401);
      expect(res.body.message).toBe('the bearer token is unknown, expired or revoked');
      await http.get('/api/rules').set(bearer(u.token)).expect(200);
      const audits = [...(await auditRows('token.create')), ...(await auditRows('token.revoke'))].filter((r) => r.entity_id === created.body.id);
      expect(audits.map((r) => r.action)).toEqual(['token.create', 'token.revoke']);
      expect(JSON.stringify(audits)).not.toContain(token);
    });

    it('an expired token is refused', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      await ds.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [u.id]);
      await http.get('/api/rules').set(bearer(u.token)).expect(401);
    });

    it('refuses malformed Authorization headers rather than falling back to the cookie', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      const cookie = sessionCookie(await login(u.name, u.password).expect(200));
      await http.get('/api/auth/me').set('Cookie', cookie).set('Authorization', 'Basic abc').expect(401);
      await http.get('/api/auth/me').set('Cookie', cookie).set(bearer('fgt_nope')).expect(401);
      await http.get('/api/auth/me').set('Cookie', cookie).expect(200);
    });
  });

  describe('user administration (admin only)', () => {
    it('creates users with checked fields; institution logins need an existing institution', async () => {
      const sup = await createUserWithToken(app, { role: 'supervisor' });
      await http.post('/api/users').set(bearer(sup.token)).send({}).expect(403);
      const bad = await http.post('/api/users').set(bearer(admin.token)).send({ name: 'X', role: 'boss', password: 'short' }).expect(400);
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['name', 'password', 'role']);
      const noInst = await http.post('/api/users').set(bearer(admin.token)).send({ name: 'hosp.a', role: 'institution', password: 'hospital password' }).expect(400);
      expect(noInst.body.errors).toEqual([{ path: 'institutionCode', reason: 'is required for the institution role' }]);
      const unknownInst = await http.post('/api/users').set(bearer(admin.token)).send({ name: 'hosp.a', role: 'institution', institutionCode: 'H00000000000', password: 'hospital password' }).expect(400);
      expect(unknownInst.body.errors[0].path).toBe('institutionCode');
      const instForSup = await http.post('/api/users').set(bearer(admin.token)).send({ name: 'sup.b', role: 'supervisor', institutionCode: INST_A, password: 'hospital password' }).expect(400);
      expect(instForSup.body.errors[0]).toMatchObject({ path: 'institutionCode', reason: expect.stringMatching(/must be empty/) });
      const sameAsName = await http.post('/api/users').set(bearer(admin.token)).send({ name: 'samesame.name', role: 'auditor', password: 'samesame.name' }).expect(400);
      expect(sameAsName.body.errors).toEqual([{ path: 'password', reason: 'must not be the login name' }]);

      const ok = await http.post('/api/users').set(bearer(admin.token)).send({ name: 'hosp.a', role: 'institution', institutionCode: INST_A.toLowerCase(), password: 'hospital password' }).expect(201);
      expect(ok.body).toMatchObject({ name: 'hosp.a', role: 'institution', institutionCode: INST_A, disabled: false });
      expect(ok.body.passwordHash).toBeUndefined();
      await http.post('/api/users').set(bearer(admin.token)).send({ name: 'hosp.a', role: 'auditor', password: 'hospital password' }).expect(409);
    });

    it('changes role and password (ending sessions) and keeps at least one enabled admin', async () => {
      const u = await createUserWithToken(app, { role: 'auditor' });
      const cookie = sessionCookie(await login(u.name, u.password).expect(200));
      const changed = await http.patch(`/api/users/${u.id}`).set(bearer(admin.token)).send({ role: 'supervisor', displayName: '稽核员 王', password: 'a brand new password' }).expect(200);
      expect(changed.body).toMatchObject({ role: 'supervisor', displayName: '稽核员 王' });
      await http.get('/api/auth/me').set('Cookie', cookie).expect(401);
      await login(u.name, u.password).expect(401);
      await login(u.name, 'a brand new password').expect(200);
      const [update] = (await auditRows('user.update', u.id)).slice(-1);
      expect(update!.after).toMatchObject({ role: 'supervisor', passwordChanged: true });
      expect(JSON.stringify(update)).not.toContain('a brand new password');
      await http.patch(`/api/users/${u.id}`).set(bearer(admin.token)).send({ hash: 'x' }).expect(400);
      await http.patch(`/api/users/not-a-uuid`).set(bearer(admin.token)).send({ unlock: true }).expect(400);

      // Every admin but one disabled: the last one cannot be disabled or demoted.
      const admins: { id: string }[] = await ds.query(`SELECT id FROM user_account WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1`, [admin.id]);
      for (const a of admins) await http.patch(`/api/users/${a.id}`).set(bearer(admin.token)).send({ disabled: true }).expect(200);
      const last = await http.patch(`/api/users/${admin.id}`).set(bearer(admin.token)).send({ role: 'auditor' }).expect(409);
      expect(last.body.message).toMatch(/last enabled admin/);
      for (const a of admins) await http.patch(`/api/users/${a.id}`).set(bearer(admin.token)).send({ disabled: false }).expect(200);

      // Two admins left, demoted at the same moment: the second change waits for the first (the
      // last-admin lock) and is then refused. The first is played by a raw transaction that holds the
      // lock and demotes one admin; the service's demotion of the other must wait and see it.
      const second = await createUserWithToken(app, { role: 'admin' });
      for (const a of admins) await http.patch(`/api/users/${a.id}`).set(bearer(admin.token)).send({ disabled: true }).expect(200);
      const first = ds.createQueryRunner();
      await first.connect();
      try {
        await first.startTransaction();
        await first.query(`SELECT pg_advisory_xact_lock(7270006)`);
        await first.query(`UPDATE user_account SET role = 'auditor' WHERE id = $1`, [second.id]);
        const demotion = app.get(AccountsService).updateUser(systemActor('test'), admin.id, { role: 'auditor' });
        const outcome = Promise.race([demotion.then(() => 'done', () => 'refused'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
        expect(await outcome).toBe('waiting');
        await first.commitTransaction();
        await expect(demotion).rejects.toThrow('the last enabled admin cannot be disabled or given another role');
      } finally {
        await first.release();
      }
      const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM user_account WHERE role = 'admin' AND disabled_at IS NULL`)) as { n: number }[];
      expect(n).toBe(1);
      await ds.query(`UPDATE user_account SET role = 'admin' WHERE id = $1`, [second.id]);
      for (const a of admins) await http.patch(`/api/users/${a.id}`).set(bearer(admin.token)).send({ disabled: false }).expect(200);
    });
  });

  describe('institution logins see only their own institution', () => {
    let hosp: TestUser;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      hosp = await createUserWithToken(app, { role: 'institution', institutionCode: INST_A });
      const runId = '00000000-0000-4000-8000-0000000000aa';
      for (const [pk, code, claim] of [[1, INST_A, 'SCOPE-A'], [2, INST_B, 'SCOPE-B']] as const) {
        const [{ id }] = await ds.query(
          `INSERT INTO finding (claim_pk, claim_id, item_seq, rule_id, rule_version, rule_hash, category, result_type, severity, institution_code, patient_key, settle_month, amount_at_risk, evidence, why_zh, why_en, screening_run_id)
           VALUES ($5, $1, 1, 'price-ceiling', 1, 'abcdefabcdefabcd', 'PRICE_CEILING', 'violation', 'high', $2, $3, '2025-01-01', '12.50', '{}', '超限价', 'above the price ceiling', $4) RETURNING id`,
          [claim, code, 'p'.repeat(32), runId, pk],
        );
        ids[code] = String(id);
        await ds.query(
          `INSERT INTO risk_score (entity_type, entity_code, period, peer_group, peer_size, score, rank, unsupervised, features, z_scores, percentiles, peer_medians, drivers, computed_at)
           VALUES ('institution', $1, '2025-01', 'hospital-2', 2, 50, 1, 0.5, '{}', '{}', '{}', '{}', '[]', now())`,
          [code],
        );
      }
    });

    it('lists only its own findings whatever it filters, and a filter on another institution is a 403 naming it', async () => {
      const all = await http.get('/api/findings').set(bearer(hosp.token)).expect(200);
      expect(all.body.items.map((f: { institutionCode: string }) => f.institutionCode)).toEqual([INST_A]);
      const own = await http.get('/api/findings').query({ institution: INST_A.toLowerCase() }).set(bearer(hosp.token)).expect(200);
      expect(own.body.total).toBe(1);
      const other = await http.get('/api/findings').query({ institution: INST_B }).set(bearer(hosp.token)).expect(403);
      expect(other.body.errors[0].path).toBe('institution');
      // A supervisor sees both.
      const sup = await createUserWithToken(app, { role: 'supervisor' });
      expect((await http.get('/api/findings').set(bearer(sup.token)).expect(200)).body.total).toBe(2);
    });

    it("answers another institution's finding with 404", async () => {
      await http.get(`/api/findings/${ids[INST_A]}`).set(bearer(hosp.token)).expect(200);
      const res = await http.get(`/api/findings/${ids[INST_B]}`).set(bearer(hosp.token)).expect(404);
      expect(res.body.message).toBe(`finding ${ids[INST_B]} does not exist`);
    });

    it('reads its own risk history only', async () => {
      const own = await http.get(`/api/institutions/${INST_A}/risk`).set(bearer(hosp.token)).expect(200);
      expect(own.body.code).toBe(INST_A);
      const other = await http.get(`/api/institutions/${INST_B}/risk`).set(bearer(hosp.token)).expect(403);
      expect(other.body.errors[0].path).toBe('code');
      await http.get('/api/risk').set(bearer(hosp.token)).expect(403);
    });
  });

  describe('requireRoles (raw express mounts such as /admin/queues)', () => {
    function call(headers: Record<string, string>, method = 'GET', path = '/admin/queues/api/queues') {
      return new Promise<{ status: number; location?: string; next: boolean }>((resolve) => {
        const out = { status: 200, location: undefined as string | undefined, next: false };
        const res = {
          locals: {} as Record<string, unknown>,
          setHeader: (k: string, v: string) => k.toLowerCase() === 'location' && (out.location = v),
          status(code: number) {
            out.status = code;
            return this;
          },
          json: () => resolve(out),
          end: () => resolve(out),
        };
        // Node gives handlers lower-case header names.
        const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
        const req = { headers: lower, method, path, originalUrl: path, body: {}, get: () => undefined } as unknown as Request;
        requireRoles(app.get(AccountsService), ['admin'])(req, res as unknown as Response, (err?: unknown) => {
          if (err) throw err;
          out.next = true;
          resolve(out);
        });
      });
    }

    it('lets admins in and keeps the others out', async () => {
      expect(await call(bearer(admin.token))).toMatchObject({ next: true });
      const sup = await createUserWithToken(app, { role: 'supervisor' });
      expect(await call(bearer(sup.token))).toMatchObject({ next: false, status: 403 });
      expect(await call({}, 'GET', '/admin/queues')).toMatchObject({ next: false, status: 303, location: '/login?next=%2Fadmin%2Fqueues' });
    });

    it('accepts a same-origin state-changing request of an admin session without the CSRF token, not a cross-site one', async () => {
      const a = await createUserWithToken(app, { role: 'admin' });
      const cookie = sessionCookie(await login(a.name, a.password).expect(200));
      expect(await call({ cookie, host: 'fg.example', origin: 'https://fg.example' }, 'PUT')).toMatchObject({ next: true });
      expect(await call({ cookie, host: 'fg.example', origin: 'https://evil.example' }, 'PUT')).toMatchObject({ next: false, status: 403 });
      expect(await call({ cookie, host: 'fg.example' }, 'PUT')).toMatchObject({ next: false, status: 403 });
    });
  });
});
