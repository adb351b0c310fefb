import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Lang } from '../console/i18n';
import { ViewRenderer } from '../console/view-renderer.service';
import { CreditPolicyService } from '../credit/credit-policy.service';
import { InspectionsService } from '../inspections/inspections.service';
import { DisclosureCharts } from './disclosure-charts';
import { DisclosureService, InstitutionRecord, SPENDING_DIMENSIONS, windowOf } from './disclosure.service';

/** A page whose data is read once and rendered in either language (charts and labels differ). */
export type LocalisedPage = (lang: Lang) => PublicPage;

/** One page of the public site, ready to render live or into the static export. */
export interface PublicPage {
  view: string;
  /** i18n key of the title (or the text), with its values. */
  title: string;
  titleVars?: Record<string, unknown>;
  /** The nav entry it belongs to. */
  section: 'fund' | 'institutions' | 'inspections' | 'exposure' | 'data';
  context: Record<string, unknown>;
}

/**
 * Builds the public site's pages (fund overview, institution directory and pages, inspections,
 * exposure, open data, a draw) from DisclosureService's aggregates, with their charts. The live
 * controller and the static export render the very same pages; only the links differ (public-site.ts).
 */
@Injectable()
export class PublicPages implements OnModuleInit {
  constructor(
    private readonly disclosure: DisclosureService,
    private readonly inspections: InspectionsService,
    private readonly moduleRef: ModuleRef,
    private readonly charts: DisclosureCharts,
    private readonly views: ViewRenderer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private creditPolicy!: CreditPolicyService;

  onModuleInit() {
    this.creditPolicy = this.moduleRef.get(CreditPolicyService, { strict: false });
  }

  /** What every page's layout needs. */
  common(period: string): Record<string, unknown> {
    const months = windowOf(period);
    return { period, window: { from: months[0], to: period }, privacy: { minCell: this.config.disclosure.minCell } };
  }

  private t(lang: Lang, key: string, vars?: Record<string, unknown>): string {
    return this.views.t(lang, key, vars);
  }

  async fund(period: string): Promise<LocalisedPage> {
    const [pools, spending] = await Promise.all([this.disclosure.fundReserve(period), this.disclosure.spending(period)]);
    const current = SPENDING_DIMENSIONS.map((d) => spending.find((g) => g.period === period && g.dimension === d)!);
    // Months without any settled claim are left out (they would read as "the fund paid nothing").
    const byInsurance = spending.filter((g) => g.dimension === 'insurance' && (g.all.suppressed || (g.all.claims ?? 0) > 0));
    const trend = {
      months: byInsurance.map((g) => g.period),
      series: (['employee', 'resident'] as const).map((key) => ({ key, values: byInsurance.map((g) => g.cells.find((c) => c.key === key)?.fundPaid ?? null) })),
    };
    return (lang) => this.fundPage(period, pools, current, trend, lang);
  }

  private fundPage(
    period: string,
    pools: Awaited<ReturnType<DisclosureService['fundReserve']>>,
    current: Awaited<ReturnType<DisclosureService['spending']>>,
    trend: { months: string[]; series: { key: string; values: (string | null)[] }[] },
    lang: Lang,
  ): PublicPage {
    const poolViews = pools.map((p) => {
      const latest = p.months.find((m) => m.period === period) ?? p.months[p.months.length - 1] ?? null;
      const poolName = this.t(lang, `disclosure.fund.pool.${p.pool}`);
      return {
        ...p,
        latest,
        reserveChart: this.charts.reserve(`reserve-${p.pool}`, p, lang, {
          title: this.t(lang, 'disclosure.fund.chartReserve', { pool: poolName }),
          desc: latest?.reserveMonths != null ? this.t(lang, 'disclosure.fund.chartReserveDesc', { pool: poolName, period: latest.period, months: latest.reserveMonths, band: this.t(lang, `disclosure.fund.bands.${latest.band}`) }) : poolName,
        }),
        ledgerChart: this.charts.ledger(`ledger-${p.pool}`, p, lang, {
          title: this.t(lang, 'disclosure.fund.chartLedger', { pool: poolName }),
          desc: this.t(lang, 'disclosure.fund.chartLedgerDesc', { pool: poolName }),
        }),
      };
    });
    return {
      view: 'disclosure/fund',
      title: 'disclosure.fund.title',
      section: 'fund',
      context: {
        pools: poolViews,
        current,
        trend,
        trendChart: this.charts.trend('trend-insurance', trend, lang, { title: this.t(lang, 'disclosure.fund.trendTitle'), desc: this.t(lang, 'disclosure.fund.chartTrendDesc') }),
      },
    };
  }

  async institutions(kind?: string): Promise<LocalisedPage> {
    const all = await this.disclosure.directory();
    const kinds = [...new Set(all.map((i) => i.kind))];
    const rows = kind ? all.filter((i) => i.kind === kind) : all;
    return same({ view: 'disclosure/institutions', title: 'disclosure.institutions.title', section: 'institutions', context: { rows, kinds, kind: kind ?? null } });
  }

  /** An institution's page from its record (DisclosureService.institution, or institutionRecords for the export). */
  institution(d: InstitutionRecord): LocalisedPage {
    return (lang) => this.institutionPage(d, lang);
  }

  private institutionPage(d: InstitutionRecord, lang: Lang): PublicPage {
    const code = d.institution.code;
    const grade = d.credit ? this.creditPolicy.policy.grades.find((g) => g.grade === d.credit!.grade) ?? null : null;
    const name = d.institution.name;
    return {
      view: 'disclosure/institution',
      title: 'disclosure.institution.title',
      titleVars: { name },
      section: 'institutions',
      context: {
        ...d,
        grade,
        peerLabel: `${this.t(lang, `disclosure.kind.${d.fees.peerGroup.kind}`)}${d.fees.peerGroup.level ? ` · ${this.t(lang, 'disclosure.institutions.levelN', { n: d.fees.peerGroup.level })}` : ''}`,
        stayText: d.fees.setting === 'inpatient' ? this.t(lang, 'disclosure.institution.feesStay') : '',
        costChart: this.charts.feeCosts(`cost-${code}`, d.fees, lang, {
          title: this.t(lang, 'disclosure.institution.chartCost'),
          desc: this.t(lang, 'disclosure.institution.chartCostDesc', { name, n: d.fees.lines.length }),
        }),
        sharesChart: this.charts.feeShares(`shares-${code}`, d.fees, lang, {
          title: this.t(lang, 'disclosure.institution.chartShares'),
          desc: this.t(lang, 'disclosure.institution.chartSharesDesc', { name }),
        }),
      },
    };
  }

  async inspectionsPage(): Promise<LocalisedPage> {
    const d = await this.disclosure.inspectionsPublic();
    return same({ view: 'disclosure/inspections', title: 'disclosure.inspections.title', section: 'inspections', context: d });
  }

  async exposure(): Promise<LocalisedPage> {
    const rows = await this.disclosure.exposure();
    return same({ view: 'disclosure/exposure', title: 'disclosure.exposure.title', section: 'exposure', context: { rows } });
  }

  data(datasets: { name: string; rows: number }[]): LocalisedPage {
    return same({ view: 'disclosure/data', title: 'disclosure.data.title', section: 'data', context: { datasets } });
  }

  drawJson(id: string) {
    return this.inspections.publishedJson(id);
  }

  async draw(id: string): Promise<LocalisedPage> {
    const d = await this.inspections.drawView(id);
    return same({ view: 'inspections/public-draw', title: 'inspections.publicTitle', section: 'inspections', context: { d } });
  }
}

/** A page whose context does not depend on the language (its template translates the labels). */
function same(page: PublicPage): LocalisedPage {
  return () => page;
}
