import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Role, systemActor } from '../../src/accounts/roles';

/** A user made for a test, with the password and a bearer token it can use. */
export interface TestUser {
  id: string;
  name: string;
  password: string;
  token: string;
  role: Role;
  institutionCode: string | null;
}

let counter = 0;

/** A fresh login name (names are unique per schema). */
export function testUserName(role: string): string {
  return `t-${role}-${++counter}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates a user through AccountsService (as the test's system actor) with a known password and a
 * bearer token. An institution user needs an institution row: pass its code (see ensureInstitution).
 */
export async function createUserWithToken(
  app: INestApplicationContext,
  opts: { role: Role; institutionCode?: string; name?: string; password?: string },
): Promise<TestUser> {
  const accounts = app.get(AccountsService);
  const name = opts.name ?? testUserName(opts.role);
  const password = opts.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const actor = systemActor('test');
  const user = await accounts.createUser(actor, { name, role: opts.role, institutionCode: opts.institutionCode, password });
  const { token } = await accounts.createToken(actor, user.id, { label: 'test' });
  return { id: user.id, name, password, token, role: opts.role, institutionCode: user.institutionCode };
}

/** The Authorization header of a bearer token: `http.get(url).set(bearer(token))`. */
export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** Inserts an institution row unless one with this code exists (institution logins must name a real one). */
export async function ensureInstitution(app: INestApplicationContext, code: string, name = `测试机构 ${code}`): Promise<void> {
  const ds = app.get<DataSource>(getDataSourceToken());
  await ds.query(
    `INSERT INTO institution (code, name, kind, level, ownership, region) VALUES ($1, $2, 'hospital', 2, 'public', '640105') ON CONFLICT (code) DO NOTHING`,
    [code.toUpperCase(), name],
  );
}

/** GET and POST to the test app's HTTP API as a user (bearer token); POST sends a JSON body. */
export function apiAs(app: INestApplication, u: TestUser) {
  const agent = request(app.getHttpServer());
  return {
    get: (url: string) => agent.get(url).set(bearer(u.token)),
    post: (url: string, body: object = {}) => agent.post(url).set(bearer(u.token)).send(body),
  };
}

/** A browser-like session: logs the user in through the login form and keeps the cookie. */
export async function consoleLogin(app: INestApplication, u: TestUser) {
  const agent = request.agent(app.getHttpServer());
  await agent.post('/login').type('form').send({ name: u.name, password: u.password, next: '/console' }).expect(303);
  return agent;
}

/** The CSRF token of a console page's forms. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('the page has no form with a CSRF token');
  return m[1]!;
}

/** The structural checks every page must pass: its language, one h1, table headers with a scope, no script (the CSP forbids them). */
export function expectAccessiblePage(html: string, lang: 'zh-CN' | 'en' = 'zh-CN'): void {
  expect(html).toMatch(new RegExp(`<html lang="${lang}">`));
  expect(html.match(/<h1[\s>]/g) ?? []).toHaveLength(1);
  for (const th of html.match(/<th\b[^>]*>/g) ?? []) expect(th).toMatch(/\bscope="(col|row)"/);
  expect(html).not.toMatch(/<script\b/i);
}
