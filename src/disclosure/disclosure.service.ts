import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { fenOf, yuanText } from '../cases/money';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { CasePublicationService, PublishedCase } from '../cases/case-publication.service';
import { CreditService, GradeInfo } from '../credit/credit.service';
import { isMonth, shiftMonth } from '../common/calendar';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { InspectionsService } from '../inspections/inspections.service';
import { Institution } from '../reference/reference.entities';
import { icd10CategoryName } from './icd10-categories';
import { LedgerMonth, ReserveMonth, reserveSeries } from './reserve';
import { suppressionMask } from './suppression';

/** Months shown in trends and averaged in the fee structure: the 12 ending with the period. */
export const WINDOW_MONTHS = 12;
/** How long the heavier aggregates (periods, fee sums) are reused: public pages need not be fresher than a minute. */
const CACHE_MS = 60_000;
/** Common diseases shown per institution. */
export const COMMON_DISEASES = 5;

/** The 12 periods ending with `period`, oldest first. */
export function windowOf(period: string, months = WINDOW_MONTHS): string[] {
  return Array.from({ length: months }, (_, i) => shiftMonth(period, i - months + 1));
}

export function badPeriod(value: unknown): DomainException {
  return new DomainException(DomainErrorCode.InvalidInput, 'period must be a month written YYYY-MM', [
    { path: 'period', reason: `must be YYYY-MM (e.g. 2025-03), got ${JSON.stringify(value)}` },
  ]);
}

/** One published statistic: null values when suppressed (fewer than k patients). */
export interface SpendingCell {
  key: string;
  claims: number | null;
  patients: number | null;
  /** yuan */
  total: string | null;
  fundPaid: string | null;
  fundShare: number | null;
  suppressed: boolean;
}

export interface SpendingGroup {
  period: string;
  dimension: SpendingDimension;
  cells: SpendingCell[];
  all: SpendingCell;
}

export type SpendingDimension = 'insurance' | 'visit' | 'kind';
export const SPENDING_DIMENSIONS: readonly SpendingDimension[] = ['insurance', 'visit', 'kind'];
const DIMENSION_KEYS: Record<SpendingDimension, readonly string[]> = {
  insurance: ['employee', 'resident'],
  visit: ['outpatient', 'inpatient', 'pharmacy'],
  kind: ['hospital', 'primary_care', 'clinic', 'pharmacy'],
};

export interface PoolReserve {
  pool: 'employee' | 'resident' | 'all';
  months: (Omit<ReserveMonth, 'income' | 'expenditure' | 'balance' | 'averageExpenditure'> & { income: string; expenditure: string; balance: string; averageExpenditure: string | null })[];
}

/** Sums over the window for one institution (peerKey null) or one peer group (institutionCode null). */
export interface FeeRow {
  institutionCode: string | null;
  /** `kind|level` of a peer group's row. */
  peerKey: string | null;
  /** Institutions contributing (1 for an institution's own row). */
  institutions: number;
  setting: 'inpatient' | 'outpatient';
  dx: string;
  claims: number;
  patients: number;
  total: bigint;
  fundPaid: bigint;
  drug: bigint;
  service: bigint;
  consumable: bigint;
  other: bigint;
  stayDays: number;
}

/** One disease line of an institution's fee structure, or of its peers; null values when suppressed. */
export interface FeeFigures {
  claims: number | null;
  patients: number | null;
  averageCost: string | null;
  fundShare: number | null;
  drugShare: number | null;
  serviceShare: number | null;
  consumableShare: number | null;
  averageStay: number | null;
  suppressed: boolean;
}

export interface FeeLine {
  dx: string;
  name: { zh: string | null; en: string | null };
  own: FeeFigures;
  peers: FeeFigures & { institutions: number };
}

export interface InstitutionFees {
  setting: 'inpatient' | 'outpatient' | null;
  peerGroup: { kind: string; level: number | null };
  lines: FeeLine[];
}

/** What the public sees of a designated institution (its reference row). */
type InstitutionRow = Pick<Institution, 'code' | 'name' | 'kind' | 'level' | 'ownership' | 'region'>;

/** An institution's public page: its row, credit grade, published inspections, exposed cases, fee structure. */
export interface InstitutionRecord {
  institution: InstitutionRow;
  credit: GradeInfo | null;
  inspections: Awaited<ReturnType<InspectionsService['publishedResults']>>;
  exposure: PublishedCase[];
  fees: InstitutionFees;
}

const ratio = (part: bigint, whole: bigint): number | null => (whole > 0n ? Math.round(Number((part * 1_000_000n) / whole)) / 1_000_000 : null);

/**
 * The public disclosure site's numbers (信息披露): the fund's monthly accounts and reserve, spending
 * by insurance type, visit type and institution kind, the institution directory with credit grades,
 * inspections and results, fee structures of common diseases against peers. Aggregates only: cells
 * describing fewer than `DISCLOSURE_MIN_CELL` patients are suppressed, and nothing here reads a
 * patient's key, a claim id or a physician.
 */
@Injectable()
export class DisclosureService implements OnModuleInit {
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inspections: InspectionsService,
    private readonly publications: CasePublicationService,
    private readonly moduleRef: ModuleRef,
  ) {}

  private credit!: CreditService;

  onModuleInit() {
    // CreditModule is a dynamic module per process role, registered once by AppModule (as InspectionsService does).
    this.credit = this.moduleRef.get(CreditService, { strict: false });
  }

  get minCell(): number {
    return this.config.disclosure.minCell;
  }

  /** Months with claims or fund accounts, newest first (every live page lists them: cached a minute). */
  async periods(): Promise<string[]> {
    return this.cached('periods', async () => {
      const rows: { p: string }[] = await this.ds.query(
        `SELECT p FROM (SELECT DISTINCT to_char(settle_month, 'YYYY-MM') AS p FROM claim WHERE is_current
                        UNION SELECT period FROM fund_ledger) x ORDER BY p DESC`,
      );
      return rows.map((r) => r.p);
    });
  }

  /** A value computed at most once a minute per key; a failure is not kept. */
  private cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value as Promise<T>;
    for (const [k, v] of this.cache) if (Date.now() - v.at >= CACHE_MS) this.cache.delete(k);
    const value = compute();
    this.cache.set(key, { at: Date.now(), value });
    value.catch(() => {
      if (this.cache.get(key)?.value === value) this.cache.delete(key);
    });
    return value;
  }

  /**
   * The period asked for (400 naming `period` if malformed), or by default the newest month of the
   * fund's accounts (claims of the latest months are usually still arriving), else of the claims.
   */
  async resolvePeriod(value: unknown): Promise<string> {
    if (value !== undefined && value !== null && value !== '') {
      if (!isMonth(value)) throw badPeriod(value);
      return value;
    }
    const [ledger]: { p: string | null }[] = await this.ds.query(`SELECT max(period) AS p FROM fund_ledger`);
    if (ledger?.p) return ledger.p;
    const [latest] = await this.periods();
    if (latest) return latest;
    return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
  }

  // ---------------------------------------------------------------------------------------------
  // The fund

  /** Income, spending, balance and months of reserve per pool (and both together), the 12 months to `period`. */
  async fundReserve(period: string): Promise<PoolReserve[]> {
    // The reserve needs up to 11 earlier months of spending for the first month shown.
    const from = shiftMonth(period, -(2 * WINDOW_MONTHS - 1));
    const rows: { period: string; insurance_type: 'employee' | 'resident'; income: string; expenditure: string; balance: string }[] = await this.ds.query(
      `SELECT period, insurance_type, income, expenditure, balance FROM fund_ledger WHERE period BETWEEN $1 AND $2 ORDER BY period`,
      [from, period],
    );
    const shown = new Set(windowOf(period));
    const series = (pool: PoolReserve['pool'], months: LedgerMonth[]): PoolReserve => ({
      pool,
      months: reserveSeries(months)
        .filter((m) => shown.has(m.period))
        .map((m) => ({
          ...m,
          income: yuanText(m.income),
          expenditure: yuanText(m.expenditure),
          balance: yuanText(m.balance),
          averageExpenditure: m.averageExpenditure === null ? null : yuanText(m.averageExpenditure),
        })),
    });
    const of = (r: (typeof rows)[number]): LedgerMonth => ({ period: r.period, income: fenOf(r.income), expenditure: fenOf(r.expenditure), balance: fenOf(r.balance) });
    const out: PoolReserve[] = [];
    for (const pool of ['employee', 'resident'] as const) {
      const mine = rows.filter((r) => r.insurance_type === pool).map(of);
      if (mine.length > 0) out.push(series(pool, mine));
    }
    // Both pools together, for the months where both reported (a partial month would understate it).
    const byPeriod = new Map<string, LedgerMonth[]>();
    for (const r of rows) byPeriod.set(r.period, [...(byPeriod.get(r.period) ?? []), of(r)]);
    const pools = new Set(rows.map((r) => r.insurance_type)).size;
    const all = [...byPeriod.entries()]
      .filter(([, ms]) => ms.length === pools)
      .map(([p, ms]) => ({ period: p, income: ms.reduce((s, m) => s + m.income, 0n), expenditure: ms.reduce((s, m) => s + m.expenditure, 0n), balance: ms.reduce((s, m) => s + m.balance, 0n) }));
    if (pools > 1 && all.length > 0) out.push(series('all', all));
    return out;
  }

  /**
   * Spending from the settled claims for each month of the window, by insurance type, visit type and
   * institution kind, with claims and distinct patients; small cells suppressed (with a companion
   * cell, since each group's total is published).
   */
  async spending(period: string): Promise<SpendingGroup[]> {
    const months = windowOf(period);
    const rows: { period: string; insurance: string | null; visit: string | null; kind: string | null; g: number; claims: string; patients: string; total: string; fund: string }[] = await this.ds.query(
      `SELECT to_char(c.settle_month, 'YYYY-MM') AS period, c.insurance_type AS insurance, c.visit_type AS visit, coalesce(i.kind, 'unknown') AS kind,
              GROUPING(c.insurance_type, c.visit_type, coalesce(i.kind, 'unknown'))::int AS g,
              count(*) AS claims, count(DISTINCT c.patient_key) AS patients, sum(c.total_amount) AS total, sum(c.fund_paid) AS fund
       FROM claim c LEFT JOIN institution i ON i.code = c.institution_code
       WHERE c.is_current AND c.settle_month BETWEEN $1::date AND $2::date
       GROUP BY GROUPING SETS ((1, c.insurance_type), (1, c.visit_type), (1, coalesce(i.kind, 'unknown')), (1))`,
      [`${months[0]}-01`, `${period}-01`],
    );
    const k = this.minCell;
    const cell = (key: string, r: (typeof rows)[number] | undefined): SpendingCell => {
      const total = fenOf(r?.total ?? '0');
      const fund = fenOf(r?.fund ?? '0');
      return {
        key,
        claims: Number(r?.claims ?? 0),
        patients: Number(r?.patients ?? 0),
        total: yuanText(total),
        fundPaid: yuanText(fund),
        fundShare: ratio(fund, total),
        suppressed: false,
      };
    };
    const hide = (c: SpendingCell): SpendingCell => ({ key: c.key, claims: null, patients: null, total: null, fundPaid: null, fundShare: null, suppressed: true });
    const groups: SpendingGroup[] = [];
    for (const p of months) {
      const inMonth = rows.filter((r) => r.period === p);
      const allRow = inMonth.find((r) => r.g === 7);
      const all = cell('all', allRow);
      for (const dimension of SPENDING_DIMENSIONS) {
        // GROUPING bits: insurance 4, visit 2, kind 1 — a row of this dimension has only its own bit clear.
        const mask = dimension === 'insurance' ? 3 : dimension === 'visit' ? 5 : 6;
        const present = inMonth.filter((r) => r.g === mask);
        const keys = [...DIMENSION_KEYS[dimension], ...present.map((r) => r[dimension]!).filter((key) => !DIMENSION_KEYS[dimension].includes(key))];
        const cells = keys.map((key) => cell(key, present.find((r) => r[dimension] === key)));
        const hidden = suppressionMask(
          cells.map((c) => c.patients!),
          { k, totalPublished: true },
        );
        groups.push({
          period: p,
          dimension,
          cells: cells.map((c, i) => (hidden[i] ? hide(c) : c)),
          all: all.patients! > 0 && all.patients! < k ? hide(all) : all,
        });
      }
    }
    return groups;
  }

  // ---------------------------------------------------------------------------------------------
  // Institutions

  async institutionRows(): Promise<InstitutionRow[]> {
    return this.ds.query(`SELECT code, name, kind, level, ownership, region FROM institution ORDER BY kind, level DESC NULLS LAST, code`);
  }

  /** The directory: every designated institution with its credit grade and its published inspection results. */
  async directory() {
    const [institutions, grades, results, exposures] = await Promise.all([
      this.institutionRows(),
      this.credit.gradesFor(),
      this.inspections.publishedResults(),
      this.exposureCounts(),
    ]);
    return institutions.map((i) => {
      const mine = results.filter((r) => r.institutionCode === i.code);
      const last = mine[0] ?? null;
      return {
        ...i,
        grade: grades.get(i.code)?.grade ?? null,
        score: grades.get(i.code)?.score ?? null,
        inspections: mine.length,
        lastInspection: last ? { outcome: last.outcome, publishedAt: last.publishedAt } : null,
        exposures: exposures.get(i.code) ?? 0,
      };
    });
  }

  private async exposureCounts(): Promise<Map<string, number>> {
    const rows = await this.exposure();
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.institution.code, (counts.get(r.institution.code) ?? 0) + 1);
    return counts;
  }

  /** One institution's public record (404 naming `code` when there is no such institution). */
  async institution(code: string, period: string): Promise<InstitutionRecord> {
    const [inst]: InstitutionRow[] = await this.ds.query(`SELECT code, name, kind, level, ownership, region FROM institution WHERE code = $1`, [code]);
    if (!inst) throw new DomainException(DomainErrorCode.NotFound, `no designated institution has the code ${code}`, [{ path: 'code', reason: 'no such institution' }]);
    return (await this.records([inst], period, inst.code))[0]!;
  }

  /** Every institution's public record, each source read once (the static export). */
  async institutionRecords(period: string): Promise<InstitutionRecord[]> {
    return this.records(await this.institutionRows(), period);
  }

  private async records(institutions: InstitutionRow[], period: string, only?: string): Promise<InstitutionRecord[]> {
    const [grades, results, exposure, fees] = await Promise.all([
      this.credit.gradesFor(only ? [only] : undefined),
      this.inspections.publishedResults({ institutionCode: only }),
      this.exposure(only),
      this.feeRows(period),
    ]);
    return institutions.map((inst) => ({
      institution: inst,
      credit: grades.get(inst.code) ?? null,
      inspections: results.filter((r) => r.institutionCode === inst.code),
      exposure: exposure.filter((e) => e.institution.code === inst.code),
      fees: feeStructureOf(inst, fees, this.minCell),
    }));
  }

  // ---------------------------------------------------------------------------------------------
  // Fee structure of common diseases (常见病种费用结构)

  /** Per institution (and peer group), setting and 3-character diagnosis over the window: the raw sums (cached a minute). */
  async feeRows(period: string): Promise<FeeRow[]> {
    return this.cached(`fees:${period}`, () => this.queryFees(period));
  }

  private async queryFees(period: string): Promise<FeeRow[]> {
    const months = windowOf(period);
    const from = `${months[0]}-01`;
    const to = `${period}-01`;
    const rows: Record<string, string | null>[] = await this.ds.query(
      `WITH c AS (
         SELECT c.id, c.institution_code, coalesce(i.kind, 'unknown') AS kind, coalesce(i.level::text, '') AS level,
                CASE WHEN c.visit_type = 'inpatient' THEN 'inpatient' ELSE 'outpatient' END AS setting,
                upper(left(c.primary_diagnosis, 3)) AS dx, c.patient_key, c.total_amount, c.fund_paid,
                CASE WHEN c.visit_type = 'inpatient' THEN greatest(c.discharge_date - c.admission_date, 1) ELSE 0 END AS stay
         FROM claim c LEFT JOIN institution i ON i.code = c.institution_code
         WHERE c.is_current AND c.settle_month BETWEEN $1::date AND $2::date AND c.primary_diagnosis IS NOT NULL),
       l AS (
         SELECT it.claim_pk,
                sum(it.amount) FILTER (WHERE k.kind = 'drug') AS drug,
                sum(it.amount) FILTER (WHERE k.kind = 'service') AS service,
                sum(it.amount) FILTER (WHERE k.kind = 'consumable') AS consumable,
                sum(it.amount) FILTER (WHERE k.kind IS NULL) AS other
         FROM claim_item it LEFT JOIN catalog_item k ON k.code = it.item_code
         WHERE it.settle_month BETWEEN $1::date AND $2::date AND it.claim_pk IN (SELECT id FROM c)
         GROUP BY it.claim_pk),
       x AS (SELECT c.*, l.drug, l.service, l.consumable, l.other FROM c LEFT JOIN l ON l.claim_pk = c.id),
       own AS (SELECT institution_code, setting, dx, count(DISTINCT patient_key) AS patients FROM x GROUP BY 1, 2, 3)
       SELECT x.institution_code, NULL AS peer_key, x.setting, x.dx, count(*) AS claims, count(DISTINCT x.patient_key) AS patients, 1 AS institutions,
              sum(x.total_amount) AS total, sum(x.fund_paid) AS fund, coalesce(sum(x.drug), 0) AS drug, coalesce(sum(x.service), 0) AS service,
              coalesce(sum(x.consumable), 0) AS consumable, coalesce(sum(x.other), 0) AS other, sum(x.stay) AS stay
       FROM x GROUP BY x.institution_code, x.setting, x.dx
       UNION ALL
       -- A peer group's figures count only members whose own figures are published (at least k patients):
       -- subtracting the published members from the group then recovers nothing that was withheld.
       SELECT NULL, x.kind || '|' || x.level, x.setting, x.dx, count(*), count(DISTINCT x.patient_key), count(DISTINCT x.institution_code),
              sum(x.total_amount), sum(x.fund_paid), coalesce(sum(x.drug), 0), coalesce(sum(x.service), 0),
              coalesce(sum(x.consumable), 0), coalesce(sum(x.other), 0), sum(x.stay)
       FROM x JOIN own o ON o.institution_code = x.institution_code AND o.setting = x.setting AND o.dx = x.dx
       WHERE o.patients >= $3
       GROUP BY x.kind || '|' || x.level, x.setting, x.dx`,
      [from, to, this.minCell],
    );
    return rows.map((r) => ({
      institutionCode: r.institution_code,
      peerKey: r.peer_key,
      setting: r.setting as FeeRow['setting'],
      dx: r.dx!,
      claims: Number(r.claims),
      patients: Number(r.patients),
      institutions: Number(r.institutions),
      total: fenOf(r.total),
      fundPaid: fenOf(r.fund),
      drug: fenOf(r.drug),
      service: fenOf(r.service),
      consumable: fenOf(r.consumable),
      other: fenOf(r.other),
      stayDays: Number(r.stay),
    }));
  }

  /** Every institution's fee structure, keyed by code. */
  async allFees(period: string): Promise<Map<string, InstitutionFees>> {
    const [institutions, rows] = await Promise.all([this.institutionRows(), this.feeRows(period)]);
    return new Map(institutions.map((i) => [i.code, feeStructureOf(i, rows, this.minCell)]));
  }

  // ---------------------------------------------------------------------------------------------
  // Inspections and exposure

  /**
   * Committed and drawn plans with their draws, and every result published so far. Publication is
   * cumulative: a site generated for an earlier month still lists what has been made public since
   * (the period selects the statistics, not what the public may know).
   */
  async inspectionsPublic() {
    const [plans, results] = await Promise.all([this.inspections.publicPlans(), this.inspections.publishedResults()]);
    return { plans, results };
  }

  /** 曝光台: the cases a supervisor marked for publication whose decision is final (all so far). */
  async exposure(institutionCode?: string) {
    return this.publications.listPublished({ institutionCode });
  }
}

/** The peer group of an institution: same kind and level (同级同类). */
export function peerKeyOf(inst: Pick<InstitutionRow, 'kind' | 'level'>): string {
  return `${inst.kind}|${inst.level ?? ''}`;
}

/**
 * An institution's fee structure: its most frequent diagnoses in its main setting (inpatient when it
 * has inpatient claims, else outpatient), each against the same diagnosis across its peer group (same
 * kind and level; only members whose own figures are published, itself included when it is; distinct
 * patients counted over the group). Figures describing fewer than k patients are suppressed.
 */
export function feeStructureOf(inst: InstitutionRow, rows: readonly FeeRow[], k: number, top = COMMON_DISEASES): InstitutionFees {
  const peerGroup = { kind: inst.kind, level: inst.level };
  const own = rows.filter((r) => r.institutionCode === inst.code);
  const setting = own.some((r) => r.setting === 'inpatient') ? 'inpatient' : own.length > 0 ? 'outpatient' : null;
  if (setting === null) return { setting, peerGroup, lines: [] };
  const peerKey = peerKeyOf(inst);
  const common = own
    .filter((r) => r.setting === setting)
    .sort((a, b) => b.claims - a.claims || (a.dx < b.dx ? -1 : 1))
    .slice(0, top);
  const lines = common.map((r): FeeLine => {
    const group = rows.find((p) => p.peerKey === peerKey && p.setting === setting && p.dx === r.dx);
    return {
      dx: r.dx,
      name: { zh: icd10CategoryName(r.dx, 'zh'), en: icd10CategoryName(r.dx, 'en') },
      own: figures(r, setting, k),
      // No publishable member: nothing to compare with (and nothing about the withheld ones).
      peers: group ? { ...figures(group, setting, k), institutions: group.institutions } : { ...WITHHELD, suppressed: true, institutions: 0 },
    };
  });
  return { setting, peerGroup, lines };
}

const WITHHELD: FeeFigures = { claims: null, patients: null, averageCost: null, fundShare: null, drugShare: null, serviceShare: null, consumableShare: null, averageStay: null, suppressed: true };

function figures(r: FeeRow, setting: 'inpatient' | 'outpatient', k: number): FeeFigures {
  if (r.claims === 0 || r.patients < k) return { ...WITHHELD, suppressed: r.claims > 0 };
  const lineTotal = r.drug + r.service + r.consumable + r.other;
  return {
    claims: r.claims,
    patients: r.patients,
    averageCost: yuanText((r.total * 2n + BigInt(r.claims)) / (2n * BigInt(r.claims))),
    fundShare: ratio(r.fundPaid, r.total),
    drugShare: ratio(r.drug, lineTotal),
    serviceShare: ratio(r.service, lineTotal),
    consumableShare: ratio(r.consumable, lineTotal),
    averageStay: setting === 'inpatient' ? Math.round((r.stayDays / r.claims) * 10) / 10 : null,
    suppressed: false,
  };
}
