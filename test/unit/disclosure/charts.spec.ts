import {
  AXIS_COLOUR,
  BAND_FILLS,
  CHART_BACKGROUND,
  SERIES_COLOURS,
  TEXT_COLOUR,
  contrastRatio,
} from '../../../src/disclosure/chart-palette';
import {
  axisValueFormatter,
  barChart,
  ChartBand,
  horizontalBarChart,
  LineChartSpec,
  lineChart,
  renderChart,
  stackedBarChart,
} from '../../../src/disclosure/charts';

const MONTHS = Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`);
const [BLUE, ORANGE] = SERIES_COLOURS;

const RESERVE_BANDS: ChartBand[] = [
  { label: '过低 < 3', from: null, to: 3, tone: 'danger' },
  { label: '正常 6–9', from: 6, to: 9, tone: 'ok' },
  { label: '过高 > 15', from: 15, to: null, tone: 'warning' },
];

function fundSpec(over: Partial<LineChartSpec> = {}): LineChartSpec {
  return {
    kind: 'line',
    id: 'fund',
    title: '基金收支与结余',
    description: '2025 年每月的基金收入、支出和结余,数字见下表。',
    categories: MONTHS,
    unit: 'yuan',
    series: [
      { name: '收入', values: MONTHS.map((_, i) => 1.2e8 + i * 1e6) },
      { name: '支出', values: MONTHS.map((_, i) => 1.1e8 + i * 2e6) },
      { name: '结余', values: MONTHS.map((_, i) => 8e8 + i * 1e7) },
    ],
    ...over,
  };
}

/** Every start tag's name and attributes (the output is plain tags with double-quoted attributes). */
function tags(svg: string): { name: string; attrs: Record<string, string> }[] {
  return [...svg.matchAll(/<([A-Za-z][\w:-]*)((?:\s+[^\s=>/"]+="[^"]*")*)\s*\/?>/g)].map(([, name, text]) => ({
    name,
    attrs: Object.fromEntries([...text.matchAll(/([^\s=]+)="([^"]*)"/g)].map(([, k, v]) => [k, v])),
  }));
}

/** Text of every <text> element. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map(([, t]) => t);
}

/** Bars and line markers are paths filled with the series colour (one series: no legend swatch). */
function marksFilled(svg: string, colour: string): number {
  return tags(svg).filter((t) => t.name === 'path' && t.attrs.fill === colour).length;
}

function expectInlineSafe(svg: string) {
  expect(svg.startsWith('<svg ')).toBe(true);
  expect(svg.endsWith('</svg>')).toBe(true);
  expect(svg).not.toMatch(/<script/i);
  expect(svg).not.toMatch(/<style/i);
  expect(svg).not.toMatch(/\sstyle=/i);
  expect(svg).not.toMatch(/<(foreignObject|image|use|a)\b/i);
  for (const t of tags(svg)) {
    for (const [k, v] of Object.entries(t.attrs)) {
      expect(k).not.toMatch(/^on/i);
      if (k === 'xmlns') expect(v).toBe('http://www.w3.org/2000/svg');
      else if (k === 'xmlns:xlink') expect(v).toBe('http://www.w3.org/1999/xlink');
      else expect(v).not.toMatch(/https?:|\/\/|javascript:|data:/i);
      if (/href$/.test(k)) expect(v.startsWith('#')).toBe(true);
    }
  }
  // Every markup character is a tag the checks above saw; the rest is escaped text.
  expect(svg.replace(/<([A-Za-z][\w:-]*)((?:\s+[^\s=>/"]+="[^"]*")*)\s*\/?>/g, '').replace(/<\/[\w:-]+>/g, '')).not.toContain('<');
}

describe('chart SVG for inline use under a strict CSP', () => {
  it('is a standalone svg with a viewBox, a fixed size and the chart fonts', () => {
    const svg = renderChart(fundSpec());
    const root = tags(svg)[0];
    expect(root.name).toBe('svg');
    expect(root.attrs).toMatchObject({ xmlns: 'http://www.w3.org/2000/svg', width: '640', height: '320', viewBox: '0 0 640 320' });
    expect(root.attrs['font-family']).toContain('Noto Sans CJK SC');
    expect(svg).toContain('>2025-01</text>');
  });

  it('has no script, event attribute, style attribute or element, nor any external reference', () => {
    for (const svg of [
      renderChart(fundSpec()),
      lineChart({ ...fundSpec(), id: 'r', unit: 'number', series: [{ name: '月数', values: MONTHS.map(() => 7) }], bands: RESERVE_BANDS }),
      barChart({ id: 'b', title: 't', description: 'd', categories: ['a', 'b'], series: [{ name: 'x', values: [1, 2] }, { name: 'y', values: [2, null] }] }),
      stackedBarChart({ id: 's', title: 't', description: 'd', categories: ['a', 'b'], unit: 'percent', series: [{ name: 'x', values: [0.3, 0.4] }, { name: 'y', values: [0.7, 0.6] }] }),
      horizontalBarChart({ id: 'h', title: 't', description: 'd', categories: ['a', 'b'], series: [{ name: 'x', values: [1, 2] }] }),
    ]) {
      expectInlineSafe(svg);
      // ECharts' own output styles its text inline: the font must survive as presentation attributes.
      const text = tags(svg).filter((t) => t.name === 'text');
      expect(text.length).toBeGreaterThan(0);
      for (const t of text) expect(t.attrs).toMatchObject({ 'font-size': '12px', 'font-family': expect.stringContaining('Noto Sans CJK SC') });
    }
  });

  it('escapes what the caller gives: names cannot become markup', () => {
    const svg = barChart({
      id: 'x',
      title: 'A & B <script>alert(1)</script>',
      description: 'say "hi" <img src=x onerror=alert(1)>',
      categories: ['<b onload="x()">', '医院 & 诊所'],
      series: [{ name: '"><script>1</script>', values: [1, 2] }],
    });
    expectInlineSafe(svg);
    expect(svg).toContain('<title id="x-title">A &amp; B &lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(svg).toContain('&lt;b onload=&quot;x()&quot;&gt;');
    expect(texts(svg)).toContain('医院 &amp; 诊所');
  });

  it('is labelled for screen readers: role img, labelled by its title and description', () => {
    const svg = renderChart(fundSpec());
    const root = tags(svg)[0].attrs;
    expect(root.role).toBe('img');
    const ids = root['aria-labelledby'].split(' ');
    expect(ids).toEqual(['fund-title', 'fund-desc']);
    expect(svg).toMatch(/^<svg [^>]*>\s*<title id="fund-title">基金收支与结余<\/title>\s*<desc id="fund-desc">2025 年每月的基金收入、支出和结余,数字见下表。<\/desc>/);
  });

  it('is the same for the same input, whatever was rendered before', () => {
    const first = renderChart(fundSpec());
    renderChart(fundSpec({ id: 'other' }));
    barChart({ id: 'b', title: 't', description: 'd', categories: ['a'], series: [{ name: 'x', values: [1] }] });
    expect(renderChart(fundSpec())).toBe(first);
  });

  it('gives two charts on one page no common id, and every reference stays inside its own chart', () => {
    const a = renderChart(fundSpec({ id: 'fund-a' }));
    const b = renderChart(fundSpec({ id: 'fund-b' }));
    const idsOf = (svg: string) => tags(svg).map((t) => t.attrs.id).filter((x): x is string => x !== undefined);
    const [ia, ib] = [idsOf(a), idsOf(b)];
    expect(ia).toEqual(expect.arrayContaining(['fund-a-title', 'fund-a-desc']));
    expect(ia.some((id) => id.startsWith('fund-a-c'))).toBe(true); // the plot's clip path
    expect(ia.every((id) => id.startsWith('fund-a-'))).toBe(true);
    expect(ia.filter((id) => ib.includes(id))).toEqual([]);
    for (const [svg, ids] of [[a, ia], [b, ib]] as const) {
      const refs = [...svg.matchAll(/url\(#([^)]+)\)/g)].map(([, r]) => r);
      expect(refs.length).toBeGreaterThan(0);
      for (const r of refs) expect(ids).toContain(r);
    }
  });

  it('scales with CSS: the size can be set, the viewBox follows', () => {
    const root = tags(renderChart(fundSpec({ width: 480, height: 240 })))[0].attrs;
    expect(root).toMatchObject({ width: '480', height: '240', viewBox: '0 0 480 240' });
  });
});

describe('suppressed cells (null) are gaps, not zeros', () => {
  it('draws one bar per number, zero included, and none for null', () => {
    const spec = { id: 'b', title: 't', description: 'd', categories: ['a', 'b', 'c', 'd'] };
    expect(marksFilled(barChart({ ...spec, series: [{ name: 'x', values: [3, 0, 1, 2] }] }), BLUE)).toBe(4);
    expect(marksFilled(barChart({ ...spec, series: [{ name: 'x', values: [3, 0, null, 2] }] }), BLUE)).toBe(3);
    expect(marksFilled(barChart({ ...spec, series: [{ name: 'x', values: [null, null, null, 2] }] }), BLUE)).toBe(1);
  });

  it('leaves a stacked segment out, and the others of its bar stay', () => {
    const spec = { id: 's', title: 't', description: 'd', categories: ['a', 'b', 'c'], unit: 'percent' as const };
    const svg = stackedBarChart({ ...spec, series: [{ name: '药品', values: [0.3, null, 0.2] }, { name: '耗材', values: [0.7, 0.6, 0.8] }] });
    // each series also has its legend swatch
    expect(marksFilled(svg, BLUE)).toBe(2 + 1);
    expect(marksFilled(svg, ORANGE)).toBe(3 + 1);
  });

  it('breaks the line at a null and marks only the months with a number', () => {
    const values = MONTHS.map((_, i) => (i === 4 || i === 5 ? null : 5 + i / 10));
    const svg = lineChart({ ...fundSpec(), unit: 'number', series: [{ name: '月数', values }] });
    const line = tags(svg).filter((t) => t.name === 'path' && t.attrs.stroke === BLUE && t.attrs.fill === 'none');
    expect(line).toHaveLength(1);
    expect(line[0].attrs.d.match(/M/g)).toHaveLength(2); // two runs: Jan–Apr, Jul–Dec
    expect(marksFilled(svg, BLUE)).toBe(10);
  });
});

describe('bands on the value axis (months of reserve)', () => {
  const reserve = (values: (number | null)[]) =>
    lineChart({ ...fundSpec(), id: 'reserve', unit: 'number', valueAxisName: '月', series: [{ name: '可支付月数', values }], bands: RESERVE_BANDS });

  it('shades each band with its tone and labels it', () => {
    const svg = reserve(MONTHS.map(() => 7.5));
    for (const b of RESERVE_BANDS) expect(texts(svg)).toContain(b.label.replace('<', '&lt;').replace('>', '&gt;'));
    const fills = tags(svg).filter((t) => t.name === 'polygon').map((t) => t.attrs.fill);
    expect(fills).toEqual([BAND_FILLS.danger, BAND_FILLS.ok, BAND_FILLS.warning]);
  });

  it('extends the axis above the highest edge, so an open band shows even when the data stay low', () => {
    const labels = texts(reserve(MONTHS.map(() => 7.5)));
    const ticks = labels.filter((t) => /^\d+$/.test(t)).map(Number);
    expect(Math.max(...ticks)).toBeGreaterThan(15);
    expect(ticks).toContain(15);
  });

  it('refuses bands that make no sense', () => {
    const spec = (bands: ChartBand[]) => () => lineChart({ ...fundSpec(), bands });
    expect(spec([{ label: '正常', from: 9, to: 6, tone: 'ok' }])).toThrow('band 0 "正常" from 9 is not below to 6');
    expect(spec([{ label: '全部', from: null, to: null, tone: 'ok' }])).toThrow('band 0 "全部" has neither from nor to');
    expect(spec([{ label: '', from: 1, to: 2, tone: 'ok' }])).toThrow('band 0 has no label');
    expect(spec([{ label: 'x', from: 1, to: 2, tone: 'red' as never }])).toThrow('band 0 "x" tone "red" is unknown');
  });
});

describe('axis numbers', () => {
  it('shortens yuan to 万 and 亿 in Chinese, K/M/B in English, one scale per axis', () => {
    const zh = (max: number) => axisValueFormatter('yuan', 'zh', max);
    expect([0, 2e8, 1.5e9].map(zh(1.5e9))).toEqual(['0', '2亿', '15亿']);
    expect([2e7, 6e7].map(zh(6.6e7))).toEqual(['2,000万', '6,000万']);
    expect([3000, 12500].map(zh(12500))).toEqual(['3,000', '12,500']); // not 0.3万
    expect([3e6, 1.2e7].map(axisValueFormatter('yuan', 'en', 1.2e7))).toEqual(['3M', '12M']);
    expect(axisValueFormatter('percent', 'zh', 1)(0.325)).toBe('32.5%');
    expect(axisValueFormatter('number', 'zh', 1)(0.1 + 0.2)).toBe('0.3');
  });

  it('writes them on the chart', () => {
    expect(texts(renderChart(fundSpec()))).toEqual(expect.arrayContaining(['0', '2亿', '8亿']));
    const shares = stackedBarChart({ id: 's', title: 't', description: 'd', categories: ['本院'], unit: 'percent', series: [{ name: '药品', values: [0.3] }, { name: '耗材', values: [0.7] }] });
    expect(texts(shares)).toEqual(expect.arrayContaining(['0%', '40%', '100%']));
    // rounded shares that add up to a little over 1 still end the axis at 100%
    const rounded = stackedBarChart({ id: 's', title: 't', description: 'd', categories: ['本院'], unit: 'percent', series: [{ name: '药品', values: [0.34] }, { name: '服务', values: [0.33] }, { name: '耗材', values: [0.34] }] });
    expect(texts(rounded).filter((t) => t.endsWith('%')).pop()).toBe('100%');
  });
});

describe('horizontal bars', () => {
  it('lists the categories down the left, the first at the top', () => {
    const svg = horizontalBarChart({ id: 'h', title: 't', description: 'd', categories: ['本院', '同级中位数'], unit: 'yuan', series: [{ name: '次均费用', values: [320, null] }] });
    const y = (label: string) => {
      const m = new RegExp(`translate\\([\\d.]+ ([\\d.]+)\\)"[^>]*>${label}</text>`).exec(svg);
      expect(m).not.toBeNull();
      return Number(m![1]);
    };
    expect(y('本院')).toBeLessThan(y('同级中位数'));
    expect(marksFilled(svg, BLUE)).toBe(1);
  });
});

describe('colours', () => {
  it('text and axis lines meet WCAG AA on white and on every band', () => {
    expect(contrastRatio(TEXT_COLOUR, CHART_BACKGROUND)).toBeGreaterThanOrEqual(4.5);
    for (const fill of Object.values(BAND_FILLS)) expect(contrastRatio(TEXT_COLOUR, fill)).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(AXIS_COLOUR, CHART_BACKGROUND)).toBeGreaterThanOrEqual(3);
  });

  it('has at least six distinct series colours, each 3:1 against white', () => {
    expect(new Set(SERIES_COLOURS.map((c) => c.toLowerCase())).size).toBe(SERIES_COLOURS.length);
    expect(SERIES_COLOURS.length).toBeGreaterThanOrEqual(6);
    for (const c of SERIES_COLOURS) expect(contrastRatio(c, CHART_BACKGROUND)).toBeGreaterThanOrEqual(3);
  });

  it('computes contrast as WCAG does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(() => contrastRatio('red', '#ffffff')).toThrow('not a #rrggbb colour');
  });

  it('draws the series in the palette order', () => {
    const svg = barChart({ id: 'b', title: 't', description: 'd', categories: ['a'], series: SERIES_COLOURS.slice(0, 3).map((_, i) => ({ name: `s${i}`, values: [i + 1] })) });
    for (const c of SERIES_COLOURS.slice(0, 3)) expect(marksFilled(svg, c)).toBe(2); // bar + legend swatch
  });
});

describe('invalid specs throw an Error naming the problem', () => {
  const bar = { id: 'b', title: 't', description: 'd', categories: ['a', 'b'], series: [{ name: 'x', values: [1, 2] }] };
  it.each([
    ['a series of the wrong length', () => renderChart(fundSpec({ series: [{ name: '支出', values: MONTHS.slice(1).map(() => 1) }] })), 'chart "fund": series "支出" has 11 values for 12 categories'],
    ['no categories', () => barChart({ ...bar, categories: [], series: [{ name: 'x', values: [] }] }), 'chart "b": categories are empty'],
    ['no series', () => barChart({ ...bar, series: [] }), 'chart "b": series are empty'],
    ['a NaN', () => barChart({ ...bar, series: [{ name: 'x', values: [1, Number.NaN] }] }), 'series "x" value 1 (b) is NaN'],
    ['Infinity', () => barChart({ ...bar, series: [{ name: 'x', values: [Infinity, 1] }] }), 'series "x" value 0 (a) is Infinity'],
    ['a bad id', () => barChart({ ...bar, id: '1 chart' }), 'chart id "1 chart" is invalid'],
    ['no title', () => barChart({ ...bar, title: ' ' }), 'chart "b": title is empty'],
    ['no description', () => barChart({ ...bar, description: '' }), 'chart "b": description is empty'],
    ['a series twice', () => barChart({ ...bar, series: [bar.series[0], bar.series[0]] }), 'series "x" appears twice'],
    ['an unnamed series', () => barChart({ ...bar, series: [{ name: '', values: [1, 2] }] }), 'a series has no name'],
    ['more series than colours', () => barChart({ ...bar, series: Array.from({ length: 9 }, (_, i) => ({ name: `s${i}`, values: [1, 2] })) }), '9 series are more than the 8 colours'],
    ['a silly size', () => barChart({ ...bar, width: 10 }), 'width 10 must be a whole number of pixels'],
    ['an unknown unit', () => barChart({ ...bar, unit: 'usd' as never }), 'unit "usd" is unknown'],
  ])('%s', (_what, render, message) => {
    expect(render).toThrow(Error);
    expect(render).toThrow(message);
  });
});
