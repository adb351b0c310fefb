/**
 * Colours and fonts of the public site's charts. Charts are read on white: text meets WCAG AA
 * (4.5:1) and every mark colour meets 3:1 (WCAG 1.4.11, non-text contrast). test/unit/disclosure/charts.spec.ts
 * checks both with `contrastRatio`, so a colour changed here cannot quietly drop below them.
 */

/**
 * Series colours in order of use: the 700 shades of a common open palette, blue and orange first
 * (the pair that colour-blind readers tell apart best), then green, purple, ochre, magenta, cyan, grey.
 */
export const SERIES_COLOURS = ['#1d4ed8', '#c2410c', '#15803d', '#7e22ce', '#a16207', '#be185d', '#0e7490', '#525252'] as const;

/** Line series also differ by marker and dash, so that colour is never the only cue (WCAG 1.4.1). */
export const SERIES_SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'emptyCircle', 'emptyRect', 'emptyTriangle', 'emptyDiamond'] as const;
export const SERIES_DASHES = ['solid', 'dashed', 'solid', 'dotted', 'dashed', 'solid', 'dotted', 'dashed'] as const;

export const CHART_BACKGROUND = '#ffffff';
/** Axis labels, legend, band labels. */
export const TEXT_COLOUR = '#374151';
/** Axis lines and ticks: marks the reader needs, so 3:1 at least. */
export const AXIS_COLOUR = '#6b7280';
/** Grid lines are a reading aid only; they stay faint so the data stands out. */
export const GRID_COLOUR = '#e5e7eb';

/** Shaded horizontal bands (e.g. months of reserve): light fills under the lines, dark labels on top. */
export const BAND_FILLS = { danger: '#fee2e2', warning: '#fef3c7', ok: '#dcfce7', neutral: '#f3f4f6' } as const;
export type BandTone = keyof typeof BAND_FILLS;

/**
 * Chinese first: the CJK faces of Linux, macOS and Windows, then the generic family. Single quotes
 * only: ECharts writes the list into an attribute value that double quotes would end.
 */
export const CHART_FONT_FAMILY = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of a #rrggbb colour. */
export function relativeLuminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${JSON.stringify(hex)}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => channel(parseInt(h, 16)));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two #rrggbb colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
