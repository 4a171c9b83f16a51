// break-glass: emergency access ("break the glass") used far above its usual volume or outside
// its scope. Emergency access exists for one patient in an emergency; reading dozens of charts,
// or exports and orders, under it is the classic insider leak.
//
// Two findings, the larger score wins:
// - out of scope: emergency requests on routes whose kind is not in scopeKinds (observed = count);
// - volume: distinct resources read under emergency access within the last hour above
//   max(minResources, the principal's own median of distinct resources per active window x
//   windows per hour x factor) — an hour, so a clinician reading 20 charts an hour under
//   break-glass, against their usual handful, is caught even when no 10-minute window stands out.
//   (The median of active windows already overstates an hour: people are not active every window.)

import { entityKey } from '#shared/principal.js';
import { everyEventByPrincipal, NO_FINDINGS } from './define.js';
import { eventLabels, sampleEvents, topRoutes } from './explain.js';
import type { Finding, Rule, Severity } from './types.js';

export interface BreakGlassConfig {
  scopeKinds: readonly string[];
  minResources: number;
  factor: number;
  volumeWindowMs: number;
  minHistory: number;
  severity: Severity;
  /** Out-of-scope emergency requests before the out-of-scope finding. */
  minOutOfScope: number;
}

export const BREAK_GLASS_DEFAULTS: Readonly<BreakGlassConfig> = Object.freeze({
  scopeKinds: Object.freeze(['patient', 'appointment', 'recording']),
  minResources: 10,
  factor: 1,
  volumeWindowMs: 3_600_000,
  minHistory: 12,
  severity: 'critical',
  minOutOfScope: 3,
});

export const breakGlass: Rule<BreakGlassConfig> = {
  ...everyEventByPrincipal('break-glass', BREAK_GLASS_DEFAULTS),
  evaluate(w, b, cfg): readonly Finding[] {
    const e = w.event;
    if (e === null || !e.emergency_access) return NO_FINDINGS;
    const outRoutes = w.routes.filter(
      (r) => r.emergency > 0 && (r.resourceKind === null || !cfg.scopeKinds.includes(r.resourceKind)),
    );
    let outOfScope = 0;
    for (const r of outRoutes) outOfScope += r.emergency;
    const since = w.lastSeen - cfg.volumeWindowMs;
    let distinct = 0;
    if (w.emergencyResources !== null)
      for (const t of w.emergencyResources.values()) if (t > since) distinct++;
    const s = b?.features['distinct_resources'];
    const windowsPerHour = cfg.volumeWindowMs / Math.max(1, w.windowEnd - w.windowStart);
    const threshold =
      s !== undefined && s.n >= cfg.minHistory && b?.source === 'entity'
        ? Math.max(cfg.minResources, s.p50 * windowsPerHour * cfg.factor)
        : cfg.minResources;
    const volumeScore = distinct / threshold;
    const scopeScore = outOfScope / cfg.minOutOfScope;
    if (volumeScore < 1 && scopeScore < 1) return NO_FINDINGS;
    const byVolume = volumeScore >= scopeScore;
    const emergencyRoutes = w.routes.filter((r) => r.emergency > 0);
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: byVolume ? 'emergency_distinct_resources' : 'emergency_out_of_scope',
        observed: byVolume ? distinct : outOfScope,
        baseline: byVolume ? (s ?? null) : null,
        score: Math.max(volumeScore, scopeScore),
        title: byVolume
          ? `Break-glass access to ${distinct} records in the last hour by ${entityKey(w.entity)}`
          : `Break-glass access outside its scope (${outOfScope} requests) by ${entityKey(w.entity)}`,
        topResources: topRoutes(
          emergencyRoutes,
          (r) => r.emergency,
          (r) => `${r.emergency} emergency requests`,
        ),
        sampleEventIds: sampleEvents(w, emergencyRoutes),
        labels: eventLabels(w),
      },
    ];
  },
};
