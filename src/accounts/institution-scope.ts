import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { Actor } from './roles';

/**
 * The institution an institution login is confined to, or undefined for the other roles. Asking
 * for another institution is refused (403 naming `param`), never silently narrowed.
 */
export function ownInstitution(actor: Actor | undefined, requested: string | undefined, param = 'institution'): string | undefined {
  if (actor?.role !== 'institution') return undefined;
  const own = actor.institutionCode;
  // An institution login without an institution cannot exist (the service refuses one); deny anyway.
  if (!own) throw new DomainException(DomainErrorCode.Forbidden, 'this login belongs to no institution', [{ path: param, reason: 'no institution' }]);
  if (requested !== undefined && requested !== '' && requested.toUpperCase() !== own.toUpperCase()) {
    throw new DomainException(DomainErrorCode.Forbidden, `an institution login may only read its own institution (${own})`, [{ path: param, reason: `must be ${own} or omitted` }]);
  }
  return own;
}

/** Whether the actor may see something that belongs to `institutionCode` (institution logins: only their own). */
export function mayRead(actor: Actor | undefined, institutionCode: string): boolean {
  return actor?.role !== 'institution' || (!!actor.institutionCode && actor.institutionCode.toUpperCase() === institutionCode.toUpperCase());
}
