import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { parseYuan } from '../cases/money';
import { ObjectFilter, RESULT_OUTCOMES, ResultOutcome } from './inspection.entities';

/** A plan as asked for (API JSON or the console form), checked. */
export interface PlanInput {
  name: string;
  period: string;
  periodFrom: string;
  periodTo: string;
  matterCodes: string[];
  objectFilter: ObjectFilter;
  /** Only the grades given; the others take the credit policy's ratio. */
  samplingRatio: Record<string, number>;
  minPerStratum: number;
  teamSize: number;
  loadCap: number;
  avoidSameRegion: boolean;
  avoidPrevious: boolean;
}

export interface ResultInput {
  outcome: ResultOutcome;
  /** Violations only: the amount found, in fen. */
  amountFen: bigint | null;
  notes: string | null;
}

const KINDS = ['hospital', 'primary_care', 'clinic', 'pharmacy'];

function invalid(message: string, errors: FieldError[]): DomainException {
  return new DomainException(DomainErrorCode.InvalidInput, message, errors);
}

const pad = (n: number) => String(n).padStart(2, '0');
function validDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}
function lastDay(y: number, month: number): string {
  return `${y}-${pad(month)}-${pad(new Date(Date.UTC(y, month, 0)).getUTCDate())}`;
}

/** 2026-Q1, 2026-03 or 2026-01-01..2026-03-31 → its first and last day; null when none of these. */
export function parsePeriod(raw: string): { from: string; to: string } | null {
  let m = /^(\d{4})-Q([1-4])$/.exec(raw);
  if (m) {
    const y = Number(m[1]);
    const q = Number(m[2]);
    return { from: `${y}-${pad(q * 3 - 2)}-01`, to: lastDay(y, q * 3) };
  }
  m = /^(\d{4})-(\d{2})$/.exec(raw);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) return { from: `${m[1]}-${m[2]}-01`, to: lastDay(Number(m[1]), Number(m[2])) };
  m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(raw);
  if (m && validDay(m[1]!) && validDay(m[2]!) && m[1]! <= m[2]!) return { from: m[1]!, to: m[2]! };
  return null;
}

function intField(o: Record<string, unknown>, name: string, def: number, min: number, max: number, errors: FieldError[], reason?: string): number {
  const v = o[name];
  if (v === undefined || v === null || v === '') return def;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    errors.push({ path: name, reason: reason ?? `must be a whole number from ${min} to ${max}` });
    return def;
  }
  return n;
}

function boolField(o: Record<string, unknown>, name: string, errors: FieldError[]): boolean {
  const v = o[name];
  if (v === undefined || v === null || v === '' || v === false || v === 'false' || v === '0') return false;
  if (v === true || v === 'true' || v === 'on' || v === '1') return true;
  errors.push({ path: name, reason: 'must be true or false' });
  return false;
}

/**
 * A plan from a JSON body or a form. Team size below 2 is refused: 双随机 teams are never one
 * person. Ratios are shares 0–1 per grade letter, as `samplingRatio: { A: 0.05 }` or form fields `ratio_A`.
 */
export function parsePlanInput(body: unknown, grades: readonly string[], matterCodes: readonly string[]): PlanInput {
  const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const errors: FieldError[] = [];
  const name = typeof o.name === 'string' ? o.name.trim() : '';
  if (!name || name.length > 200) errors.push({ path: 'name', reason: 'is required (at most 200 characters)' });
  const period = typeof o.period === 'string' ? o.period.trim() : '';
  const range = parsePeriod(period);
  if (!range) errors.push({ path: 'period', reason: 'must be a quarter (2026-Q1), a month (2026-03) or two dates (2026-01-01..2026-03-31)' });

  const rawMatters = o.matters === undefined || o.matters === '' ? [] : Array.isArray(o.matters) ? o.matters : [o.matters];
  const matters: string[] = [];
  rawMatters.forEach((m, i) => {
    if (typeof m !== 'string' || !matterCodes.includes(m)) errors.push({ path: `matters[${i}]`, reason: `must be one of ${matterCodes.join(', ')}` });
    else if (!matters.includes(m)) matters.push(m);
  });
  if (!rawMatters.length) errors.push({ path: 'matters', reason: 'choose at least one inspection matter' });

  const f = (o.objectFilter && typeof o.objectFilter === 'object' ? o.objectFilter : o) as Record<string, unknown>;
  const prefix = o.objectFilter && typeof o.objectFilter === 'object' ? 'objectFilter.' : '';
  const kind = typeof f.kind === 'string' && f.kind.trim() ? f.kind.trim() : null;
  if (f.kind !== undefined && f.kind !== null && f.kind !== '' && (kind === null || !KINDS.includes(kind))) errors.push({ path: `${prefix}kind`, reason: `must be one of ${KINDS.join(', ')}` });
  let level: number | null = null;
  if (f.level !== undefined && f.level !== null && f.level !== '') {
    const n = typeof f.level === 'number' ? f.level : typeof f.level === 'string' && /^\d$/.test(f.level.trim()) ? Number(f.level) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 3) errors.push({ path: `${prefix}level`, reason: 'must be 1, 2 or 3' });
    else level = n;
  }
  const region = typeof f.region === 'string' && f.region.trim() ? f.region.trim() : null;
  if (f.region !== undefined && f.region !== null && f.region !== '' && (region === null || !/^\d{2,6}$/.test(region))) errors.push({ path: `${prefix}region`, reason: 'must be a region code or prefix (2–6 digits)' });

  const samplingRatio: Record<string, number> = {};
  const ratios = o.samplingRatio && typeof o.samplingRatio === 'object' ? (o.samplingRatio as Record<string, unknown>) : null;
  if (o.samplingRatio !== undefined && !ratios) errors.push({ path: 'samplingRatio', reason: 'must be an object { grade: ratio }' });
  if (ratios) for (const k of Object.keys(ratios)) if (!grades.includes(k)) errors.push({ path: `samplingRatio.${k}`, reason: `is not a grade (${grades.join(', ')})` });
  for (const g of grades) {
    const v = ratios ? ratios[g] : o[`ratio_${g}`];
    const path = ratios ? `samplingRatio.${g}` : `ratio_${g}`;
    if (v === undefined || v === null || v === '') continue;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
    if (!(n >= 0 && n <= 1)) errors.push({ path, reason: 'must be a share from 0 to 1' });
    else samplingRatio[g] = n;
  }
  const minPerStratum = intField(o, 'minPerStratum', 1, 0, 1000, errors);
  const teamSize = intField(o, 'teamSize', 2, 2, 10, errors, 'must be a whole number from 2 to 10 (a team is never fewer than two inspectors)');
  const loadCap = intField(o, 'loadCap', 5, 1, 1000, errors);
  const avoidSameRegion = boolField(o, 'avoidSameRegion', errors);
  const avoidPrevious = boolField(o, 'avoidPrevious', errors);
  if (errors.length) throw invalid('invalid inspection plan', errors);
  return { name, period, periodFrom: range!.from, periodTo: range!.to, matterCodes: matters, objectFilter: { kind, level, region }, samplingRatio, minPerStratum, teamSize, loadCap, avoidSameRegion, avoidPrevious };
}

/** A result: compliant, violations (with the amount found, > 0) or referred, with notes. */
export function parseResultInput(body: unknown): ResultInput {
  const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const errors: FieldError[] = [];
  const outcome = o.outcome as ResultOutcome;
  if (!RESULT_OUTCOMES.includes(outcome)) errors.push({ path: 'outcome', reason: `must be one of ${RESULT_OUTCOMES.join(', ')}` });
  let amountFen: bigint | null = null;
  if (o.amountFound !== undefined && o.amountFound !== null && o.amountFound !== '') {
    amountFen = parseYuan(o.amountFound);
    if (amountFen === null || amountFen < 0n) errors.push({ path: 'amountFound', reason: 'must be an amount in yuan with at most two decimals' });
  }
  if (outcome === 'violations' && (amountFen === null || amountFen <= 0n) && !errors.some((e) => e.path === 'amountFound')) {
    errors.push({ path: 'amountFound', reason: 'is required for violations (the amount found, in yuan, > 0)' });
  }
  if (outcome === 'compliant' && amountFen !== null && amountFen > 0n) errors.push({ path: 'amountFound', reason: 'must be empty for a compliant result' });
  const notes = typeof o.notes === 'string' && o.notes.trim() ? o.notes.trim() : null;
  if (o.notes !== undefined && o.notes !== null && typeof o.notes !== 'string') errors.push({ path: 'notes', reason: 'must be text' });
  if (notes && notes.length > 4000) errors.push({ path: 'notes', reason: 'must be at most 4000 characters' });
  if (outcome !== 'compliant' && !notes && !errors.some((e) => e.path === 'notes')) errors.push({ path: 'notes', reason: 'is required when the result is not compliant (what was found)' });
  if (errors.length) throw invalid('invalid inspection result', errors);
  return { outcome, amountFen: outcome === 'compliant' ? null : amountFen, notes };
}

/** A redraw's reason: required, at most 2000 characters. */
export function parseReason(body: unknown): string {
  const r = body && typeof body === 'object' ? (body as Record<string, unknown>).reason : undefined;
  const reason = typeof r === 'string' ? r.trim() : '';
  if (!reason || reason.length > 2000) throw invalid('a redraw needs a reason', [{ path: 'reason', reason: 'is required (at most 2000 characters)' }]);
  return reason;
}
