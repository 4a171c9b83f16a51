// egress: bytes and rows leaving per requester, over the last window (sliding), against the
// requester's baseline.
//
// Two tests, the larger score wins:
// - absolute volume (no baseline needed, works from the first event): bytes >= absoluteBytes or
//   rows >= absoluteRows in the last window;
// - baseline: observed above max(minBytes, p95 x factor, median + madK x 1.4826 x MAD) of the
//   entity's own windows; when the baseline is its peer group (a principal with no history of its
//   own, compared with others whose largest response was the same kind), above
//   max(peerMinBytes, p95 x peerFactor): a newcomer downloading one large file is normal, a
//   newcomer pulling hundreds of megabytes more than its peers is not. The tenant-wide baseline
//   mixes every kind of traffic and is not used.
//   A baseline with fewer than minHistory windows is warm-up: no baseline alert from it.
//
// Learnt entities are judged by what was learnt, not by the absolute limit (which is for the new
// and the unknown). An entity is learnt for a feature when
//   (a) it had heavy windows at this hour of day (±1 h) on at least `learntDays` earlier days
//       (Baseline.atHour, baselines/hour-of-day.ts: a nightly job after its second night), or else
//   (b) its own baseline (hour of week, or every hour) rests on at least minHistory windows.
// Its threshold is then max(floor, median + madK x 1.4826 x MAD, min(p95 x factor,
// max(p95 x bulkFactor, p95 + absolute limit))): a small entity keeps the 10x-its-p95 test, and a
// large one alerts when it moves at least bulkFactor times its p95 AND the excess alone is an
// absolute limit's worth (a 6 GB nightly job reading 18 GB). So a learnt entity is never allowed
// more than its own p95 plus the absolute limit (unless its own spread, the MAD term, says so).
//
// Horizon (issue 15: slow pulls by a new or young principal): a principal with credentials (user,
// API key, session) that is not learnt at this hour of day alerts when what it moved over the last
// 2 hours and this window reaches horizonBytes (rows: horizonRows) AND horizonFactor times its own
// median window of the last 6 hours (at least horizonMinWindows windows there, a floor of 1 kB or
// 10 rows), while this window itself is at least `factor` times that median (the pull goes on; no
// alert for each window of the 2 hours after it stopped): an ERP account that polled 20 kB per 10 minutes and then reads 700 kB every 10
// minutes. The median, unlike a p95, is not moved by the pull itself until it has run for half of
// the 6 hours; an entity whose windows are all large (a patient streaming recordings) is at its
// median and never alerts. Anonymous addresses (crawlers, public downloads) are left to the
// per-window tests and unauthenticated-sensitive. Baseline.horizon (baselines/horizon.ts).

import { entityKey } from '#shared/principal.js';
import { everyEventByPrincipal, NO_FINDINGS } from './define.js';
import { humanBytes, sampleEvents, topRoutes } from './explain.js';
import type {
  Baseline,
  BaselineSummary,
  Finding,
  RecentCounters,
  Rule,
  Severity,
  WindowView,
} from './types.js';

export interface EgressConfig {
  absoluteBytes: number;
  absoluteRows: number;
  minBytes: number;
  minRows: number;
  peerMinBytes: number;
  peerMinRows: number;
  factor: number;
  madK: number;
  peerFactor: number;
  minHistory: number;
  /** Earlier days with heavy windows at this hour of day for an entity to be learnt there. */
  learntDays: number;
  /** A learnt entity above this multiple of its p95 whose excess reaches the absolute limit alerts. */
  bulkFactor: number;
  /** Horizon test (see the header): sum over 2 h plus this window from these totals on. */
  horizonBytes: number;
  horizonRows: number;
  /** ... and at least this multiple of the entity's median window of the last 6 h. */
  horizonFactor: number;
  /** Windows the entity must have had in the last 6 h for its median to count. */
  horizonMinWindows: number;
  severity: Severity;
  /** Score (observed / threshold) from which severity is critical. */
  criticalScore: number;
}

export const EGRESS_DEFAULTS: Readonly<EgressConfig> = Object.freeze({
  absoluteBytes: 2 * 1024 ** 3,
  absoluteRows: 200_000,
  minBytes: 512 * 1024,
  minRows: 5_000,
  peerMinBytes: 256 * 1024 ** 2,
  peerMinRows: 50_000,
  factor: 10,
  madK: 8,
  peerFactor: 50,
  minHistory: 12,
  learntDays: 2,
  bulkFactor: 2,
  horizonBytes: 4 * 1024 ** 2,
  horizonRows: 40_000,
  horizonFactor: 100,
  horizonMinWindows: 6,
  severity: 'high',
  criticalScore: 10,
});

const MAD_SCALE = 1.4826;

type Feature = 'bytes_out' | 'rows_out';
/** What the threshold rests on: the absolute limit, the entity at this hour of day, its own or its peers' baseline. */
type Basis = 'none' | 'entity-hour' | 'entity' | 'peer' | 'horizon';

interface Test {
  feature: Feature;
  observed: number;
  threshold: number;
  basis: Basis;
  baseline: BaselineSummary | null;
}

/** The entity's learnt summary for a feature (see the header), or null when it is new or unknown. */
export function learnt(
  b: Baseline | undefined,
  feature: Feature,
  cfg: EgressConfig,
): { basis: 'entity-hour' | 'entity'; summary: BaselineSummary } | null {
  const h = b?.atHour;
  const hs = h?.features[feature];
  if (h !== undefined && hs !== undefined && h.days >= cfg.learntDays)
    return { basis: 'entity-hour', summary: hs };
  const s = b?.features[feature];
  if (b?.source === 'entity' && s !== undefined && s.n >= cfg.minHistory)
    return { basis: 'entity', summary: s };
  return null;
}

function absoluteOf(feature: Feature, cfg: EgressConfig): number {
  return feature === 'bytes_out' ? cfg.absoluteBytes : cfg.absoluteRows;
}

/** Threshold of a learnt entity (see the header). */
export function learntThreshold(s: BaselineSummary, feature: Feature, cfg: EgressConfig): number {
  const floor = feature === 'bytes_out' ? cfg.minBytes : cfg.minRows;
  const bulk = Math.max(s.p95 * cfg.bulkFactor, s.p95 + absoluteOf(feature, cfg));
  return Math.max(floor, s.p50 + cfg.madK * MAD_SCALE * s.mad, Math.min(s.p95 * cfg.factor, bulk));
}

/** The horizon test (see the header): the sum over the horizon and this tumbling window. */
export function horizonTest(
  view: WindowView,
  b: Baseline | undefined,
  feature: Feature,
  cfg: EgressConfig,
): Test | null {
  const h = b?.horizon;
  if (h === undefined || h.windows < cfg.horizonMinWindows) return null;
  const bytes = feature === 'bytes_out';
  const observed = bytes ? h.bytes + view.bytesOut : h.rows + view.rowsOut;
  const median = Math.max(bytes ? h.medianBytes : h.medianRows, bytes ? 1000 : 10);
  const threshold = Math.max(bytes ? cfg.horizonBytes : cfg.horizonRows, cfg.horizonFactor * median);
  // Only while the pull goes on: this window itself at least `factor` times the median.
  const now = bytes ? view.bytesOut : view.rowsOut;
  if (!(observed >= threshold) || now < cfg.factor * median) return null;
  const baseline: BaselineSummary = { p50: median, mad: 0, p95: median, n: h.windows };
  return { feature, observed, threshold, basis: 'horizon', baseline };
}

function test(
  w: RecentCounters,
  view: WindowView,
  b: Baseline | undefined,
  feature: Feature,
  cfg: EgressConfig,
): Test | null {
  const observed = feature === 'bytes_out' ? w.bytesOut : w.rowsOut;
  const l = learnt(b, feature, cfg);
  // Not for a scheduled job learnt at this hour of day: it is judged by what it moves then.
  const slow = l?.basis === 'entity-hour' ? null : horizonTest(view, b, feature, cfg);
  if (l !== null) {
    const threshold = learntThreshold(l.summary, feature, cfg);
    return stronger(
      observed > threshold ? { feature, observed, threshold, basis: l.basis, baseline: l.summary } : null,
      slow,
    );
  }
  // absolute, then peer, then horizon: on a tie the earlier stays
  let top: Test | null = null;
  const absolute = absoluteOf(feature, cfg);
  if (observed >= absolute) top = { feature, observed, threshold: absolute, basis: 'none', baseline: null };
  // Peers: a principal with no learnt history of its own, compared with its peer group.
  const s = b?.features[feature];
  const floor = feature === 'bytes_out' ? cfg.minBytes : cfg.minRows;
  if (b?.source === 'peer' && s !== undefined && s.n >= cfg.minHistory && observed >= floor) {
    const threshold = Math.max(
      feature === 'bytes_out' ? cfg.peerMinBytes : cfg.peerMinRows,
      s.p95 * cfg.peerFactor,
    );
    if (observed > threshold)
      top = stronger(top, { feature, observed, threshold, basis: 'peer', baseline: s });
  }
  return stronger(top, slow);
}

/** The test with the larger observed / threshold; a, the earlier one, on a tie (no list built per event). */
function stronger(a: Test | null, b: Test | null): Test | null {
  if (a === null) return b;
  return b !== null && b.observed / b.threshold > a.observed / a.threshold ? b : a;
}

function best(w: WindowView, b: Baseline | undefined, cfg: EgressConfig): Test | null {
  const r = w.recent();
  return stronger(test(r, w, b, 'bytes_out', cfg), test(r, w, b, 'rows_out', cfg));
}

const BASIS_TEXT: Readonly<Record<Basis, string>> = {
  none: 'absolute limit',
  'entity-hour': 'its own baseline at this hour of day',
  entity: 'entity baseline',
  peer: 'peer baseline',
  horizon: 'its own median 10-min window of the last 6 h',
};

export const egress: Rule<EgressConfig> = {
  ...everyEventByPrincipal('egress', EGRESS_DEFAULTS),
  evaluate(w, b, cfg): readonly Finding[] {
    const e = w.event;
    // Cheap pre-check: only events that add volume can push it over.
    if (e !== null && e.bytes_out === 0 && (e.rows_out ?? 0) === 0) return NO_FINDINGS;
    if (
      (e === null || e.rows_out === null) &&
      w.recentBytes() < Math.min(cfg.minBytes, cfg.absoluteBytes) &&
      (b?.horizon === undefined || b.horizon.bytes + w.bytesOut < cfg.horizonBytes)
    )
      return NO_FINDINGS;
    const t = best(w, b, cfg);
    if (t === null) return NO_FINDINGS;
    const score = t.observed / t.threshold;
    const what = t.feature === 'bytes_out' ? humanBytes(t.observed) : `${t.observed} rows`;
    const against =
      t.baseline === null ? BASIS_TEXT.none : `${BASIS_TEXT[t.basis]} p95 ${fmt(t.feature, t.baseline.p95)}`;
    return [
      {
        severity: score >= cfg.criticalScore ? 'critical' : cfg.severity,
        entity: w.entity,
        feature: t.feature,
        observed: t.observed,
        baseline: t.baseline,
        score,
        title: `Egress of ${what} in ${t.basis === 'horizon' ? 'the last 2 h' : '10 min'} by ${entityKey(w.entity)} (${against})`,
        topResources: topRoutes(
          w.routes,
          (r) => r.count,
          (r) => `${r.count} requests`,
        ),
        sampleEventIds: sampleEvents(w),
        labels: { feature: t.feature, baseline_source: t.basis },
      },
    ];
  },
};

function fmt(feature: string, v: number): string {
  return feature === 'bytes_out' ? humanBytes(v) : String(Math.round(v));
}
