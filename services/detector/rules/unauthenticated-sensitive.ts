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
//
// Private-class buckets: in a bucket that was read with credentials (IAM principals, presigned
// URLs) at least privateBucketMinReads times, with at least privateBucketMinShare of its successful
// reads credentialed (baselines/bucket-history.ts, given as Baseline.bucket), an anonymous read of
// ANY object is sensitive, whatever its key (`files/3f2a.pdf`, `uploads/<uuid>`): the bucket was
// made public by mistake. A bucket always read anonymously (a website, static assets) is not
// private-class, nor is a bucket with no history: those keep to the kinds above.

import { entityKey } from '#shared/principal.js';
import { FILE_SENSITIVE_KINDS, RECORD_SENSITIVE_KINDS } from '#shared/sensitive-kinds.js';
import { everyEventByPrincipal, NO_FINDINGS } from './define.js';
import { sampleEvents, topRoutes } from './explain.js';
import { isBucketRead } from './kinds.js';
import type { BucketReads, Finding, Rule, Severity, WindowView } from './types.js';

export interface UnauthenticatedSensitiveConfig {
  alwaysKinds: readonly string[];
  apiKinds: readonly string[];
  apiPrefixes: readonly string[];
  minEvents: number;
  severity: Severity;
  /** A bucket is private-class from this many credentialed reads on ... */
  privateBucketMinReads: number;
  /** ... when at least this share of its successful reads were credentialed. */
  privateBucketMinShare: number;
}

export const UNAUTHENTICATED_SENSITIVE_DEFAULTS: Readonly<UnauthenticatedSensitiveConfig> = Object.freeze({
  alwaysKinds: FILE_SENSITIVE_KINDS,
  apiKinds: RECORD_SENSITIVE_KINDS,
  apiPrefixes: Object.freeze(['/wp-json/', '/rest/', '/admin/api/', '/api/', '/graphql']),
  minEvents: 1,
  severity: 'high',
  privateBucketMinReads: 20,
  privateBucketMinShare: 0.9,
});

/** Read with credentials often enough, and nearly always, to call an anonymous read a leak. */
function privateClass(reads: BucketReads | undefined, cfg: UnauthenticatedSensitiveConfig): boolean {
  if (reads === undefined || reads.authenticated < cfg.privateBucketMinReads) return false;
  return reads.authenticated >= cfg.privateBucketMinShare * (reads.authenticated + reads.anonymous);
}

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
  evaluate(w, b, cfg): readonly Finding[] {
    const e = w.event;
    if (e === null || e.authenticated || everAuthenticated(w)) return NO_FINDINGS;
    if (e.status === null || e.status < 200 || e.status >= 300) return NO_FINDINGS;
    const storage = e.source_kind === 'storage';
    const byKind = sensitive(e.route, e.resource_kind, cfg, storage);
    const privateBucket = !byKind && storage && isBucketRead(e) && privateClass(b?.bucket, cfg);
    if (!byKind && !privateBucket) return NO_FINDINGS;
    // Object-store routes are bucket paths: only the event's own route is known to be one.
    const routes = w.routes.filter((r) => {
      const own = storage && r.route === e.route && r.tenant === e.tenant;
      return (own && privateBucket) || sensitive(r.route, r.resourceKind, cfg, own);
    });
    let observed = 0;
    for (const r of routes) observed += r.count - r.errors;
    // A key that names no kind (`files/3f2a.pdf`) keeps no route state: the event itself counts.
    const untracked = privateBucket && !routes.some((r) => r.route === e.route && r.tenant === e.tenant);
    if (untracked) observed += 1;
    if (observed < cfg.minEvents) return NO_FINDINGS;
    const top = topRoutes(
      routes,
      (r) => r.count,
      (r) => `${r.count} requests`,
    );
    if (untracked) top.unshift(`${e.route} (1 requests)`);
    return [
      {
        severity: cfg.severity,
        entity: w.entity,
        feature: 'unauthenticated_sensitive_responses',
        observed,
        baseline: null,
        score: observed / cfg.minEvents,
        title: privateBucket
          ? `object of a bucket read with credentials served without authentication to ${entityKey(w.entity)} on ${e.route}`
          : `${e.resource_kind} served without authentication to ${entityKey(w.entity)} on ${e.route}`,
        topResources: top.slice(0, 3),
        sampleEventIds: sampleEvents(w, routes),
        labels: privateBucket
          ? { route: e.route, resource_kind: e.resource_kind ?? 'object', bucket_class: 'private' }
          : { route: e.route, resource_kind: e.resource_kind as string },
      },
    ];
  },
};
