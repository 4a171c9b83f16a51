// SQL of the Grafana reads (series of alerts, top entities, annotations), through sql.ts only.
// Buckets are intDiv(toUInt32(t), N) * N: any interval, the same on 18.16 and 26.9
// (no toStartOfInterval on 18.16: notes/clickhouse-compat.md §4).
import { dateTime, join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';
import { timeLimit } from '../../reads.js';

export interface AlertSeriesFilter {
  /** epoch ms, both included: alerts whose first_seen falls in it */
  from: number;
  to: number;
  intervalS: number;
  tenant?: string;
  rule?: string[];
  severity?: string[];
  timeoutS: number;
}

function list(xs: readonly string[]): SqlFragment {
  return join(
    xs.map((x) => sql`${x}`),
    ', ',
  );
}

/** started: first_seen in the range (counts); overlapping: the alert's span meets the range. */
function alertFilters(
  f: Omit<AlertSeriesFilter, 'intervalS' | 'timeoutS'>,
  mode: 'started' | 'overlapping',
): SqlFragment {
  const where: SqlFragment[] = [
    mode === 'started'
      ? sql`first_seen >= ${dateTime(f.from)} AND first_seen <= ${dateTime(f.to)}`
      : sql`last_seen >= ${dateTime(f.from)} AND first_seen <= ${dateTime(f.to)}`,
  ];
  if (f.tenant !== undefined) where.push(sql`tenant = ${f.tenant}`);
  if (f.rule?.length) where.push(sql`rule IN (${list(f.rule)})`);
  if (f.severity?.length) where.push(sql`severity IN (${list(f.severity)})`);
  return join(where, ' AND ');
}

/** Alerts (each once: FINAL) counted per bucket of first_seen, rule and severity. */
export function alertSeriesQuery(db: string, f: AlertSeriesFilter): SqlFragment {
  const n = uint(f.intervalS);
  return sql`SELECT intDiv(toUInt32(first_seen), ${n}) * ${n} AS bucket_s, rule, severity, count() AS n
FROM ${table(db, 'alerts')} FINAL
WHERE ${alertFilters(f, 'started')}
GROUP BY bucket_s, rule, severity
ORDER BY bucket_s, rule, severity
LIMIT 100000
${timeLimit(f.timeoutS)}`;
}

export type TopBy = 'bytes_out' | 'requests' | 'rows_out';

/** Principals with the most egress in the range, from the 5-minute rollups. */
export function topEntitiesQuery(
  db: string,
  f: { from: number; to: number; tenant?: string; by: TopBy; limit: number; timeoutS: number },
): SqlFragment {
  const tenant = f.tenant === undefined ? sql`1` : sql`tenant = ${f.tenant}`;
  const order = { bytes_out: sql`bytes_out`, requests: sql`requests`, rows_out: sql`rows_out` }[f.by];
  return sql`SELECT tenant, principal, sumMerge(bytes_out_sum) AS bytes_out, countMerge(requests) AS requests,
  sumMerge(rows_out_sum) AS rows_out
FROM ${table(db, 'entity_stats_5m')}
WHERE ${tenant} AND bucket >= ${dateTime(f.from)} AND bucket <= ${dateTime(f.to)}
GROUP BY tenant, principal
ORDER BY ${order} DESC, tenant, principal
LIMIT ${uint(f.limit)}
${timeLimit(f.timeoutS)}`;
}

/** Alerts whose span meets the range, as annotations (each once: FINAL), newest first. */
export function annotationsQuery(
  db: string,
  f: Omit<AlertSeriesFilter, 'intervalS'> & { limit: number },
): SqlFragment {
  return sql`SELECT alert_id, rule, severity, entity_type, entity_value, tenant, first_seen_ms, last_seen_ms,
  status, title, score
FROM ${table(db, 'alerts')} FINAL
WHERE ${alertFilters(f, 'overlapping')}
ORDER BY first_seen_ms DESC, alert_id
LIMIT ${uint(f.limit)}
${timeLimit(f.timeoutS)}`;
}

export interface AlertSeriesRowOut {
  bucket_s: number | string;
  rule: string;
  severity: string;
  n: number | string;
}
export interface TopRowOut {
  tenant: string;
  principal: string;
  bytes_out: number | string;
  requests: number | string;
  rows_out: number | string;
}
export interface AnnotationRowOut {
  alert_id: string;
  rule: string;
  severity: string;
  entity_type: string;
  entity_value: string;
  tenant: string;
  first_seen_ms: number | string;
  last_seen_ms: number | string;
  status: string;
  title: string;
  score: number;
}
