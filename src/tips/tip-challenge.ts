import { createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * The tip form's challenge, without any client script (CSP script-src 'none') and without server
 * state: a small sum in words (七加五等于多少？ / What is seven plus five?) and a token the server
 * signed, carrying a nonce, the expiry and a keyed hash of the answer. Verifying needs only the
 * key; that a nonce answers one tip only is the tip table's unique column.
 */

export const CHALLENGE_TTL_MS = 10 * 60_000;
const CHALLENGE_INFO = 'fundguard/tips/challenge/v1';

export interface Challenge {
  token: string;
  question: { zh: string; en: string };
  expiresAt: Date;
}

export type ChallengeFailure = 'missing' | 'malformed' | 'expired' | 'wrong';

const FAILURE_TEXT: Record<ChallengeFailure, string> = {
  missing: 'is required: answer the question shown with the form (GET /api/public/tips/challenge gives one)',
  malformed: 'is not a challenge this service issued: ask for a new one',
  expired: 'has expired (a challenge is valid for 10 minutes): answer the new question',
  wrong: 'the answer is wrong: answer the new question (in digits)',
};

/** Why a challenge was not passed; the reason is worded for the person filling the form. */
export class ChallengeError extends Error {
  constructor(readonly failure: ChallengeFailure) {
    super(FAILURE_TEXT[failure]);
    this.name = 'ChallengeError';
  }
}

/** The challenge key: derived from the identity key with its own label, so neither reveals the other. */
export function challengeKey(identityKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', identityKey, Buffer.alloc(0), CHALLENGE_INFO, 32));
}

const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const EN_SMALL = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 0–99 in Chinese numerals: 七, 十二, 二十, 三十五. */
export function zhNumber(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new Error(`zhNumber: ${n} is out of 0–99`);
  if (n < 10) return ZH_DIGITS[n]!;
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? '' : ZH_DIGITS[tens]}十${ones ? ZH_DIGITS[ones] : ''}`;
}

/** 0–99 in English words: seven, twelve, twenty, thirty-five. */
export function enNumber(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new Error(`enNumber: ${n} is out of 0–99`);
  if (n < 20) return EN_SMALL[n]!;
  const ones = n % 10;
  return `${EN_TENS[Math.floor(n / 10)]}${ones ? `-${EN_SMALL[ones]}` : ''}`;
}

/** The question and its answer, from a source of random integers (tests pass a fixed one). */
export function challengeQuestion(rand: (min: number, maxExclusive: number) => number = randomInt): { zh: string; en: string; answer: number } {
  const op = rand(0, 3);
  if (op === 0) {
    const a = rand(1, 21);
    const b = rand(1, 21);
    return { zh: `${zhNumber(a)}加${zhNumber(b)}等于多少？`, en: `What is ${enNumber(a)} plus ${enNumber(b)}?`, answer: a + b };
  }
  if (op === 1) {
    const a = rand(10, 31);
    const b = rand(1, a);
    return { zh: `${zhNumber(a)}减${zhNumber(b)}等于多少？`, en: `What is ${enNumber(a)} minus ${enNumber(b)}?`, answer: a - b };
  }
  const a = rand(2, 10);
  const b = rand(2, 10);
  return { zh: `${zhNumber(a)}乘以${zhNumber(b)}等于多少？`, en: `What is ${enNumber(a)} times ${enNumber(b)}?`, answer: a * b };
}

interface TokenPayload {
  v: 1;
  /** nonce, 32 hex characters */
  n: string;
  /** expiry, epoch ms */
  e: number;
  /** keyed hash of the answer */
  h: string;
}

const answerHash = (key: Buffer, nonce: string, answer: number) => createHmac('sha256', key).update(`answer:${nonce}:${answer}`).digest('hex');
const signature = (key: Buffer, payload: string) => createHmac('sha256', key).update(`token:${payload}`).digest();

/** A new challenge, valid for CHALLENGE_TTL_MS from `now`. */
export function newChallenge(key: Buffer, now: Date = new Date(), rand?: (min: number, maxExclusive: number) => number): Challenge {
  const q = challengeQuestion(rand);
  const nonce = randomBytes(16).toString('hex');
  const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
  const payload: TokenPayload = { v: 1, n: nonce, e: expiresAt.getTime(), h: answerHash(key, nonce, q.answer) };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return { token: `${body}.${signature(key, body).toString('base64url')}`, question: { zh: q.zh, en: q.en }, expiresAt };
}

/** Digits as typed on a phone: full-width ones too (１２ → 12); null when it is not a whole number. */
export function normaliseAnswer(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : null;
  if (typeof raw !== 'string') return null;
  const s = raw.replace(/[\uFF10-\uFF19]/g, (c) => String(c.charCodeAt(0) - 0xff10)).replace(/\s+/g, '');
  return /^-?\d{1,4}$/.test(s) ? Number(s) : null;
}

/** Checks the token's signature and expiry and the answer; returns the nonce, or throws a ChallengeError. */
export function verifyChallenge(key: Buffer, token: unknown, answer: unknown, now: Date = new Date()): { nonce: string } {
  if (typeof token !== 'string' || token.trim() === '' || answer === undefined || answer === null || answer === '') throw new ChallengeError('missing');
  const parts = token.trim().split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]{1,400}$/.test(parts[0]!) || !/^[A-Za-z0-9_-]{43}$/.test(parts[1]!)) throw new ChallengeError('malformed');
  const given = Buffer.from(parts[1]!, 'base64url');
  const expected = signature(key, parts[0]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ChallengeError('malformed');
  let payload: TokenPayload;
  try {
    payload = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as TokenPayload;
  } catch {
    throw new ChallengeError('malformed');
  }
  if (payload?.v !== 1 || typeof payload.n !== 'string' || !/^[0-9a-f]{32}$/.test(payload.n) || typeof payload.e !== 'number' || typeof payload.h !== 'string') {
    throw new ChallengeError('malformed');
  }
  if (now.getTime() > payload.e) throw new ChallengeError('expired');
  const n = normaliseAnswer(answer);
  if (n === null) throw new ChallengeError('wrong');
  const a = Buffer.from(answerHash(key, payload.n, n), 'hex');
  const b = Buffer.from(payload.h, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new ChallengeError('wrong');
  return { nonce: payload.n };
}
