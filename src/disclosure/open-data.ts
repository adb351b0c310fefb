import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { DisclosureService, InstitutionFees } from './disclosure.service';

/** One open dataset: named columns, rows of plain values (strings, numbers, booleans or null). */
export interface Dataset {
  name: OpenDatasetName;
  columns: readonly string[];
  rows: Record<string, string | number | boolean | null>[];
}

export const OPEN_DATASETS = ['fund-ledger', 'claims-monthly', 'institutions', 'fee-structure', 'inspection-results', 'exposure'] as const;
export type OpenDatasetName = (typeof OPEN_DATASETS)[number];

export function isOpenDataset(name: string): name is OpenDatasetName {
  return (OPEN_DATASETS as readonly string[]).includes(name);
}

const iso = (d: Date | string | null | undefined): string | null => (d === null || d === undefined ? null : new Date(d).toISOString());

/** CSV for spreadsheets: UTF-8 with a byte-order mark (Excel opens Chinese text right), CRLF, a header row. */
export function datasetCsv(d: Dataset): string {
  return `\uFEFF${stringify(
    d.rows.map((r) => d.columns.map((c) => r[c] ?? '')),
    { header: true, columns: [...d.columns], record_delimiter: 'windows', cast: { boolean: (b) => (b ? 'true' : 'false') } },
  )}`;
}

/** JSON with what a reader needs to interpret it. */
export function datasetJson(d: Dataset, meta: { period: string; generatedAt: Date; minCell: number }): string {
  return `${JSON.stringify({ dataset: d.name, period: meta.period, generatedAt: meta.generatedAt.toISOString(), suppression: { minPatients: meta.minCell }, columns: d.columns, rows: d.rows }, null, 2)}\n`;
}

/**
 * The open data (开放数据) behind the public pages, as tables: the same aggregates, the same
 * suppression (a suppressed row has empty figures and `suppressed = true`), nothing about a person.
 */
@Injectable()
export class OpenData {
  constructor(private readonly disclosure: DisclosureService) {}

  async build(name: OpenDatasetName, period: string, fees?: Map<string, InstitutionFees>): Promise<Dataset> {
    switch (name) {
      case 'fund-ledger':
        return this.fundLedger(period);
      case 'claims-monthly':
        return this.claimsMonthly(period);
      case 'institutions':
        return this.institutions(period);
      case 'fee-structure':
        return this.feeStructure(period, fees);
      case 'inspection-results':
        return this.inspectionResults(period);
      case 'exposure':
        return this.exposure(period);
    }
  }

  async all(period: string, fees?: Map<string, InstitutionFees>): Promise<Dataset[]> {
    const out: Dataset[] = [];
    for (const name of OPEN_DATASETS) out.push(await this.build(name, period, fees));
    return out;
  }

  private async fundLedger(period: string): Promise<Dataset> {
    const pools = await this.disclosure.fundReserve(period);
    return {
      name: 'fund-ledger',
      columns: ['period', 'pool', 'income', 'expenditure', 'balance', 'average_expenditure_12m', 'months_averaged', 'reserve_months', 'band'],
      rows: pools.flatMap((p) =>
        p.months.map((m) => ({
          period: m.period,
          pool: p.pool,
          income: m.income,
          expenditure: m.expenditure,
          balance: m.balance,
          average_expenditure_12m: m.averageExpenditure,
          months_averaged: m.monthsAveraged,
          reserve_months: m.reserveMonths,
          band: m.band,
        })),
      ),
    };
  }

  private async claimsMonthly(period: string): Promise<Dataset> {
    const groups = await this.disclosure.spending(period);
    const rows: Dataset['rows'] = [];
    for (const g of groups) {
      for (const c of [...g.cells, g.all]) {
        rows.push({ period: g.period, dimension: g.dimension, key: c.key, claims: c.claims, patients: c.patients, total: c.total, fund_paid: c.fundPaid, fund_share: c.fundShare, suppressed: c.suppressed });
      }
    }
    return { name: 'claims-monthly', columns: ['period', 'dimension', 'key', 'claims', 'patients', 'total', 'fund_paid', 'fund_share', 'suppressed'], rows };
  }

  private async institutions(period: string): Promise<Dataset> {
    const rows = await this.disclosure.directory();
    return {
      name: 'institutions',
      columns: ['code', 'name', 'kind', 'level', 'ownership', 'region', 'credit_grade', 'credit_score', 'inspections_published', 'exposed_cases'],
      rows: rows.map((i) => ({
        code: i.code,
        name: i.name,
        kind: i.kind,
        level: i.level,
        ownership: i.ownership,
        region: i.region,
        credit_grade: i.grade,
        credit_score: i.score,
        inspections_published: i.inspections,
        exposed_cases: i.exposures,
      })),
    };
  }

  private async feeStructure(period: string, precomputed?: Map<string, InstitutionFees>): Promise<Dataset> {
    const fees = precomputed ?? (await this.disclosure.allFees(period));
    const rows: Dataset['rows'] = [];
    for (const [code, f] of fees) {
      for (const l of f.lines) {
        for (const who of ['own', 'peers'] as const) {
          const x = l[who];
          rows.push({
            institution_code: code,
            setting: f.setting,
            diagnosis_category: l.dx,
            diagnosis_name: l.name.zh,
            figures_of: who === 'own' ? 'institution' : `peers:${f.peerGroup.kind}${f.peerGroup.level === null ? '' : `-${f.peerGroup.level}`}`,
            peer_institutions: who === 'peers' ? l.peers.institutions : null,
            claims: x.claims,
            patients: x.patients,
            average_cost: x.averageCost,
            fund_share: x.fundShare,
            drug_share: x.drugShare,
            service_share: x.serviceShare,
            consumable_share: x.consumableShare,
            average_stay_days: x.averageStay,
            suppressed: x.suppressed,
          });
        }
      }
    }
    return {
      name: 'fee-structure',
      columns: ['institution_code', 'setting', 'diagnosis_category', 'diagnosis_name', 'figures_of', 'peer_institutions', 'claims', 'patients', 'average_cost', 'fund_share', 'drug_share', 'service_share', 'consumable_share', 'average_stay_days', 'suppressed'],
      rows,
    };
  }

  private async inspectionResults(period: string): Promise<Dataset> {
    const { results } = await this.disclosure.inspectionsPublic();
    return {
      name: 'inspection-results',
      columns: ['published_at', 'decided_at', 'institution_code', 'institution_name', 'plan', 'plan_period', 'enforcing_body', 'matters', 'outcome', 'amount_found', 'draw_id'],
      rows: results.map((r) => ({
        published_at: iso(r.publishedAt),
        decided_at: iso(r.decidedAt),
        institution_code: r.institutionCode,
        institution_name: r.institutionName,
        plan: r.plan.name,
        plan_period: r.plan.period,
        enforcing_body: r.enforcingBody,
        matters: r.matters.join('；'),
        outcome: r.outcome,
        amount_found: r.amountFound,
        draw_id: r.drawId,
      })),
    };
  }

  private async exposure(period: string): Promise<Dataset> {
    const cases = await this.disclosure.exposure();
    return {
      name: 'exposure',
      columns: ['final_on', 'case_number', 'institution_code', 'institution_name', 'violation_type', 'categories', 'summary_zh', 'summary_en', 'article', 'clause', 'legal_basis', 'refund', 'fine', 'fine_multiple', 'suspension_months', 'agreement_action', 'appeal'],
      rows: cases.map((c) => ({
        final_on: c.finalOn,
        case_number: c.caseNumber,
        institution_code: c.institution.code,
        institution_name: c.institution.name,
        violation_type: c.behaviour.violationType,
        categories: c.behaviour.categories.join(';'),
        summary_zh: c.behaviour.summaryZh,
        summary_en: c.behaviour.summaryEn,
        article: c.legalBasis.article,
        clause: c.legalBasis.clause,
        legal_basis: c.legalBasis.text.zh,
        refund: c.amounts.refund,
        fine: c.amounts.fine,
        fine_multiple: c.outcome.fineMultiple,
        suspension_months: c.outcome.suspensionMonths,
        agreement_action: c.outcome.agreementAction,
        appeal: c.outcome.appeal,
      })),
    };
  }
}
