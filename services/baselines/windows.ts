// From rollup rows to detector windows. The rollup holds 5-minute buckets per route class; the
// SQL (queries.ts) merges the buckets of one detector window per class, and these pure functions
// join an entity's classes into the window the detector would have seen: totals, and the peer
// class (the class of the window's largest response, as the engine picks it). Pure: no I/O.
import type { Entity } from '#shared/avro/generated/alert.js';
import { ConfigInvalid } from '#shared/errors.js';
import type { FeatureValues } from './stats.js';

/** Rollup bucket length: detector windows must be a whole number of buckets. */
export const BUCKET_MS = 5 * 60_000;

/** Detector window length in seconds; refused unless a positive multiple of 5 minutes. */
export function windowSeconds(windowMs: number): number {
  if (!Number.isInteger(windowMs) || windowMs <= 0 || windowMs % BUCKET_MS !== 0) {
    throw ConfigInvalid(
      `detector.windowMs (DETECTOR_WINDOW_MS) must be a multiple of ${BUCKET_MS} (5 minutes) for ClickHouse baselines, got ${windowMs}`,
    );
  }
  return windowMs / 1000;
}

/** One route class of one entity in one detector window (a row of rollupWindowsQuery). */
export interface ClassRow {
  /** Window start, epoch ms. */
  windowStart: number;
  routeClass: string;
  requests: number;
  bytesOut: number;
  rowsOut: number;
  maxResponseBytes: number;
  distinctResources: number;
  /** Some event was counted more than once (a replayed insert): recompute from access_events. */
  dirty: boolean;
}

export interface EntityWindow {
  windowStart: number;
  /** The route class of the window's largest response ('none' without a resource kind). */
  peerClass: string;
  features: FeatureValues;
  dirty: boolean;
}

/**
 * Joins one entity's class rows into windows, in window order. Distinct resources add up across
 * classes (they are counted per route, and a route has one kind). Largest response ties, which the
 * engine settles by event order the rollup does not keep, go to the class with more requests,
 * then to a named kind over 'none', then by name.
 */
export function assembleWindows(rows: readonly ClassRow[]): EntityWindow[] {
  const byStart = new Map<number, { w: EntityWindow; best: ClassRow }>();
  for (const r of rows) {
    const cur = byStart.get(r.windowStart);
    if (cur === undefined) {
      byStart.set(r.windowStart, {
        w: {
          windowStart: r.windowStart,
          peerClass: r.routeClass,
          features: {
            events: r.requests,
            bytes_out: r.bytesOut,
            rows_out: r.rowsOut,
            distinct_resources: r.distinctResources,
          },
          dirty: r.dirty,
        },
        best: r,
      });
      continue;
    }
    const f = cur.w.features;
    f.events += r.requests;
    f.bytes_out += r.bytesOut;
    f.rows_out += r.rowsOut;
    f.distinct_resources += r.distinctResources;
    cur.w.dirty ||= r.dirty;
    if (largerPeer(r, cur.best)) {
      cur.best = r;
      cur.w.peerClass = r.routeClass;
    }
  }
  return [...byStart.values()].map((x) => x.w).sort((a, b) => a.windowStart - b.windowStart);
}

function largerPeer(a: ClassRow, b: ClassRow): boolean {
  if (a.maxResponseBytes !== b.maxResponseBytes) return a.maxResponseBytes > b.maxResponseBytes;
  if (a.requests !== b.requests) return a.requests > b.requests;
  if ((a.routeClass === 'none') !== (b.routeClass === 'none')) return b.routeClass === 'none';
  return a.routeClass < b.routeClass;
}

/**
 * Replaces the class rows of the windows starting at `starts` by `fresh` (recomputed from
 * access_events). A window in `starts` without fresh rows is dropped: its raw events are gone
 * (retention), and its rollup values are known to be wrong.
 */
export function replaceWindows<T extends ClassRow>(
  rows: readonly T[],
  starts: ReadonlySet<number>,
  fresh: readonly T[],
): T[] {
  return [
    ...rows.filter((r) => !starts.has(r.windowStart)),
    ...fresh.filter((r) => starts.has(r.windowStart)),
  ];
}

/** Entity type of each principal key prefix (services/shared/principal.ts writes `ip:` for client_ip). */
const TYPE_OF_PREFIX: Readonly<Record<string, string>> = {
  user: 'user',
  api_key: 'api_key',
  session: 'session',
  ip: 'client_ip',
};

/** The detector's entity for an access_events `principal` key (`user:alice` → user / alice). */
export function entityFromPrincipal(principal: string): Entity {
  const i = principal.indexOf(':');
  if (i < 0) return { type: 'client_ip', value: principal };
  const prefix = principal.slice(0, i);
  return { type: TYPE_OF_PREFIX[prefix] ?? prefix, value: principal.slice(i + 1) };
}

/**
 * The job's data range, epoch ms, [fromMs, toMs): lookbackDays ending at the start of the window
 * holding the latest rolled-up bucket (that window may still be filling). Anchored at the data, not
 * the clock, so a replay of old logs gets baselines too; never past `nowMs` (bad future timestamps).
 */
export function lookbackRange(
  latestBucketMs: number,
  nowMs: number,
  windowMs: number,
  lookbackDays: number,
): { fromMs: number; toMs: number } {
  const toMs = Math.floor(Math.min(latestBucketMs, nowMs) / windowMs) * windowMs;
  const fromMs = Math.ceil((toMs - lookbackDays * 86_400_000) / windowMs) * windowMs;
  return { fromMs, toMs };
}
