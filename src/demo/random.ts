/** The part of pure-rand's generator interface we use. */
interface JumpableRandomGenerator {
  clone(): JumpableRandomGenerator;
  next(): number;
  jump(): void;
}

// pure-rand v8 publishes its modules only through package.json "exports", which this repo's
// moduleResolution ("node") cannot read for types; Node and Jest resolve the path at runtime.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { xoroshiro128plus } = require('pure-rand/generator/xoroshiro128plus') as {
  xoroshiro128plus: (seed: number) => JumpableRandomGenerator;
};

/**
 * Seeded random source for the demo generator. Everything the generator draws goes through one of
 * these, so the same seed always yields byte-identical files (no Math.random, no clock).
 */
export class Rng {
  private constructor(private readonly gen: JumpableRandomGenerator) {}

  /** A generator seeded from a number or any string (hashed with FNV-1a to 32 bits). */
  static fromSeed(seed: number | string): Rng {
    return new Rng(xoroshiro128plus(hashSeed(seed)));
  }

  /**
   * An independent stream 2^64 draws away. Each part of the data (reference, plan, claims) gets its
   * own stream so that, e.g., changing the number of claims does not reshuffle the catalog.
   */
  fork(): Rng {
    const copy = this.gen.clone();
    this.gen.jump();
    return new Rng(copy);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return (this.gen.next() >>> 0) / 0x100000000;
  }

  /** Uniform integer in [min, max] (both inclusive). Slight modulo bias is irrelevant for demo data. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick on an empty list');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Index drawn with probability proportional to weights[i]. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    return items[this.weightedIndex(weights)] as T;
  }

  /** In-place Fisher–Yates shuffle; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const t = items[i] as T;
      items[i] = items[j] as T;
      items[j] = t;
    }
    return items;
  }

  /** k distinct values of [0, n) in random order (partial Fisher–Yates over an index array). */
  sampleIndices(n: number, k: number): number[] {
    if (k > n) throw new Error(`cannot sample ${k} of ${n}`);
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const out: number[] = [];
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.float() * (n - i));
      const t = idx[i] as number;
      idx[i] = idx[j] as number;
      idx[j] = t;
      out.push(idx[i] as number);
    }
    return out;
  }
}

/** FNV-1a over the seed's decimal/string form: stable across platforms and Node versions. */
export function hashSeed(seed: number | string): number {
  const s = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
