import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The tipster's identity at rest: JSON sealed with AES-256-GCM under the configured key
 * (TIP_IDENTITY_KEY), a random 12-byte IV per tip, and the tip's id as additional authenticated
 * data, so a ciphertext copied to another tip's row does not open. Stored as iv | tag | ciphertext,
 * with the key id (first 16 hex characters of sha256(key)) beside it so a wrong key is named as such.
 */

export interface TipIdentity {
  name?: string;
  phone?: string;
  /** 居民身份证号码 */
  idNumber?: string;
  /** Address or other contact (e-mail, messaging account). */
  contact?: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why a stored identity does not open. */
export class TipIdentityError extends Error {
  constructor(
    readonly reason: 'wrong-key' | 'tampered' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'TipIdentityError';
  }
}

/** The id of a key: first 16 hex characters of its sha256 (reveals nothing usable about the key). */
export function identityKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new Error(`the tip identity key must be 32 bytes, not ${key.length}`);
}

/** Seals an identity for the tip `tipId`: iv | tag | ciphertext. */
export function encryptIdentity(identity: TipIdentity, key: Buffer, tipId: string): Buffer {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(tipId, 'utf8'));
  const ct = Buffer.concat([cipher.update(JSON.stringify(identity), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

/**
 * Opens a stored identity. A key id other than the configured key's is reported as a wrong key
 * (naming both ids); a failed authentication (altered bytes, another tip's ciphertext) as tampered.
 */
export function decryptIdentity(sealed: Buffer, key: Buffer, storedKeyId: string, tipId: string): TipIdentity {
  checkKey(key);
  const current = identityKeyId(key);
  if (storedKeyId !== current) {
    throw new TipIdentityError('wrong-key', `the identity was encrypted with key ${storedKeyId}, but the configured TIP_IDENTITY_KEY is key ${current}`);
  }
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new TipIdentityError('malformed', 'the stored identity is too short to be a ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(tipId, 'utf8'));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  let text: string;
  try {
    text = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new TipIdentityError('tampered', 'the stored identity does not authenticate: it was altered, or belongs to another tip');
  }
  return JSON.parse(text) as TipIdentity;
}
