import type { Actor, Role } from '../accounts/roles';

export interface NavItem {
  href: string;
  /** i18n key of the label */
  key: string;
  active: boolean;
}

interface NavEntry {
  href: string;
  key: string;
  roles: readonly Role[];
}

/**
 * The console's navigation, per role. It mirrors the @Roles of the pages it links to: a link a role
 * cannot follow is not shown (the guard refuses the page anyway).
 */
export const NAV: readonly NavEntry[] = [
  { href: '/console', key: 'nav.dashboard', roles: ['admin', 'supervisor', 'auditor'] },
  { href: '/console/cases', key: 'nav.cases', roles: ['admin', 'supervisor', 'auditor', 'institution'] },
  { href: '/console/rules', key: 'nav.rules', roles: ['admin', 'supervisor', 'auditor'] },
  { href: '/console/institutions', key: 'nav.institutions', roles: ['admin', 'supervisor', 'auditor'] },
  { href: '/console/credit', key: 'nav.credit', roles: ['admin', 'supervisor', 'auditor', 'institution'] },
  { href: '/console/physicians', key: 'nav.physicians', roles: ['admin', 'supervisor', 'auditor', 'institution'] },
  { href: '/console/inspections', key: 'nav.inspections', roles: ['admin', 'supervisor', 'auditor'] },
  { href: '/console/inspections/mine', key: 'nav.inspectionsMine', roles: ['inspector'] },
  { href: '/console/tips', key: 'nav.tips', roles: ['admin', 'supervisor'] },
  { href: '/console/audit', key: 'nav.audit', roles: ['admin', 'auditor'] },
  { href: '/console/queues', key: 'nav.queues', roles: ['admin'] },
];

/** The links shown to an actor; the institution role gets a link to its own profile. */
export function navFor(actor: Actor, path: string): NavItem[] {
  const items: NavItem[] = [];
  for (const e of NAV) {
    if (actor.role === 'system' || !e.roles.includes(actor.role)) continue;
    items.push({ href: e.href, key: e.key, active: isActive(e.href, path) });
  }
  if (actor.role === 'institution' && actor.institutionCode) {
    const href = `/console/institutions/${encodeURIComponent(actor.institutionCode)}`;
    items.unshift({ href, key: 'nav.myInstitution', active: isActive(href, path) });
  }
  return items;
}

function isActive(href: string, path: string): boolean {
  return href === '/console' ? path === '/console' || path === '/console/' : path === href || path.startsWith(`${href}/`);
}
