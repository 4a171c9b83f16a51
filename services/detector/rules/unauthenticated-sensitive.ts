// unauthenticated-sensitive: sensitive resources served (2xx) to a principal that never
// authenticated — recordings and exports in public folders or buckets, and API routes for
// orders, customers, patients and appointments answered without a user, key or session.
//
// Which routes count: kinds in alwaysKinds on any route; kinds in apiKinds only on API route
// prefixes (a storefront page like /my-account/view-order/{id}/ is behind a login the access log
// cannot show). A principal that authenticated within the id horizon is not "never
// authenticated". Fires at minEvents such responses in the last window.

import { entityKey } from '#shared/principal.js';
import { sampleEvents, topRoutes } from './explain.js';
import type { Finding, Rule, Severity, WindowView } from './types.js';

export interface UnauthenticatedSensitiveConfig {
  alwaysKinds: readonly string[];
  apiKinds: readonly string[];
  apiPrefixes: readonly string[];
  minEvents: number;
  severity: Severity;
}

export const UNAUTHENTICATED_SENSITIVE_DEFAULTS: Readonly<UnauthenticatedSensitiveConfig> = Object.freeze({
  alwaysKinds: Object.freeze(['recording', 'export']),
  apiKinds: Object.freeze(['order', 'customer', 'patient', 'appointment', 'user']),
  apiPrefixes: Object.freeze(['/wp-json/', '/rest/', '/admin/api/', '/api/', '/graphql']),
  minEvents: 1,
  severity: 'high',
});

function sensitive(route: string, kind: string | null, cfg: UnauthenticatedSensitiveConfig): boolean {
  if (kind === null) return false;
  if (cfg.alwaysKinds.includes(kind)) return true;
  if (!cfg.apiKinds.includes(kind)) return false;
  for (const p of cfg.apiPrefixes) if (route.startsWith(p)) return true;
  return false;
}

function everAuthenticated(w: WindowView): boolean {
  // Principals with a user, key or session are authenticated by definition; only IPs can be anonymous.
  return w.entity.type !== 'client_ip';
}

export const unauthenticatedSensitive: Rule<UnauthenticatedSensitiveConfig> = {
  id: 'unauthenticated-sensitive',
  keyBy: 'principal',
  trigger: 'every-event',
  defaults: UNAUTHENTICATED_SENSITIVE_DEFAULTS,
  evaluate(w, _b, cfg): Finding[] {
    const e = w.event;
    if (e === null || e.authenticated || everAuthenticated(w)) return [];
    if (e.status === null || e.status < 200 || e.status >= 300) return [];
    if (!sensitive(e.route, e.resource_kind, cfg)) return [];
    const routes = w.routes.filter((r) => sensitive(r.route, r.resourceKind, cfg));
    let observed = 0;
    for (const r of routes) observed += r.count - r.errors;
    if (observed < cfg.minEvents) return [];
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: 'unauthenticated_sensitive_responses',
        observed,
        baseline: null,
        score: observed / cfg.minEvents,
        title: `${e.resource_kind} served without authentication to ${entityKey(w.entity)} on ${e.route}`,
        topResources: topRoutes(
          routes,
          (r) => r.count,
          (r) => `${r.count} requests`,
        ),
        sampleEventIds: sampleEvents(w, routes),
        labels: { route: e.route, resource_kind: e.resource_kind as string },
      },
    ];
  },
};
