// What an entity moved over the last hours (issue 15): a slow pull by a principal with a short
// history (an ERP account seen for 90 minutes, polling 20 kB every 10 minutes, then reading 700 kB
// of orders every 10 minutes for two hours) stays under every per-window test, and its own history
// is too short (or, once the pull has run a while, too polluted) for a baseline to judge it.
// egress compares the sum of its last hours with its own median window (see rules/egress.ts).
//
// Kept per entity: its closed windows of the last `keepMs` (start, bytes, rows). get() answers, for
// the window at windowStart: how many closed windows it had in [windowStart - keepMs, windowStart),
// their median bytes and rows, and the sums of those in [windowStart - horizonMs, windowStart).
// Bounded: at most `maxEntities` entities (the least recently updated is dropped and then looks
// new), at most keepMs / window length windows each.
import type { HorizonBaseline } from '../rules/types.js';
import { RecencyList } from './recency-list.js';

export interface HorizonOptions {
  /** Span summed before the current window. Default 2 h (12 windows of 10 minutes). */
  horizonMs: number;
  /** Span whose windows give the median. Default 6 h. */
  keepMs: number;
  /** Entities tracked at most. Default 20,000. */
  maxEntities: number;
}

export const HORIZON_DEFAULTS: Readonly<HorizonOptions> = Object.freeze({
  horizonMs: 2 * 3_600_000,
  keepMs: 6 * 3_600_000,
  maxEntities: 20_000,
});

interface Track {
  key: string;
  /** Neighbours in recency order (older: observed before this one). */
  older: Track | null;
  newer: Track | null;
  starts: number[];
  bytes: number[];
  rows: number[];
  cachedFor: number;
  cached: HorizonBaseline | null;
}

/**
 * Median of the first n values, sorted in place by insertion: at most keepMs / window length
 * (36) values, and no comparator sort's temporary copy per call. Stable, like Array sort, so the
 * same order and median.
 */
function median(values: number[], n: number): number {
  for (let i = 1; i < n; i++) {
    const v = values[i] as number;
    let j = i - 1;
    while (j >= 0 && (values[j] as number) > v) {
      values[j + 1] = values[j] as number;
      j--;
    }
    values[j + 1] = v;
  }
  return n % 2 === 1
    ? (values[(n - 1) / 2] as number)
    : ((values[n / 2 - 1] as number) + (values[n / 2] as number)) / 2;
}

/** get()'s scratch lists of the kept windows' bytes and rows (read during the call only). */
const bytesKept: number[] = [];
const rowsKept: number[] = [];

export class HorizonTracker {
  private readonly opts: HorizonOptions;
  private readonly tracks = new Map<string, Track>();
  /** Tracks in recency order (the oldest is dropped first). */
  private readonly recency = new RecencyList<Track>();

  constructor(opts: Partial<HorizonOptions> = {}) {
    this.opts = { ...HORIZON_DEFAULTS, ...opts };
  }

  get size(): number {
    return this.tracks.size;
  }

  observe(key: string, windowStart: number, bytes: number, rows: number): void {
    let t = this.tracks.get(key);
    if (t === undefined) {
      if (this.tracks.size >= this.opts.maxEntities) {
        const oldest = this.recency.oldest;
        if (oldest !== null) {
          this.recency.unlink(oldest);
          this.tracks.delete(oldest.key);
        }
      }
      t = { key, older: null, newer: null, starts: [], bytes: [], rows: [], cachedFor: -1, cached: null };
      this.tracks.set(key, t);
      this.recency.append(t);
    } else {
      this.recency.touch(t);
    }
    const from = windowStart - this.opts.keepMs;
    let drop = 0;
    while (drop < t.starts.length && (t.starts[drop] as number) < from) drop++;
    if (drop > 0) {
      t.starts.splice(0, drop);
      t.bytes.splice(0, drop);
      t.rows.splice(0, drop);
    }
    t.starts.push(windowStart);
    t.bytes.push(bytes);
    t.rows.push(rows);
    t.cachedFor = -1;
  }

  /** Null when the entity has no closed window in the kept span. */
  get(key: string, windowStart: number): HorizonBaseline | null {
    const t = this.tracks.get(key);
    if (t === undefined) return null;
    if (t.cachedFor === windowStart) return t.cached;
    const keepFrom = windowStart - this.opts.keepMs;
    const from = windowStart - this.opts.horizonMs;
    let kept = 0;
    let bytes = 0;
    let rows = 0;
    for (let i = 0; i < t.starts.length; i++) {
      const s = t.starts[i] as number;
      if (s < keepFrom || s >= windowStart) continue;
      bytesKept[kept] = t.bytes[i] as number;
      rowsKept[kept] = t.rows[i] as number;
      kept++;
      if (s < from) continue;
      bytes += t.bytes[i] as number;
      rows += t.rows[i] as number;
    }
    t.cachedFor = windowStart;
    t.cached =
      kept === 0
        ? null
        : {
            windows: kept,
            medianBytes: median(bytesKept, kept),
            medianRows: median(rowsKept, kept),
            bytes,
            rows,
          };
    return t.cached;
  }
}
