import { randomBytes, randomUUID } from 'node:crypto';
import { decryptIdentity, encryptIdentity, identityKeyId, TipIdentity, TipIdentityError } from '../../../src/tips/tip-identity';

/** The tipster's identity at rest: AES-256-GCM under the configured key, bound to its tip by the AAD. */
describe('tip identity encryption', () => {
  const key = randomBytes(32);
  const tipId = randomUUID();
  const identity: TipIdentity = { name: '张晓明', phone: '13800138000', idNumber: '11010519491231002X', contact: '银川市兴庆区解放西街 1 号' };

  const failure = (fn: () => unknown): TipIdentityError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof TipIdentityError) return e;
      throw e;
    }
    throw new Error('expected a TipIdentityError');
  };

  it('round-trips, and the stored bytes (iv | tag | ciphertext) contain none of the plaintext', () => {
    const sealed = encryptIdentity(identity, key, tipId);
    expect(decryptIdentity(sealed, key, identityKeyId(key), tipId)).toEqual(identity);
    const raw = sealed.toString('latin1');
    const utf8 = sealed.toString('utf8');
    for (const v of Object.values(identity) as string[]) {
      expect(utf8).not.toContain(v);
      expect(raw).not.toContain(Buffer.from(v, 'utf8').toString('latin1'));
    }
    expect(sealed.length).toBe(12 + 16 + Buffer.byteLength(JSON.stringify(identity)));
  });

  it('uses a fresh IV every time: the same identity seals to different bytes', () => {
    const a = encryptIdentity(identity, key, tipId);
    const b = encryptIdentity(identity, key, tipId);
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('names a wrong key by both key ids', () => {
    const sealed = encryptIdentity(identity, key, tipId);
    const other = randomBytes(32);
    const e = failure(() => decryptIdentity(sealed, other, identityKeyId(key), tipId));
    expect(e.reason).toBe('wrong-key');
    expect(e.message).toContain(identityKeyId(key));
    expect(e.message).toContain(identityKeyId(other));
    // Even when the stored key id is (wrongly) the configured key's, the wrong key does not open it.
    expect(failure(() => decryptIdentity(sealed, other, identityKeyId(other), tipId)).reason).toBe('tampered');
  });

  it('refuses a tampered ciphertext, a tampered tag and a truncated value', () => {
    const sealed = encryptIdentity(identity, key, tipId);
    for (const at of [0, 12, 28, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = bad[at]! ^ 0x01;
      expect(failure(() => decryptIdentity(bad, key, identityKeyId(key), tipId)).reason).toBe('tampered');
    }
    expect(failure(() => decryptIdentity(sealed.subarray(0, 20), key, identityKeyId(key), tipId)).reason).toBe('malformed');
  });

  it('refuses a ciphertext moved to another tip (the tip id is the AAD)', () => {
    const sealed = encryptIdentity(identity, key, tipId);
    const e = failure(() => decryptIdentity(sealed, key, identityKeyId(key), randomUUID()));
    expect(e.reason).toBe('tampered');
    expect(e.message).toMatch(/another tip/);
  });

  it('key ids are the first 16 hex characters of sha256(key)', () => {
    expect(identityKeyId(Buffer.alloc(32, 0))).toBe('66687aadf862bd77');
    expect(() => encryptIdentity(identity, randomBytes(16), tipId)).toThrow(/32 bytes/);
  });
});
