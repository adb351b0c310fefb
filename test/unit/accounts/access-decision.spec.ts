import { decideAccess, isApiPath, isUnsafeMethod, RouteAccessMeta } from '../../../src/accounts/access-decision';
import { Actor, Role, ROLES, systemActor } from '../../../src/accounts/roles';

/** The access rule every route goes through: public, deny by default, roles, CSRF for cookie sessions. */

const actor = (role: Role): Actor => ({ userId: '00000000-0000-4000-8000-000000000001', name: `a-${role}`, role, institutionCode: role === 'institution' ? 'H64010500001' : null });
const roles = (...r: Role[]): RouteAccessMeta => ({ public: false, roles: r });
const PUBLIC: RouteAccessMeta = { public: true, roles: undefined };
const UNDECLARED: RouteAccessMeta = { public: false, roles: undefined };

describe('decideAccess', () => {
  it('lets anyone through a public route, logged in or not, whatever the method and CSRF state', () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      expect(decideAccess(PUBLIC, null, method, false)).toBe('allow');
      expect(decideAccess(PUBLIC, actor('institution'), method, false)).toBe('allow');
    }
  });

  it('asks for a login on every other route', () => {
    expect(decideAccess(roles('admin'), null, 'GET', true)).toBe('unauthenticated');
    expect(decideAccess(roles(...ROLES), undefined, 'POST', true)).toBe('unauthenticated');
    // Even an undeclared route says "log in" first to an anonymous caller.
    expect(decideAccess(UNDECLARED, null, 'GET', true)).toBe('unauthenticated');
  });

  it('refuses a route with neither @Roles nor @Public to every role (deny by default)', () => {
    for (const r of ROLES) expect(decideAccess(UNDECLARED, actor(r), 'GET', true)).toBe('forbidden');
    expect(decideAccess({ public: false, roles: [] }, actor('admin'), 'GET', true)).toBe('forbidden');
  });

  it('allows exactly the listed roles', () => {
    const meta = roles('admin', 'supervisor', 'auditor');
    expect(ROLES.filter((r) => decideAccess(meta, actor(r), 'GET', true) === 'allow')).toEqual(['admin', 'supervisor', 'auditor']);
    expect(ROLES.filter((r) => decideAccess(meta, actor(r), 'GET', true) === 'forbidden')).toEqual(['inspector', 'institution']);
  });

  it('never lets the system actor in over HTTP', () => {
    expect(decideAccess(roles(...ROLES), systemActor(), 'GET', true)).toBe('forbidden');
  });

  it('requires the CSRF token on state-changing requests only', () => {
    const meta = roles('supervisor');
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) expect(decideAccess(meta, actor('supervisor'), m, false)).toBe('csrf');
    for (const m of ['GET', 'HEAD', 'OPTIONS']) expect(decideAccess(meta, actor('supervisor'), m, false)).toBe('allow');
    expect(decideAccess(meta, actor('supervisor'), 'POST', true)).toBe('allow');
  });

  it('says forbidden, not csrf, to a role that may not use the route at all', () => {
    expect(decideAccess(roles('admin'), actor('auditor'), 'POST', false)).toBe('forbidden');
  });
});

describe('helpers', () => {
  it('tells API paths from pages', () => {
    expect(isApiPath('/api')).toBe(true);
    expect(isApiPath('/api/findings')).toBe(true);
    expect(isApiPath('/apix')).toBe(false);
    expect(isApiPath('/cases/1')).toBe(false);
    expect(isApiPath('/')).toBe(false);
  });

  it('knows which methods change state', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'get'].map(isUnsafeMethod)).toEqual([false, false, false, false]);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].map(isUnsafeMethod)).toEqual([true, true, true, true]);
  });
});
