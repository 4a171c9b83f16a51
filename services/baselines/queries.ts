// Every SQL the baseline job sends, built only through shared/clickhouse/sql.ts (18.16 cannot bind
// parameters: values are escaped there). The integration test runs these builders on the 18.16
// server and on the current engine (chDB).
import { dateTime, join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';
import { type ClassRow, windowSeconds } from './windows.js';

export interface WindowRange {
  /** [fromMs, toMs), epoch ms, on window boundaries. */
  fromMs: number;
  toMs: number;
  windowMs: number;
}

/** The entity_stats_5m columns merged per window and class; raw access_events give the same names. */
export interface WindowRowOut {
  tenant: string;
  principal: string;
  window_start: string | number;
  route_class: string;
  n_requests: string | number;
  n_ids: string | number;
  sum_bytes: string | number;
  sum_rows: string | number;
  max_bytes: string | number;
  n_resources: string | number;
  n_4xx: string | number;
  n_404: string | number;
}

export interface ClassRowOf extends ClassRow {
  tenant: string;
  principal: string;
  status4xx: number;
  status404: number;
}

/** UInt64 columns arrive as strings (output_format_json_quote_64bit_integers). */
export function toClassRow(r: WindowRowOut): ClassRowOf {
  const requests = Number(r.n_requests);
  return {
    tenant: r.tenant,
    principal: r.principal,
    windowStart: Number(r.window_start) * 1000,
    routeClass: r.route_class,
    requests,
    bytesOut: Number(r.sum_bytes),
    rowsOut: Number(r.sum_rows),
    maxResponseBytes: Number(r.max_bytes),
    distinctResources: Number(r.n_resources),
    status4xx: Number(r.n_4xx),
    status404: Number(r.n_404),
    // Fewer distinct event ids than counted requests: a replayed insert was counted again.
    dirty: Number(r.n_ids) !== requests,
  };
}

/** Rollup rows that fall in the range, for sizing the job's chunks (before merges: an upper bound). */
export function rollupRowsQuery(db: string, r: Omit<WindowRange, 'windowMs'>): SqlFragment {
  return sql`SELECT count() AS n FROM ${table(db, 'entity_stats_5m')}
WHERE bucket >= ${dateTime(r.fromMs)} AND bucket < ${dateTime(r.toMs)}`;
}

/** The latest rolled-up bucket not after nowMs (epoch s; 0 when there is none). */
export function latestBucketQuery(db: string, nowMs: number): SqlFragment {
  return sql`SELECT toUInt32(max(bucket)) AS latest, count() AS n FROM ${table(db, 'entity_stats_5m')}
WHERE bucket <= ${dateTime(nowMs)}`;
}

/**
 * The rollup per tenant, principal, detector window and route class, ordered by entity: one pass
 * streams every entity's windows together. `chunk` splits the principals by hash so each query
 * sorts a bounded number of rows. Rows may be dirty (see toClassRow): recompute those windows.
 */
export function rollupWindowsQuery(
  db: string,
  r: WindowRange,
  chunk: { index: number; count: number } = { index: 0, count: 1 },
): SqlFragment {
  const w = uint(windowSeconds(r.windowMs));
  return sql`SELECT tenant, principal, intDiv(toUInt32(bucket), ${w}) * ${w} AS window_start, route_class,
  countMerge(requests) AS n_requests,
  uniqMerge(event_ids) AS n_ids,
  sumMerge(bytes_out_sum) AS sum_bytes,
  sumMerge(rows_out_sum) AS sum_rows,
  maxMerge(max_response_bytes) AS max_bytes,
  uniqMerge(distinct_resources) AS n_resources,
  sumMerge(status_4xx) AS n_4xx,
  sumMerge(status_404) AS n_404
FROM ${table(db, 'entity_stats_5m')}
WHERE bucket >= ${dateTime(r.fromMs)} AND bucket < ${dateTime(r.toMs)}
  AND cityHash64(principal) % ${uint(chunk.count)} = ${uint(chunk.index)}
GROUP BY tenant, principal, window_start, route_class
ORDER BY tenant, principal, window_start, route_class`;
}

/**
 * The same rows recomputed from access_events FINAL (each event once) for some windows of one
 * tenant: the exact values of windows the rollup double-counted. Expressions mirror the
 * materialized view in schemas/clickhouse/0006_entity_stats_5m.sql.
 */
export function rawWindowsQuery(
  db: string,
  tenant: string,
  keys: readonly { principal: string; windowStart: number }[],
  windowMs: number,
): SqlFragment {
  const w = uint(windowSeconds(windowMs));
  const starts = keys.map((k) => k.windowStart);
  const fromMs = Math.min(...starts);
  const toMs = Math.max(...starts) + windowMs;
  const pairs = join(
    keys.map((k) => sql`(${k.principal}, ${uint(k.windowStart / 1000)})`),
    ', ',
  );
  return sql`SELECT tenant, principal, intDiv(toUInt32(ts), ${w}) * ${w} AS window_start,
  ifNull(resource_kind, 'none') AS route_class,
  count() AS n_requests,
  uniqExact(event_id) AS n_ids,
  sum(bytes_out) AS sum_bytes,
  sum(ifNull(rows_out, toUInt64(0))) AS sum_rows,
  max(bytes_out) AS max_bytes,
  uniqIf(concat(route, ' ', assumeNotNull(resource_id)), isNotNull(resource_id) AND isNotNull(resource_kind)) AS n_resources,
  sum(toUInt64(ifNull(status, 0) >= 400 AND ifNull(status, 0) < 500)) AS n_4xx,
  sum(toUInt64(ifNull(status, 0) = 404)) AS n_404
FROM ${table(db, 'access_events')} FINAL
WHERE tenant = ${tenant} AND ts >= ${dateTime(fromMs)} AND ts < ${dateTime(toMs)}
  AND (principal, intDiv(toUInt32(ts), ${w}) * ${w}) IN (${pairs})
GROUP BY tenant, principal, window_start, route_class`;
}

/** Rows of a run older than `version` (readers already ignore them): space only. */
export function deleteStaleBaselinesQuery(db: string, version: number): SqlFragment {
  return sql`ALTER TABLE ${table(db, 'baselines')} DELETE WHERE version < ${uint(version)}`;
}

export interface BaselineRunRow {
  version: number;
  window_ms: number;
  started_at: number;
  finished_at: number;
  data_from: number;
  data_to: number;
  entities: number;
  windows: number;
  dirty_windows: number;
  rows: number;
}
