import { Injectable } from '@nestjs/common';
import { Lang } from '../console/i18n';
import { ViewRenderer } from '../console/view-renderer.service';
import { ChartBand, barChart, lineChart } from './charts';
import type { InstitutionFees, PoolReserve } from './disclosure.service';
import { RESERVE_BANDS } from './reserve';

interface Titles {
  title: string;
  desc: string;
}

const SHARE_KINDS = ['drugShare', 'serviceShare', 'consumableShare'] as const;

const TONE = { too_low: 'danger', low: 'warning', normal: 'ok', high: 'warning', too_high: 'danger' } as const;

const num = (v: string | number | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

/** The public pages' charts, from the same figures their tables show (suppressed cells stay gaps). */
@Injectable()
export class DisclosureCharts {
  constructor(private readonly views: ViewRenderer) {}

  private t(lang: Lang, key: string, vars?: Record<string, unknown>): string {
    return this.views.t(lang, key, vars);
  }

  /** Months of reserve by month over the warning bands (too low < 3, normal 6–9, too high > 15). */
  reserve(id: string, pool: PoolReserve, lang: Lang, titles: Titles): string | null {
    if (pool.months.length === 0) return null;
    const bands: ChartBand[] = RESERVE_BANDS.map((b) => ({ label: this.t(lang, `disclosure.fund.bands.${b.band}`), from: b.from, to: b.to === null ? null : b.to, tone: TONE[b.band] }));
    return lineChart({
      id,
      title: titles.title,
      description: titles.desc,
      categories: pool.months.map((m) => m.period),
      series: [{ name: this.t(lang, 'disclosure.fund.reserveMonths'), values: pool.months.map((m) => m.reserveMonths) }],
      unit: 'number',
      locale: lang,
      valueAxisName: this.t(lang, 'disclosure.fund.reserveMonths'),
      bands,
    });
  }

  /** Income, spending and balance by month. */
  ledger(id: string, pool: PoolReserve, lang: Lang, titles: Titles): string | null {
    if (pool.months.length === 0) return null;
    return lineChart({
      id,
      title: titles.title,
      description: titles.desc,
      categories: pool.months.map((m) => m.period),
      series: (['income', 'expenditure', 'balance'] as const).map((k) => ({ name: this.t(lang, `disclosure.fund.${k}`), values: pool.months.map((m) => num(m[k])) })),
      unit: 'yuan',
      locale: lang,
      valueAxisName: this.t(lang, 'disclosure.yuan'),
    });
  }

  /** Fund payments by month, one series per insurance type. */
  trend(id: string, trend: { months: string[]; series: { key: string; values: (string | null)[] }[] }, lang: Lang, titles: Titles): string | null {
    if (trend.months.length === 0) return null;
    return barChart({
      id,
      title: titles.title,
      description: titles.desc,
      categories: trend.months,
      series: trend.series.map((s) => ({ name: this.t(lang, `disclosure.fund.insurance.${s.key}`), values: s.values.map(num) })),
      unit: 'yuan',
      locale: lang,
      valueAxisName: this.t(lang, 'disclosure.yuan'),
    });
  }

  /** Average cost per common disease: the institution beside its peers. */
  feeCosts(id: string, fees: InstitutionFees, lang: Lang, titles: Titles): string | null {
    if (fees.lines.length === 0) return null;
    return barChart({
      id,
      title: titles.title,
      description: titles.desc,
      categories: fees.lines.map((l) => (l.name[lang] ? `${l.dx} ${l.name[lang]}` : l.dx)),
      series: [
        { name: this.t(lang, 'disclosure.institution.own'), values: fees.lines.map((l) => num(l.own.averageCost)) },
        { name: this.t(lang, 'disclosure.institution.peersShort'), values: fees.lines.map((l) => num(l.peers.averageCost)) },
      ],
      unit: 'yuan',
      locale: lang,
      valueAxisName: this.t(lang, 'disclosure.yuan'),
      height: 360,
    });
  }

  /**
   * Drug / service / consumable shares over the common diseases together (weighted by settlements):
   * the institution and its peers, with the numbers for the table beside the chart.
   */
  feeShares(id: string, fees: InstitutionFees, lang: Lang, titles: Titles): { svg: string; rows: { kind: string; own: number | null; peers: number | null }[] } | null {
    const lines = fees.lines.filter((l) => !l.own.suppressed && !l.peers.suppressed);
    if (lines.length === 0) return null;
    const mean = (who: 'own' | 'peers', k: (typeof SHARE_KINDS)[number]): number | null => {
      let w = 0;
      let s = 0;
      for (const l of lines) {
        const { claims } = l[who];
        const share = l[who][k];
        if (claims === null || share === null) continue;
        w += claims;
        s += claims * share;
      }
      return w > 0 ? Math.round((s / w) * 10_000) / 10_000 : null;
    };
    const rows = SHARE_KINDS.map((k) => ({ kind: k, own: mean('own', k), peers: mean('peers', k) }));
    const svg = barChart({
      id,
      title: titles.title,
      description: titles.desc,
      categories: SHARE_KINDS.map((k) => this.t(lang, `disclosure.institution.${k}`)),
      series: [
        { name: this.t(lang, 'disclosure.institution.own'), values: rows.map((r) => r.own) },
        { name: this.t(lang, 'disclosure.institution.peersShort'), values: rows.map((r) => r.peers) },
      ],
      unit: 'percent',
      locale: lang,
    });
    return { svg, rows };
  }
}
