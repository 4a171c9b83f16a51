// unauthenticated-sensitive: sensitive resources served (2xx) to a principal that never
// authenticated — recordings and exports in public folders or buckets, and API routes for
// orders, customers, patients and appointments answered without a user, key or session.
//
// Which routes count: kinds in alwaysKinds on any route (recordings, exports, anonymous bucket
// listings); kinds in apiKinds (records of people: services/shared/sensitive-kinds.ts, plus
// LEAKWATCH_SENSITIVE_KINDS) on API route prefixes and on object stores (a storefront page like
// /my-account/view-order/{id}/ is behind a login the access log cannot show; an S3 access log or a
// CloudTrail data event says who asked: requester `-` is anonymous). Every other id route (a
// product, a post, a generic `/{id}`) is not sensitive. A principal that authenticated within the
// id horizon is not "never authenticated". Fires at minEvents such responses in the last window.

import { entityKey } from '#shared/principal.js';
import { FILE_SENSITIVE_KINDS, RECORD_SENSITIVE_KINDS } from '#shared/sensitive-kinds.js';
import { everyEventByPrincipal } from './define.js';
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
  alwaysKinds: FILE_SENSITIVE_KINDS,
  apiKinds: RECORD_SENSITIVE_KINDS,
  apiPrefixes: Object.freeze(['/wp-json/', '/rest/', '/admin/api/', '/api/', '/graphql']),
  minEvents: 1,
  severity: 'high',
});

/** Sensitive here: an always-kind, or an api-kind on an API prefix or an object store (`storage`). */
function sensitive(
  route: string,
  kind: string | null,
  cfg: UnauthenticatedSensitiveConfig,
  storage: boolean,
): boolean {
  if (kind === null) return false;
  if (cfg.alwaysKinds.includes(kind)) return true;
  if (!cfg.apiKinds.includes(kind)) return false;
  if (storage) return true;
  for (const p of cfg.apiPrefixes) if (route.startsWith(p)) return true;
  return false;
}

function everAuthenticated(w: WindowView): boolean {
  // Principals with a user, key or session are authenticated by definition; only IPs can be anonymous.
  return w.entity.type !== 'client_ip';
}

export const unauthenticatedSensitive: Rule<UnauthenticatedSensitiveConfig> = {
  ...everyEventByPrincipal('unauthenticated-sensitive', UNAUTHENTICATED_SENSITIVE_DEFAULTS),
  evaluate(w, _b, cfg): Finding[] {
    const e = w.event;
    if (e === null || e.authenticated || everAuthenticated(w)) return [];
    if (e.status === null || e.status < 200 || e.status >= 300) return [];
    const storage = e.source_kind === 'storage';
    if (!sensitive(e.route, e.resource_kind, cfg, storage)) return [];
    // Object-store routes are bucket paths: only the event's own route is known to be one.
    const routes = w.routes.filter((r) =>
      sensitive(r.route, r.resourceKind, cfg, storage && r.route === e.route && r.tenant === e.tenant),
    );
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
