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

import { entityKey } from '#shared/principal.js';
import { humanBytes, sampleEvents, topRoutes } from './explain.js';
import type { Baseline, BaselineSummary, Finding, Rule, Severity, WindowView } from './types.js';

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
  severity: Severity;
  /** Score (observed / threshold) from which severity is critical. */
  criticalScore: number;
}

export const EGRESS_DEFAULTS: Readonly<EgressConfig> = Object.freeze({
  absoluteBytes: 2 * 1024 ** 3,
  absoluteRows: 200_000,
  minBytes: 1024 ** 2,
  minRows: 5_000,
  peerMinBytes: 256 * 1024 ** 2,
  peerMinRows: 50_000,
  factor: 10,
  madK: 8,
  peerFactor: 50,
  minHistory: 12,
  severity: 'high',
  criticalScore: 10,
});

const MAD_SCALE = 1.4826;

interface Test {
  feature: 'bytes_out' | 'rows_out';
  observed: number;
  threshold: number;
  baseline: BaselineSummary | null;
}

function baselineThreshold(
  b: Baseline | undefined,
  feature: 'bytes_out' | 'rows_out',
  floor: number,
  cfg: EgressConfig,
): { threshold: number; summary: BaselineSummary } | null {
  const s = b?.features[feature];
  // The tenant-wide ('global') baseline mixes every kind of traffic: not a basis for egress.
  if (b === undefined || b.source === 'global' || s === undefined || s.n < cfg.minHistory) return null;
  const t =
    b.source === 'entity'
      ? Math.max(floor, s.p95 * cfg.factor, s.p50 + cfg.madK * MAD_SCALE * s.mad)
      : Math.max(feature === 'bytes_out' ? cfg.peerMinBytes : cfg.peerMinRows, s.p95 * cfg.peerFactor);
  return { threshold: t, summary: s };
}

function best(w: WindowView, b: Baseline | undefined, cfg: EgressConfig): Test | null {
  const r = w.recent();
  const tests: Test[] = [];
  if (r.bytesOut >= cfg.absoluteBytes)
    tests.push({ feature: 'bytes_out', observed: r.bytesOut, threshold: cfg.absoluteBytes, baseline: null });
  if (r.rowsOut >= cfg.absoluteRows)
    tests.push({ feature: 'rows_out', observed: r.rowsOut, threshold: cfg.absoluteRows, baseline: null });
  if (r.bytesOut >= cfg.minBytes) {
    const t = baselineThreshold(b, 'bytes_out', cfg.minBytes, cfg);
    if (t !== null && r.bytesOut > t.threshold)
      tests.push({ feature: 'bytes_out', observed: r.bytesOut, threshold: t.threshold, baseline: t.summary });
  }
  if (r.rowsOut >= cfg.minRows) {
    const t = baselineThreshold(b, 'rows_out', cfg.minRows, cfg);
    if (t !== null && r.rowsOut > t.threshold)
      tests.push({ feature: 'rows_out', observed: r.rowsOut, threshold: t.threshold, baseline: t.summary });
  }
  let top: Test | null = null;
  for (const t of tests) if (top === null || t.observed / t.threshold > top.observed / top.threshold) top = t;
  return top;
}

export const egress: Rule<EgressConfig> = {
  id: 'egress',
  keyBy: 'principal',
  trigger: 'every-event',
  defaults: EGRESS_DEFAULTS,
  evaluate(w, b, cfg): Finding[] {
    const e = w.event;
    // Cheap pre-check: only events that add volume can push it over.
    if (e !== null && e.bytes_out === 0 && (e.rows_out ?? 0) === 0) return [];
    if ((e === null || e.rows_out === null) && w.recentBytes() < Math.min(cfg.minBytes, cfg.absoluteBytes))
      return [];
    const t = best(w, b, cfg);
    if (t === null) return [];
    const score = t.observed / t.threshold;
    const what = t.feature === 'bytes_out' ? humanBytes(t.observed) : `${t.observed} rows`;
    const against =
      t.baseline === null ? 'absolute limit' : `${b?.source} baseline p95 ${fmt(t.feature, t.baseline.p95)}`;
    return [
      {
        severity: score >= cfg.criticalScore ? 'critical' : cfg.severity,
        entity: w.entity,
        feature: t.feature,
        observed: t.observed,
        baseline: t.baseline,
        score,
        title: `Egress of ${what} in 10 min by ${entityKey(w.entity)} (${against})`,
        topResources: topRoutes(
          w.routes,
          (r) => r.count,
          (r) => `${r.count} requests`,
        ),
        sampleEventIds: sampleEvents(w),
        labels: { feature: t.feature, baseline_source: t.baseline === null ? 'none' : String(b?.source) },
      },
    ];
  },
};

function fmt(feature: string, v: number): string {
  return feature === 'bytes_out' ? humanBytes(v) : String(Math.round(v));
}
