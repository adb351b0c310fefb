import { checkInstitutionForRole, checkName, checkPassword, checkRole, hashPassword, sameSecret, sha256Hex, verifyPassword } from '../../../src/accounts/credentials';

/** Login names, new passwords, roles and institution codes are checked with errors naming the field. */

describe('checkName', () => {
  it.each(['admin', 'li.wei', 'sup_01', 'a-b', 'x1'])('accepts %s', (n) => {
    expect(checkName(n)).toEqual([]);
  });
  it.each([['', 'is required'], [undefined, 'is required'], ['Admin', 'lower-case'], ['1abc', 'starting with a letter'], ['a', '2–64'], ['a b', 'lower-case'], ['张三', 'lower-case'], ['a'.repeat(65), '2–64']])(
    'refuses %j',
    (n, reason) => {
      const errors = checkName(n);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.path).toBe('name');
      expect(errors[0]!.reason).toContain(reason);
    },
  );
  it('names the path it is given (CLI options)', () => {
    expect(checkName('X', '--name')[0]!.path).toBe('--name');
  });
});

describe('checkPassword', () => {
  it('accepts 12 characters or more that are not the name', () => {
    expect(checkPassword('correct horse', 'admin')).toEqual([]);
    expect(checkPassword('医保基金监管很重要的十二个字', 'admin')).toEqual([]);
  });
  it('refuses short passwords, counting characters, not bytes', () => {
    expect(checkPassword('elevenchars', 'admin')[0]!.reason).toMatch(/at least 12/);
    // 11 Chinese characters are 33 UTF-8 bytes, still too short.
    expect(checkPassword('一二三四五六七八九十壹', 'admin')[0]!.reason).toMatch(/at least 12/);
  });
  it('refuses the login name as password, whatever its case', () => {
    expect(checkPassword('supervisor01', 'supervisor01')[0]).toEqual({ path: 'password', reason: 'must not be the login name' });
    expect(checkPassword('SUPERVISOR01', 'supervisor01')[0]!.reason).toBe('must not be the login name');
  });
  it('refuses missing and absurdly long passwords', () => {
    expect(checkPassword(undefined, 'a')[0]!.reason).toBe('is required');
    expect(checkPassword(123456789012, 'a')[0]!.reason).toBe('is required');
    expect(checkPassword('x'.repeat(257), 'a')[0]!.reason).toMatch(/at most 256/);
  });
});

describe('roles and institutions', () => {
  it('knows the five roles', () => {
    expect(checkRole('auditor')).toEqual([]);
    expect(checkRole('public')[0]!.reason).toMatch(/admin, supervisor, inspector, auditor, institution/);
    expect(checkRole(undefined)[0]!.path).toBe('role');
  });
  it('requires an institution code for the institution role and refuses one for the others', () => {
    expect(checkInstitutionForRole('institution', 'H64010500001')).toEqual([]);
    expect(checkInstitutionForRole('institution', undefined)[0]).toEqual({ path: 'institutionCode', reason: 'is required for the institution role' });
    expect(checkInstitutionForRole('institution', 'bad code!')[0]!.reason).toBe('must be an institution code');
    expect(checkInstitutionForRole('supervisor', 'H64010500001')[0]!.reason).toMatch(/must be empty for the supervisor role/);
    expect(checkInstitutionForRole('supervisor', null)).toEqual([]);
  });
});

describe('hashing and secrets', () => {
  it('hashes with argon2id and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(hash).not.toContain('correct horse battery');
    await expect(verifyPassword(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(verifyPassword(hash, 'correct horse batterY')).resolves.toBe(false);
    await expect(verifyPassword('not a hash', 'x')).resolves.toBe(false);
  });
  it('compares secrets exactly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret(undefined, 'abc')).toBe(false);
    expect(sameSecret('', '')).toBe(false);
    expect(sha256Hex('x')).toMatch(/^[0-9a-f]{64}$/);
  });
});
