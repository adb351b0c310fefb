import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { routeAccessMeta } from '../../src/accounts/access.guard';
import request from 'supertest';
import { Role, ROLES } from '../../src/accounts/roles';
import { createTestHttp } from '../support/app';
import { bearer, createUserWithToken, ensureInstitution, TestUser } from '../support/auth';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

/**
 * The route × role matrix: every route the application registers must be in EXPECTED, and every
 * route answers every role (and the anonymous caller) exactly as EXPECTED says.
 *
 * To add a route: one line `'METHOD /path/:param': [roles…]` or `'public'`, with the path exactly
 * as the controller declares it. Path parameters are filled from PARAM_VALUES (else a random UUID).
 */
type Access = 'public' | readonly Role[];

const ALL: readonly Role[] = ROLES;
const READERS: readonly Role[] = ['admin', 'supervisor', 'auditor'];
const WRITERS: readonly Role[] = ['admin', 'supervisor'];

const EXPECTED: Record<string, Access> = {
  // health
  'GET /health': 'public',
  // accounts
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': ALL,
  'GET /api/auth/me': ALL,
  'GET /api/auth/tokens': ALL,
  'POST /api/auth/tokens': ALL,
  'DELETE /api/auth/tokens/:id': ALL,
  'GET /api/users': ['admin'],
  'POST /api/users': ['admin'],
  'PATCH /api/users/:id': ['admin'],
  // imports
  'POST /api/claims': WRITERS,
  'POST /api/imports': WRITERS,
  'GET /api/imports': READERS,
  'GET /api/imports/:id': READERS,
  'GET /api/rejections': READERS,
  // screening
  'POST /api/screening-runs': WRITERS,
  'GET /api/screening-runs': READERS,
  'GET /api/screening-runs/:id': READERS,
  'GET /api/findings': [...READERS, 'institution'],
  'GET /api/findings/:id': [...READERS, 'institution'],
  'GET /api/rules': ALL,
  'GET /api/rules/:id': ALL,
  // risk
  'GET /api/risk': READERS,
  'GET /api/risk/models': READERS,
  'GET /api/institutions/:code/risk': [...READERS, 'institution'],
  'GET /api/physicians/:code/risk': READERS,
  // physicians' points (an institution reads only its own physicians; scoping tested in physician-record.int-spec)
  'GET /api/physicians/:code/points': [...READERS, 'institution'],
  'GET /api/physician-sanctions': [...READERS, 'institution'],
  // audit trail (auditors browse it; admins too)
  'GET /api/audit': ['auditor', 'admin'],
  'GET /api/audit/verify': ['auditor', 'admin'],
  // cases (an institution sees and appeals only its own; that scoping is tested in cases.int-spec)
  'GET /api/cases': [...READERS, 'institution'],
  'GET /api/cases/summary': [...READERS, 'institution'],
  'GET /api/cases/:id': [...READERS, 'institution'],
  'POST /api/cases/:id/assign': WRITERS,
  'POST /api/cases/:id/start-review': WRITERS,
  'POST /api/cases/:id/confirm': WRITERS,
  'POST /api/cases/:id/dismiss': WRITERS,
  'POST /api/cases/:id/decision': WRITERS,
  'POST /api/cases/:id/appeal': ['institution'],
  'POST /api/cases/:id/appeal-decision': WRITERS,
  'POST /api/cases/:id/finalize': WRITERS,
  'POST /api/cases/:id/close': WRITERS,
  // 曝光台: staff read a case's publication state; supervisors mark and withdraw (the public list is served by the disclosure pages)
  'GET /api/cases/:id/publication': READERS,
  'POST /api/cases/:id/publication': WRITERS,
  'POST /api/cases/:id/publication/withdraw': WRITERS,
  'GET /api/recoveries': [...READERS, 'institution'],
  'POST /api/recoveries/:id/payments': WRITERS,
  // credit (an institution reads, appeals and asks for repair of its own record only; scoping tested in credit.int-spec)
  'GET /api/credit': READERS,
  'GET /api/credit/policy': ALL,
  'GET /api/credit/requests': [...READERS, 'institution'],
  'GET /api/credit/:code': [...READERS, 'institution'],
  'POST /api/credit/what-if': WRITERS,
  'POST /api/credit/bonuses': WRITERS,
  'POST /api/credit/entries/:id/appeal': ['institution'],
  'POST /api/credit/appeals/:id/decision': WRITERS,
  'POST /api/credit/repairs': ['institution'],
  'POST /api/credit/repairs/:id/decision': WRITERS,
  // inspections (双随机、一公开; an inspector's own assignments scoped in inspections.int-spec)
  'GET /api/inspection-matters': [...READERS, 'inspector'],
  'POST /api/inspection-plans': WRITERS,
  'GET /api/inspection-plans': READERS,
  'GET /api/inspection-plans/:id': READERS,
  'POST /api/inspection-plans/:id/commit': WRITERS,
  'POST /api/inspection-plans/:id/draw': WRITERS,
  'POST /api/inspection-plans/:id/redraw': WRITERS,
  'GET /api/inspection-draws/:id': READERS,
  'POST /api/inspectors/:code/link': ['admin'],
  'GET /api/assignments': [...READERS, 'inspector'],
  'POST /api/assignments/:id/result': ['inspector'],
  'POST /api/assignments/:id/publish': WRITERS,
  'GET /api/inspection-results/late': READERS,
  'GET /api/public/draws/:id/verify': 'public',
  'GET /public/draws/:id': 'public',
  // 信息公开: the public disclosure site and its open data
  'GET /public': 'public',
  'GET /public/institutions': 'public',
  'GET /public/institutions/:code': 'public',
  'GET /public/inspections': 'public',
  'GET /public/exposure': 'public',
  'GET /public/data': 'public',
  'GET /public/data/:file': 'public',
  'GET /public/assets/:file': 'public',
  'GET /console/inspections': READERS,
  'POST /console/inspections': WRITERS,
  'GET /console/inspections/mine': ['inspector'],
  'POST /console/inspections/assignments/:id/result': ['inspector'],
  'GET /console/inspections/:id': READERS,
  'POST /console/inspections/:id/commit': WRITERS,
  'POST /console/inspections/:id/draw': WRITERS,
  'POST /console/inspections/:id/redraw': WRITERS,
  'POST /console/inspections/assignments/:id/publish': WRITERS,
  // tips (举报): the public submits and tracks without a login (challenge and rate limit in tips.int-spec); supervisors and
  // admins work them; only the assigned supervisor reads the identity (others 403: tips.int-spec)
  'GET /api/public/tips/challenge': 'public',
  'POST /api/public/tips': 'public',
  'POST /api/public/tips/track': 'public',
  'GET /public/tips': 'public',
  'POST /public/tips': 'public',
  'GET /public/tips/track': 'public',
  'POST /public/tips/track': 'public',
  'GET /api/tips': WRITERS,
  'GET /api/tips/:id': WRITERS,
  'POST /api/tips/:id/identity': ['supervisor'],
  'POST /api/tips/:id/assign': WRITERS,
  'POST /api/tips/:id/start-investigation': WRITERS,
  'POST /api/tips/:id/notes': WRITERS,
  'POST /api/tips/:id/reward-level': WRITERS,
  'POST /api/tips/:id/open-case': WRITERS,
  'POST /api/tips/:id/close': WRITERS,
  'POST /api/tips/:id/reward-payment': WRITERS,
  'GET /console/tips': WRITERS,
  'GET /console/tips/:id': WRITERS,
  'POST /console/tips/:id/identity': ['supervisor'],
  'POST /console/tips/:id/assign': WRITERS,
  'POST /console/tips/:id/start-investigation': WRITERS,
  'POST /console/tips/:id/notes': WRITERS,
  'POST /console/tips/:id/reward-level': WRITERS,
  'POST /console/tips/:id/open-case': WRITERS,
  'POST /console/tips/:id/close': WRITERS,
  'POST /console/tips/:id/reward-payment': WRITERS,
  // console pages
  'GET /': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'POST /logout': ALL,
  'GET /console/static/console.css': 'public',
  'GET /console': ALL,
  'GET /console/audit': ['auditor', 'admin'],
  'GET /console/queues': ['admin'],
  'GET /console/rules': READERS,
  'GET /console/rules/:id': READERS,
  'GET /console/institutions': READERS,
  'GET /console/institutions/:code': [...READERS, 'institution'],
  'GET /console/physicians': [...READERS, 'institution'],
  'GET /console/physicians/:code': [...READERS, 'institution'],
  'GET /console/cases': [...READERS, 'institution'],
  'GET /console/cases/:id': [...READERS, 'institution'],
  'POST /console/cases/:id/assign': WRITERS,
  'POST /console/cases/:id/start-review': WRITERS,
  'POST /console/cases/:id/confirm': WRITERS,
  'POST /console/cases/:id/dismiss': WRITERS,
  'POST /console/cases/:id/decision': WRITERS,
  'POST /console/cases/:id/appeal': ['institution'],
  'POST /console/cases/:id/appeal-decision': WRITERS,
  'POST /console/cases/:id/finalize': WRITERS,
  'POST /console/cases/:id/close': WRITERS,
  'POST /console/cases/:id/publication': WRITERS,
  'POST /console/cases/:id/publication/withdraw': WRITERS,
  'POST /console/recoveries/:id/payments': WRITERS,
  'GET /console/credit': [...READERS, 'institution'],
  'GET /console/credit/requests': [...READERS, 'institution'],
  'GET /console/credit/:code': [...READERS, 'institution'],
  'POST /console/credit/:code/bonuses': WRITERS,
  'POST /console/credit/entries/:id/appeal': ['institution'],
  'POST /console/credit/appeals/:id/decision': WRITERS,
  'POST /console/credit/repairs': ['institution'],
  'POST /console/credit/repairs/:id/decision': WRITERS,
};

/** The institution of the institution login (its own code, so "own institution only" routes let it in). */
const INSTITUTION = 'H64010500001';

/** Values for path parameters by name; any other parameter gets a random UUID. */
const PARAM_VALUES: Record<string, string> = {
  code: INSTITUTION,
};

interface DiscoveredRoute {
  key: string;
  method: string;
  path: string;
  /** What the route declares now, shown for routes missing from EXPECTED (to review, not to copy blindly). */
  declared: string;
}

function joinPath(...parts: string[]): string {
  const p = `/${parts.map((s) => s.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
  return p;
}

/** Every route of every controller, from the metadata Nest routes by (controller path × method path). */
function nestRoutes(app: INestApplication): DiscoveredRoute[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const routes = new Map<string, DiscoveredRoute>();
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const prefixes = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, metatype) ?? '/');
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const handler = (instance as Record<string, unknown>)[name] as object;
      const paths: string | string[] | undefined = Reflect.getMetadata(PATH_METADATA, handler);
      if (paths === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] ?? 'GET';
      const meta = routeAccessMeta(reflector, handler, metatype);
      const declared = meta.public ? "'public'" : meta.roles?.length ? `[${meta.roles.map((r) => `'${r}'`).join(', ')}]` : 'nothing (denied to all)';
      for (const prefix of prefixes) {
        for (const p of ([] as string[]).concat(paths)) {
          const path = joinPath(prefix, p);
          routes.set(`${method} ${path}`, { key: `${method} ${path}`, method, path, declared });
        }
      }
    }
  }
  return [...routes.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** The routes express actually serves (Express 5 keeps them on app.router). */
function expressRoutes(app: INestApplication): Set<string> {
  const instance = app.getHttpAdapter().getInstance() as { router?: { stack: unknown[] }; _router?: { stack: unknown[] } };
  const stack = (instance.router ?? instance._router)?.stack ?? [];
  const keys = new Set<string>();
  for (const layer of stack as { route?: { path: string; methods: Record<string, boolean> } }[]) {
    if (!layer.route) continue;
    for (const [m, on] of Object.entries(layer.route.methods)) if (on) keys.add(`${m.toUpperCase()} ${layer.route.path}`);
  }
  return keys;
}

function fillParams(path: string): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(PARAM_VALUES[name] ?? randomUUID()));
}

const isApi = (path: string) => path === '/api' || path.startsWith('/api/');

describe('route × role matrix (deny by default)', () => {
  const schema = uniqueName('t_access');
  const { config } = testConfig(schema, { LOGIN_RATE_PER_MINUTE: '10000' });
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let routes: DiscoveredRoute[];
  const users = {} as Record<Role, TestUser>;

  beforeAll(async () => {
    app = (await createTestHttp(config, 'api')).app;
    http = request(app.getHttpServer());
    await ensureInstitution(app, INSTITUTION);
    for (const role of ROLES) users[role] = await createUserWithToken(app, { role, institutionCode: role === 'institution' ? INSTITUTION : undefined });
    routes = nestRoutes(app);
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('discovers the routes express serves', () => {
    expect(routes.length).toBeGreaterThan(10);
    const served = expressRoutes(app);
    // Nest registers every controller route on express; a discovered route express lacks means the discovery is wrong.
    expect(routes.filter((r) => !served.has(r.key)).map((r) => r.key)).toEqual([]);
  });

  it('has every registered route in the EXPECTED table, and nothing else', () => {
    const registered = new Set(routes.map((r) => r.key));
    const missing = routes.filter((r) => !(r.key in EXPECTED)).map((r) => `'${r.key}': ${r.declared}`);
    const stale = Object.keys(EXPECTED).filter((k) => !registered.has(k));
    expect({ 'routes missing from EXPECTED': missing, 'EXPECTED entries with no route': stale }).toEqual({ 'routes missing from EXPECTED': [], 'EXPECTED entries with no route': [] });
  });

  it('answers every route × caller as EXPECTED: anonymous 401 (API) or 303 to /login (pages), other roles 403, allowed roles neither', async () => {
    const wrong: string[] = [];
    const serverErrors: string[] = [];
    for (const route of routes) {
      const access = EXPECTED[route.key];
      if (access === undefined) continue; // reported by the test above
      const path = fillParams(route.path);
      const send = (auth: Record<string, string>) => {
        const r = http[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path).set(auth).redirects(0);
        return ['POST', 'PUT', 'PATCH'].includes(route.method) ? r.send({}) : r;
      };

      const anon = await send({});
      if (access === 'public') {
        if (anon.status === 401 || anon.status === 403 || anon.status === 303) wrong.push(`${route.key} anonymous: ${anon.status}, expected a public answer`);
      } else if (isApi(route.path)) {
        if (anon.status !== 401) wrong.push(`${route.key} anonymous: ${anon.status}, expected 401`);
      } else if (anon.status !== 303 || !String(anon.headers.location).startsWith('/login?next=')) {
        wrong.push(`${route.key} anonymous: ${anon.status} ${anon.headers.location ?? ''}, expected 303 to /login?next=…`);
      }
      if (anon.status >= 500) serverErrors.push(`${route.key} anonymous: ${anon.status} ${anon.text.slice(0, 200)}`);

      for (const role of ROLES) {
        const res = await send(bearer(users[role].token));
        const allowed = access === 'public' || access.includes(role);
        if (allowed && (res.status === 401 || res.status === 403)) wrong.push(`${route.key} ${role}: ${res.status} (${res.body?.message ?? ''}), expected to be let in`);
        if (!allowed && res.status !== 403) wrong.push(`${route.key} ${role}: ${res.status}, expected 403`);
        if (res.status >= 500) serverErrors.push(`${route.key} ${role}: ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
    // Empty bodies and random ids are bad input, never a crash.
    expect(serverErrors).toEqual([]);
  });

  it('shows Bull Board (a plain express mount, outside Nest\'s routes) to admins only', async () => {
    const anon = await http.get('/admin/queues').redirects(0);
    expect(anon.status).toBe(303);
    expect(anon.headers.location).toBe('/login?next=%2Fadmin%2Fqueues');
    for (const role of ROLES) {
      const res = await http.get('/admin/queues/api/queues').set(bearer(users[role].token)).redirects(0);
      expect([role, res.status]).toEqual([role, role === 'admin' ? 200 : 403]);
    }
    const board = await http.get('/admin/queues/api/queues').set(bearer(users.admin.token)).expect(200);
    expect(board.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['import', 'screening']);
  });

  it('refuses a cookie session without the CSRF token on every state-changing route it may use', async () => {
    const sup = users.supervisor;
    const login = await http.post('/api/auth/login').send({ name: sup.name, password: sup.password }).expect(200);
    const cookie = ([] as string[]).concat(login.headers['set-cookie']).find((c) => c.startsWith('fg_session='))!.split(';')[0]!;
    const unsafe = routes.filter((r) => r.method !== 'GET' && EXPECTED[r.key] !== 'public' && (EXPECTED[r.key] as readonly Role[] | undefined)?.includes('supervisor'));
    expect(unsafe.length).toBeGreaterThan(0);
    const wrong: string[] = [];
    for (const route of unsafe) {
      const r = http[route.method.toLowerCase() as 'post' | 'put' | 'patch' | 'delete'](fillParams(route.path)).set('Cookie', cookie).redirects(0);
      const res = await (['POST', 'PUT', 'PATCH'].includes(route.method) ? r.send({}) : r);
      // The API answers JSON; pages answer an error page that tells the user to reload the form.
      const said = isApi(route.path) ? res.body?.message === 'CSRF token missing or invalid' : res.text.includes('CSRF');
      if (res.status !== 403 || !said) wrong.push(`${route.key}: ${res.status} ${res.body?.message ?? res.text.slice(0, 80)}`);
    }
    expect(wrong).toEqual([]);
    // The session itself is fine: reading works without the token.
    await http.get('/api/auth/me').set('Cookie', cookie).expect(200);
  });
});
