import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainErrorCode, DomainException } from '../common/domain.exception';

export interface InstitutionRow {
  code: string;
  name: string;
  kind: string;
  level: number | null;
  ownership: string | null;
  region: string;
  score: number | null;
  rank: number | null;
  period: string | null;
  openFindings: number;
  amountAtRisk: string;
}

export type InstitutionSort = 'score' | 'findings' | 'code';

/**
 * The console's read model of designated institutions: reference data joined with the latest risk
 * score and the open findings. Read-only; the tables stay owned by imports, scoring and screening
 * (their services have no per-institution listing, and one query beats N calls for a list page).
 */
@Injectable()
export class InstitutionDirectoryService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Institutions with their latest-period score and open findings, riskiest first by default. */
  async list(q: { search?: string; sort: InstitutionSort; page: number; pageSize: number }): Promise<{ total: number; period: string | null; items: InstitutionRow[] }> {
    const params: unknown[] = [];
    let where = '';
    if (q.search) {
      params.push(`%${q.search.replace(/[%_\\]/g, '\\$&')}%`);
      where = `WHERE i.code ILIKE $1 OR i.name ILIKE $1`;
    }
    const [{ total }] = (await this.ds.query(`SELECT count(*)::int AS total FROM institution i ${where}`, params)) as { total: number }[];
    const [{ period }] = (await this.ds.query(`SELECT max(period) AS period FROM risk_score WHERE entity_type = 'institution'`)) as { period: string | null }[];
    const order = { score: 'rs.score DESC NULLS LAST, i.code', findings: 'open_findings DESC, i.code', code: 'i.code' }[q.sort];
    params.push(period);
    const rows = (await this.ds.query(
      `WITH f AS (
         SELECT institution_code, count(*)::int AS n, sum(amount_at_risk)::text AS amount
         FROM finding WHERE status = 'open' GROUP BY institution_code)
       SELECT i.code, i.name, i.kind, i.level, i.ownership, i.region, rs.score::float8 AS score, rs.rank, rs.period,
              coalesce(f.n, 0) AS open_findings, coalesce(f.amount, '0') AS amount
       FROM institution i
       LEFT JOIN risk_score rs ON rs.entity_type = 'institution' AND rs.entity_code = i.code AND rs.period = $${params.length}
       LEFT JOIN f ON f.institution_code = i.code
       ${where}
       ORDER BY ${order}
       LIMIT ${q.pageSize | 0} OFFSET ${((q.page - 1) * q.pageSize) | 0}`,
      params,
    )) as Record<string, unknown>[];
    return { total, period, items: rows.map(toRow) };
  }

  /** One institution's reference data; 404 when the code is unknown. */
  async get(code: string): Promise<Omit<InstitutionRow, 'score' | 'rank' | 'period' | 'openFindings' | 'amountAtRisk'>> {
    if (!/^[\w.-]{1,64}$/.test(code)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid institution code', [{ path: 'code', reason: 'must be an institution code' }]);
    const rows = (await this.ds.query(`SELECT code, name, kind, level, ownership, region FROM institution WHERE code = $1`, [code.toUpperCase()])) as Record<string, unknown>[];
    if (rows.length === 0) throw new DomainException(DomainErrorCode.NotFound, `institution ${code} does not exist`, [{ path: 'code', reason: 'no institution with this code' }]);
    const r = rows[0]!;
    return { code: r.code as string, name: r.name as string, kind: r.kind as string, level: (r.level as number | null) ?? null, ownership: (r.ownership as string | null) ?? null, region: r.region as string };
  }

  /** Open findings of one institution per category, largest amount first. */
  async openFindingsByCategory(code: string): Promise<{ category: string; findings: number; amount: string }[]> {
    const rows = (await this.ds.query(
      `SELECT category, count(*)::int AS findings, sum(amount_at_risk)::text AS amount
       FROM finding WHERE status = 'open' AND institution_code = $1 GROUP BY category ORDER BY sum(amount_at_risk) DESC, category`,
      [code.toUpperCase()],
    )) as { category: string; findings: number; amount: string }[];
    return rows;
  }
}

function toRow(r: Record<string, unknown>): InstitutionRow {
  return {
    code: r.code as string,
    name: r.name as string,
    kind: r.kind as string,
    level: (r.level as number | null) ?? null,
    ownership: (r.ownership as string | null) ?? null,
    region: r.region as string,
    score: (r.score as number | null) ?? null,
    rank: (r.rank as number | null) ?? null,
    period: (r.period as string | null) ?? null,
    openFindings: r.open_findings as number,
    amountAtRisk: r.amount as string,
  };
}
