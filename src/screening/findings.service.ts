import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { MONTH_RE } from '../common/calendar';

export interface FindingFilter {
  institution?: string;
  category?: string;
  rule?: string;
  /** YYYY-MM: settlement month */
  period?: string;
  status?: string;
  claim?: string;
  page: number;
  pageSize: number;
}

export interface FindingView {
  id: string;
  claimId: string;
  itemSeq: number | null;
  ruleId: string;
  ruleVersion: number;
  ruleHash: string;
  category: string;
  resultType: string;
  severity: string;
  institutionCode: string;
  physicianCode: string | null;
  period: string;
  amountAtRisk: string;
  why: { zh: string; en: string };
  evidence: Record<string, unknown>;
  relatedClaimId: string | null;
  status: string;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface RuleHitStats {
  ruleId: string;
  open: number;
  retired: number;
  confirmed: number;
  dismissed: number;
  amountAtRisk: string;
  institutions: number;
}

const STATUSES = ['open', 'retired', 'confirmed', 'dismissed'];

/** Reading findings: filtered pages, the CSV export, per-rule hit counts. */
@Injectable()
export class FindingsService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Checks filter values, naming each bad one. */
  static parseFilter(query: Record<string, unknown>, paging: { page: number; pageSize: number }): FindingFilter {
    const errors: FieldError[] = [];
    const str = (name: string, re: RegExp, reason: string): string | undefined => {
      const v = query[name];
      if (v === undefined || v === '') return undefined;
      if (typeof v !== 'string' || !re.test(v)) {
        errors.push({ path: name, reason });
        return undefined;
      }
      return v;
    };
    const f: FindingFilter = {
      institution: str('institution', /^[\w.-]{1,64}$/, 'must be an institution code')?.toUpperCase(),
      category: str('category', /^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a category such as PRICE_CEILING')?.toUpperCase(),
      rule: str('rule', /^[a-z0-9-]{1,64}$/, 'must be a rule id such as price-ceiling'),
      period: str('period', MONTH_RE, 'must be a month YYYY-MM'),
      status: str('status', new RegExp(`^(${STATUSES.join('|')})$`), `must be one of ${STATUSES.join(', ')}`),
      claim: str('claim', /^[\w.-]{1,64}$/, 'must be a claim id')?.toUpperCase(),
      ...paging,
    };
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', errors);
    return f;
  }

  private where(f: Omit<FindingFilter, 'page' | 'pageSize'>): { sql: string; params: unknown[] } {
    const conds: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      conds.push(sql.replace('?', `$${params.length}`));
    };
    if (f.institution) add('f.institution_code = ?', f.institution);
    if (f.category) add('f.category = ?', f.category);
    if (f.rule) add('f.rule_id = ?', f.rule);
    if (f.period) add('f.settle_month = ?::date', `${f.period}-01`);
    if (f.status) add('f.status = ?', f.status);
    if (f.claim) add('f.claim_id = ?', f.claim);
    return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
  }

  async list(f: FindingFilter): Promise<{ total: number; page: number; pageSize: number; items: FindingView[] }> {
    const w = this.where(f);
    const [{ total }] = await this.ds.query(`SELECT count(*)::int AS total FROM finding f ${w.sql}`, w.params);
    const rows = await this.ds.query(
      `SELECT f.*, f.settle_month::text AS settle_month FROM finding f ${w.sql} ORDER BY f.settle_month DESC, f.claim_id, f.item_seq, f.rule_id LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
      w.params,
    );
    return { total, page: f.page, pageSize: f.pageSize, items: rows.map(view) };
  }

  async get(id: string): Promise<FindingView> {
    if (!/^\d{1,18}$/.test(id)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid finding id', [{ path: 'id', reason: 'must be a number' }]);
    const rows = await this.ds.query('SELECT f.*, f.settle_month::text AS settle_month FROM finding f WHERE f.id = $1', [id]);
    if (rows.length === 0) throw new DomainException(DomainErrorCode.NotFound, `finding ${id} does not exist`);
    return view(rows[0]);
  }

  /** Open findings for the export, in claim order, a page at a time (keyset on the subject). */
  async *iterateForExport(status = 'open'): AsyncGenerator<{ claim_id: string; item_seq: number; rule_id: string; category: string; amount_at_risk: string }> {
    let after: [string, number, string] = ['', -1, ''];
    for (;;) {
      const rows: { claim_id: string; item_seq: number; rule_id: string; category: string; amount_at_risk: string }[] = await this.ds.query(
        `SELECT claim_id, item_seq, rule_id, category, amount_at_risk FROM finding
         WHERE status = $1 AND (claim_id, item_seq, rule_id) > ($2, $3, $4)
         ORDER BY claim_id, item_seq, rule_id LIMIT 10000`,
        [status, ...after],
      );
      if (rows.length === 0) return;
      yield* rows;
      const last = rows[rows.length - 1]!;
      after = [last.claim_id, last.item_seq, last.rule_id];
    }
  }

  /** Hits per rule: open and retired findings, reviewed outcomes, amount at risk, institutions touched. */
  async ruleStats(ruleId?: string): Promise<Map<string, RuleHitStats>> {
    const rows: { rule_id: string; open: number; retired: number; confirmed: number; dismissed: number; amount: string; institutions: number }[] = await this.ds.query(
      `SELECT rule_id,
              count(*) FILTER (WHERE status = 'open')::int AS open,
              count(*) FILTER (WHERE status = 'retired')::int AS retired,
              count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed,
              count(*) FILTER (WHERE status = 'dismissed')::int AS dismissed,
              coalesce(sum(amount_at_risk) FILTER (WHERE status <> 'retired'), 0)::text AS amount,
              count(DISTINCT institution_code) FILTER (WHERE status <> 'retired')::int AS institutions
       FROM finding ${ruleId ? 'WHERE rule_id = $1' : ''} GROUP BY rule_id`,
      ruleId ? [ruleId] : [],
    );
    return new Map(
      rows.map((r) => [
        r.rule_id,
        { ruleId: r.rule_id, open: r.open, retired: r.retired, confirmed: r.confirmed, dismissed: r.dismissed, amountAtRisk: Number(r.amount).toFixed(2), institutions: r.institutions },
      ]),
    );
  }

  /** Open findings per category (the screen command's summary). */
  async countsByCategory(): Promise<{ category: string; findings: number; amount: string }[]> {
    const rows: { category: string; findings: number; amount: string }[] = await this.ds.query(
      `SELECT category, count(*)::int AS findings, sum(amount_at_risk)::text AS amount FROM finding WHERE status = 'open' GROUP BY category ORDER BY category`,
    );
    return rows.map((r) => ({ ...r, amount: Number(r.amount).toFixed(2) }));
  }
}

function view(r: Record<string, unknown>): FindingView {
  return {
    id: r.id as string,
    claimId: r.claim_id as string,
    itemSeq: (r.item_seq as number) === 0 ? null : (r.item_seq as number),
    ruleId: r.rule_id as string,
    ruleVersion: r.rule_version as number,
    ruleHash: r.rule_hash as string,
    category: r.category as string,
    resultType: r.result_type as string,
    severity: r.severity as string,
    institutionCode: r.institution_code as string,
    physicianCode: r.physician_code as string | null,
    period: String(r.settle_month).slice(0, 7),
    amountAtRisk: r.amount_at_risk as string,
    why: { zh: r.why_zh as string, en: r.why_en as string },
    evidence: r.evidence as Record<string, unknown>,
    relatedClaimId: r.related_claim_id as string | null,
    status: r.status as string,
    createdAt: r.created_at as Date,
    retiredAt: r.retired_at as Date | null,
  };
}
