// Robust statistics of per-window features, as the detector's baselines read them: median, MAD,
// p95 and n (simple-statistics, the same functions as the detector's in-memory store), per entity
// and hour of week (windows within ±1 h, so four weeks give enough samples), per entity over every
// hour, and over bounded samples of a peer group or a tenant. Pure: no I/O, no clock.
import { medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';
import { hourOfWeek } from '#shared/hour-of-week.js';
import { mulberry32 } from '#shared/prng.js';

/** Feature names, as the detector's WindowFeatures and the `baselines.feature` column name them. */
export const FEATURES = ['events', 'bytes_out', 'rows_out', 'distinct_resources'] as const;
export type Feature = (typeof FEATURES)[number];
export type FeatureValues = Record<Feature, number>;
const NF = FEATURES.length;

/** `baselines.hour_of_week` of a statistic over every hour of the week. */
export const ALL_HOURS = -1;
const WEEK_HOURS = 168;

export { hourOfWeek };

export interface Summary {
  median: number;
  mad: number;
  p95: number;
  n: number;
}

/** median, MAD, p95 and n of values (not modified). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Array.from(values).sort((a, b) => a - b);
  return {
    median: quantileSorted(sorted, 0.5),
    mad: medianAbsoluteDeviation(sorted),
    p95: quantileSorted(sorted, 0.95),
    n: sorted.length,
  };
}

/** One detector window of an entity: its hour of week and feature values. */
export interface HourlyWindow {
  hour: number;
  features: FeatureValues;
}

export interface HourStatistics {
  /** 0..167, or ALL_HOURS. */
  hour: number;
  features: Record<Feature, Summary>;
}

/**
 * An entity's statistics: for each hour of week whose windows within ±1 h number at least
 * minHistory, and over every window (ALL_HOURS) when those number at least minHistory.
 */
export function entityStatistics(windows: readonly HourlyWindow[], minHistory: number): HourStatistics[] {
  const out: HourStatistics[] = [];
  if (windows.length < minHistory) return out;
  const byHour: HourlyWindow[][] = Array.from({ length: WEEK_HOURS }, () => []);
  for (const w of windows) byHour[w.hour]?.push(w);
  for (let h = 0; h < WEEK_HOURS; h++) {
    const near = [
      byHour[(h + WEEK_HOURS - 1) % WEEK_HOURS] ?? [],
      byHour[h] ?? [],
      byHour[(h + 1) % WEEK_HOURS] ?? [],
    ];
    const n = near[0]!.length + near[1]!.length + near[2]!.length;
    if (n < minHistory) continue;
    out.push({ hour: h, features: summarizeEach(near.flat()) });
  }
  out.push({ hour: ALL_HOURS, features: summarizeEach(windows) });
  return out;
}

function summarizeEach(windows: readonly HourlyWindow[]): Record<Feature, Summary> {
  const col = new Float64Array(windows.length);
  const out = {} as Record<Feature, Summary>;
  for (const f of FEATURES) {
    for (let i = 0; i < windows.length; i++) col[i] = windows[i]!.features[f];
    out[f] = summarize(col);
  }
  return out;
}

/** Small seeded PRNG (mulberry32): a rerun over the same rollups samples the same windows. */
export const seededRandom: (seed: number) => () => number = mulberry32;

/**
 * A uniform sample of at most `capacity` windows' features (Algorithm R): peer groups and tenants
 * can have millions of windows over the lookback, their statistics need only a sample.
 */
export class Reservoir {
  private readonly values: Float64Array;
  /** Windows offered. */
  seen = 0;

  constructor(
    readonly capacity: number,
    private readonly random: () => number,
  ) {
    this.values = new Float64Array(capacity * NF);
  }

  get size(): number {
    return Math.min(this.seen, this.capacity);
  }

  add(f: FeatureValues): void {
    const i = this.seen < this.capacity ? this.seen : Math.floor(this.random() * (this.seen + 1));
    this.seen++;
    if (i >= this.capacity) return;
    for (let k = 0; k < NF; k++) this.values[i * NF + k] = f[FEATURES[k]!];
  }

  /** Statistics over the sample (n = sample size), or null below minHistory windows. */
  statistics(minHistory: number): Record<Feature, Summary> | null {
    const size = this.size;
    if (size < minHistory) return null;
    const out = {} as Record<Feature, Summary>;
    const col = new Float64Array(size);
    for (let k = 0; k < NF; k++) {
      for (let i = 0; i < size; i++) col[i] = this.values[i * NF + k]!;
      out[FEATURES[k]!] = summarize(col);
    }
    return out;
  }
}
