import { DomainException } from '../../../src/common/domain.exception';
import { formToSubmission, normaliseTrackingCode, parseLevel, parsePayment, parseTipSubmission, validIdNumber } from '../../../src/tips/tips.dto';

/** What the public may send: every problem names its field. */
describe('parsing a tip', () => {
  const base = { institutionName: '某某诊所', category: 'fake_visits', description: '该诊所以体检名义收集参保人医保卡，虚构门诊记录。', anonymous: true, challenge: { token: 't', answer: '3' } };
  const errorsOf = (body: unknown) => {
    try {
      parseTipSubmission(body);
    } catch (e) {
      if (e instanceof DomainException) return e.errors;
      throw e;
    }
    return [];
  };

  it('accepts an anonymous tip and a named one', () => {
    expect(parseTipSubmission(base)).toMatchObject({ anonymous: true, identity: null, institutionCode: null, category: 'fake_visits' });
    const named = parseTipSubmission({ ...base, anonymous: false, institutionCode: 'h64010500001', identity: { name: ' 张晓明 ', phone: '138 0013 8000', idNumber: '11010519491231002x' } });
    expect(named).toMatchObject({ anonymous: false, institutionCode: 'H64010500001', identity: { name: '张晓明', phone: '138 0013 8000', idNumber: '11010519491231002X' } });
  });

  it('requires the institution, a known category, the description (at most 5000 characters) and the choice of anonymity', () => {
    expect(errorsOf({}).map((e) => e.path)).toEqual(['institutionName', 'category', 'description', 'anonymous']);
    expect(errorsOf({ ...base, category: 'speeding' })).toEqual([expect.objectContaining({ path: 'category' })]);
    expect(errorsOf({ ...base, description: '举'.repeat(5001) })).toEqual([{ path: 'description', reason: 'must be at most 5000 characters' }]);
    expect(errorsOf({ ...base, description: '举'.repeat(5000) })).toEqual([]);
  });

  it('refuses identity details on an anonymous tip, and a named tip without name or phone', () => {
    expect(errorsOf({ ...base, identity: { phone: '13800138000' } })).toEqual([expect.objectContaining({ path: 'identity' })]);
    expect(errorsOf({ ...base, anonymous: false, identity: { contact: '某地' } })).toEqual([expect.objectContaining({ path: 'identity' })]);
    expect(errorsOf({ ...base, anonymous: false, identity: { name: '张', idNumber: '110105194912310021' } })).toEqual([expect.objectContaining({ path: 'identity.idNumber' })]);
    expect(errorsOf({ ...base, anonymous: false, identity: { name: '张', email: 'x@y' } })).toEqual([expect.objectContaining({ path: 'identity.email' })]);
    expect(errorsOf({ ...base, anonymous: false, identity: { phone: 'call me' } }).map((e) => e.path)).toEqual(['identity.phone']);
  });

  it('checks when it happened: a month or a date, not in the future', () => {
    expect(parseTipSubmission({ ...base, occurredOn: '2025-11' }).occurredOn).toBe('2025-11');
    expect(parseTipSubmission({ ...base, occurredOn: '2025-11-30' }).occurredOn).toBe('2025-11-30');
    expect(errorsOf({ ...base, occurredOn: '2025-02-30' })).toEqual([expect.objectContaining({ path: 'occurredOn', reason: '2025-02-30 is not a calendar date' })]);
    expect(errorsOf({ ...base, occurredOn: '2999-01' })).toEqual([{ path: 'occurredOn', reason: 'must not be in the future' }]);
  });

  it('checks resident ID numbers by their check character', () => {
    expect(validIdNumber('11010519491231002X')).toBe(true);
    expect(validIdNumber('110105194912310021')).toBe(false);
    expect(validIdNumber('11010519491231002')).toBe(false);
  });

  it('maps the public form\'s flat fields to the API shape', () => {
    const f = formToSubmission({ category: 'drug_resale', institutionName: '某药店', description: 'x', anonymous: 'no', identity_name: '李', identity_phone: '13900000000', challenge_token: 'tok', challenge_answer: '７' });
    expect(parseTipSubmission(f)).toMatchObject({ anonymous: false, identity: { name: '李', phone: '13900000000' }, challenge: { token: 'tok', answer: '７' } });
  });

  it('normalises tracking codes as typed; refuses what cannot be one', () => {
    expect(normaliseTrackingCode('k7qm-2xwe-9tra-v4fe')).toBe('K7QM2XWE9TRAV4FE');
    expect(normaliseTrackingCode('K7QM 2XWE 9TRA V4FO')).toBe('K7QM2XWE9TRAV4F0');
    expect(normaliseTrackingCode('K7QM-2XWE-9TRA')).toBeNull();
    expect(normaliseTrackingCode('K7QM-2XWE-9TRA-V4FU')).toBeNull();
  });

  it('checks the reward level against the policy and the payment date', () => {
    expect(parseLevel({ level: '2' }, 3)).toEqual({ level: 2 });
    expect(() => parseLevel({ level: 4 }, 3)).toThrow(DomainException);
    expect(parsePayment({ paidOn: '2026-01-15' }, new Date('2026-02-01T00:00:00Z'))).toEqual({ paidOn: '2026-01-15' });
    expect(() => parsePayment({ paidOn: '2026-02-15' }, new Date('2026-02-01T00:00:00Z'))).toThrow(DomainException);
    expect(() => parsePayment({ paidOn: '2026-02' }, new Date('2026-03-01T00:00:00Z'))).toThrow(DomainException);
  });
});
