import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as argon2 from 'argon2';
import { FieldError } from '../common/domain.exception';
import { ROLES, Role } from './roles';

/** Login names: lower-case letters, digits, `.`, `_`, `-`; starting with a letter; 2–64 characters. */
export const NAME_PATTERN = /^[a-z][a-z0-9._-]{1,63}$/;
export const PASSWORD_MIN_LENGTH = 12;
// argon2 hashes any length, but a megabyte "password" would only cost CPU.
export const PASSWORD_MAX_LENGTH = 256;
export const TOKEN_PREFIX = 'fgt_';

/** Problems with a login name, or none. */
export function checkName(name: unknown, path = 'name'): FieldError[] {
  if (typeof name !== 'string' || name === '') return [{ path, reason: 'is required' }];
  if (!NAME_PATTERN.test(name)) {
    return [{ path, reason: 'must be 2–64 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter' }];
  }
  return [];
}

/** Problems with a new password, or none: at least 12 characters, not the login name. */
export function checkPassword(password: unknown, name: string | undefined, path = 'password'): FieldError[] {
  if (typeof password !== 'string' || password === '') return [{ path, reason: 'is required' }];
  if ([...password].length < PASSWORD_MIN_LENGTH) return [{ path, reason: `must be at least ${PASSWORD_MIN_LENGTH} characters` }];
  if (password.length > PASSWORD_MAX_LENGTH) return [{ path, reason: `must be at most ${PASSWORD_MAX_LENGTH} characters` }];
  if (name !== undefined && password.trim().toLowerCase() === name.trim().toLowerCase()) return [{ path, reason: 'must not be the login name' }];
  return [];
}

export function checkRole(role: unknown, path = 'role'): FieldError[] {
  return typeof role === 'string' && (ROLES as readonly string[]).includes(role) ? [] : [{ path, reason: `must be one of ${ROLES.join(', ')}` }];
}

/** The institution code rule without the database: required for the institution role, forbidden otherwise. */
export function checkInstitutionForRole(role: Role, institutionCode: unknown, path = 'institutionCode'): FieldError[] {
  const given = institutionCode !== undefined && institutionCode !== null && institutionCode !== '';
  if (role === 'institution') {
    if (!given) return [{ path, reason: 'is required for the institution role' }];
    if (typeof institutionCode !== 'string' || !/^[\w.-]{1,64}$/.test(institutionCode)) return [{ path, reason: 'must be an institution code' }];
    return [];
  }
  return given ? [{ path, reason: `must be empty for the ${role} role (only institution logins belong to an institution)` }] : [];
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    // A malformed stored hash never matches (and never reveals itself as a 500).
    return false;
  }
}

/** 32 random bytes, base64url (43 characters). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two secrets given as text. */
export function sameSecret(a: string | undefined | null, b: string | undefined | null): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
