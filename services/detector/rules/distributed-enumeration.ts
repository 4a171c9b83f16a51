// distributed-enumeration: one id walk spread over many addresses (a proxy pool or botnet), so
// no single principal crosses sequential-enumeration's bar. Route-keyed: the engine keeps, per
// tenant + id route, the ids requested and a hash of who asked for each.
//
// Fires when the run the new id extends, counting ids first requested within windowMs, has at
// least minRun ids, from at least minPrincipals distinct principals, none of which asked for more
// than maxTopShare of them.

import { NO_FINDINGS } from './define.js';
import { sampleEvents } from './explain.js';
import { kindCounts } from './kinds.js';
import { runToJudge } from './sequential-enumeration.js';
import type { Finding, Rule, Severity } from './types.js';

export interface DistributedEnumerationConfig {
  minRun: number;
  maxGap: number;
  minPrincipals: number;
  maxTopShare: number;
  windowMs: number;
  /** Resource kinds that count; `*`: every id route (any kind). */
  kinds: readonly string[];
  severity: Severity;
}

export const DISTRIBUTED_ENUMERATION_DEFAULTS: Readonly<DistributedEnumerationConfig> = Object.freeze({
  minRun: 30,
  maxGap: 3,
  minPrincipals: 5,
  maxTopShare: 0.5,
  windowMs: 3_600_000,
  kinds: Object.freeze(['*']),
  severity: 'high',
});

export const distributedEnumeration: Rule<DistributedEnumerationConfig> = {
  id: 'distributed-enumeration',
  keyBy: 'route',
  trigger: 'new-id',
  defaults: DISTRIBUTED_ENUMERATION_DEFAULTS,
  evaluate(w, _b, cfg): readonly Finding[] {
    const r = w.changed[0];
    if (r === undefined || !r.keepsPrincipals || r.distinct < cfg.minRun) return NO_FINDINGS;
    if (!kindCounts(cfg.kinds, r.resourceKind)) return NO_FINDINGS;
    const run = runToJudge(r, cfg.maxGap, w.event !== null);
    if (run.length < cfg.minRun) return NO_FINDINGS;
    const lo = r.sorted[run.from] as number;
    const hi = r.sorted[run.to] as number;
    const since = w.lastSeen - cfg.windowMs;
    const byPrincipal = new Map<number, number>();
    let inRun = 0;
    let firstSeen = Number.POSITIVE_INFINITY;
    for (let i = 0; i < r.distinct; i++) {
      const id = r.idAt(i);
      const t = r.tsAt(i);
      if (id < lo || id > hi || t < since) continue;
      inRun++;
      if (t < firstSeen) firstSeen = t;
      const p = r.principalAt(i);
      byPrincipal.set(p, (byPrincipal.get(p) ?? 0) + 1);
    }
    if (inRun < cfg.minRun || byPrincipal.size < cfg.minPrincipals) return NO_FINDINGS;
    let top = 0;
    for (const c of byPrincipal.values()) if (c > top) top = c;
    if (top / inRun > cfg.maxTopShare) return NO_FINDINGS;
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: 'distributed_sequential_ids',
        observed: inRun,
        baseline: null,
        score: inRun / cfg.minRun,
        title: `Distributed ID walk on ${r.route}: ${inRun} ids from ${byPrincipal.size} principals`,
        topResources: [`${r.route} ids ${lo}..${hi}`, `${byPrincipal.size} principals, top ${top} ids`],
        sampleEventIds: sampleEvents(w, [r]),
        labels: { route: r.route, resource_kind: r.resourceKind as string },
        firstSeen,
        tenant: r.tenant,
      },
    ];
  },
};
