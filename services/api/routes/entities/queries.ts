// SQL of GET /api/v1/entities/:type/:value, through shared/clickhouse/sql.ts only. Baselines are
// read as the detector's ClickHouse store reads them (services/detector/baselines/clickhouse-store.ts):
// rows of the newest finished run in baseline_runs (or newer), FINAL, with at least minHistory windows.
import { dateTime, join, raw, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';
import { timeLimit } from '../../reads.js';

/** The newest finished baseline run for a window length (v = 0 when none). */
export function entityLatestRunQuery(db: string, windowMs: number, timeoutS: number): SqlFragment {
  return sql`SELECT max(version) AS v, count() AS n FROM ${table(db, 'baseline_runs')}
WHERE window_ms = ${uint(windowMs)}
${timeLimit(timeoutS)}`;
}

export interface EntityBaselineFilter {
  tenant: string;
  entityType: string;
  entityValue: string;
  /** route classes of the entity's recent windows: their peer groups are shown too */
  peerClasses: string[];
  windowMs: number;
  version: number;
  minHistory: number;
  timeoutS: number;
}

/** The entity's own rows (every hour of week it has), its peer groups' and its tenant's. */
export function entityBaselinesQuery(db: string, f: EntityBaselineFilter): SqlFragment {
  const peers =
    f.peerClasses.length === 0
      ? sql`0`
      : sql`(scope = 'peer' AND peer_class IN (${join(
          f.peerClasses.map((c) => sql`${c}`),
          ', ',
        )}))`;
  return sql`SELECT hour_of_week, scope, peer_class, feature, median, mad, p95, n, toUInt32(computed_at) AS computed_at
FROM ${table(db, 'baselines')} FINAL
WHERE tenant = ${f.tenant} AND window_ms = ${uint(f.windowMs)} AND version >= ${uint(f.version)}
  AND n >= ${uint(f.minHistory)}
  AND ((scope = 'entity' AND entity_type = ${f.entityType} AND entity_value = ${f.entityValue})
    OR ${peers} OR scope = 'global')
ORDER BY scope, peer_class, hour_of_week, feature
LIMIT 5000
${timeLimit(f.timeoutS)}`;
}

/** The entity's 5-minute rollups in [fromMs, toMs], newest first, one row per bucket and route class. */
export function entityWindowsQuery(
  db: string,
  o: { tenant: string; principal: string; fromMs: number; toMs: number; timeoutS: number },
): SqlFragment {
  return sql`SELECT toUInt32(bucket) AS bucket_s, route_class,
  countMerge(requests) AS n_requests, uniqMerge(event_ids) AS n_ids, sumMerge(bytes_out_sum) AS sum_bytes, sumMerge(rows_out_sum) AS sum_rows,
  maxMerge(max_response_bytes) AS max_bytes, uniqMerge(distinct_resources) AS n_resources,
  sumMerge(status_4xx) AS n_4xx, sumMerge(status_404) AS n_404
FROM ${table(db, 'entity_stats_5m')}
WHERE tenant = ${o.tenant} AND principal = ${o.principal}
  AND bucket >= ${dateTime(o.fromMs)} AND bucket <= ${dateTime(o.toMs)}
GROUP BY bucket_s, route_class
ORDER BY bucket_s DESC, route_class
LIMIT 10000
${timeLimit(o.timeoutS)}`;
}

/**
 * The entity's alerts, newest first, each at its newest version. Not `alerts FINAL` (as the alert
 * list): FINAL merges every row of the table on 18.16 whatever the WHERE (about 1 s at 1M alerts);
 * an alert's entity never changes (it is part of alert_id), so filtering rows by entity first and
 * taking argMax(…, version) per alert_id gives the same rows from a scan of two columns.
 * Inner names differ from the columns: an alias equal to a column would shadow it (Code 184).
 */
export function entityAlertsQuery(
  db: string,
  o: { tenant: string; entityType: string; entityValue: string; limit: number; timeoutS: number },
): SqlFragment {
  const latest = ALERT_FIELDS.map((c) => `argMax(${c}, version) AS v_${c.replace('.', '_')}`).join(', ');
  const outer = ALERT_FIELDS.map((c) => `v_${c.replace('.', '_')} AS \`${c}\``).join(', ');
  return sql`SELECT alert_id, ${raw(outer)}, v_version AS version
FROM (
  SELECT alert_id, ${raw(latest)}, max(version) AS v_version
  FROM ${table(db, 'alerts')}
  WHERE tenant = ${o.tenant} AND entity_type = ${o.entityType} AND entity_value = ${o.entityValue}
  GROUP BY alert_id
) AS latest
ORDER BY last_seen_ms DESC, alert_id
LIMIT ${uint(o.limit)}
${timeLimit(o.timeoutS)}`;
}

/** Columns of an alert row (besides alert_id and version), as rowToAlert reads them. */
const ALERT_FIELDS = [
  'fingerprint',
  'rule',
  'severity',
  'entity_type',
  'entity_value',
  'tenant',
  'first_seen_ms',
  'last_seen_ms',
  'status',
  'title',
  'feature',
  'observed',
  'score',
  'explanation',
  'labels.key',
  'labels.value',
] as const;

export interface BaselineRowOut {
  hour_of_week: number;
  scope: string;
  peer_class: string;
  feature: string;
  median: number;
  mad: number;
  p95: number;
  n: number | string;
  computed_at: number | string;
}

export interface WindowRowOut {
  bucket_s: number | string;
  route_class: string;
  n_requests: number | string;
  n_ids: number | string;
  sum_bytes: number | string;
  sum_rows: number | string;
  max_bytes: number | string;
  n_resources: number | string;
  n_4xx: number | string;
  n_404: number | string;
}
