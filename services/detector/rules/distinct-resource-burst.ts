// distinct-resource-burst: one principal reads many different records (orders, patients,
// recordings, bookings, any id route...) in the last window, far above its baseline, in no sequential order (sequential
// walks are sequential-enumeration's). Covers UUID / hash ids that cannot be walked in order.
//
// Fires when distinct resources on id routes first read within the last window reach
// max(minDistinct, baseline p95 x factor) — the entity's own or its peers' baseline, not the
// tenant-wide one —, and the longest near-sequential run is less than half of them.

import { entityKey } from '#shared/principal.js';
import { everyEventByPrincipal, NO_FINDINGS } from './define.js';
import { sampleEvents, topRoutes } from './explain.js';
import { kindCounts } from './kinds.js';
import { longestRun } from './sequential-enumeration.js';
import type { Finding, RouteIdsView, Rule, Severity } from './types.js';

export interface DistinctResourceBurstConfig {
  minDistinct: number;
  factor: number;
  minHistory: number;
  /** Resource kinds that count; `*`: every id route (any kind). */
  kinds: readonly string[];
  severity: Severity;
}

export const DISTINCT_RESOURCE_BURST_DEFAULTS: Readonly<DistinctResourceBurstConfig> = Object.freeze({
  minDistinct: 40,
  factor: 5,
  minHistory: 12,
  kinds: Object.freeze(['*']),
  severity: 'high',
});

export const distinctResourceBurst: Rule<DistinctResourceBurstConfig> = {
  ...everyEventByPrincipal('distinct-resource-burst', DISTINCT_RESOURCE_BURST_DEFAULTS),
  evaluate(w, b, cfg): readonly Finding[] {
    const e = w.event;
    if (e !== null && (e.resource_id === null || !kindCounts(cfg.kinds, e.resource_kind))) return NO_FINDINGS;
    // Cheap pre-check on what is stored before counting by time.
    let stored = 0;
    // indexed: `routes` is often the shared frozen empty list (a for-of allocates on it)
    const routes = w.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i] as RouteIdsView;
      if (kindCounts(cfg.kinds, r.resourceKind)) stored += r.distinct + r.otherDistinct;
    }
    if (stored < cfg.minDistinct) return NO_FINDINGS;
    const since = w.recent().since;
    let observed = 0;
    let seqMax = 0;
    const counted = w.routes.filter((r) => kindCounts(cfg.kinds, r.resourceKind));
    for (const r of counted) {
      observed += r.distinctSince(since);
      const run = longestRun(r.sorted, r.distinct, 3).length;
      if (run > seqMax) seqMax = run;
    }
    // The tenant-wide ('global') baseline mixes every kind of traffic (an app server's database
    // connection reads hundreds of records a window): a new principal is not judged by it.
    const s = b === undefined || b.source === 'global' ? undefined : b.features['distinct_resources'];
    const threshold =
      s !== undefined && s.n >= cfg.minHistory
        ? Math.max(cfg.minDistinct, s.p95 * cfg.factor)
        : cfg.minDistinct;
    if (observed < threshold || seqMax * 2 >= observed) return NO_FINDINGS;
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: 'distinct_resources',
        observed,
        baseline: s ?? null,
        score: observed / threshold,
        title: `${observed} distinct records read in 10 min by ${entityKey(w.entity)}`,
        topResources: topRoutes(
          counted,
          (r) => r.distinctSince(since),
          (r) => `${r.distinctSince(since)} distinct`,
        ),
        sampleEventIds: sampleEvents(w, counted),
        labels: e?.resource_kind ? { resource_kind: e.resource_kind } : {},
      },
    ];
  },
};
