import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { mayRead } from '../accounts/institution-scope';
import { Actor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { isUuid } from '../common/query';
import { CasePublication } from './case-publication.entity';
import { CaseStatus } from './case-workflow';
import { AppealOutcome } from './case-workflow';
import { CaseDecision, SupervisionCase } from './case.entities';
import { Acting } from './cases.service';
import { fenOf, yuanText } from './money';
import { patientPseudonym } from './pseudonym';
import { AGREEMENT_ACTION_ZH, AgreementAction, LegalArticle } from './penalties';

/**
 * 曝光台 (exposure of typical cases): a supervisor marks a case whose violation decision is final for
 * publication, with the behaviour in plain words; the public read model shows only what the bureau
 * would print in a bulletin — date, institution, behaviour, legal basis, amounts, outcome — and
 * nothing about patients, claims, physicians or the bureau's internal notes.
 */

/** The bureau's zone: the date a decision became final is a calendar date there. */
export const PUBLICATION_TIME_ZONE = 'Asia/Shanghai';
export const SUMMARY_MAX = 1000;
export const WITHDRAW_REASON_MAX = 2000;

/** Statuses in which a case may be (and stay) published. */
export const PUBLISHABLE_STATUSES: readonly CaseStatus[] = ['final', 'closed'];

const CASE_NUMBER = /^AJ-\d{4}-\d{6,}$/;

// -------------------------------------------------------------------------------------------------
// Pure pieces

const ARTICLE_NUMERAL_ZH: Readonly<Record<LegalArticle, string>> = { '38': '三十八', '40': '四十' };

/** 《医疗保障基金使用监督管理条例》 (State Council Decree 735), as the public reads it. */
export const REGULATION_ZH = '《医疗保障基金使用监督管理条例》';
export const REGULATION_EN = 'the Regulations on the Supervision and Administration of the Use of Medical Security Funds';

/** The legal basis of a decision under `article`, in both languages. */
export function legalBasisText(article: LegalArticle): { zh: string; en: string } {
  const numeral = ARTICLE_NUMERAL_ZH[article];
  if (!numeral) throw new RangeError(`no legal basis text for article ${String(article)}`);
  return { zh: `${REGULATION_ZH}第${numeral}条`, en: `Article ${article} of ${REGULATION_EN}` };
}

/** What a supervisor submits to mark a case. */
export interface PublicationInput {
  summaryZh: string;
  summaryEn: string | null;
}

const invalid = (message: string, errors: FieldError[]) => new DomainException(DomainErrorCode.InvalidInput, message, errors);

function textField(o: Record<string, unknown>, key: string, max: number, required: string | null, errors: FieldError[]): string | null {
  const v = o[key];
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    if (required) errors.push({ path: key, reason: required });
    return null;
  }
  if (typeof v !== 'string') {
    errors.push({ path: key, reason: 'must be text' });
    return null;
  }
  const t = v.trim();
  // Characters as people count them (a CJK character is one), not UTF-16 units.
  const n = [...t].length;
  if (n > max) errors.push({ path: key, reason: `must be at most ${max} characters (it has ${n})` });
  return t;
}

const asObject = (body: unknown): Record<string, unknown> => {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object', [{ path: 'body', reason: 'must be an object' }]);
  return body as Record<string, unknown>;
};

/** The summaries of a marking: summaryZh required, both at most SUMMARY_MAX characters; every bad field named. */
export function parsePublication(body: unknown): PublicationInput {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const summaryZh = textField(o, 'summaryZh', SUMMARY_MAX, 'is required: the behaviour in plain words for the public', errors);
  const summaryEn = textField(o, 'summaryEn', SUMMARY_MAX, null, errors);
  if (errors.length) throw invalid('invalid publication', errors);
  return { summaryZh: summaryZh!, summaryEn };
}

/** A withdrawal's reason (required). */
export function parseWithdrawal(body: unknown): { reason: string } {
  const errors: FieldError[] = [];
  const reason = textField(asObject(body), 'reason', WITHDRAW_REASON_MAX, 'is required: say why the case is taken off the exposure list', errors);
  if (errors.length) throw invalid('invalid withdrawal', errors);
  return { reason: reason! };
}

/** What must never appear in a public summary: the identifiers of the case's people and claims. */
export interface CaseIdentifiers {
  patientKeys: string[];
  claimIds: string[];
  physicianCodes: string[];
  physicianNames: string[];
}

const ID_CARD = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/;
const MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;
const KEY_LIKE = /(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])/i;
const PSEUDONYM = /\bP-[0-9a-f]{6}\b/;

/**
 * Why a summary would identify a person or a claim (empty when it does not): one of the case's
 * patient keys or their pseudonyms, claim ids, physician codes or names, or anything shaped like an
 * ID-card number, a mobile number or a patient key. Short identifiers (< 4 characters, < 2 for
 * names) are not searched: they would match ordinary words and amounts.
 */
export function identifierProblems(text: string, ids: CaseIdentifiers): string[] {
  const problems: string[] = [];
  const lower = text.toLowerCase();
  const has = (xs: string[], min: number) => xs.some((x) => x && x.trim().length >= min && lower.includes(x.trim().toLowerCase()));
  if (has(ids.patientKeys, 4) || KEY_LIKE.test(text)) problems.push('contains a patient key');
  if (has(ids.patientKeys.map(patientPseudonym), 4) || PSEUDONYM.test(text)) problems.push('contains a patient pseudonym');
  if (has(ids.claimIds, 4)) problems.push('contains a claim id of the case');
  if (has(ids.physicianCodes, 4)) problems.push('contains a physician code of the case');
  if (has(ids.physicianNames, 2)) problems.push('contains the name of a physician of the case');
  if (ID_CARD.test(text)) problems.push('contains what looks like an ID-card number');
  if (MOBILE.test(text)) problems.push('contains what looks like a mobile phone number');
  return problems;
}

/** A first draft of the public summary from the decision's violation type and the confirmed categories' labels. */
export function suggestSummary(lang: 'zh' | 'en', violationType: string | null, categoryLabels: string[]): string {
  const labels = [...new Set(categoryLabels.map((l) => l.trim()).filter(Boolean))];
  const vt = violationType?.trim() || null;
  if (lang === 'zh') {
    if (!vt && !labels.length) return '';
    const what = labels.length ? `${labels.join('、')}等` : '';
    return `经查，该机构存在${what}${vt ? `${vt}` : '违规使用医保基金'}行为。`;
  }
  // A violation type typed in Chinese stays out of the English draft.
  const vtEn = vt && !/[\u3400-\u9fff]/.test(vt) ? vt : null;
  const what = [...labels, ...(vtEn ? [vtEn] : [])];
  return what.length ? `The institution was found to have misused medical insurance funds: ${what.join('; ')}.` : '';
}

/** Why a case cannot be published now (null when it can): the status, or the decision that is not in force. */
export function publicationRefusal(
  c: { number: string; status: CaseStatus; finalAt: Date | null },
  decision: { id: string } | null,
  lastAppealOutcome: AppealOutcome | null,
): string | null {
  if (!PUBLISHABLE_STATUSES.includes(c.status)) {
    return `case ${c.number} is ${c.status}; only a case whose violation decision is final (status final or closed) can be published`;
  }
  if (!c.finalAt) return `case ${c.number} is ${c.status} without a final violation decision (it was dismissed); nothing to publish`;
  if (lastAppealOutcome === 'overturned') return `case ${c.number} is ${c.status}: its decision was overturned on appeal; nothing to publish`;
  if (!decision) return `case ${c.number} is ${c.status} but has no decision in force; nothing to publish`;
  return null;
}

/** The calendar date of an instant in `timeZone` (YYYY-MM-DD). */
export function localDateOf(at: Date, timeZone = PUBLICATION_TIME_ZONE): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

// -------------------------------------------------------------------------------------------------
// The public read model

/** One exposed case as the public reads it: no patient, claim, physician or internal note. */
export interface PublishedCase {
  caseNumber: string;
  /** The date the decision became final (Asia/Shanghai). */
  finalOn: string;
  institution: { code: string; name: string | null; kind: string | null; level: number | null; region: string | null };
  behaviour: {
    /** 违规类型 as the decision names it. */
    violationType: string;
    /** The confirmed findings' categories (codes), distinct, sorted. */
    categories: string[];
    summaryZh: string;
    summaryEn: string | null;
  };
  legalBasis: {
    article: LegalArticle;
    /** The clause as the decision cites it, e.g. 第三十八条第（五）项. */
    clause: string | null;
    text: { zh: string; en: string };
  };
  /** Yuan with two decimals, exact. */
  amounts: { refund: string; fine: string };
  outcome: {
    /** The fine as a multiple of the amount to refund, e.g. "1.50". */
    fineMultiple: string;
    /** 0 = no suspension. */
    suspensionMonths: number;
    agreementAction: AgreementAction;
    agreementActionZh: string;
    agreementTerminated: boolean;
    /** The appeal's outcome when the institution appealed (upheld, amended), else null. */
    appeal: 'upheld' | 'amended' | null;
  };
  markedAt: Date;
}

export interface PublishedFilter {
  /** Decisions final at or after this instant. */
  from?: Date;
  /** Decisions final at or before this instant. */
  until?: Date;
  institutionCode?: string;
}

interface PublishedRow {
  case_id: string;
  number: string;
  final_at: Date;
  summary_zh: string;
  summary_en: string | null;
  marked_at: Date;
  institution_code: string;
  institution_name: string | null;
  institution_kind: string | null;
  institution_level: number | null;
  institution_region: string | null;
  violation_type: string;
  article: LegalArticle;
  clause_text: string | null;
  amount_to_recover: string;
  fine_multiple: string;
  fine_amount: string;
  suspension_months: number;
  agreement_action: AgreementAction;
  categories: string[] | null;
  appeal_outcome: AppealOutcome | null;
}

function publishedOf(r: PublishedRow): PublishedCase {
  return {
    caseNumber: r.number,
    finalOn: localDateOf(r.final_at),
    institution: { code: r.institution_code, name: r.institution_name, kind: r.institution_kind, level: r.institution_level, region: r.institution_region?.trim() ?? null },
    behaviour: { violationType: r.violation_type, categories: r.categories ?? [], summaryZh: r.summary_zh, summaryEn: r.summary_en },
    legalBasis: { article: r.article, clause: r.clause_text, text: legalBasisText(r.article) },
    amounts: { refund: yuanText(fenOf(r.amount_to_recover)), fine: yuanText(fenOf(r.fine_amount)) },
    outcome: {
      fineMultiple: r.fine_multiple,
      suspensionMonths: r.suspension_months,
      agreementAction: r.agreement_action,
      agreementActionZh: AGREEMENT_ACTION_ZH[r.agreement_action] ?? r.agreement_action,
      agreementTerminated: r.agreement_action === 'terminate',
      appeal: r.appeal_outcome === 'upheld' || r.appeal_outcome === 'amended' ? r.appeal_outcome : null,
    },
    markedAt: r.marked_at,
  };
}

/** A case's marking as staff see it. */
export interface PublicationRecord {
  state: 'published' | 'withdrawn';
  summaryZh: string;
  summaryEn: string | null;
  markedBy: string | null;
  markedByName: string;
  markedAt: Date;
  withdrawnAt: Date | null;
  withdrawnBy: string | null;
  withdrawnByName: string | null;
  withdrawReason: string | null;
}

/** GET /api/cases/:id/publication: may it be published, is it marked, and what the public reads now. */
export interface CasePublicationView {
  caseId: string;
  caseNumber: string;
  status: CaseStatus;
  /** Null when the case may be marked now; else why not (naming the status). */
  refusal: string | null;
  publication: PublicationRecord | null;
  /** Exactly the row listPublished shows for this case now, or null when it shows none. */
  listed: PublishedCase | null;
  /** For the summary's first draft. */
  violationType: string | null;
  confirmedCategories: string[];
}

const SUPERVISING: readonly string[] = ['supervisor', 'admin'];

/** 曝光台: marks final violation cases for publication, withdraws them, and serves the public-safe read model. */
@Injectable()
export class CasePublicationService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** A case by id or number, or 404 (also for an institution login asking for another institution's case). */
  private async load(m: EntityManager, ref: string, actor: Actor | undefined, lock: boolean): Promise<SupervisionCase> {
    const where = isUuid(ref) ? { id: ref.toLowerCase() } : CASE_NUMBER.test(ref) ? { number: ref } : null;
    if (!where) throw invalid('invalid case id', [{ path: 'id', reason: 'must be a case id (UUID) or number (AJ-YYYY-NNNNNN)' }]);
    const c = await m.getRepository(SupervisionCase).findOne({ where, lock: lock ? { mode: 'pessimistic_write' } : undefined });
    if (!c || !mayRead(actor, c.institutionCode)) throw new DomainException(DomainErrorCode.NotFound, `case ${ref} does not exist`);
    return c;
  }

  private async decisionInForce(m: EntityManager, caseId: string): Promise<CaseDecision | null> {
    return m.getRepository(CaseDecision).findOne({ where: { caseId, supersededBy: IsNull() }, order: { decidedAt: 'DESC' } });
  }

  private async lastAppealOutcome(m: EntityManager, caseId: string): Promise<AppealOutcome | null> {
    const [a] = (await m.query(`SELECT outcome FROM case_appeal WHERE case_id = $1 AND outcome IS NOT NULL ORDER BY decided_at DESC LIMIT 1`, [caseId])) as { outcome: AppealOutcome }[];
    return a?.outcome ?? null;
  }

  private async refusal(m: EntityManager, c: SupervisionCase): Promise<{ refusal: string | null; decision: CaseDecision | null }> {
    const decision = await this.decisionInForce(m, c.id);
    return { refusal: publicationRefusal(c, decision, await this.lastAppealOutcome(m, c.id)), decision };
  }

  /** The patient keys, claim ids and physicians of the case (its findings' claims, and the responsible physician). */
  private async identifiers(m: EntityManager, caseId: string, decision: CaseDecision | null): Promise<CaseIdentifiers> {
    const rows = (await m.query(
      `SELECT cl.patient_key, cl.claim_id, cl.physician_code, f.related_claim_id, f.physician_code AS finding_physician
       FROM case_finding cf JOIN finding f ON f.id = cf.finding_id LEFT JOIN claim cl ON cl.id = f.claim_pk
       WHERE cf.case_id = $1`,
      [caseId],
    )) as { patient_key: string | null; claim_id: string | null; physician_code: string | null; related_claim_id: string | null; finding_physician: string | null }[];
    const uniq = (xs: (string | null | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x && !!x.trim()).map((x) => x.trim()))];
    const physicianCodes = uniq([...rows.map((r) => r.physician_code), ...rows.map((r) => r.finding_physician), decision?.responsiblePhysicianCode]);
    const names = physicianCodes.length ? ((await m.query(`SELECT name FROM physician WHERE code = ANY($1::text[])`, [physicianCodes])) as { name: string }[]) : [];
    return {
      patientKeys: uniq(rows.map((r) => r.patient_key)),
      claimIds: uniq([...rows.map((r) => r.claim_id), ...rows.map((r) => r.related_claim_id)]),
      physicianCodes,
      physicianNames: uniq(names.map((n) => n.name)),
    };
  }

  private record(p: CasePublication): PublicationRecord {
    return {
      state: p.withdrawnAt ? 'withdrawn' : 'published',
      summaryZh: p.summaryZh,
      summaryEn: p.summaryEn,
      markedBy: p.markedBy,
      markedByName: p.markedByName,
      markedAt: p.markedAt,
      withdrawnAt: p.withdrawnAt,
      withdrawnBy: p.withdrawnBy,
      withdrawnByName: p.withdrawnByName,
      withdrawReason: p.withdrawReason,
    };
  }

  private snapshot(caseNumber: string, p: CasePublication) {
    return {
      caseNumber,
      state: p.withdrawnAt ? 'withdrawn' : 'published',
      summaryZh: p.summaryZh,
      summaryEn: p.summaryEn,
      markedAt: p.markedAt,
      markedBy: p.markedBy,
      withdrawnAt: p.withdrawnAt,
      withdrawReason: p.withdrawReason,
    };
  }

  private requireSupervising(actor: Actor, what: string): void {
    if (!SUPERVISING.includes(actor.role)) throw new DomainException(DomainErrorCode.Forbidden, `${actor.role} may not ${what}; it takes a supervisor or admin`);
  }

  /**
   * Marks a case for publication (or replaces the summary of a marked or withdrawn one): only a final
   * or closed case whose violation decision is in force (409 naming the status otherwise); the
   * summaries are checked (400 naming the field), also against the case's own identifiers. Audited
   * with before and after in the same transaction. Marking again with the same text changes nothing.
   */
  async mark(ref: string, input: PublicationInput, by: Acting): Promise<string> {
    this.requireSupervising(by.actor, 'mark a case for publication');
    const clean = parsePublication(input);
    return this.ds.transaction(async (m) => {
      const c = await this.load(m, ref, by.actor, true);
      const { refusal, decision } = await this.refusal(m, c);
      if (refusal) throw new DomainException(DomainErrorCode.Conflict, refusal);
      const ids = await this.identifiers(m, c.id, decision);
      const errors: FieldError[] = [];
      for (const [path, text] of [['summaryZh', clean.summaryZh], ['summaryEn', clean.summaryEn]] as const) {
        if (text) for (const reason of identifierProblems(text, ids)) errors.push({ path, reason: `must not identify a patient, claim or physician: ${reason}` });
      }
      if (errors.length) throw invalid(`the summary of case ${c.number} would identify a person or a claim`, errors);

      const repo = m.getRepository(CasePublication);
      const existing = await repo.findOne({ where: { caseId: c.id }, lock: { mode: 'pessimistic_write' } });
      if (existing && !existing.withdrawnAt && existing.summaryZh === clean.summaryZh && existing.summaryEn === clean.summaryEn) return c.id;
      const before = existing ? this.snapshot(c.number, existing) : undefined;
      const now = new Date();
      const p = existing ?? repo.create({ caseId: c.id });
      Object.assign(p, {
        summaryZh: clean.summaryZh,
        summaryEn: clean.summaryEn,
        markedBy: by.actor.userId,
        markedByName: by.actor.name,
        markedAt: now,
        withdrawnAt: null,
        withdrawnBy: null,
        withdrawnByName: null,
        withdrawReason: null,
      });
      await repo.save(p);
      await this.audit.record(m, { actor: by.actor, action: 'case.publication.mark', entityType: 'case', entityId: c.id, before, after: this.snapshot(c.number, p), ip: by.ip });
      return c.id;
    });
  }

  /** Takes a marked case off the exposure list (reason required; 409 when it is not marked or already withdrawn); audited. */
  async withdraw(ref: string, input: { reason: string }, by: Acting): Promise<string> {
    this.requireSupervising(by.actor, 'withdraw a publication');
    const { reason } = parseWithdrawal(input);
    return this.ds.transaction(async (m) => {
      const c = await this.load(m, ref, by.actor, true);
      const repo = m.getRepository(CasePublication);
      const p = await repo.findOne({ where: { caseId: c.id }, lock: { mode: 'pessimistic_write' } });
      if (!p) throw new DomainException(DomainErrorCode.Conflict, `case ${c.number} is not marked for publication; nothing to withdraw`);
      if (p.withdrawnAt) throw new DomainException(DomainErrorCode.Conflict, `the publication of case ${c.number} is already withdrawn (on ${localDateOf(p.withdrawnAt)})`);
      const before = this.snapshot(c.number, p);
      p.withdrawnAt = new Date();
      p.withdrawnBy = by.actor.userId;
      p.withdrawnByName = by.actor.name;
      p.withdrawReason = reason;
      await repo.save(p);
      await this.audit.record(m, { actor: by.actor, action: 'case.publication.withdraw', entityType: 'case', entityId: c.id, before, after: this.snapshot(c.number, p), ip: by.ip });
      return c.id;
    });
  }

  /** A case's publication state for staff: whether it may be marked, its marking, and the public row it yields now. */
  async forCase(ref: string, actor: Actor): Promise<CasePublicationView> {
    const m = this.ds.manager;
    const c = await this.load(m, ref, actor, false);
    const { refusal, decision } = await this.refusal(m, c);
    const p = await m.getRepository(CasePublication).findOne({ where: { caseId: c.id } });
    // What the public reads, only for a case that is marked (and not withdrawn): others are not listed.
    const [listed] = p && !p.withdrawnAt ? await this.published(m, { caseId: c.id }) : [];
    const cats = (await m.query(
      `SELECT coalesce(array_agg(DISTINCT f.category ORDER BY f.category), '{}') AS categories FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1 AND f.status = 'confirmed'`,
      [c.id],
    )) as { categories: string[] }[];
    return {
      caseId: c.id,
      caseNumber: c.number,
      status: c.status,
      refusal,
      publication: p ? this.record(p) : null,
      listed: listed ?? null,
      violationType: decision?.violationType ?? null,
      confirmedCategories: cats[0]?.categories ?? [],
    };
  }

  /**
   * The exposure list (曝光台) as the public may read it: one row per case marked and not withdrawn
   * whose status is final or closed with a final violation decision — re-checked here on every read,
   * so a case that changes later drops out. Newest final decision first.
   */
  async listPublished(f: PublishedFilter = {}): Promise<PublishedCase[]> {
    return this.published(this.ds.manager, f);
  }

  private async published(m: EntityManager, f: PublishedFilter & { caseId?: string }): Promise<PublishedCase[]> {
    const params: unknown[] = [PUBLISHABLE_STATUSES];
    const conds = ['p.withdrawn_at IS NULL', 'c.status = ANY($1::text[])', 'c.final_at IS NOT NULL', `NOT EXISTS (SELECT 1 FROM case_appeal a WHERE a.case_id = c.id AND a.outcome = 'overturned')`];
    if (f.from) conds.push(`c.final_at >= $${params.push(f.from)}`);
    if (f.until) conds.push(`c.final_at <= $${params.push(f.until)}`);
    if (f.institutionCode) conds.push(`c.institution_code = $${params.push(f.institutionCode.trim().toUpperCase())}`);
    if (f.caseId) conds.push(`c.id = $${params.push(f.caseId)}::uuid`);
    // Only named columns: nothing of the claims, findings' evidence, physicians or the decision's reason is read.
    const rows = (await m.query(
      `SELECT c.id AS case_id, c.number, c.final_at, p.summary_zh, p.summary_en, p.marked_at,
              c.institution_code, i.name AS institution_name, i.kind AS institution_kind, i.level AS institution_level, i.region AS institution_region,
              d.violation_type, d.article, d.clause_text, d.amount_to_recover::text AS amount_to_recover, d.fine_multiple::text AS fine_multiple,
              d.fine_amount::text AS fine_amount, d.suspension_months, d.agreement_action,
              (SELECT coalesce(array_agg(DISTINCT fi.category ORDER BY fi.category), '{}') FROM case_finding cf JOIN finding fi ON fi.id = cf.finding_id
                WHERE cf.case_id = c.id AND fi.status = 'confirmed') AS categories,
              (SELECT a.outcome FROM case_appeal a WHERE a.case_id = c.id AND a.outcome IS NOT NULL ORDER BY a.decided_at DESC LIMIT 1) AS appeal_outcome
       FROM case_publication p
       JOIN supervision_case c ON c.id = p.case_id
       JOIN LATERAL (SELECT * FROM case_decision x WHERE x.case_id = c.id AND x.superseded_by IS NULL ORDER BY x.decided_at DESC LIMIT 1) d ON true
       LEFT JOIN institution i ON i.code = c.institution_code
       WHERE ${conds.join(' AND ')}
       ORDER BY c.final_at DESC, c.number DESC`,
      params,
    )) as PublishedRow[];
    return rows.map(publishedOf);
  }
}
