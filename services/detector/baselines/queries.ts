// The SQL the detector's ClickHouse baseline store sends (services/cli/sql-catalog.ts runs each on
// 18.16 and chDB). The rows are the baseline job's (services/baselines), declared in
// shared/clickhouse/rows.ts.
import { join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';

/** The newest finished run for a window length (v = 0, n = 0 when none). */
export function latestRunQuery(db: string, windowMs: number): SqlFragment {
  return sql`SELECT max(version) AS v, count() AS n FROM ${table(db, 'baseline_runs')} WHERE window_ms = ${uint(windowMs)}`;
}

/** Rows of a run (and newer partial runs) for some hours of week; FINAL keeps each key's newest. */
export function baselineRowsQuery(
  db: string,
  o: { windowMs: number; version: number; minHistory: number; hours: readonly number[]; limit: number },
): SqlFragment {
  const hours = join(
    o.hours.map((h) => sql`${h}`),
    ', ',
  );
  return sql`SELECT hour_of_week, tenant, scope, peer_class, entity_type, entity_value, feature, median, mad, p95, n
FROM ${table(db, 'baselines')} FINAL
WHERE hour_of_week IN (${hours}) AND window_ms = ${uint(o.windowMs)} AND version >= ${uint(o.version)}
  AND n >= ${uint(o.minHistory)}
LIMIT ${uint(o.limit)}`;
}
