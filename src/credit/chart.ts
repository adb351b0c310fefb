import { daysInMonth, isLeap, parseDay } from '../common/calendar';

/**
 * The score over a cycle as numbers for an inline SVG step chart (server-rendered: the console
 * runs no script). Time runs along the year; the score holds between entries.
 */

export interface ChartPoint {
  /** Local date YYYY-MM-DD of the entry (null: the cycle's start). */
  date: string | null;
  score: number;
}

export interface ScoreChart {
  width: number;
  height: number;
  /** SVG polyline points "x,y x,y …" (numbers only). */
  points: string;
  dots: { x: number; y: number; score: number; date: string }[];
  /** Horizontal lines at grade boundaries. */
  bands: { y: number; label: string }[];
  /** Month ticks along the bottom. */
  months: { x: number; label: string }[];
  plot: { left: number; top: number; right: number; bottom: number; width: number; height: number };
}

const W = 640;
const H = 240;
const PAD = { left: 68, right: 12, top: 12, bottom: 28 };

/** Day of the year (0-based) of a YYYY-MM-DD date in `year`; dates outside the year are clamped to it. */
function dayOfYear(date: string, year: number): number {
  const d = parseDay(date);
  const start = parseDay(`${year}-01-01`)!;
  const days = isLeap(year) ? 366 : 365;
  if (d === null) return 0;
  return Math.min(days, Math.max(0, d - start));
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Points of the cycle: `history` starts with the base (date null) and has one point per entry;
 * `until` is the date the line runs to (today, or the year's end for a closed cycle).
 */
export function scoreChart(year: number, history: readonly ChartPoint[], scale: { minimum: number; maximum: number }, grades: readonly { grade: string; minScore: number }[], until: string): ScoreChart {
  const days = isLeap(year) ? 366 : 365;
  const left = PAD.left;
  const right = W - PAD.right;
  const top = PAD.top;
  const bottom = H - PAD.bottom;
  const x = (day: number) => round(left + ((right - left) * day) / days);
  const y = (score: number) => round(bottom - ((bottom - top) * (score - scale.minimum)) / Math.max(1, scale.maximum - scale.minimum));
  const coords: string[] = [];
  const dots: ScoreChart['dots'] = [];
  let prev: number | null = null;
  for (const p of history) {
    const px = x(p.date === null ? 0 : dayOfYear(p.date, year));
    if (prev !== null) coords.push(`${px},${y(prev)}`); // hold the previous score until this entry
    coords.push(`${px},${y(p.score)}`);
    if (p.date !== null) dots.push({ x: px, y: y(p.score), score: p.score, date: p.date });
    prev = p.score;
  }
  if (prev !== null) coords.push(`${x(Math.max(dayOfYear(until, year), history.length ? dayOfYear(history[history.length - 1]!.date ?? `${year}-01-01`, year) : 0))},${y(prev)}`);
  const months: ScoreChart['months'] = [];
  let day = 0;
  for (let m = 1; m <= 12; m++) {
    months.push({ x: x(day), label: String(m) });
    day += daysInMonth(year, m);
  }
  return {
    width: W,
    height: H,
    points: coords.join(' '),
    dots,
    bands: grades.filter((g) => g.minScore > scale.minimum).map((g) => ({ y: y(g.minScore), label: `${g.grade} ≥ ${g.minScore}` })),
    months,
    plot: { left, top, right, bottom, width: right - left, height: bottom - top },
  };
}
