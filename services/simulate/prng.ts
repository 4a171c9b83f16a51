// Seeded randomness: mulberry32, so a --seed always gives the same simulation. Nothing in the
// simulator calls Math.random or reads the clock.

import { mulberry32 } from '#shared/prng.js';

export { mulberry32 };

/** FNV-1a over the parts joined by `:`: derives independent sub-seeds (`seed:scenario-name`). */
export function hashSeed(...parts: Array<string | number>): number {
  const s = parts.join(':');
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const HEX = '0123456789abcdef';
const ALNUM_LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';

export class Rng {
  readonly seed: number;
  private readonly gen: () => number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.gen = mulberry32(this.seed);
  }

  /** An independent generator for a named part (same seed + label → same stream). */
  fork(label: string): Rng {
    return new Rng(hashSeed(this.seed, label));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.gen();
  }

  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.gen() * (hi - lo + 1));
  }

  float(lo: number, hi: number): number {
    return lo + this.gen() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.gen() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.gen() * items.length)] as T;
  }

  /** Picks by weight: [[value, weight], ...]. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.gen() * total;
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return (items[items.length - 1] as readonly [T, number])[0];
  }

  /** Exponential with the given mean (Poisson inter-arrival times). */
  exp(mean: number): number {
    return -Math.log(1 - this.gen()) * mean;
  }

  /** Shuffles in place (Fisher–Yates) and returns the array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.gen() * (i + 1));
      const t = a[i] as T;
      a[i] = a[j] as T;
      a[j] = t;
    }
    return a;
  }

  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += HEX[Math.floor(this.gen() * 16)];
    return s;
  }

  /** PHP's default session id shape: 26 chars of [a-z0-9]. */
  phpSessionId(): string {
    let s = '';
    for (let i = 0; i < 26; i++) s += ALNUM_LOWER[Math.floor(this.gen() * ALNUM_LOWER.length)];
    return s;
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
  }

  /** WooCommerce REST consumer key: `ck_` + 40 hex. */
  wooConsumerKey(): string {
    return `ck_${this.hex(40)}`;
  }

  wooConsumerSecret(): string {
    return `cs_${this.hex(40)}`;
  }
}
