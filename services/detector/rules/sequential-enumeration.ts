// sequential-enumeration: one principal walks resource ids one after another on one route
// (`/wp-json/wc/v3/orders/1001`, `/1002`, `/1003`…, or `session-0001.mp4`, `-0002`…).
//
// Fires when, within the window, the distinct numeric ids the entity requested on one route
// template contain a near-sequential run of at least `minRun` ids: sort the distinct ids; a run is
// a stretch where each id is at most `maxGap` above the previous one (so small shuffles, skips
// and retries still count). observed = ids in the longest run; severity high, critical from
// `criticalRun` ids. Evaluated only when an event adds a new distinct id (trigger 'new-id'), and
// only on the run that new id belongs to, so the cost is the length of that run, and a walk that
// ended hours ago is not raised again by an unrelated id (ids stay in state for the id horizon).
// A full evaluation (no event) takes the longest run of every route.
//
// A walk is also *in order*: its ids arrive mostly in small steps (the next id a few above or
// below the last). Random reads that happen to cover a small id space densely (an app server's
// database connection reading posts by id for page views, hour after hour) form long runs in the
// sorted set, but arrive in large jumps. So the route's latest minRun ids, in order of first
// arrival, must also show at least minOrderedShare of steps of at most orderedStep.

import { entityKey } from '#shared/principal.js';
import { NO_FINDINGS, newIdByPrincipal } from './define.js';
import type { Finding, RouteIdsView, Rule, Severity, WindowView } from './types.js';

export interface SequentialEnumerationConfig {
  /** Ids in a run before the rule fires. */
  minRun: number;
  /** Largest step between consecutive distinct ids that keeps a run going. */
  maxGap: number;
  /** Run length from which severity is critical. */
  criticalRun: number;
  /** Severity below criticalRun. */
  severity: Severity;
  /**
   * Routes never evaluated, by suffix of the route template. Default: public pagination
   * (`/page/{id}`), which crawlers walk page by page on every WordPress site.
   */
  ignoreRouteSuffixes: readonly string[];
  /** Share of small steps (in arrival order) among the run's latest ids: a walk is in order. */
  minOrderedShare: number;
  /** Largest step between ids arriving one after the other that counts as in order. */
  orderedStep: number;
}

export const SEQUENTIAL_ENUMERATION_DEFAULTS: Readonly<SequentialEnumerationConfig> = Object.freeze({
  minRun: 20,
  maxGap: 3,
  criticalRun: 200,
  severity: 'high',
  ignoreRouteSuffixes: Object.freeze(['/page/{id}', '/page/{id}/']),
  minOrderedShare: 0.5,
  orderedStep: 12,
});

export interface Run {
  /** Index in the sorted ids of the run's first and last id. */
  from: number;
  to: number;
  length: number;
}

/** The run around sorted[pos]: neighbours at most maxGap apart on either side. */
export function runAround(sorted: readonly number[], pos: number, maxGap: number): Run {
  let from = pos;
  while (from > 0 && (sorted[from] as number) - (sorted[from - 1] as number) <= maxGap) from--;
  let to = pos;
  const n = sorted.length;
  while (to < n - 1 && (sorted[to + 1] as number) - (sorted[to] as number) <= maxGap) to++;
  return { from, to, length: to - from + 1 };
}

function indexOf(sorted: readonly number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The run to judge: around the newest id when an event added one, else the longest. */
export function runToJudge(r: RouteIdsView, maxGap: number, incremental: boolean): Run {
  if (!incremental || r.distinct === 0) return longestRun(r.sorted, r.distinct, maxGap);
  const newest = r.idAt(r.distinct - 1);
  return runAround(r.sorted, indexOf(r.sorted, newest), maxGap);
}

/** Longest run in ascending ids[0..n) where consecutive ids differ by at most maxGap; the first on ties. */
export function longestRun(sorted: readonly number[], n: number, maxGap: number): Run {
  if (n === 0) return { from: 0, to: -1, length: 0 };
  let bestFrom = 0;
  let bestLen = 1;
  let from = 0;
  for (let i = 1; i < n; i++) {
    if ((sorted[i] as number) - (sorted[i - 1] as number) > maxGap) {
      from = i;
    } else if (i - from + 1 > bestLen) {
      bestLen = i - from + 1;
      bestFrom = from;
    }
  }
  return { from: bestFrom, to: bestFrom + bestLen - 1, length: bestLen };
}

const MAX_SAMPLES = 10;

/**
 * Share of small steps (0 < |step| <= maxStep) between consecutive ids, in order of first arrival,
 * among the route's latest `k` ids. 1 when fewer than two.
 */
export function orderedShare(r: RouteIdsView, k: number, maxStep: number): number {
  const from = Math.max(0, r.distinct - k);
  let small = 0;
  for (let i = from + 1; i < r.distinct; i++) {
    const d = Math.abs(r.idAt(i) - r.idAt(i - 1));
    if (d > 0 && d <= maxStep) small++;
  }
  const pairs = r.distinct - from - 1;
  return pairs <= 0 ? 1 : small / pairs;
}

function ignored(route: string, suffixes: readonly string[]): boolean {
  for (const s of suffixes) if (route.endsWith(s)) return true;
  return false;
}

function findingFor(w: WindowView, r: RouteIdsView, run: Run, cfg: SequentialEnumerationConfig): Finding {
  const lo = r.sorted[run.from] as number;
  const hi = r.sorted[run.to] as number;
  const samples: string[] = [];
  let firstSeen = Number.POSITIVE_INFINITY;
  for (let i = 0; i < r.distinct; i++) {
    const id = r.idAt(i);
    if (id < lo || id > hi) continue;
    if (samples.length < MAX_SAMPLES) samples.push(r.eventIdAt(i));
    const t = r.tsAt(i);
    if (t < firstSeen) firstSeen = t;
  }
  const labels: Record<string, string> = { route: r.route };
  if (r.resourceKind !== null) labels['resource_kind'] = r.resourceKind;
  return {
    severity: run.length >= cfg.criticalRun ? 'critical' : cfg.severity,
    entity: w.entity,
    feature: 'sequential_ids',
    observed: run.length,
    baseline: null,
    score: run.length / cfg.minRun,
    title: `Sequential ID walk on ${r.route} by ${entityKey(w.entity)} (${run.length} ids)`,
    topResources: [`${r.route} ids ${lo}..${hi}`],
    sampleEventIds: samples,
    labels,
    firstSeen,
    tenant: r.tenant,
  };
}

export const sequentialEnumeration: Rule<SequentialEnumerationConfig> = {
  ...newIdByPrincipal('sequential-enumeration', SEQUENTIAL_ENUMERATION_DEFAULTS),
  evaluate(w, _b, cfg) {
    let best: RouteIdsView | undefined;
    let bestRun: Run | undefined;
    // indexed: `changed` is often the shared frozen empty list (a for-of allocates on it)
    const changed = w.changed;
    for (let i = 0; i < changed.length; i++) {
      const r = changed[i] as RouteIdsView;
      if (r.distinct < cfg.minRun || ignored(r.route, cfg.ignoreRouteSuffixes)) continue;
      const run = runToJudge(r, cfg.maxGap, w.event !== null);
      if (run.length < cfg.minRun || (bestRun !== undefined && run.length <= bestRun.length)) continue;
      if (orderedShare(r, cfg.minRun, cfg.orderedStep) < cfg.minOrderedShare) continue;
      best = r;
      bestRun = run;
    }
    return best === undefined || bestRun === undefined ? NO_FINDINGS : [findingFor(w, best, bestRun, cfg)];
  },
};
