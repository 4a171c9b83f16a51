// SQL of the incident routes, built only through shared/clickhouse/sql.ts (the compat test runs
// each builder on 18.16 and on the current engine: services/cli/sql-catalog.ts).

import { dateTime, join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';
import { INCIDENT_COLUMNS } from '#shared/incidents/queries.js';

export interface IncidentFilters {
  status?: string[];
  severity?: string[];
  tenant?: string;
  /** `type:value`, matched against the incident's actor keys. */
  entity?: string;
  /** epoch ms, on last_seen */
  from?: number;
  to?: number;
  /** Only incidents whose clock runs and is past its earliest deadline (overdueBeforeMs = now - shortest deadline). */
  overdueBeforeMs?: number;
  /** Paging: strictly after this (last_seen_ms, incident_id) in newest-first order. */
  after?: { lastSeenMs: number; incidentId: string };
  limit: number;
}

function strings(values: readonly string[]): SqlFragment {
  return join(
    values.map((v) => sql`${v}`),
    ', ',
  );
}

/** Newest first (last_seen_ms, then incident_id, both descending); limit + 1 rows tell if there is more. */
export function listIncidentsQuery(db: string, f: IncidentFilters): SqlFragment {
  const inner: SqlFragment[] = [sql`1`];
  if (f.tenant !== undefined) inner.push(sql`tenant = ${f.tenant}`);
  // Conditions on non-key columns stay outside FINAL (applied to the current version only).
  const where: SqlFragment[] = [sql`1`];
  if (f.status?.length) where.push(sql`status IN (${strings(f.status)})`);
  if (f.severity?.length) where.push(sql`severity IN (${strings(f.severity)})`);
  if (f.entity !== undefined) where.push(sql`has(actor_keys, ${f.entity})`);
  if (f.from !== undefined) where.push(sql`last_seen_ms >= ${uint(f.from)}`);
  if (f.to !== undefined) where.push(sql`last_seen_ms <= ${uint(f.to)}`);
  if (f.overdueBeforeMs !== undefined)
    where.push(
      sql`status IN ('open', 'investigating', 'contained') AND discovered_at_ms < ${uint(Math.max(0, f.overdueBeforeMs))}`,
    );
  if (f.after !== undefined)
    where.push(
      sql`(last_seen_ms < ${uint(f.after.lastSeenMs)} OR (last_seen_ms = ${uint(f.after.lastSeenMs)} AND incident_id < ${f.after.incidentId}))`,
    );
  return sql`SELECT * FROM (SELECT ${INCIDENT_COLUMNS} FROM ${table(db, 'incidents')} FINAL
WHERE ${join(inner, ' AND ')})
WHERE ${join(where, ' AND ')}
ORDER BY last_seen_ms DESC, incident_id DESC
LIMIT ${uint(f.limit + 1)}`;
}

/** Alerts not yet in any incident, for a person grouping by hand: the facts membership keeps. */
export function alertFactsQuery(db: string, alertIds: readonly string[]): SqlFragment {
  return sql`SELECT alert_id, tenant, rule, severity, score, entity_type, entity_value,
  labels.value[indexOf(labels.key, 'route')] AS route_label,
  labels.value[indexOf(labels.key, 'resource_kind')] AS resource_kind_label,
  title, first_seen_ms, last_seen_ms
FROM ${table(db, 'alerts')} FINAL WHERE alert_id IN (${strings(alertIds)})`;
}

/** How an actor's accesses are found in access_events. */
export type AffectedActor =
  | { kind: 'principal'; principal: string; fromMs: number; toMs: number; emergencyOnly?: true }
  | { kind: 'db_user'; dbUser: string; fromMs: number; toMs: number }
  | { kind: 'route'; route: string; resourceKind: string; fromMs: number; toMs: number };

function actorCondition(a: AffectedActor): SqlFragment {
  const window = sql`ts_ms >= ${uint(a.fromMs)} AND ts_ms <= ${uint(a.toMs)}`;
  switch (a.kind) {
    case 'principal':
      return a.emergencyOnly
        ? sql`(principal = ${a.principal} AND emergency_access = 1 AND ${window})`
        : sql`(principal = ${a.principal} AND ${window})`;
    case 'db_user':
      return sql`(db_user = ${a.dbUser} AND ${window})`;
    default:
      return a.resourceKind
        ? sql`(route = ${a.route} AND resource_kind = ${a.resourceKind} AND ${window})`
        : sql`(route = ${a.route} AND ${window})`;
  }
}

/**
 * The actors' events: `ts` over the span of all their windows first (whole seconds, the primary
 * key's column), then each actor's own condition and window.
 */
function inActorWindows(actors: readonly AffectedActor[]): SqlFragment {
  const from = Math.min(...actors.map((a) => a.fromMs));
  const to = Math.max(...actors.map((a) => a.toMs));
  return sql`ts >= ${dateTime(from)} AND ts <= ${dateTime(to + 1000)}
    AND (${join(actors.map(actorCondition), ' OR ')})`;
}

/**
 * Every record (resource_kind, resource_id) the actors were served in their windows, per principal:
 * outcome 'disclosed' (2xx, or no status: database and storage logs record served operations),
 * 'denied' (3xx, 4xx); 5xx served nothing and is left out. Each event counts once (replays of
 * access_events are collapsed by event_id first). `actors` must not be empty.
 */
export function affectedQuery(
  db: string,
  tenant: string,
  actors: readonly AffectedActor[],
  limit: number,
): SqlFragment {
  // Inner aliases differ from every column name: on 18.16 an alias is visible in WHERE and would
  // turn the filter into one on an aggregate.
  return sql`SELECT o AS outcome, k AS resource_kind, id AS resource_id, p AS principal,
  min(t) AS first_access, max(t) AS last_access, count() AS requests, sum(b) AS bytes, sum(r) AS row_count
FROM (
  SELECT event_id, any(ifNull(resource_kind, '')) AS k, any(assumeNotNull(resource_id)) AS id,
    any(principal) AS p, any(ts_ms) AS t, any(bytes_out) AS b, any(ifNull(rows_out, 0)) AS r,
    any(multiIf(isNull(status), 'disclosed', status >= 200 AND status < 300, 'disclosed',
      status >= 300 AND status < 500, 'denied', 'other')) AS o
  FROM ${table(db, 'access_events')}
  WHERE tenant = ${tenant} AND isNotNull(resource_id)
    AND ${inActorWindows(actors)}
  GROUP BY event_id
)
WHERE o != 'other'
GROUP BY o, k, id, p
ORDER BY o, k, id, p
LIMIT ${uint(limit)}`;
}

/**
 * Requests of the actors whose URL carried PHI (the collector's `phi_in_url:<kind>` findings; the
 * values themselves were tokenised at the edge and are not kept): per kind, how many requests and
 * principals, first and last. Any status: a URL is written to logs and sent on in Referer headers
 * whatever the answer. `actors` must not be empty.
 */
export function phiInUrlQuery(db: string, tenant: string, actors: readonly AffectedActor[]): SqlFragment {
  return sql`SELECT substring(f, 12) AS phi_kind, count() AS requests, uniqExact(p) AS principals,
  min(t) AS first_access, max(t) AS last_access
FROM (
  SELECT event_id, any(findings) AS fs, any(principal) AS p, any(ts_ms) AS t
  FROM ${table(db, 'access_events')}
  WHERE tenant = ${tenant} AND notEmpty(findings)
    AND ${inActorWindows(actors)}
  GROUP BY event_id
)
ARRAY JOIN fs AS f
WHERE startsWith(f, 'phi_in_url:')
GROUP BY phi_kind
ORDER BY phi_kind`;
}

/**
 * What the actors were served that names no record (list pages, exports, bulk pulls: an egress
 * leak's usual shape): successful events without a resource_id, per resource kind, route and
 * principal. The logs say how much (bytes, rows) but not which records. `actors` must not be empty.
 */
export function bulkReadsQuery(
  db: string,
  tenant: string,
  actors: readonly AffectedActor[],
  limit: number,
): SqlFragment {
  return sql`SELECT k AS resource_kind, rt AS route, p AS principal,
  min(t) AS first_access, max(t) AS last_access, count() AS requests, sum(b) AS bytes, sum(r) AS row_count
FROM (
  SELECT event_id, any(ifNull(resource_kind, '')) AS k, any(route) AS rt, any(principal) AS p, any(ts_ms) AS t,
    any(bytes_out) AS b, any(ifNull(rows_out, 0)) AS r, any(ifNull(status, 200)) AS st
  FROM ${table(db, 'access_events')}
  WHERE tenant = ${tenant} AND isNull(resource_id)
    AND ${inActorWindows(actors)}
  GROUP BY event_id
)
WHERE st >= 200 AND st < 300
GROUP BY k, rt, p
ORDER BY k, rt, p
LIMIT ${uint(limit)}`;
}
