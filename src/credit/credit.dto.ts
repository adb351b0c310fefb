import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { isUuid } from '../common/query';
import { BONUS_KINDS, BonusKind } from './credit-policy';

/** Request bodies and query strings of the credit API and pages: Swagger shapes and parsers naming every bad field. */

export const REASON_MAX = 2000;

export class BonusBody {
  @ApiProperty({ description: 'institution code', example: 'H64010500001' })
  institutionCode!: string;
  @ApiProperty({ enum: BONUS_KINDS, description: 'clean_inspection (检查合规), self_correction (自查自纠), pledge_signed (信用承诺; once per cycle)' })
  kind!: BonusKind;
  @ApiProperty({ description: 'the document it rests on (inspection record, refund voucher, pledge number); one bonus per kind and reference', maxLength: 128 })
  reference!: string;
  @ApiPropertyOptional({ description: 'a note' })
  reason?: string;
}

export class CreditReasonBody {
  @ApiProperty({ description: 'why' })
  reason!: string;
}

export class CreditAppealDecisionBody {
  @ApiProperty({ enum: ['upheld', 'reversed'], description: 'upheld: the deduction stays; reversed: a reversal entry restores its points' })
  outcome!: 'upheld' | 'reversed';
  @ApiProperty({ description: 'why' })
  reason!: string;
}

export class RepairRequestBody {
  @ApiProperty({ description: 'the violation deduction entry to repair', example: '42' })
  entryId!: string;
  @ApiProperty({ description: 'how the fault was rectified' })
  reason!: string;
}

export class RepairDecisionBody {
  @ApiProperty({ enum: ['granted', 'refused'] })
  outcome!: 'granted' | 'refused';
  @ApiProperty({ description: 'why' })
  reason!: string;
  @ApiPropertyOptional({ description: 'granted only: the supervisor confirms the fault was rectified (required true)' })
  rectified?: boolean;
}

export interface CreditListFilter {
  cycle?: number;
  grade?: string;
  kind?: string;
  level?: number;
  region?: string;
  /** Institution code or name contains. */
  q?: string;
  sort: 'score' | 'code';
  page: number;
  pageSize: number;
}

export interface CreditRequestFilter {
  status: 'open' | 'decided' | 'all';
  type?: 'appeal' | 'repair';
  institution?: string;
  page: number;
  pageSize: number;
}

const invalid = (message: string, errors: FieldError[]) => new DomainException(DomainErrorCode.InvalidInput, message, errors);

const asObject = (body: unknown): Record<string, unknown> => {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object', [{ path: 'body', reason: 'must be an object' }]);
  return body as Record<string, unknown>;
};

function text(o: Record<string, unknown>, key: string, errors: FieldError[], opts: { required?: string; max?: number } = {}): string | null {
  const v = o[key];
  const max = opts.max ?? REASON_MAX;
  if (v === undefined || v === null || v === '') {
    if (opts.required) errors.push({ path: key, reason: opts.required });
    return null;
  }
  if (typeof v !== 'string') {
    errors.push({ path: key, reason: 'must be text' });
    return null;
  }
  const t = v.trim();
  if (t.length > max) errors.push({ path: key, reason: `must be at most ${max} characters` });
  if (!t && opts.required) errors.push({ path: key, reason: opts.required });
  return t || null;
}

/** A credit entry id (a positive whole number, as text). */
export function parseEntryId(v: unknown, path = 'id'): string {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !/^[1-9]\d{0,17}$/.test(s.trim())) throw invalid('invalid credit entry id', [{ path, reason: 'must be a credit entry id (a positive whole number)' }]);
  return s.trim();
}

export function parseRequestId(v: unknown, what: string): string {
  if (!isUuid(v)) throw invalid(`invalid ${what} id`, [{ path: 'id', reason: `must be a ${what} id (UUID)` }]);
  return (v as string).toLowerCase();
}

const CODE = /^[\w.-]{1,64}$/;

export function parseBonus(body: unknown): { institutionCode: string; kind: BonusKind; reference: string; note: string | null } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const code = text(o, 'institutionCode', errors, { required: 'is required', max: 64 });
  if (code && !CODE.test(code)) errors.push({ path: 'institutionCode', reason: 'must be an institution code' });
  if (!BONUS_KINDS.includes(o.kind as BonusKind)) errors.push({ path: 'kind', reason: `must be one of ${BONUS_KINDS.join(', ')}` });
  const reference = text(o, 'reference', errors, { required: 'is required (the inspection record, refund voucher or pledge number)', max: 128 });
  const note = text(o, 'reason', errors);
  if (errors.length) throw invalid('invalid bonus', errors);
  return { institutionCode: code!.toUpperCase(), kind: o.kind as BonusKind, reference: reference!, note };
}

export function parseCreditReason(body: unknown): { reason: string } {
  const errors: FieldError[] = [];
  const reason = text(asObject(body), 'reason', errors, { required: 'is required' });
  if (errors.length) throw invalid('invalid reason', errors);
  return { reason: reason! };
}

export function parseCreditAppealDecision(body: unknown): { outcome: 'upheld' | 'reversed'; reason: string } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  if (o.outcome !== 'upheld' && o.outcome !== 'reversed') errors.push({ path: 'outcome', reason: 'must be upheld or reversed' });
  const reason = text(o, 'reason', errors, { required: 'is required' });
  if (errors.length) throw invalid('invalid appeal decision', errors);
  return { outcome: o.outcome as 'upheld' | 'reversed', reason: reason! };
}

export function parseRepairRequest(body: unknown): { entryId: string; reason: string } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  let entryId = '';
  try {
    entryId = parseEntryId(o.entryId, 'entryId');
  } catch (e) {
    if (e instanceof DomainException) errors.push(...e.errors);
    else throw e;
  }
  const reason = text(o, 'reason', errors, { required: 'is required (how the fault was rectified)' });
  if (errors.length) throw invalid('invalid repair request', errors);
  return { entryId, reason: reason! };
}

export function parseRepairDecision(body: unknown): { outcome: 'granted' | 'refused'; reason: string; rectified: boolean } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  if (o.outcome !== 'granted' && o.outcome !== 'refused') errors.push({ path: 'outcome', reason: 'must be granted or refused' });
  const reason = text(o, 'reason', errors, { required: 'is required' });
  let rectified = false;
  const r = o.rectified;
  if (r === true || r === 'true' || r === 'on' || r === '1') rectified = true;
  else if (r !== undefined && r !== null && r !== '' && r !== false && r !== 'false' && r !== '0') errors.push({ path: 'rectified', reason: 'must be true or false' });
  if (errors.length) throw invalid('invalid repair decision', errors);
  return { outcome: o.outcome as 'granted' | 'refused', reason: reason!, rectified };
}

function queryString(q: Record<string, unknown>, name: string, errors: FieldError[]): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') {
    errors.push({ path: name, reason: 'must be given once' });
    return undefined;
  }
  return v.trim();
}

export function parseCycle(v: string | undefined, errors: FieldError[]): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{4}$/.test(v) || Number(v) < 2000 || Number(v) > 2999) {
    errors.push({ path: 'cycle', reason: 'must be a year YYYY' });
    return undefined;
  }
  return Number(v);
}

/** GET /api/credit filters. */
export function parseCreditFilter(q: Record<string, unknown>, paging: { page: number; pageSize: number }): CreditListFilter {
  const errors: FieldError[] = [];
  const f: CreditListFilter = { sort: 'score', ...paging };
  f.cycle = parseCycle(queryString(q, 'cycle', errors), errors);
  const grade = queryString(q, 'grade', errors);
  if (grade !== undefined) {
    if (/^[A-Za-z]$/.test(grade)) f.grade = grade.toUpperCase();
    else errors.push({ path: 'grade', reason: 'must be a grade letter such as B' });
  }
  const kind = queryString(q, 'kind', errors);
  if (kind !== undefined) {
    if (['hospital', 'primary_care', 'clinic', 'pharmacy'].includes(kind)) f.kind = kind;
    else errors.push({ path: 'kind', reason: 'must be hospital, primary_care, clinic or pharmacy' });
  }
  const level = queryString(q, 'level', errors);
  if (level !== undefined) {
    if (/^[0-9]$/.test(level)) f.level = Number(level);
    else errors.push({ path: 'level', reason: 'must be an institution level (a digit)' });
  }
  const region = queryString(q, 'region', errors);
  if (region !== undefined) {
    if (/^\d{2,6}$/.test(region)) f.region = region;
    else errors.push({ path: 'region', reason: 'must be a region code (2 to 6 digits; a prefix matches)' });
  }
  const text = queryString(q, 'q', errors);
  if (text !== undefined) f.q = text.slice(0, 100);
  const sort = queryString(q, 'sort', errors);
  if (sort !== undefined) {
    if (sort === 'score' || sort === 'code') f.sort = sort;
    else errors.push({ path: 'sort', reason: 'must be score or code' });
  }
  if (errors.length) throw invalid('invalid filter', errors);
  return f;
}

/** GET /api/credit/requests filters. */
export function parseRequestFilter(q: Record<string, unknown>, paging: { page: number; pageSize: number }): CreditRequestFilter {
  const errors: FieldError[] = [];
  const f: CreditRequestFilter = { status: 'open', ...paging };
  const status = queryString(q, 'status', errors);
  if (status !== undefined) {
    if (status === 'open' || status === 'decided' || status === 'all') f.status = status;
    else errors.push({ path: 'status', reason: 'must be open, decided or all' });
  }
  const type = queryString(q, 'type', errors);
  if (type !== undefined) {
    if (type === 'appeal' || type === 'repair') f.type = type;
    else errors.push({ path: 'type', reason: 'must be appeal or repair' });
  }
  const inst = queryString(q, 'institution', errors);
  if (inst !== undefined) {
    if (CODE.test(inst)) f.institution = inst.toUpperCase();
    else errors.push({ path: 'institution', reason: 'must be an institution code' });
  }
  if (errors.length) throw invalid('invalid filter', errors);
  return f;
}
