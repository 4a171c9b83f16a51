// SQL of GET /api/v1/access, built only through shared/clickhouse/sql.ts (values escaped there).
// Two steps: a page of keys (ts_ms, event_id, principal), newest first, from the table sorted for
// the question; then those rows' columns from access_events. `LIMIT 1 BY event_id` drops replayed
// copies that ReplacingMergeTree has not merged yet (cheaper than FINAL, and the same rows).
import type { AccessEventRow } from '#shared/clickhouse/rows.js';
import { dateTime, join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';
import { beforeCursor, type Cursor, timeLimit } from '../../reads.js';

export interface AccessWindow {
  tenant: string;
  /** epoch ms, both ends included */
  from: number;
  to: number;
  cursor?: Cursor;
  /** rows per page; the query asks for one more to know whether a next page exists */
  limit: number;
  timeoutS: number;
}

/** By principal: `principal` is a key (`user:..`, `api_key:..`, `session:..`, `ip:..`), or a db_user. */
export type PrincipalFilter = { key: string } | { dbUser: string };

/** By resource: kind and id, or the id alone (any kind; a PHI token `tok_mrn_…` is an id). */
export interface ResourceFilter {
  kind?: string;
  id: string;
}

const EVENT_COLUMNS = sql`event_id, ts_ms, tenant, principal, user_id, session_hash, api_key_id, client_ip,
  user_agent, db_user, authenticated, emergency_access, route, http_method, db_operation, status,
  bytes_out, rows_out, source, source_kind, resource_kind, resource_id`;

function timeBounds(w: AccessWindow): SqlFragment {
  // ts (seconds, in the sorting key) prunes parts and granules; ts_ms makes the bound exact.
  const upper = w.cursor ? Math.min(w.to, w.cursor.ts) : w.to;
  return sql`ts >= ${dateTime(w.from)} AND ts <= ${dateTime(upper)}
  AND ts_ms >= ${uint(w.from)} AND ts_ms <= ${uint(w.to)} AND ${beforeCursor(w.cursor)}`;
}

/**
 * One page of a principal's events from access_events (sorted by tenant, principal, ts): keys
 * only, the rows come from eventsByIdQuery. Sorting only (ts_ms, event_id, principal) is what
 * keeps a busy principal fast (1M events in range, 18.16: 0.19 s against 0.70 s for all columns).
 */
export function accessByPrincipalQuery(db: string, p: PrincipalFilter, w: AccessWindow): SqlFragment {
  const who = 'key' in p ? sql`principal = ${p.key}` : sql`db_user = ${p.dbUser}`;
  return sql`SELECT event_id, ts_ms, principal
FROM ${table(db, 'access_events')}
WHERE tenant = ${w.tenant} AND ${who} AND ${timeBounds(w)}
ORDER BY ts_ms DESC, event_id DESC
LIMIT 1 BY event_id
LIMIT ${uint(w.limit + 1)}
${timeLimit(w.timeoutS)}`;
}

/** One page of a resource's accesses from access_by_resource (sorted by tenant, kind, id, ts). */
export function accessByResourceQuery(db: string, r: ResourceFilter, w: AccessWindow): SqlFragment {
  const kind = r.kind === undefined ? sql`1` : sql`resource_kind = ${r.kind}`;
  return sql`SELECT event_id, ts_ms, principal
FROM ${table(db, 'access_by_resource')}
WHERE tenant = ${w.tenant} AND ${kind} AND resource_id = ${r.id} AND ${timeBounds(w)}
ORDER BY ts_ms DESC, event_id DESC
LIMIT 1 BY event_id
LIMIT ${uint(w.limit + 1)}
${timeLimit(w.timeoutS)}`;
}

/**
 * The full rows of one page: access_events by its sorting key, then by event id.
 *   'pairs' (pages by resource): one (principal, ts) pair per row. A page's principals are many
 *           and a busy one may be among them: its span would read every granule it has in the
 *           range (10M events, 18.16: a patient's page 160 ms with pairs, 1.35 s with spans).
 *   'spans' (pages by principal): per principal, the span of its rows in the page: its rows sit
 *           together, and 900 pairs over 30 days cost 402 ms against 270 ms as spans.
 */
export function eventsByIdQuery(
  db: string,
  o: {
    tenant: string;
    rows: { principal: string; tsMs: number; eventId: string }[];
    by: 'pairs' | 'spans';
    timeoutS: number;
  },
): SqlFragment {
  const spans = new Map<string, { min: number; max: number; n: number }>();
  for (const r of o.rows) {
    const s = spans.get(r.principal);
    if (s === undefined) spans.set(r.principal, { min: r.tsMs, max: r.tsMs, n: 1 });
    else {
      s.min = Math.min(s.min, r.tsMs);
      s.max = Math.max(s.max, r.tsMs);
      s.n++;
    }
  }
  const pairs: SqlFragment[] = [];
  const ranges: SqlFragment[] = [];
  for (const [principal, s] of spans) {
    if (o.by === 'pairs' || s.n === 1) {
      const seconds = new Set(
        o.rows.filter((r) => r.principal === principal).map((r) => Math.floor(r.tsMs / 1000)),
      );
      for (const sec of seconds) pairs.push(sql`(${principal}, ${dateTime(sec * 1000)})`);
    } else
      ranges.push(sql`(principal = ${principal} AND ts >= ${dateTime(s.min)} AND ts <= ${dateTime(s.max)})`);
  }
  const where = [...ranges];
  if (pairs.length > 0) where.push(sql`(principal, ts) IN (${join(pairs, ', ')})`);
  const ids = join(
    o.rows.map((r) => sql`${r.eventId}`),
    ', ',
  );
  return sql`SELECT ${EVENT_COLUMNS}
FROM ${table(db, 'access_events')}
WHERE tenant = ${o.tenant} AND (${join(where, ' OR ')})
  AND event_id IN (${ids})
LIMIT 1 BY event_id
${timeLimit(o.timeoutS)}`;
}

/**
 * An access_events row as ClickHouse returns it: the columns EVENT_COLUMNS selects, as the table
 * stores them (shared/clickhouse/rows.ts), UInt64 ones possibly quoted.
 */
export type EventRowOut = Omit<
  AccessEventRow,
  'ts' | 'ts_ms' | 'bytes_out' | 'rows_out' | 'duration_ms' | 'findings' | 'attrs.key' | 'attrs.value'
> & {
  ts_ms: string | number;
  bytes_out: string | number;
  rows_out: string | number | null;
};

export interface PageRowOut {
  event_id: string;
  ts_ms: string | number;
  principal: string;
}
