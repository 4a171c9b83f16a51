// The in-memory BaselineStore: learns from the stream itself (what `leakwatch scan` and a detector
// without ClickHouse baselines use).
//
// The engine reports every closed tumbling window of every entity (observe). Per entity we keep
// the last `historyWindows` windows' feature values with their hour of week; get() summarises
// them with robust statistics (median, MAD, p95, n — simple-statistics):
//   1. the entity's own windows at the same hour of week (±1 h), when there are `minHistory` of them;
//   2. else all of the entity's windows, when there are `minHistory`;
//   3. else its peer group: windows of any entity of the tenant with the same peer class (the
//      resource kind of the window's largest response: recording viewers with recording viewers,
//      order API clients with order API clients), when the group has `minHistory` windows;
//   4. else every entity of the tenant ('global'); undefined when even that is too short.
// Warm-up is explicit: Baseline.source and each summary's n say what the numbers rest on, and
// rules decide (egress needs n >= its minHistory from the entity, and a larger margin otherwise).
//
// Bounded: at most `maxEntities` entity histories (the least recently updated are dropped),
// Float32 rings, summaries cached and recomputed only when a window is added.

import { medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';
import type { BaselineSummary, Entity } from '#shared/avro/generated/alert.js';
import { hourOfWeek } from '#shared/hour-of-week.js';
import type { Baseline, BaselineStore, WindowFeatures } from '../rules/types.js';

export const BASELINE_FEATURES = ['events', 'bytes_out', 'rows_out', 'distinct_resources'] as const;
type Feature = (typeof BASELINE_FEATURES)[number];
const NF = BASELINE_FEATURES.length;

export interface MemoryBaselineOptions {
  /** Windows kept per entity. Default 96 (16 hours of continuous activity at 10-minute windows). */
  historyWindows: number;
  /** Windows an entity (or group) needs before its own statistics are used. Default 12. */
  minHistory: number;
  /** Windows kept per peer group and per tenant. Default 2048. */
  groupWindows: number;
  /** Entity histories kept at most. Default 100,000. */
  maxEntities: number;
}

export const MEMORY_BASELINE_DEFAULTS: Readonly<MemoryBaselineOptions> = Object.freeze({
  historyWindows: 96,
  minHistory: 12,
  groupWindows: 2048,
  maxEntities: 100_000,
});

export { hourOfWeek };

const WEEK_HOURS = 168;

/** A ring of feature vectors with their hour of week. */
class History {
  readonly values: Float32Array;
  readonly hours: Uint8Array;
  n = 0;
  next = 0;
  /** Cached summaries: all windows, and the hour of week the seasonal cache is for. */
  all: Record<string, BaselineSummary> | null = null;
  seasonal: Record<string, BaselineSummary> | null = null;
  seasonalHour = -1;
  private addsSinceSummary = 0;

  /** refreshEvery: adds after which cached summaries are recomputed (groups change constantly). */
  constructor(
    readonly capacity: number,
    private readonly refreshEvery = 1,
  ) {
    this.values = new Float32Array(capacity * NF);
    this.hours = new Uint8Array(capacity);
  }

  add(hour: number, f: WindowFeatures): void {
    const o = this.next * NF;
    for (let i = 0; i < NF; i++) this.values[o + i] = f[BASELINE_FEATURES[i] as Feature];
    this.hours[this.next] = hour;
    this.next = (this.next + 1) % this.capacity;
    if (this.n < this.capacity) this.n++;
    if (++this.addsSinceSummary >= this.refreshEvery || this.all === null) {
      this.addsSinceSummary = 0;
      this.all = null;
      this.seasonal = null;
      this.seasonalHour = -1;
    }
  }

  summarize(filterHour: number | null, min: number): Record<string, BaselineSummary> | null {
    const idx: number[] = [];
    for (let k = 0; k < this.n; k++) {
      if (filterHour === null || hourDistance(this.hours[k] as number, filterHour) <= 1) idx.push(k);
    }
    if (idx.length < min) return null;
    const out: Record<string, BaselineSummary> = {};
    const col = new Array<number>(idx.length);
    for (let f = 0; f < NF; f++) {
      for (let j = 0; j < idx.length; j++) col[j] = this.values[(idx[j] as number) * NF + f] as number;
      out[BASELINE_FEATURES[f] as Feature] = summary(col);
    }
    return out;
  }
}

function hourDistance(a: number, b: number): number {
  const d = Math.abs(a - b);
  return Math.min(d, WEEK_HOURS - d);
}

/** median, MAD, p95 and n of values (values is reordered). */
export function summary(values: number[]): BaselineSummary {
  const sorted = values.slice().sort((a, b) => a - b);
  return {
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    mad: medianAbsoluteDeviation(sorted),
    n: sorted.length,
  };
}

export class MemoryBaselineStore implements BaselineStore {
  private readonly opts: MemoryBaselineOptions;
  private readonly entities = new Map<string, History>();
  private readonly groups = new Map<string, History>();

  constructor(opts: Partial<MemoryBaselineOptions> = {}) {
    this.opts = { ...MEMORY_BASELINE_DEFAULTS, ...opts };
  }

  /** Entity histories held. */
  get size(): number {
    return this.entities.size;
  }

  observe(
    entity: Entity,
    tenant: string,
    windowStart: number,
    peerClass: string,
    features: WindowFeatures,
  ): void {
    const hour = hourOfWeek(windowStart);
    const key = tenant + '\u0000' + entity.type + '\u0000' + entity.value;
    let h = this.entities.get(key);
    if (h === undefined) {
      if (this.entities.size >= this.opts.maxEntities) {
        // Maps iterate in insertion order and entries are re-inserted on update: the first is the stalest.
        const stalest = this.entities.keys().next().value;
        if (stalest !== undefined) this.entities.delete(stalest);
      }
      h = new History(this.opts.historyWindows);
    } else {
      this.entities.delete(key);
    }
    this.entities.set(key, h);
    h.add(hour, features);
    this.group(tenant + '\u0001' + peerClass).add(hour, features);
    this.group(tenant).add(hour, features);
  }

  get(entity: Entity, tenant: string, windowStart: number, peerClass = 'none'): Baseline | undefined {
    const { minHistory } = this.opts;
    const h = this.entities.get(tenant + '\u0000' + entity.type + '\u0000' + entity.value);
    if (h !== undefined && h.n >= minHistory) {
      const hour = hourOfWeek(windowStart);
      if (h.seasonalHour !== hour) {
        h.seasonal = h.summarize(hour, minHistory);
        h.seasonalHour = hour;
      }
      // Seasonal only once the same hours alone are enough history; else every window.
      if (h.seasonal !== null) return { source: 'entity', features: h.seasonal };
      h.all ??= h.summarize(null, minHistory);
      if (h.all !== null) return { source: 'entity', features: h.all };
    }
    for (const [key, source] of [
      [tenant + '\u0001' + peerClass, 'peer'],
      [tenant, 'global'],
    ] as const) {
      const g = this.groups.get(key);
      if (g === undefined || g.n < minHistory) continue;
      g.all ??= g.summarize(null, minHistory);
      if (g.all !== null) return { source, features: g.all };
    }
    return undefined;
  }

  private group(key: string): History {
    let g = this.groups.get(key);
    if (g === undefined) {
      g = new History(this.opts.groupWindows, 512);
      this.groups.set(key, g);
    }
    return g;
  }
}
