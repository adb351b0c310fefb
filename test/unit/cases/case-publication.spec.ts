import { DomainErrorCode, DomainException } from '../../../src/common/domain.exception';
import {
  CaseIdentifiers,
  identifierProblems,
  legalBasisText,
  localDateOf,
  parsePublication,
  parseWithdrawal,
  publicationRefusal,
  suggestSummary,
  SUMMARY_MAX,
} from '../../../src/cases/case-publication.service';
import { CASE_STATUSES, CaseStatus } from '../../../src/cases/case-workflow';
import { patientPseudonym } from '../../../src/cases/pseudonym';

/** 曝光台: the pure pieces — legal basis texts, summary validation, the identifier screen, eligibility, the final date. */

const fieldErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainException);
    expect((e as DomainException).code).toBe(DomainErrorCode.InvalidInput);
    return (e as DomainException).errors;
  }
  throw new Error('expected a DomainException');
};

describe('legal basis text per article of 条例 (Decree 735)', () => {
  it('names the regulation and the article in both languages', () => {
    expect(legalBasisText('38')).toEqual({
      zh: '《医疗保障基金使用监督管理条例》第三十八条',
      en: 'Article 38 of the Regulations on the Supervision and Administration of the Use of Medical Security Funds',
    });
    expect(legalBasisText('40')).toEqual({
      zh: '《医疗保障基金使用监督管理条例》第四十条',
      en: 'Article 40 of the Regulations on the Supervision and Administration of the Use of Medical Security Funds',
    });
  });
  it('refuses an article it has no text for', () => {
    expect(() => legalBasisText('39' as never)).toThrow(RangeError);
  });
});

describe('summary validation (400 naming the field)', () => {
  it('requires summaryZh, trims, and keeps summaryEn optional', () => {
    expect(parsePublication({ summaryZh: '  经查，该机构存在超限价收费行为。 ' })).toEqual({ summaryZh: '经查，该机构存在超限价收费行为。', summaryEn: null });
    expect(parsePublication({ summaryZh: '甲', summaryEn: ' Overcharging. ', _csrf: 'ignored' })).toEqual({ summaryZh: '甲', summaryEn: 'Overcharging.' });
    expect(fieldErrors(() => parsePublication({}))).toEqual([{ path: 'summaryZh', reason: expect.stringMatching(/^is required/) }]);
    expect(fieldErrors(() => parsePublication({ summaryZh: '   ' }))).toEqual([{ path: 'summaryZh', reason: expect.stringMatching(/^is required/) }]);
    expect(fieldErrors(() => parsePublication(undefined))).toEqual([{ path: 'summaryZh', reason: expect.stringMatching(/^is required/) }]);
  });
  it('counts characters as people do: 1000 CJK characters pass, 1001 do not; both fields are named', () => {
    expect(parsePublication({ summaryZh: '违'.repeat(SUMMARY_MAX) }).summaryZh).toHaveLength(SUMMARY_MAX);
    // An astral character is one character, two UTF-16 units.
    expect(parsePublication({ summaryZh: '𠀀'.repeat(SUMMARY_MAX) }).summaryZh).toHaveLength(SUMMARY_MAX * 2);
    expect(fieldErrors(() => parsePublication({ summaryZh: '违'.repeat(SUMMARY_MAX + 1), summaryEn: 'x'.repeat(SUMMARY_MAX + 5) }))).toEqual([
      { path: 'summaryZh', reason: 'must be at most 1000 characters (it has 1001)' },
      { path: 'summaryEn', reason: 'must be at most 1000 characters (it has 1005)' },
    ]);
  });
  it('refuses what is not text, and a body that is not an object', () => {
    expect(fieldErrors(() => parsePublication({ summaryZh: 12, summaryEn: ['a'] }))).toEqual([
      { path: 'summaryZh', reason: 'must be text' },
      { path: 'summaryEn', reason: 'must be text' },
    ]);
    expect(fieldErrors(() => parsePublication('text'))).toEqual([{ path: 'body', reason: 'must be an object' }]);
  });
  it('a withdrawal needs a reason', () => {
    expect(parseWithdrawal({ reason: ' 决定被行政复议撤销 ' })).toEqual({ reason: '决定被行政复议撤销' });
    expect(fieldErrors(() => parseWithdrawal({ reason: '' }))).toEqual([{ path: 'reason', reason: expect.stringMatching(/^is required/) }]);
  });
});

describe('the identifier screen of a public summary', () => {
  const ids: CaseIdentifiers = {
    patientKeys: ['0123456789abcdef0123456789abcdef'],
    claimIds: ['C202405000123'],
    physicianCodes: ['D640105000042'],
    physicianNames: ['李明华'],
  };
  it('passes a plain description with amounts and the institution', () => {
    expect(identifierProblems('经查，H64010500001 医院存在超限价收费行为，涉及金额 12,345.67 元，2024 年 5 月。', ids)).toEqual([]);
  });
  it.each([
    ['患者 0123456789ABCDEF0123456789ABCDEF 的费用', 'contains a patient key'],
    ['另一位参保人 fedcba9876543210fedcba9876543210', 'contains a patient key'],
    [`参保人 ${patientPseudonym('0123456789abcdef0123456789abcdef')} 多次住院`, 'contains a patient pseudonym'],
    ['单据 C202405000123 重复收费', 'contains a claim id of the case'],
    ['医师 D640105000042 开具', 'contains a physician code of the case'],
    ['由李明华医师开具', 'contains the name of a physician of the case'],
    ['身份证号 64010519800101123X', 'contains what looks like an ID-card number'],
    ['联系电话13912345678', 'contains what looks like a mobile phone number'],
  ])('%s → %s', (text, problem) => {
    expect(identifierProblems(text, ids)).toContain(problem);
  });
  it('ignores identifiers too short to search for', () => {
    expect(identifierProblems('金额 123 元，王', { patientKeys: [], claimIds: ['123'], physicianCodes: ['12'], physicianNames: ['王'] })).toEqual([]);
  });
});

describe('which cases may be published', () => {
  const finalAt = new Date('2025-03-01T02:00:00Z');
  it.each(CASE_STATUSES.filter((s) => s !== 'final' && s !== 'closed'))('%s: refused, naming the status', (status) => {
    expect(publicationRefusal({ number: 'AJ-2025-000001', status: status as CaseStatus, finalAt: null }, { id: 'd' }, null)).toBe(
      `case AJ-2025-000001 is ${status}; only a case whose violation decision is final (status final or closed) can be published`,
    );
  });
  it('final or closed with a decision in force: allowed', () => {
    expect(publicationRefusal({ number: 'AJ-2025-000001', status: 'final', finalAt }, { id: 'd' }, null)).toBeNull();
    expect(publicationRefusal({ number: 'AJ-2025-000001', status: 'closed', finalAt }, { id: 'd' }, 'upheld')).toBeNull();
    expect(publicationRefusal({ number: 'AJ-2025-000001', status: 'closed', finalAt }, { id: 'd' }, 'amended')).toBeNull();
  });
  it('closed after a dismissal, overturned on appeal, or without a decision: refused', () => {
    expect(publicationRefusal({ number: 'AJ-2025-000002', status: 'closed', finalAt: null }, null, null)).toMatch(/^case AJ-2025-000002 is closed without a final violation decision \(it was dismissed\)/);
    expect(publicationRefusal({ number: 'AJ-2025-000002', status: 'closed', finalAt }, { id: 'd' }, 'overturned')).toMatch(/overturned on appeal/);
    expect(publicationRefusal({ number: 'AJ-2025-000002', status: 'final', finalAt }, null, null)).toMatch(/no decision in force/);
  });
});

describe('the first draft of a summary', () => {
  it('builds on the confirmed categories and the violation type', () => {
    expect(suggestSummary('zh', '超标准收费', ['超限价', '重复收费', '超限价'])).toBe('经查，该机构存在超限价、重复收费等超标准收费行为。');
    expect(suggestSummary('zh', null, ['分解住院'])).toBe('经查，该机构存在分解住院等违规使用医保基金行为。');
    expect(suggestSummary('zh', '虚构医疗服务', [])).toBe('经查，该机构存在虚构医疗服务行为。');
    expect(suggestSummary('zh', ' ', [])).toBe('');
    expect(suggestSummary('en', '超标准收费', ['Price above the ceiling', 'Duplicate charging'])).toBe(
      'The institution was found to have misused medical insurance funds: Price above the ceiling; Duplicate charging.',
    );
    expect(suggestSummary('en', 'Phantom services', [])).toBe('The institution was found to have misused medical insurance funds: Phantom services.');
    expect(suggestSummary('en', '虚构医疗服务', [])).toBe('');
  });
});

describe('the date a decision became final', () => {
  it('is the calendar date in Asia/Shanghai', () => {
    expect(localDateOf(new Date('2025-03-01T15:59:59Z'))).toBe('2025-03-01');
    expect(localDateOf(new Date('2025-03-01T16:00:00Z'))).toBe('2025-03-02');
    expect(localDateOf(new Date('2024-12-31T16:30:00Z'))).toBe('2025-01-01');
  });
});
