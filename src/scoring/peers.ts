import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { FeatureDef } from './features';

/**
 * Peer comparison: every entity is compared only with its peers (institutions: same kind and
 * level; physicians: same specialty), feature by feature, with robust z-scores (median and MAD, so
 * the outliers being looked for do not hide themselves by inflating the spread), percentile ranks,
 * and a combined unsupervised score. Pure functions: the same input gives the same scores.
 */

export interface EntityFeatures {
  code: string;
  /** Peer groups from the narrowest to the broadest; the first with enough members is used. */
  groups: readonly { key: string; zh: string }[];
  /** Claims in the period: small volumes are shrunk toward the peer median. */
  volume: number;
  features: Readonly<Record<string, number | null>>;
}

export interface Driver {
  feature: string;
  value: number;
  peerMedian: number;
  /** value / peer median (null when the median is 0) */
  ratio: number | null;
  z: number;
  percentile: number;
  zh: string;
  en: string;
}

export interface PeerScore {
  code: string;
  peerGroup: string;
  peerGroupZh: string;
  peerSize: number;
  /** Weighted mean of the positive robust z-scores (capped), shrunk for small volumes. */
  raw: number;
  /** 0–100, higher is riskier: 100 × raw / (raw + 1). */
  score: number;
  z: Record<string, number | null>;
  percentile: Record<string, number | null>;
  peerMedian: Record<string, number | null>;
  drivers: Driver[];
}

export interface PeerOptions {
  /** Smallest peer group used; smaller ones fall back to the next broader group. */
  minPeers: number;
  /** z-scores are capped at ±zCap (one absurd value must not decide everything). */
  zCap: number;
  /** Shrinkage: raw × volume / (volume + shrinkClaims). */
  shrinkClaims: number;
  /** Drivers listed per entity. */
  drivers: number;
}

export const DEFAULT_PEER_OPTIONS: PeerOptions = { minPeers: 5, zCap: 8, shrinkClaims: 20, drivers: 3 };

/** 1.4826 × MAD estimates the standard deviation of normal data. */
const MAD_TO_SD = 1.4826;
/** √(π/2) × mean absolute deviation estimates it too; used when over half the peers share one value. */
const MEANAD_TO_SD = 1.2533;

export interface FeatureStats {
  median: number;
  scale: number;
  sorted: number[];
}

export function featureStats(values: readonly number[]): FeatureStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const med = median(sorted);
  let scale = MAD_TO_SD * medianAbsoluteDeviation(sorted);
  if (scale === 0) scale = (MEANAD_TO_SD * sorted.reduce((s, v) => s + Math.abs(v - med), 0)) / sorted.length;
  return { median: med, scale, sorted };
}

/** Robust z of `x` against its peers' stats, capped; 0 when all peers are equal and so is x. */
export function robustZ(x: number, s: FeatureStats, cap: number): number {
  if (s.scale === 0) return x === s.median ? 0 : Math.sign(x - s.median) * cap;
  return Math.max(-cap, Math.min(cap, (x - s.median) / s.scale));
}

/** Share of peers with a value at or below x (the entity itself included). */
export function percentileRank(x: number, sorted: readonly number[]): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length ? lo / sorted.length : 0;
}

const fmt = (v: number, unit: FeatureDef['unit']): string =>
  unit === 'ratio' ? `${(100 * v).toFixed(1)}%` : unit === 'yuan' ? `¥${v.toFixed(2)}` : unit === 'days' ? `${v.toFixed(1)}天` : Number.isInteger(v) ? String(v) : v.toFixed(2);

function describe(def: FeatureDef, value: number, med: number, ratio: number | null, groupZh: string): { zh: string; en: string } {
  if (ratio !== null) {
    return {
      zh: `${def.zh}为${groupZh}中位数的 ${ratio.toFixed(1)} 倍（${fmt(value, def.unit)}，中位数 ${fmt(med, def.unit)}）`,
      en: `${def.en} is ${ratio.toFixed(1)}× the peer median (${fmt(value, def.unit)} vs ${fmt(med, def.unit)})`,
    };
  }
  return {
    zh: `${def.zh}为 ${fmt(value, def.unit)}，${groupZh}中位数为 ${fmt(med, def.unit)}`,
    en: `${def.en} is ${fmt(value, def.unit)} where the peer median is ${fmt(med, def.unit)}`,
  };
}

/** Scores the entities of one period against their peers. */
export function scoreAgainstPeers(entities: readonly EntityFeatures[], defs: readonly FeatureDef[], opts: PeerOptions = DEFAULT_PEER_OPTIONS): PeerScore[] {
  // Members of every group key, to pick each entity's group and compute stats once per group.
  const members = new Map<string, EntityFeatures[]>();
  for (const e of entities) {
    for (const g of e.groups) {
      let a = members.get(g.key);
      if (!a) members.set(g.key, (a = []));
      a.push(e);
    }
  }
  const statsCache = new Map<string, Map<string, FeatureStats | null>>();
  const statsOf = (group: string): Map<string, FeatureStats | null> => {
    let m = statsCache.get(group);
    if (!m) {
      m = new Map();
      const peers = members.get(group) ?? [];
      for (const d of defs) {
        const values = peers.map((p) => p.features[d.key]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
        m.set(d.key, featureStats(values));
      }
      statsCache.set(group, m);
    }
    return m;
  };

  return entities.map((e) => {
    const group = e.groups.find((g) => (members.get(g.key)?.length ?? 0) >= opts.minPeers) ?? e.groups[e.groups.length - 1]!;
    const stats = statsOf(group.key);
    const z: Record<string, number | null> = {};
    const percentile: Record<string, number | null> = {};
    const peerMedian: Record<string, number | null> = {};
    let weighted = 0;
    let weights = 0;
    const drivers: Driver[] = [];
    for (const d of defs) {
      const x = e.features[d.key];
      const s = stats.get(d.key) ?? null;
      peerMedian[d.key] = s ? s.median : null;
      if (x === null || x === undefined || !Number.isFinite(x) || !s) {
        z[d.key] = null;
        percentile[d.key] = null;
        continue;
      }
      const zi = robustZ(x, s, opts.zCap);
      z[d.key] = zi;
      percentile[d.key] = percentileRank(x, s.sorted);
      if (d.direction === 1 && d.weight > 0) {
        weighted += d.weight * Math.max(0, zi);
        weights += d.weight;
        const ratio = s.median !== 0 ? x / s.median : null;
        drivers.push({ feature: d.key, value: x, peerMedian: s.median, ratio, z: zi, percentile: percentile[d.key]!, ...describe(d, x, s.median, ratio, group.zh) });
      }
    }
    const shrink = e.volume / (e.volume + opts.shrinkClaims);
    const raw = weights > 0 ? (weighted / weights) * shrink : 0;
    const weightOf = (k: string) => defs.find((d) => d.key === k)!.weight;
    drivers.sort((a, b) => weightOf(b.feature) * b.z - weightOf(a.feature) * a.z || (a.feature < b.feature ? -1 : 1));
    const peerSize = members.get(group.key)?.length ?? 1;
    return {
      code: e.code,
      peerGroup: group.key,
      peerGroupZh: group.zh,
      peerSize,
      raw,
      score: Math.round((10000 * raw) / (raw + 1)) / 100,
      z,
      percentile,
      peerMedian,
      drivers: drivers.filter((d, i) => i === 0 || d.z > 1).slice(0, opts.drivers),
    };
  });
}

/** Ranks within one period: 1 is the riskiest; ties broken by code so ranks are reproducible. */
export function rankScores<T extends { code: string; score: number }>(rows: readonly T[]): (T & { rank: number })[] {
  return [...rows].sort((a, b) => b.score - a.score || (a.code < b.code ? -1 : 1)).map((r, i) => ({ ...r, rank: i + 1 }));
}
