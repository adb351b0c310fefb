import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { isUuid } from '../common/query';
import { APPEAL_OUTCOMES, AppealOutcome, CASE_STATUSES, CaseStatus } from './case-workflow';
import { CaseKind, FindingOutcome, RecoveryStatus } from './case.entities';
import { parseMultiple, parseYuan } from './money';
import { AGREEMENT_ACTIONS, AgreementAction, LEGAL_ARTICLES, LegalArticle } from './penalties';
import { isMonth } from '../common/calendar';

/**
 * Request bodies and query strings of the case API and pages: the Swagger classes document them,
 * the parse functions check them and name every bad field (pages post the same names as forms,
 * where every value arrives as text).
 */

export const REASON_MAX = 2000;

// ---------------------------------------------------------------------------------------------
// Swagger shapes

export class AssignCaseBody {
  @ApiProperty({ description: 'user_account id of a supervisor or admin', format: 'uuid' })
  assigneeId!: string;
}

export class ConfirmCaseBody {
  @ApiPropertyOptional({ description: 'per-finding outcome by finding id; findings not named are confirmed', example: { '123': 'confirmed', '124': 'dismissed' } })
  outcomes?: Record<string, FindingOutcome>;
  @ApiPropertyOptional({ description: 'why (required for a risk case without findings)' })
  reason?: string;
}

export class ReasonBody {
  @ApiProperty({ description: 'why' })
  reason!: string;
}

export class OptionalReasonBody {
  @ApiPropertyOptional({ description: 'why (required to close a case whose recoveries are not all paid)' })
  reason?: string;
}

export class FinalizeCaseBody {
  @ApiPropertyOptional({ description: 'the institution waived its appeal (放弃申诉): finalize before the appeal window ends' })
  waived?: boolean;
}

export class DecisionBody {
  @ApiProperty({ description: '违规类型, e.g. 超标准收费', maxLength: 200 })
  violationType!: string;
  @ApiProperty({ enum: LEGAL_ARTICLES, description: 'article of 条例 (Decree 735): 38 violation, 40 fraud' })
  article!: LegalArticle;
  @ApiPropertyOptional({ description: 'the clause as written, e.g. 第三十八条第（五）项' })
  clauseText?: string;
  @ApiProperty({ description: 'yuan, two decimals at most, e.g. "1234.56"', example: '1234.56' })
  amountToRecover!: string;
  @ApiProperty({ description: 'fine as a multiple of the amount to recover: art. 38 1–2, art. 40 2–5 (two decimals at most)', example: '1.5' })
  fineMultiple!: string;
  @ApiProperty({ description: 'months of suspension 0–12 (0 = none; > 0 needs agreementAction suspend)', example: 0 })
  suspensionMonths!: number;
  @ApiProperty({ enum: AGREEMENT_ACTIONS, description: 'art. 38: none, warning, rectify, suspend; art. 40 also terminate' })
  agreementAction!: AgreementAction;
  @ApiPropertyOptional({ description: 'the decision\'s reasoning' })
  reason?: string;
  @ApiPropertyOptional({ description: '责任医师: code of the physician held responsible (must exist; normally of the case\'s institution); points are recorded when the decision becomes final', maxLength: 64 })
  responsiblePhysicianCode?: string;
  @ApiPropertyOptional({ description: '记分: 1–12 points for the responsible physician (required iff one is named); band 1–3 minor, 4–6 moderate, 7–9 serious, 10–12 grave', minimum: 1, maximum: 12 })
  physicianPoints?: number;
}

export class AppealDecisionBody {
  @ApiProperty({ enum: APPEAL_OUTCOMES })
  outcome!: AppealOutcome;
  @ApiProperty({ description: 'why' })
  reason!: string;
  @ApiPropertyOptional({ type: DecisionBody, description: 'the new decision (outcome amended only)' })
  decision?: DecisionBody;
}

export class PaymentBody {
  @ApiProperty({ description: 'yuan, two decimals at most; at most what is outstanding', example: '500.00' })
  amount!: string;
  @ApiProperty({ description: 'YYYY-MM-DD, not in the future', example: '2026-03-01' })
  paidOn!: string;
  @ApiProperty({ description: 'bank or settlement reference', maxLength: 128 })
  reference!: string;
}

// ---------------------------------------------------------------------------------------------
// Parsed inputs

export interface DecisionInput {
  violationType: string;
  article: LegalArticle;
  clauseText: string | null;
  recoverFen: bigint;
  fineMultipleHundredths: bigint;
  suspensionMonths: number;
  agreementAction: AgreementAction;
  reason: string | null;
  /** 责任医师 (upper case), or null. */
  responsiblePhysicianCode: string | null;
  /** 1–12, set iff a physician is named. */
  physicianPoints: number | null;
}

export interface PaymentInput {
  amountFen: bigint;
  paidOn: string;
  reference: string;
}

export interface CaseListFilter {
  institution?: string;
  category?: string;
  status?: CaseStatus[];
  /** a user id, or 'none' for unassigned ('me' is resolved by the controller) */
  assignee?: string;
  minAmountFen?: bigint;
  maxAmountFen?: bigint;
  period?: string;
  kind?: CaseKind;
  sort: 'amount' | 'opened';
  order: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

export interface RecoveryListFilter {
  caseId?: string;
  institution?: string;
  status?: RecoveryStatus;
  page: number;
  pageSize: number;
}

const invalid = (message: string, errors: FieldError[]) => new DomainException(DomainErrorCode.InvalidInput, message, errors);

const asObject = (body: unknown, path = 'body'): Record<string, unknown> => {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object', [{ path, reason: 'must be an object' }]);
  return body as Record<string, unknown>;
};

/** Optional text: trimmed, empty → null; too long or not text → an error on `path`. */
function optText(o: Record<string, unknown>, key: string, errors: FieldError[], max = REASON_MAX, path = key): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    errors.push({ path, reason: 'must be text' });
    return null;
  }
  const t = v.trim();
  if (t.length > max) errors.push({ path, reason: `must be at most ${max} characters` });
  return t.length ? t : null;
}

/** An optional boolean from JSON (true/false) or a form ("true", "on", "1", "false", "0"). */
function optBool(o: Record<string, unknown>, key: string, errors: FieldError[]): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'on', '1', 'yes'].includes(v)) return true;
  if (typeof v === 'string' && ['false', 'off', '0', 'no'].includes(v)) return false;
  errors.push({ path: key, reason: 'must be true or false' });
  return undefined;
}

export function parseAssign(body: unknown): { assigneeId: string } {
  const o = asObject(body);
  if (!isUuid(o.assigneeId)) throw invalid('invalid assignment', [{ path: 'assigneeId', reason: 'must be a user id (UUID)' }]);
  return { assigneeId: (o.assigneeId as string).toLowerCase() };
}

export function parseReason(body: unknown, required: boolean): { reason: string | null } {
  const errors: FieldError[] = [];
  const reason = optText(asObject(body), 'reason', errors);
  if (required && !reason && errors.length === 0) errors.push({ path: 'reason', reason: 'is required' });
  if (errors.length) throw invalid('invalid reason', errors);
  return { reason };
}

export function parseFinalize(body: unknown): { waived: boolean } {
  const errors: FieldError[] = [];
  const waived = optBool(asObject(body), 'waived', errors);
  if (errors.length) throw invalid('invalid finalization', errors);
  return { waived: waived ?? false };
}

/**
 * { outcomes?: { [findingId]: confirmed | dismissed }, reason? }. Forms send `outcome_<findingId>`
 * fields instead of an object; both are accepted.
 */
export function parseConfirm(body: unknown): { outcomes: Map<string, FindingOutcome>; reason: string | null } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const outcomes = new Map<string, FindingOutcome>();
  const put = (id: string, v: unknown, path: string) => {
    if (!/^\d{1,18}$/.test(id)) errors.push({ path, reason: 'must be keyed by a finding id (a number)' });
    else if (v !== 'confirmed' && v !== 'dismissed') errors.push({ path, reason: 'must be confirmed or dismissed' });
    else outcomes.set(id, v);
  };
  if (o.outcomes !== undefined && o.outcomes !== null) {
    if (typeof o.outcomes !== 'object' || Array.isArray(o.outcomes)) errors.push({ path: 'outcomes', reason: 'must be an object { findingId: "confirmed" | "dismissed" }' });
    else for (const [id, v] of Object.entries(o.outcomes as Record<string, unknown>)) put(id, v, `outcomes.${id}`);
  }
  for (const [k, v] of Object.entries(o)) {
    const m = /^outcome_(.+)$/.exec(k);
    if (m) put(m[1]!, v, `outcomes.${m[1]}`);
  }
  const reason = optText(o, 'reason', errors);
  if (errors.length) throw invalid('invalid review outcome', errors);
  return { outcomes, reason };
}

/** A decision's fields (shape and formats; the legal ranges are checked by the service against its article). */
export function parseDecision(body: unknown, prefix = ''): DecisionInput {
  const o = asObject(body, prefix ? prefix.slice(0, -1) : 'body');
  const errors: FieldError[] = [];
  const p = (k: string) => `${prefix}${k}`;
  const violationType = optText(o, 'violationType', errors, 200, p('violationType'));
  if (!violationType && !errors.some((e) => e.path === p('violationType'))) errors.push({ path: p('violationType'), reason: 'is required, e.g. 超标准收费' });
  const articleRaw = typeof o.article === 'number' ? String(o.article) : o.article;
  if (!LEGAL_ARTICLES.includes(articleRaw as LegalArticle)) errors.push({ path: p('article'), reason: `must be ${LEGAL_ARTICLES.join(' or ')} (条例 art. 38: violation; art. 40: fraud)` });
  const clauseText = optText(o, 'clauseText', errors, 500, p('clauseText'));
  const recoverFen = parseYuan(o.amountToRecover);
  if (recoverFen === null) errors.push({ path: p('amountToRecover'), reason: 'must be an amount in yuan ≥ 0 with at most two decimals, e.g. 1234.56' });
  const fineMultipleHundredths = parseMultiple(o.fineMultiple);
  if (fineMultipleHundredths === null) errors.push({ path: p('fineMultiple'), reason: 'must be a number with at most two decimals, e.g. 1.5' });
  const sRaw = o.suspensionMonths === undefined || o.suspensionMonths === null || o.suspensionMonths === '' ? 0 : Number(o.suspensionMonths);
  if (!Number.isInteger(sRaw)) errors.push({ path: p('suspensionMonths'), reason: 'must be a whole number of months (0 = none)' });
  const actionRaw = o.agreementAction === undefined || o.agreementAction === '' ? 'none' : o.agreementAction;
  if (!AGREEMENT_ACTIONS.includes(actionRaw as AgreementAction)) errors.push({ path: p('agreementAction'), reason: `must be one of ${AGREEMENT_ACTIONS.join(', ')}` });
  const reason = optText(o, 'reason', errors, REASON_MAX, p('reason'));
  const { responsiblePhysicianCode, physicianPoints } = parseResponsiblePhysician(o, errors, p);
  if (errors.length) throw invalid('invalid decision', errors);
  return {
    violationType: violationType!,
    article: articleRaw as LegalArticle,
    clauseText,
    recoverFen: recoverFen!,
    fineMultipleHundredths: fineMultipleHundredths!,
    suspensionMonths: sRaw,
    agreementAction: actionRaw as AgreementAction,
    reason,
    responsiblePhysicianCode,
    physicianPoints,
  };
}

/** 责任医师 and 记分: both or neither (forms send empty strings for neither); points a whole number 1–12. */
function parseResponsiblePhysician(o: Record<string, unknown>, errors: FieldError[], p: (k: string) => string): { responsiblePhysicianCode: string | null; physicianPoints: number | null } {
  let code: string | null = null;
  const rawCode = o.responsiblePhysicianCode;
  if (rawCode !== undefined && rawCode !== null && rawCode !== '') {
    if (typeof rawCode !== 'string' || !/^[\w.-]{1,64}$/.test(rawCode.trim())) errors.push({ path: p('responsiblePhysicianCode'), reason: 'must be a physician code (letters, digits, . _ -; at most 64)' });
    else code = rawCode.trim().toUpperCase();
  }
  let points: number | null = null;
  const rawPoints = o.physicianPoints;
  if (rawPoints !== undefined && rawPoints !== null && rawPoints !== '') {
    const n = typeof rawPoints === 'number' ? rawPoints : typeof rawPoints === 'string' && /^\s*\d+\s*$/.test(rawPoints) ? Number(rawPoints) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 12) errors.push({ path: p('physicianPoints'), reason: 'must be a whole number of points from 1 to 12' });
    else points = n;
  }
  const codeGiven = rawCode !== undefined && rawCode !== null && rawCode !== '';
  const pointsGiven = rawPoints !== undefined && rawPoints !== null && rawPoints !== '';
  if (codeGiven && !pointsGiven) errors.push({ path: p('physicianPoints'), reason: 'is required when a responsible physician is named (1–12 points)' });
  if (pointsGiven && !codeGiven) errors.push({ path: p('responsiblePhysicianCode'), reason: 'is required when physician points are given' });
  return { responsiblePhysicianCode: code, physicianPoints: points };
}

/** { outcome, reason, decision? }; forms send the new decision's fields as decision.<field>. */
export function parseAppealDecision(body: unknown): { outcome: AppealOutcome | undefined; reason: string | null; decision: DecisionInput | null } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const outcome = o.outcome as AppealOutcome | undefined;
  if (!APPEAL_OUTCOMES.includes(outcome as AppealOutcome)) errors.push({ path: 'outcome', reason: `must be one of ${APPEAL_OUTCOMES.join(', ')}` });
  const reason = optText(o, 'reason', errors);
  if (!reason && !errors.some((e) => e.path === 'reason')) errors.push({ path: 'reason', reason: 'is required' });
  let raw: unknown = o.decision;
  if (raw === undefined) {
    const flat = Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith('decision.')).map(([k, v]) => [k.slice('decision.'.length), v]));
    if (outcome === 'amended' && Object.keys(flat).length) raw = flat;
  }
  let decision: DecisionInput | null = null;
  if (raw !== undefined && raw !== null) {
    try {
      decision = parseDecision(raw, 'decision.');
    } catch (e) {
      if (e instanceof DomainException) errors.push(...e.errors);
      else throw e;
    }
  }
  if (errors.length) throw invalid('invalid appeal decision', errors);
  return { outcome, reason, decision };
}

export function parsePayment(body: unknown): PaymentInput {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const amountFen = parseYuan(o.amount);
  if (amountFen === null || amountFen <= 0n) errors.push({ path: 'amount', reason: 'must be an amount in yuan > 0 with at most two decimals' });
  const paidOn = typeof o.paidOn === 'string' ? o.paidOn.trim() : '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(paidOn) || Number.isNaN(Date.parse(`${paidOn}T00:00:00Z`)) || new Date(`${paidOn}T00:00:00Z`).toISOString().slice(0, 10) !== paidOn) {
    errors.push({ path: 'paidOn', reason: 'must be a date YYYY-MM-DD' });
  }
  const reference = optText(o, 'reference', errors, 128);
  if (!reference && !errors.some((e) => e.path === 'reference')) errors.push({ path: 'reference', reason: 'is required (the bank or settlement reference)' });
  if (errors.length) throw invalid('invalid payment', errors);
  return { amountFen: amountFen!, paidOn, reference: reference! };
}

const KINDS: CaseKind[] = ['findings', 'risk', 'inspection', 'tip'];
const RECOVERY_STATUSES: RecoveryStatus[] = ['open', 'paid', 'overdue', 'cancelled'];

/** Query-string filters of GET /api/cases (and the queue page). */
export function parseCaseFilter(q: Record<string, unknown>, paging: { page: number; pageSize: number }): CaseListFilter {
  const errors: FieldError[] = [];
  const str = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') {
      errors.push({ path: name, reason: 'must be given once' });
      return undefined;
    }
    return v.trim();
  };
  const f: CaseListFilter = { sort: 'opened', order: 'desc', ...paging };
  const inst = str('institution');
  if (inst !== undefined) {
    if (/^[\w.-]{1,64}$/.test(inst)) f.institution = inst.toUpperCase();
    else errors.push({ path: 'institution', reason: 'must be an institution code' });
  }
  const cat = str('category');
  if (cat !== undefined) {
    if (/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(cat)) f.category = cat.toUpperCase();
    else errors.push({ path: 'category', reason: 'must be a finding category such as PRICE_CEILING' });
  }
  const status = str('status');
  if (status !== undefined) {
    const list = status.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.filter((s) => !CASE_STATUSES.includes(s as CaseStatus));
    if (bad.length || !list.length) errors.push({ path: 'status', reason: `must be one or more (comma-separated) of ${CASE_STATUSES.join(', ')}` });
    else f.status = list as CaseStatus[];
  }
  const assignee = str('assignee');
  if (assignee !== undefined) {
    if (assignee === 'me' || assignee === 'none' || isUuid(assignee)) f.assignee = assignee.toLowerCase();
    else errors.push({ path: 'assignee', reason: 'must be a user id, me or none' });
  }
  for (const [name, key] of [['minAmount', 'minAmountFen'], ['maxAmount', 'maxAmountFen']] as const) {
    const v = str(name);
    if (v === undefined) continue;
    const fen = parseYuan(v);
    if (fen === null) errors.push({ path: name, reason: 'must be an amount in yuan, e.g. 1000 or 1000.50' });
    else f[key] = fen;
  }
  const period = str('period');
  if (period !== undefined) {
    if (isMonth(period)) f.period = period;
    else errors.push({ path: 'period', reason: 'must be a month YYYY-MM' });
  }
  const kind = str('kind');
  if (kind !== undefined) {
    if (KINDS.includes(kind as CaseKind)) f.kind = kind as CaseKind;
    else errors.push({ path: 'kind', reason: `must be ${KINDS.join(' or ')}` });
  }
  const sort = str('sort');
  if (sort !== undefined) {
    if (sort === 'amount' || sort === 'opened') f.sort = sort;
    else errors.push({ path: 'sort', reason: 'must be amount or opened' });
  }
  const order = str('order');
  if (order !== undefined) {
    if (order === 'asc' || order === 'desc') f.order = order;
    else errors.push({ path: 'order', reason: 'must be asc or desc' });
  }
  if (f.minAmountFen !== undefined && f.maxAmountFen !== undefined && f.minAmountFen > f.maxAmountFen) errors.push({ path: 'maxAmount', reason: 'must not be below minAmount' });
  if (errors.length) throw invalid('invalid filter', errors);
  return f;
}

export function parseRecoveryFilter(q: Record<string, unknown>, paging: { page: number; pageSize: number }): RecoveryListFilter {
  const errors: FieldError[] = [];
  const f: RecoveryListFilter = { ...paging };
  if (q.case !== undefined && q.case !== '') {
    if (isUuid(q.case)) f.caseId = (q.case as string).toLowerCase();
    else errors.push({ path: 'case', reason: 'must be a case id (UUID)' });
  }
  if (q.institution !== undefined && q.institution !== '') {
    if (typeof q.institution === 'string' && /^[\w.-]{1,64}$/.test(q.institution)) f.institution = q.institution.toUpperCase();
    else errors.push({ path: 'institution', reason: 'must be an institution code' });
  }
  if (q.status !== undefined && q.status !== '') {
    if (RECOVERY_STATUSES.includes(q.status as RecoveryStatus)) f.status = q.status as RecoveryStatus;
    else errors.push({ path: 'status', reason: `must be one of ${RECOVERY_STATUSES.join(', ')}` });
  }
  if (errors.length) throw invalid('invalid filter', errors);
  return f;
}
