import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { parseYuan } from '../cases/money';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { TipIdentity } from './tip-identity';
import { TIP_STATUSES, TipStatus } from './tip-workflow';
import { TIP_CATEGORIES, TipCategory } from './tip.entities';

/** Request bodies and query strings of the tips API and pages: Swagger shapes and parsers naming every bad field. */

export const DESCRIPTION_MAX = 5000;
export const NOTE_MAX = 2000;

// ---------------------------------------------------------------------------------------------
// Swagger shapes

export class TipIdentityBody {
  @ApiPropertyOptional({ description: 'name (姓名)', maxLength: 64 })
  name?: string;
  @ApiPropertyOptional({ description: 'phone (联系电话)', example: '13800138000' })
  phone?: string;
  @ApiPropertyOptional({ description: 'resident ID-card number (居民身份证号码, 18 characters with a valid check character)' })
  idNumber?: string;
  @ApiPropertyOptional({ description: 'address or other contact', maxLength: 200 })
  contact?: string;
}

export class TipChallengeAnswer {
  @ApiProperty({ description: 'the token of GET /api/public/tips/challenge' })
  token!: string;
  @ApiProperty({ description: 'the answer to its question, in digits' })
  answer!: string;
}

export class TipSubmissionBody {
  @ApiPropertyOptional({ description: 'code of the reported institution, if known (must exist)', example: 'H64010500001' })
  institutionCode?: string;
  @ApiPropertyOptional({ description: 'name of the reported institution as the tipster knows it (this or the code is required)', maxLength: 200 })
  institutionName?: string;
  @ApiProperty({ enum: TIP_CATEGORIES, description: 'fake_visits 虚假就医, bed_hanging 挂床住院, drug_swap 串换药品, drug_resale 倒卖药品, overtreatment 过度诊疗, upcoding 虚计多计费用, other' })
  category!: TipCategory;
  @ApiProperty({ description: 'what happened, where, who (at most 5000 characters)' })
  description!: string;
  @ApiPropertyOptional({ description: 'when it happened: YYYY-MM or YYYY-MM-DD' })
  occurredOn?: string;
  @ApiProperty({ description: 'true: no identity is given (the tracking code is the only link to the tipster)' })
  anonymous!: boolean;
  @ApiPropertyOptional({ type: TipIdentityBody, description: 'required unless anonymous: at least name or phone; encrypted at rest, readable only by the assigned supervisor' })
  identity?: TipIdentityBody;
  @ApiProperty({ type: TipChallengeAnswer })
  challenge!: TipChallengeAnswer;
}

export class TipTrackBody {
  @ApiProperty({ description: 'the tracking code shown once when the tip was submitted', example: 'K7QM-2XWE-9TRA-V4FE' })
  code!: string;
}

export class TipAssignBody {
  @ApiProperty({ description: 'the supervisor who handles the tip: user id or login name' })
  assignee!: string;
}

export class TipNoteBody {
  @ApiProperty({ description: 'the note', maxLength: NOTE_MAX })
  note!: string;
  @ApiProperty({ enum: ['public', 'internal'], description: 'public notes are shown to the tipster on the tracking page' })
  visibility!: 'public' | 'internal';
}

export class TipOpenCaseBody {
  @ApiPropertyOptional({ description: 'the institution the case is against (default: the tip\'s)' })
  institutionCode?: string;
  @ApiPropertyOptional({ description: 'amount at risk, yuan (default 0)', example: '12000.00' })
  amountAtRisk?: string;
  @ApiPropertyOptional({ description: 'internal note' })
  note?: string;
}

export class TipCloseBody {
  @ApiProperty({ description: 'why the tip is not substantiated (internal)' })
  reason!: string;
  @ApiPropertyOptional({ description: 'what the tipster reads on the tracking page' })
  publicNote?: string;
}

export class TipLevelBody {
  @ApiProperty({ description: 'reward level of the policy (1 = best supported)', example: 2 })
  level!: number;
}

export class TipPaymentBody {
  @ApiProperty({ description: 'the date the reward was paid, YYYY-MM-DD', example: '2026-03-01' })
  paidOn!: string;
}

// ---------------------------------------------------------------------------------------------
// Parsers

export interface TipSubmission {
  institutionCode: string | null;
  institutionName: string | null;
  category: TipCategory;
  description: string;
  occurredOn: string | null;
  anonymous: boolean;
  identity: TipIdentity | null;
  challenge: { token: unknown; answer: unknown };
}

const invalid = (message: string, errors: FieldError[]) => new DomainException(DomainErrorCode.InvalidInput, message, errors);

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object', [{ path: 'body', reason: 'must be an object' }]);
  return body as Record<string, unknown>;
}

/** A trimmed string, '' → null; a non-string is an error. */
function optText(o: Record<string, unknown>, key: string, path: string, max: number, errors: FieldError[]): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    errors.push({ path, reason: 'must be text' });
    return null;
  }
  const s = v.trim();
  if (!s) return null;
  if ([...s].length > max) {
    errors.push({ path, reason: `must be at most ${max} characters` });
    return null;
  }
  return s;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** 居民身份证号码: 18 characters whose last is the ISO 7064 MOD 11-2 check character. */
export function validIdNumber(s: string): boolean {
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(s[i]), 0);
  return ID_CHECK[sum % 11] === s[17];
}

function localToday(now: Date): string {
  // The bureau's day (UTC+8); a date one day ahead of UTC is not "in the future" for the tipster.
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

/** YYYY-MM or YYYY-MM-DD, a real date, not after today. */
function parsePastDate(raw: string, path: string, errors: FieldError[], opts: { monthAllowed: boolean }, now = new Date()): string | null {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(raw);
  const reason = opts.monthAllowed ? 'must be a month YYYY-MM or a date YYYY-MM-DD' : 'must be a date YYYY-MM-DD';
  if (!m || (!opts.monthAllowed && m[3] === undefined)) {
    errors.push({ path, reason });
    return null;
  }
  const day = m[3] ?? '01';
  const d = new Date(`${m[1]}-${m[2]}-${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== `${m[1]}-${m[2]}-${day}`) {
    errors.push({ path, reason: `${raw} is not a calendar ${m[3] === undefined ? 'month' : 'date'}` });
    return null;
  }
  if (raw > localToday(now).slice(0, raw.length)) {
    errors.push({ path, reason: 'must not be in the future' });
    return null;
  }
  return raw;
}

function parseBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'yes', '1'].includes(v.trim().toLowerCase())) return true;
  if (typeof v === 'string' && ['false', 'no', '0'].includes(v.trim().toLowerCase())) return false;
  return null;
}

/** A tip from the public form or the JSON API; every problem names its field. The challenge is checked by the service. */
export function parseTipSubmission(body: unknown): TipSubmission {
  const o = asObject(body);
  const errors: FieldError[] = [];
  let institutionCode = optText(o, 'institutionCode', 'institutionCode', 64, errors);
  if (institutionCode !== null) {
    institutionCode = institutionCode.toUpperCase();
    if (!/^[A-Z0-9._-]{1,64}$/.test(institutionCode)) {
      errors.push({ path: 'institutionCode', reason: 'must be an institution code (letters and digits, e.g. H64010500001)' });
      institutionCode = null;
    }
  }
  const institutionName = optText(o, 'institutionName', 'institutionName', 200, errors);
  if (!institutionCode && !institutionName && !errors.some((e) => e.path.startsWith('institution'))) {
    errors.push({ path: 'institutionName', reason: 'is required: name the hospital, clinic or pharmacy concerned (or give its code)' });
  }
  const category = o.category;
  if (typeof category !== 'string' || !TIP_CATEGORIES.includes(category as TipCategory)) {
    errors.push({ path: 'category', reason: `must be one of ${TIP_CATEGORIES.join(', ')}` });
  }
  const description = optText(o, 'description', 'description', DESCRIPTION_MAX, errors);
  if (description === null && !errors.some((e) => e.path === 'description')) errors.push({ path: 'description', reason: 'is required: say what happened, where and who was involved' });
  const occurredRaw = optText(o, 'occurredOn', 'occurredOn', 10, errors);
  const occurredOn = occurredRaw === null ? null : parsePastDate(occurredRaw, 'occurredOn', errors, { monthAllowed: true });
  const anonymous = parseBool(o.anonymous);
  if (anonymous === null) errors.push({ path: 'anonymous', reason: 'is required: true (anonymous) or false (with your identity)' });

  let identity: TipIdentity | null = null;
  if (o.identity !== undefined && o.identity !== null && (typeof o.identity !== 'object' || Array.isArray(o.identity))) {
    errors.push({ path: 'identity', reason: 'must be an object { name, phone, idNumber, contact }' });
  } else {
    const raw = (o.identity ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(raw).filter((k) => !['name', 'phone', 'idNumber', 'contact'].includes(k));
    for (const k of unknown) errors.push({ path: `identity.${k}`, reason: 'is not an identity field (name, phone, idNumber, contact)' });
    const name = optText(raw, 'name', 'identity.name', 64, errors);
    let phone = optText(raw, 'phone', 'identity.phone', 24, errors);
    if (phone !== null && !/^\+?\d[\d -]{4,22}$/.test(phone)) {
      errors.push({ path: 'identity.phone', reason: 'must be a phone number (digits, spaces, -)' });
      phone = null;
    }
    let idNumber = optText(raw, 'idNumber', 'identity.idNumber', 18, errors);
    if (idNumber !== null) {
      idNumber = idNumber.toUpperCase();
      if (!validIdNumber(idNumber)) {
        errors.push({ path: 'identity.idNumber', reason: 'must be an 18-character resident ID number with a valid check character' });
        idNumber = null;
      }
    }
    const contact = optText(raw, 'contact', 'identity.contact', 200, errors);
    const given = [name, phone, idNumber, contact].some((v) => v !== null);
    if (anonymous === true && (given || errors.some((e) => e.path.startsWith('identity.')))) {
      errors.push({ path: 'identity', reason: 'must be empty for an anonymous tip: leave your details out, or choose to give your identity' });
    } else if (anonymous === false) {
      if (!name && !phone && !errors.some((e) => e.path === 'identity.name' || e.path === 'identity.phone')) {
        errors.push({ path: 'identity', reason: 'give at least your name or phone number (or report anonymously)' });
      }
      identity = {};
      if (name) identity.name = name;
      if (phone) identity.phone = phone;
      if (idNumber) identity.idNumber = idNumber;
      if (contact) identity.contact = contact;
    }
  }
  const ch = o.challenge && typeof o.challenge === 'object' && !Array.isArray(o.challenge) ? (o.challenge as Record<string, unknown>) : {};
  if (errors.length) throw invalid(`the tip has ${errors.length} problem(s)`, errors);
  return {
    institutionCode,
    institutionName,
    category: category as TipCategory,
    description: description!,
    occurredOn,
    anonymous: anonymous!,
    identity,
    challenge: { token: ch.token, answer: ch.answer },
  };
}

/** The public form's flat fields → the API's shape (identity_name → identity.name, challenge_token → challenge.token). */
export function formToSubmission(form: Record<string, unknown>): Record<string, unknown> {
  const s = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
  return {
    institutionCode: s('institutionCode'),
    institutionName: s('institutionName'),
    category: s('category'),
    description: s('description'),
    occurredOn: s('occurredOn'),
    anonymous: s('anonymous'),
    identity: { name: s('identity_name'), phone: s('identity_phone'), idNumber: s('identity_idNumber'), contact: s('identity_contact') },
    challenge: { token: s('challenge_token'), answer: s('challenge_answer') },
  };
}

/** Crockford's base32: no I, L, O or U to misread. */
export const TRACKING_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TRACKING_LENGTH = 16;

/** The code as typed (spaces, dashes, lower case, O for 0, I/L for 1) → its 16 characters; null when it cannot be one. */
export function normaliseTrackingCode(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const s = raw.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== TRACKING_LENGTH || [...s].some((c) => !TRACKING_ALPHABET.includes(c))) return null;
  return s;
}

export function parseTrackBody(body: unknown): string {
  const code = normaliseTrackingCode(asObject(body).code);
  if (!code) throw invalid('invalid tracking code', [{ path: 'code', reason: 'must be the 16-character tracking code shown when the tip was submitted (e.g. K7QM-2XWE-9TRA-V4FE)' }]);
  return code;
}

export function parseAssign(body: unknown): { assignee: string } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const assignee = optText(o, 'assignee', 'assignee', 64, errors);
  if (!assignee && !errors.length) errors.push({ path: 'assignee', reason: 'is required: the supervisor who handles the tip (user id or login name)' });
  if (errors.length) throw invalid('invalid assignment', errors);
  return { assignee: assignee! };
}

export function parseNote(body: unknown): { note: string; visibility: 'public' | 'internal' } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const note = optText(o, 'note', 'note', NOTE_MAX, errors);
  if (!note && !errors.length) errors.push({ path: 'note', reason: 'is required' });
  const visibility = o.visibility;
  if (visibility !== 'public' && visibility !== 'internal') errors.push({ path: 'visibility', reason: 'must be public (shown to the tipster) or internal' });
  if (errors.length) throw invalid('invalid note', errors);
  return { note: note!, visibility: visibility as 'public' | 'internal' };
}

export function parseOpenCase(body: unknown): { institutionCode: string | null; amountAtRiskFen: bigint; note: string | null } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  let institutionCode = optText(o, 'institutionCode', 'institutionCode', 64, errors);
  if (institutionCode !== null) {
    institutionCode = institutionCode.toUpperCase();
    if (!/^[A-Z0-9._-]{1,64}$/.test(institutionCode)) errors.push({ path: 'institutionCode', reason: 'must be an institution code' });
  }
  let amountAtRiskFen = 0n;
  if (o.amountAtRisk !== undefined && o.amountAtRisk !== null && o.amountAtRisk !== '') {
    const fen = parseYuan(o.amountAtRisk);
    if (fen === null) errors.push({ path: 'amountAtRisk', reason: 'must be an amount in yuan, e.g. 1000 or 1000.50' });
    else amountAtRiskFen = fen;
  }
  const note = optText(o, 'note', 'note', NOTE_MAX, errors);
  if (errors.length) throw invalid('invalid case opening', errors);
  return { institutionCode, amountAtRiskFen, note };
}

export function parseClose(body: unknown): { reason: string; publicNote: string | null } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const reason = optText(o, 'reason', 'reason', NOTE_MAX, errors);
  if (!reason && !errors.length) errors.push({ path: 'reason', reason: 'is required: say why the tip is not substantiated' });
  const publicNote = optText(o, 'publicNote', 'publicNote', NOTE_MAX, errors);
  if (errors.length) throw invalid('invalid closing', errors);
  return { reason: reason!, publicNote };
}

export function parseLevel(body: unknown, levels: number): { level: number } {
  const o = asObject(body);
  const n = typeof o.level === 'string' && o.level.trim() !== '' ? Number(o.level) : o.level;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > levels) {
    throw invalid('invalid reward level', [{ path: 'level', reason: `must be a level of the reward policy: 1 to ${levels}` }]);
  }
  return { level: n };
}

export function parsePayment(body: unknown, now = new Date()): { paidOn: string } {
  const o = asObject(body);
  const errors: FieldError[] = [];
  const raw = optText(o, 'paidOn', 'paidOn', 10, errors);
  const paidOn = raw === null ? null : parsePastDate(raw, 'paidOn', errors, { monthAllowed: false }, now);
  if (!raw && !errors.length) errors.push({ path: 'paidOn', reason: 'is required: the date the reward was paid (YYYY-MM-DD)' });
  if (errors.length || !paidOn) throw invalid('invalid payment', errors);
  return { paidOn };
}

export interface TipListFilter {
  status?: TipStatus;
  mine: boolean;
  page: number;
  pageSize: number;
}

export function parseTipFilter(query: Record<string, unknown>, paging: { page: number; pageSize: number }): TipListFilter {
  const f: TipListFilter = { mine: false, ...paging };
  const status = typeof query.status === 'string' ? query.status.trim() : '';
  if (status) {
    if (!TIP_STATUSES.includes(status as TipStatus)) throw invalid('invalid filter', [{ path: 'status', reason: `must be one of ${TIP_STATUSES.join(', ')}` }]);
    f.status = status as TipStatus;
  }
  if (query.mine !== undefined && query.mine !== '') {
    const b = parseBool(query.mine);
    if (b === null) throw invalid('invalid filter', [{ path: 'mine', reason: 'must be true or false' }]);
    f.mine = b;
  }
  return f;
}
