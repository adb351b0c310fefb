import { randomBytes } from 'node:crypto';
import { CHALLENGE_TTL_MS, ChallengeError, ChallengeFailure, challengeKey, challengeQuestion, enNumber, newChallenge, normaliseAnswer, verifyChallenge, zhNumber } from '../../../src/tips/tip-challenge';

/** The script-free challenge: a question in words and a signed, expiring token holding a keyed hash of the answer. */
describe('tip challenge', () => {
  const key = challengeKey(randomBytes(32));
  const now = new Date('2026-03-01T08:00:00Z');
  /** A fixed source of "random" numbers: op, a, b. */
  const fixed = (...values: number[]) => {
    let i = 0;
    return (min: number, max: number) => {
      const v = values[i++]!;
      if (v < min || v >= max) throw new Error(`fixed value ${v} outside [${min}, ${max})`);
      return v;
    };
  };
  const failureOf = (fn: () => unknown): ChallengeFailure => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ChallengeError) return e.failure;
      throw e;
    }
    throw new Error('expected a ChallengeError');
  };

  it('writes numbers in Chinese and English words', () => {
    expect([0, 7, 10, 12, 20, 35, 99].map(zhNumber)).toEqual(['零', '七', '十', '十二', '二十', '三十五', '九十九']);
    expect([0, 7, 12, 20, 35].map(enNumber)).toEqual(['zero', 'seven', 'twelve', 'twenty', 'thirty-five']);
  });

  it('asks a sum, a difference or a product in both languages', () => {
    expect(challengeQuestion(fixed(0, 7, 5))).toEqual({ zh: '七加五等于多少？', en: 'What is seven plus five?', answer: 12 });
    expect(challengeQuestion(fixed(1, 23, 8))).toEqual({ zh: '二十三减八等于多少？', en: 'What is twenty-three minus eight?', answer: 15 });
    expect(challengeQuestion(fixed(2, 6, 9))).toEqual({ zh: '六乘以九等于多少？', en: 'What is six times nine?', answer: 54 });
    for (let i = 0; i < 200; i++) expect(challengeQuestion().answer).toBeGreaterThanOrEqual(0);
  });

  it('verifies the right answer and returns the nonce; the token holds neither the answer nor the question', () => {
    const c = newChallenge(key, now, fixed(0, 7, 5));
    expect(c.question.zh).toBe('七加五等于多少？');
    expect(c.expiresAt.getTime() - now.getTime()).toBe(CHALLENGE_TTL_MS);
    const r = verifyChallenge(key, c.token, '12', new Date(now.getTime() + 60_000));
    expect(r.nonce).toMatch(/^[0-9a-f]{32}$/);
    const payload = Buffer.from(c.token.split('.')[0]!, 'base64url').toString('utf8');
    expect(payload).not.toMatch(/"12"|:12[,}]/);
    expect(payload).not.toContain('七');
    // Two challenges never share a nonce.
    expect(verifyChallenge(key, newChallenge(key, now, fixed(0, 7, 5)).token, 12, now).nonce).not.toBe(r.nonce);
  });

  it('accepts digits as typed on a phone (full-width, spaces) and refuses words or fractions', () => {
    expect(normaliseAnswer('１２')).toBe(12);
    expect(normaliseAnswer(' 1 2 ')).toBe(12);
    expect(normaliseAnswer(12)).toBe(12);
    expect(normaliseAnswer('十二')).toBeNull();
    expect(normaliseAnswer('12.5')).toBeNull();
    const c = newChallenge(key, now, fixed(0, 7, 5));
    expect(verifyChallenge(key, c.token, '１２', now).nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(failureOf(() => verifyChallenge(key, c.token, '十二', now))).toBe('wrong');
  });

  it('refuses a wrong answer', () => {
    const c = newChallenge(key, now, fixed(0, 7, 5));
    expect(failureOf(() => verifyChallenge(key, c.token, '13', now))).toBe('wrong');
    expect(failureOf(() => verifyChallenge(key, c.token, '-12', now))).toBe('wrong');
  });

  it('refuses an expired token (after 10 minutes), even with the right answer', () => {
    const c = newChallenge(key, now, fixed(0, 7, 5));
    expect(verifyChallenge(key, c.token, '12', new Date(now.getTime() + CHALLENGE_TTL_MS)).nonce).toBeDefined();
    expect(failureOf(() => verifyChallenge(key, c.token, '12', new Date(now.getTime() + CHALLENGE_TTL_MS + 1)))).toBe('expired');
  });

  it('refuses a token signed by another key, an altered payload (a later expiry) and garbage', () => {
    const c = newChallenge(key, now, fixed(0, 7, 5));
    const otherKey = challengeKey(randomBytes(32));
    expect(failureOf(() => verifyChallenge(otherKey, c.token, '12', now))).toBe('malformed');
    const [body, sig] = c.token.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const later = Buffer.from(JSON.stringify({ ...payload, e: payload.e + 86_400_000 })).toString('base64url');
    expect(failureOf(() => verifyChallenge(key, `${later}.${sig}`, '12', now))).toBe('malformed');
    for (const t of ['x', 'a.b', `${body}.`, `${body}.${sig}.x`]) expect(failureOf(() => verifyChallenge(key, t, '12', now))).toBe('malformed');
    expect(failureOf(() => verifyChallenge(key, undefined, '12', now))).toBe('missing');
    expect(failureOf(() => verifyChallenge(key, c.token, '', now))).toBe('missing');
  });

  it('derives its key from the identity key with its own label (neither equals the other)', () => {
    const identityKey = randomBytes(32);
    const k = challengeKey(identityKey);
    expect(k).toHaveLength(32);
    expect(k.equals(identityKey)).toBe(false);
    expect(challengeKey(identityKey).equals(k)).toBe(true);
  });
});
