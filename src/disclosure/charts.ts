import * as echarts from 'echarts';
import {
  AXIS_COLOUR,
  BAND_FILLS,
  BandTone,
  CHART_BACKGROUND,
  CHART_FONT_FAMILY,
  GRID_COLOUR,
  SERIES_COLOURS,
  SERIES_DASHES,
  SERIES_SYMBOLS,
  TEXT_COLOUR,
} from './chart-palette';

/**
 * Charts of the public disclosure site, drawn on the server as inline SVG (Apache ECharts SSR), so
 * the pages need no script. Each function returns a standalone `<svg>` string that is safe under the
 * site's CSP (no script, no event attribute, no `style` attribute or element, no external reference),
 * labelled for screen readers (role img, `<title>`, `<desc>`), and the same for the same input.
 *
 * The numbers themselves belong in a table beside the chart: the chart has no tooltip and no labels
 * on the marks. A `null` value is a suppressed cell (fewer patients than the site's minimum): it is
 * left out of the chart, never drawn as zero; the table shows "<5" for it.
 */

export type ChartLocale = 'zh' | 'en';

/**
 * How the value axis is labelled. yuan: amounts in yuan, shortened to 万/亿 (zh) or K/M/B (en) by the
 * size of the largest value; percent: fractions (0.325 is 32.5%); number: counts, months and the like.
 */
export type ChartUnit = 'yuan' | 'percent' | 'number';

export interface ChartSeries {
  name: string;
  /** One value per category, in the categories' order; null = suppressed. */
  values: readonly (number | null)[];
}

/** A shaded horizontal band of the value axis, e.g. "过低 < 3" for months of reserve. */
export interface ChartBand {
  label: string;
  /** Lower edge; null = from the bottom of the axis. */
  from: number | null;
  /** Upper edge; null = to the top of the axis. */
  to: number | null;
  tone: BandTone;
}

interface ChartCommon {
  /** Unique on the page: it prefixes every id inside the svg. Letters, digits and '-', starting with a letter. */
  id: string;
  /** The chart's accessible name (`<title>`); the page's heading usually says the same. */
  title: string;
  /** One sentence on what the chart shows (`<desc>`), e.g. the trend and where the numbers are. */
  description: string;
  categories: readonly string[];
  series: readonly ChartSeries[];
  unit?: ChartUnit;
  locale?: ChartLocale;
  /** A short name for the value axis, e.g. "元" or "月". */
  valueAxisName?: string;
  /** Pixels; the svg has a viewBox, so CSS may scale it (width: 100%; height: auto). */
  width?: number;
  height?: number;
}

/** Several series over months (or any ordered categories), with optional shaded bands. */
export interface LineChartSpec extends ChartCommon {
  kind: 'line';
  bands?: readonly ChartBand[];
}

/** Bars by category: grouped side by side, or stacked; vertical, or horizontal for comparisons. */
export interface BarChartSpec extends ChartCommon {
  kind: 'bar';
  stacked?: boolean;
  /** horizontal: categories down the left, first at the top (long names read better there). */
  orientation?: 'vertical' | 'horizontal';
}

export type ChartSpec = LineChartSpec | BarChartSpec;

export const CHART_DEFAULT_WIDTH = 640;
export const CHART_DEFAULT_HEIGHT = 320;
const MIN_SIZE = 120;
const MAX_SIZE = 2000;
const ID_RE = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const UNITS: readonly ChartUnit[] = ['yuan', 'percent', 'number'];
const LOCALES: readonly ChartLocale[] = ['zh', 'en'];
const FONT_SIZE = 12;

/** The chart as an inline `<svg>` string. Throws an Error naming the problem on an invalid spec. */
export function renderChart(spec: ChartSpec): string {
  validate(spec);
  const width = spec.width ?? CHART_DEFAULT_WIDTH;
  const height = spec.height ?? CHART_DEFAULT_HEIGHT;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height, locale: spec.locale === 'en' ? 'EN' : 'ZH' });
  let raw: string;
  try {
    chart.setOption(spec.kind === 'line' ? lineOption(spec) : barOption(spec));
    raw = chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
  return finishSvg(raw, spec, width, height);
}

export function lineChart(spec: Omit<LineChartSpec, 'kind'>): string {
  return renderChart({ ...spec, kind: 'line' });
}

export function barChart(spec: Omit<BarChartSpec, 'kind' | 'stacked'>): string {
  return renderChart({ ...spec, kind: 'bar', stacked: false });
}

export function stackedBarChart(spec: Omit<BarChartSpec, 'kind' | 'stacked'>): string {
  return renderChart({ ...spec, kind: 'bar', stacked: true });
}

/** A horizontal bar chart, e.g. an institution beside its peers' median, one category per measure. */
export function horizontalBarChart(spec: Omit<BarChartSpec, 'kind' | 'orientation'>): string {
  return renderChart({ ...spec, kind: 'bar', orientation: 'horizontal' });
}

// ---------------------------------------------------------------------------------------------
// Validation

function validate(spec: ChartSpec): void {
  const id = (spec as { id?: unknown }).id;
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw new Error(`chart id ${JSON.stringify(id)} is invalid: letters, digits and '-', starting with a letter, at most 64`);
  }
  const fail = (problem: string): never => {
    throw new Error(`chart "${id}": ${problem}`);
  };
  if (spec.kind !== 'line' && spec.kind !== 'bar') fail(`kind ${JSON.stringify((spec as { kind?: unknown }).kind)} is unknown (line or bar)`);
  if (typeof spec.title !== 'string' || spec.title.trim() === '') fail('title is empty');
  if (typeof spec.description !== 'string' || spec.description.trim() === '') fail('description is empty');
  if (spec.unit !== undefined && !UNITS.includes(spec.unit)) fail(`unit ${JSON.stringify(spec.unit)} is unknown (${UNITS.join(', ')})`);
  if (spec.locale !== undefined && !LOCALES.includes(spec.locale)) fail(`locale ${JSON.stringify(spec.locale)} is unknown (${LOCALES.join(', ')})`);
  for (const key of ['width', 'height'] as const) {
    const v = spec[key];
    if (v !== undefined && (!Number.isInteger(v) || v < MIN_SIZE || v > MAX_SIZE)) fail(`${key} ${v} must be a whole number of pixels from ${MIN_SIZE} to ${MAX_SIZE}`);
  }
  if (!Array.isArray(spec.categories) || spec.categories.length === 0) fail('categories are empty');
  spec.categories.forEach((c, i) => {
    if (typeof c !== 'string') fail(`category ${i} is not a string`);
  });
  if (!Array.isArray(spec.series) || spec.series.length === 0) fail('series are empty');
  if (spec.series.length > SERIES_COLOURS.length) fail(`${spec.series.length} series are more than the ${SERIES_COLOURS.length} colours of the palette`);
  const names = new Set<string>();
  for (const s of spec.series) {
    if (typeof s.name !== 'string' || s.name.trim() === '') fail('a series has no name');
    if (names.has(s.name)) fail(`series "${s.name}" appears twice`);
    names.add(s.name);
    if (!Array.isArray(s.values)) fail(`series "${s.name}" has no values`);
    if (s.values.length !== spec.categories.length) {
      fail(`series "${s.name}" has ${s.values.length} values for ${spec.categories.length} categories`);
    }
    s.values.forEach((v, i) => {
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
        fail(`series "${s.name}" value ${i} (${spec.categories[i]}) is ${String(v)}: a finite number, or null for a suppressed cell`);
      }
    });
  }
  if (spec.kind === 'line') {
    (spec.bands ?? []).forEach((b, i) => {
      const where = `band ${i}${typeof b.label === 'string' && b.label ? ` "${b.label}"` : ''}`;
      if (typeof b.label !== 'string' || b.label.trim() === '') fail(`${where} has no label`);
      if (!Object.prototype.hasOwnProperty.call(BAND_FILLS, b.tone)) fail(`${where} tone ${JSON.stringify(b.tone)} is unknown (${Object.keys(BAND_FILLS).join(', ')})`);
      for (const edge of ['from', 'to'] as const) {
        const v = b[edge];
        if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) fail(`${where} ${edge} is ${String(v)}: a finite number, or null for the end of the axis`);
      }
      if (b.from === null && b.to === null) fail(`${where} has neither from nor to`);
      if (b.from !== null && b.to !== null && b.from >= b.to) fail(`${where} from ${b.from} is not below to ${b.to}`);
    });
  } else if (spec.orientation !== undefined && spec.orientation !== 'vertical' && spec.orientation !== 'horizontal') {
    fail(`orientation ${JSON.stringify(spec.orientation)} is unknown (vertical or horizontal)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Number formatting

function trim(v: number, digits: number): string {
  const s = Number(v.toFixed(digits));
  return String(Object.is(s, -0) ? 0 : s);
}

function group(s: string): string {
  const [int, frac] = s.split('.');
  const g = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${g}.${frac}` : g;
}

/**
 * The value axis's labels: one scale for the whole axis, so that 8,000 and 1.2万 never share one.
 * The scale is the largest whose unit the axis's steps reach: an axis has about five steps, so 万
 * from a largest value of 5万 (ticks 1万, 2万…; never 0.3万), 亿 from 5亿; below, 46,000 reads plainly.
 */
export function axisValueFormatter(unit: ChartUnit, locale: ChartLocale, maxAbs: number): (v: number) => string {
  if (unit === 'percent') return (v) => `${trim(v * 100, 1)}%`;
  if (unit === 'yuan') {
    const scales: [number, string][] = locale === 'zh' ? [[1e8, '亿'], [1e4, '万']] : [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
    const hit = scales.find(([d]) => maxAbs >= 5 * d);
    if (hit) {
      const [d, suffix] = hit;
      return (v) => (v === 0 ? '0' : `${group(trim(v / d, 2))}${suffix}`);
    }
  }
  return (v) => group(trim(v, 2));
}

function finiteValues(spec: ChartSpec): number[] {
  return spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
}

/** A step of 1, 2, 2.5 or 5 × 10ⁿ near `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(raw));
  const f = raw / exp;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * exp;
}

// ---------------------------------------------------------------------------------------------
// ECharts options

const textStyle = { color: TEXT_COLOUR, fontFamily: CHART_FONT_FAMILY, fontSize: FONT_SIZE };

function commonOption(spec: ChartSpec): echarts.EChartsOption {
  const legend = spec.series.length > 1;
  const named = Boolean(spec.valueAxisName);
  const horizontal = spec.kind === 'bar' && spec.orientation === 'horizontal';
  return {
    animation: false,
    backgroundColor: CHART_BACKGROUND,
    color: [...SERIES_COLOURS],
    textStyle,
    legend: legend
      ? { show: true, top: 4, left: 'center', selectedMode: false, itemWidth: 24, itemHeight: 12, textStyle, data: spec.series.map((s) => s.name) }
      : { show: false },
    grid: {
      left: 12,
      right: 28,
      // room for the value axis's name: above a vertical axis, below a horizontal one
      top: (legend ? 40 : 16) + (named && !horizontal ? 16 : 0),
      bottom: 12 + (named && horizontal ? 24 : 0),
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
  };
}

function valueAxis(spec: ChartSpec, maxAbs: number): Record<string, unknown> {
  const format = axisValueFormatter(spec.unit ?? 'number', spec.locale ?? 'zh', maxAbs);
  const horizontal = spec.kind === 'bar' && spec.orientation === 'horizontal';
  return {
    type: 'value',
    name: spec.valueAxisName,
    ...(horizontal ? { nameLocation: 'middle', nameGap: 28 } : {}),
    nameTextStyle: { ...textStyle, align: horizontal ? 'center' : 'left' },
    axisLabel: { ...textStyle, formatter: (v: number) => format(v) },
    axisLine: { show: true, lineStyle: { color: AXIS_COLOUR } },
    axisTick: { show: true, lineStyle: { color: AXIS_COLOUR } },
    splitLine: { show: true, lineStyle: { color: GRID_COLOUR } },
  };
}

function categoryAxis(spec: ChartSpec, inverse: boolean): Record<string, unknown> {
  return {
    type: 'category',
    data: [...spec.categories],
    inverse,
    // A few categories (diseases, cost kinds): every label shown, wrapped to its slot. Many (months):
    // ECharts thins the labels so they do not overlap.
    axisLabel:
      spec.categories.length <= 8 && !inverse
        ? { ...textStyle, interval: 0, width: Math.max(40, Math.floor(((spec.width ?? CHART_DEFAULT_WIDTH) * 0.8) / spec.categories.length)), overflow: 'break' }
        : { ...textStyle },
    axisLine: { show: true, lineStyle: { color: AXIS_COLOUR } },
    axisTick: { show: true, alignWithLabel: true, lineStyle: { color: AXIS_COLOUR } },
  };
}

function lineOption(spec: LineChartSpec): echarts.EChartsOption {
  const bands = spec.bands ?? [];
  const values = finiteValues(spec);
  const edges = bands.flatMap((b) => [b.from, b.to]).filter((v): v is number => v !== null);
  const maxAbs = Math.max(0, ...[...values, ...edges].map(Math.abs));
  const yAxis = valueAxis(spec, maxAbs);
  if (bands.length > 0) {
    // Bands are context, so the axis shows every edge, and a band open upwards gets room above its
    // edge: "too high > 15" must show even when every month is near 8.
    const openUp = bands.some((b) => b.to === null);
    const lo = Math.min(0, ...values, ...edges);
    const top = Math.max(...values, ...edges);
    const hi = openUp && top === Math.max(...edges) ? top + Math.max(Math.abs(top) * 0.2, 1) : top;
    const step = niceStep((hi - lo) / 5);
    Object.assign(yAxis, { min: Math.floor(lo / step) * step, max: Math.ceil(hi / step) * step, interval: step });
  }
  return {
    ...commonOption(spec),
    xAxis: categoryAxis(spec, false),
    yAxis,
    series: spec.series.map((s, i) => ({
      type: 'line' as const,
      name: s.name,
      data: [...s.values],
      connectNulls: false,
      showSymbol: true,
      showAllSymbol: true,
      symbol: SERIES_SYMBOLS[i],
      symbolSize: 7,
      lineStyle: { width: 2, type: SERIES_DASHES[i] },
      silent: true,
      emphasis: { disabled: true },
      markArea:
        i === 0 && bands.length > 0
          ? {
              silent: true,
              data: bands.map((b) => [
                {
                  name: b.label,
                  yAxis: b.from ?? -Infinity,
                  itemStyle: { color: BAND_FILLS[b.tone], opacity: 1 },
                  label: { show: true, position: 'insideTopLeft', ...textStyle, textBorderColor: BAND_FILLS[b.tone], textBorderWidth: 3 },
                },
                { yAxis: b.to ?? Infinity },
              ]) as never,
            }
          : undefined,
    })),
  };
}

function barOption(spec: BarChartSpec): echarts.EChartsOption {
  const horizontal = spec.orientation === 'horizontal';
  const values = finiteValues(spec);
  let maxAbs = Math.max(0, ...values.map(Math.abs));
  if (spec.stacked) {
    maxAbs = Math.max(maxAbs, ...spec.categories.map((_, i) => spec.series.reduce((sum, s) => sum + Math.abs(s.values[i] ?? 0), 0)));
  }
  const cat = categoryAxis(spec, horizontal);
  const val = valueAxis(spec, maxAbs);
  // Shares rounded to whole percents can add up to 101%: the axis still ends at 100%, not 120%
  // (the top 1% of such a bar is cut off, which no reader can see).
  if (spec.stacked && spec.unit === 'percent' && maxAbs > 0.5 && maxAbs <= 1.01) Object.assign(val, { max: 1 });
  return {
    ...commonOption(spec),
    xAxis: horizontal ? val : cat,
    yAxis: horizontal ? cat : val,
    series: spec.series.map((s) => ({
      type: 'bar' as const,
      name: s.name,
      data: [...s.values],
      stack: spec.stacked ? 'total' : undefined,
      barMaxWidth: 28,
      silent: true,
      emphasis: { disabled: true },
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// From ECharts' SVG to the page's

/**
 * CSS properties ECharts writes in `style` attributes, and the SVG presentation attributes of the
 * same name that replace them (a CSP without 'unsafe-inline' drops style attributes). Anything else
 * is an error: a new ECharts that styles more would otherwise render differently under the CSP.
 */
const STYLE_TO_ATTRIBUTE = new Set(['font-size', 'font-family', 'font-weight', 'font-style', 'font-variant', 'text-decoration', 'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity', 'opacity', 'visibility', 'display']);

const TAG_RE = /<([A-Za-z][\w:-]*)((?:\s+[^\s=>/"]+="[^"]*")*)\s*(\/?)>/g;
const ATTR_RE = /([^\s=>/"]+)="([^"]*)"/g;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function styleToAttributes(style: string, where: string): [string, string][] {
  const out: [string, string][] = [];
  for (const decl of style.split(';')) {
    if (decl.trim() === '') continue;
    const colon = decl.indexOf(':');
    const prop = decl.slice(0, colon).trim().toLowerCase();
    const value = decl.slice(colon + 1).trim();
    if (colon < 0 || !STYLE_TO_ATTRIBUTE.has(prop)) throw new Error(`chart SVG: <${where}> has style "${decl.trim()}" with no presentation attribute`);
    if (/["<&]/.test(value)) throw new Error(`chart SVG: <${where}> style ${prop} has an unexpected character: ${value}`);
    out.push([prop, value]);
  }
  return out;
}

function finishSvg(raw: string, spec: ChartSpec, width: number, height: number): string {
  if (!raw.startsWith('<svg')) throw new Error('chart SVG: ECharts did not return an <svg>');
  const id = spec.id;
  // Hover rules for the marks (the chart is static: nothing to hover), which a strict CSP blocks anyway.
  let body = raw.replace(/<style\b[^>]*>[\s\S]*?<\/style>/g, '');
  body = body.replace(TAG_RE, (_m, name: string, attrText: string, selfClose: string) => {
    if (name === 'svg') return '<svg>';
    const attrs: [string, string][] = [];
    const set = (k: string, v: string) => {
      const at = attrs.findIndex(([n]) => n === k);
      if (at >= 0) attrs[at] = [k, v];
      else attrs.push([k, v]);
    };
    let style: [string, string][] = [];
    for (const [, k, v] of attrText.matchAll(ATTR_RE)) {
      if (k.startsWith('ecmeta_')) continue; // hydration metadata for ECharts' client runtime, unused
      if (k === 'class') {
        const kept = v.split(/\s+/).filter((c) => c && !/^zr\d+-cls-\d+$/.test(c));
        if (kept.length) set(k, kept.join(' '));
        continue;
      }
      if (k === 'style') {
        style = styleToAttributes(v, name);
        continue;
      }
      // ECharts numbers its instances (zr0, zr1…) in ids and url(#…) references: the chart's own id instead.
      set(k, v.replace(/\bzr\d+-/g, `${id}-`));
    }
    for (const [k, v] of style) set(k, v); // a style wins over an attribute of the same name, as in CSS
    return `<${name}${attrs.map(([k, v]) => ` ${k}="${v}"`).join('')}${selfClose ? ' /' : ''}>`;
  });
  body = body.replace(/<defs\s*>\s*<\/defs>\s*/g, '');
  const usesXlink = /\sxlink:/.test(body);
  const root =
    `<svg xmlns="http://www.w3.org/2000/svg"${usesXlink ? ' xmlns:xlink="http://www.w3.org/1999/xlink"' : ''}` +
    ` width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" class="chart" role="img"` +
    ` aria-labelledby="${id}-title ${id}-desc" font-family="${CHART_FONT_FAMILY}">` +
    `\n<title id="${id}-title">${escapeXml(spec.title)}</title>\n<desc id="${id}-desc">${escapeXml(spec.description)}</desc>`;
  const svg = body.replace(/^<svg>/, root).trim();
  assertInlineSafe(svg);
  return svg;
}

/**
 * The promises made to the page, checked on every chart (cheap next to the rendering): every tag is
 * one the parser above understood, none runs or loads anything, and nothing is styled inline.
 */
function assertInlineSafe(svg: string): void {
  const fail = (what: string): never => {
    throw new Error(`chart SVG: the output has ${what}`);
  };
  if (/</.test(svg.replace(TAG_RE, '').replace(/<\/[A-Za-z][\w:-]*\s*>/g, ''))) fail('markup that is not plain tags');
  for (const [, name, attrText] of svg.matchAll(TAG_RE)) {
    if (/^(script|style|image|foreignObject|use|a|iframe)$/i.test(name)) fail(`a <${name}> element`);
    for (const [, k, v] of attrText.matchAll(ATTR_RE)) {
      if (/^on/i.test(k)) fail(`an event attribute ${k}`);
      if (k === 'style') fail('a style attribute');
      if (/\bzr\d+-/.test(v)) fail(`an instance-numbered ECharts id in ${k}`);
      if (/^(xmlns|xmlns:xlink)$/.test(k)) continue;
      if (/(?:https?:|\/\/|javascript:|data:)/i.test(v) || (/href$/i.test(k) && !v.startsWith('#'))) fail(`an external reference in ${k}`);
    }
  }
}
