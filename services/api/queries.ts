// Every SQL the alert routes send, built only through shared/clickhouse/sql.ts.
// The compat test runs these same builders on ClickHouse 18.16 and on the current engine (chDB).
//
// An alert's status: the newest person-made change in alert_status_changes, else the detector's own
// (`alerts.status`). The detector never writes alert_status_changes, so a re-emission of a growing
// alert (a newer `alerts` version) cannot undo an acknowledgement.
import { dateTime, join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';

export interface AlertFilters {
  from?: number;
  to?: number;
  severity?: string[];
  rule?: string;
  status?: string[];
  tenant?: string;
  entityType?: string;
  entityValue?: string;
  alertIds?: string[];
  limit: number;
  offset: number;
  /**
   * Only rows whose last_seen is at or after this (epoch seconds), a constant: the newest page of a
   * million alerts reads a few thousand rows (a range of alerts_by_time's sorting key). The caller
   * sets it a band below the newest alert and widens it when the page comes back short
   * (store.ts listAlerts); undefined reads everything. Any bound gives the right page when the page
   * is full, since every row outside the band is older than every row in it; the bound only decides
   * how much is read. (A scalar subquery here instead would run once per nesting level on 18.16.)
   */
  sinceS?: number;
}

const DETECTOR_COLUMNS = sql`alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant,
  first_seen, first_seen_ms, last_seen, last_seen_ms, status AS detector_status, title, feature, observed, score,
  explanation, labels.key, labels.value, version`;

const OUT_COLUMNS = sql`alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant,
  first_seen_ms, last_seen_ms, if(human_status = '', detector_status, human_status) AS status, title, feature,
  observed, score, explanation, labels.key, labels.value, version, human_actor AS status_changed_by,
  human_at_ms AS status_changed_at_ms, human_reason AS status_reason`;

/** A page without the status join: the detector's status, no person's yet (see listAlerts). */
const PAGE_COLUMNS = sql`alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant,
  first_seen_ms, last_seen_ms, detector_status AS status, title, feature, observed, score, explanation,
  labels.key, labels.value, version`;

/** Newest person-made status per alert (restricted to the alerts a query can return). */
function humanStatus(db: string, alertIds: SqlFragment): SqlFragment {
  return sql`SELECT alert_id, argMax(status, changed_at_ms) AS human_status, argMax(actor, changed_at_ms) AS human_actor,
    max(changed_at_ms) AS human_at_ms, argMax(reason, changed_at_ms) AS human_reason
  FROM ${table(db, 'alert_status_changes')} WHERE alert_id IN (${alertIds}) GROUP BY alert_id`;
}

function strings(values: readonly string[]): SqlFragment {
  return join(
    values.map((s) => sql`${s}`),
    ', ',
  );
}

/** Conditions on what every version of an alert shares (and the last_seen bound). */
function rowFilters(
  f: Pick<AlertFilters, 'tenant' | 'rule' | 'entityType' | 'entityValue' | 'from'>,
): SqlFragment[] {
  const rows: SqlFragment[] = [sql`1`];
  if (f.tenant !== undefined) rows.push(sql`tenant = ${f.tenant}`);
  if (f.rule !== undefined) rows.push(sql`rule = ${f.rule}`);
  if (f.entityType !== undefined) rows.push(sql`entity_type = ${f.entityType}`);
  if (f.entityValue !== undefined) rows.push(sql`entity_value = ${f.entityValue}`);
  if (f.from !== undefined) rows.push(sql`last_seen >= ${dateTime(f.from)}`);
  return rows;
}

/**
 * Alerts newest first, with their current status. With `sinceS`, from `alerts_by_time` without FINAL
 * (which merges every row of `alerts` on 18.16: over 1 s at a million alerts): only rows with
 * last_seen since then are read (a range of that table's sorting key), and each alert's newest
 * version is its row with the largest last_seen (the detector versions rows by last_seen), taken
 * with LIMIT 1 BY. Conditions on what a re-emission may
 * change (severity, first_seen, status) apply to the newest version only; the others (tenant,
 * rule, entity, id, last_seen bound) select rows before it.
 */
export function listAlertsQuery(db: string, f: AlertFilters): SqlFragment {
  const alerts = table(db, 'alerts');
  // ordered by last_seen (migration 0014): a band is a range of its sorting key
  const byTime = table(db, 'alerts_by_time');
  const rows = rowFilters(f);
  if (f.alertIds !== undefined) rows.push(sql`alert_id IN (${strings(f.alertIds)})`);
  if (f.sinceS !== undefined) rows.push(sql`last_seen >= ${dateTime(f.sinceS * 1000)}`);
  const current: SqlFragment[] = [sql`1`];
  if (f.to !== undefined) current.push(sql`first_seen <= ${dateTime(f.to)}`);
  if (f.severity?.length) current.push(sql`severity IN (${strings(f.severity)})`);
  // In a band, the newest version of each alert by LIMIT 1 BY over the band's rows; over everything,
  // FINAL (LIMIT 1 BY would sort every row of the table, slower still).
  const latest =
    f.sinceS === undefined
      ? sql`SELECT * FROM (SELECT ${DETECTOR_COLUMNS} FROM ${alerts} FINAL WHERE ${join(rows, ' AND ')})
    WHERE ${join(current, ' AND ')}`
      : sql`SELECT * FROM (SELECT ${DETECTOR_COLUMNS} FROM ${byTime} WHERE ${join(rows, ' AND ')}
    ORDER BY last_seen_ms DESC, version DESC LIMIT 1 BY alert_id) WHERE ${join(current, ' AND ')}`;
  const order = sql`ORDER BY last_seen_ms DESC, alert_id`;
  // LIMIT offset, n: 18.16 does not take LIMIT n OFFSET m after LIMIT BY
  const page = sql`LIMIT ${uint(f.offset)}, ${uint(f.limit)}`;
  if (!f.status?.length) {
    // The status does not change the order: the page alone, with the detector's status; the caller
    // puts each alert's current status in its place (currentStatusesQuery, one more small query).
    return sql`SELECT ${PAGE_COLUMNS} FROM (${latest}) ${order} ${page}`;
  }
  return sql`SELECT ${OUT_COLUMNS} FROM (${latest}) AS a
ANY LEFT JOIN (${humanStatus(db, sql`SELECT alert_id FROM (${latest})`)}) AS h USING alert_id
WHERE status IN (${strings(f.status)})
${order} ${page}`;
}

/**
 * The newest last_seen (epoch seconds, 0 when none) among alerts matching the list's row filters;
 * with `atLeastS` (an earlier answer) only the rows since then are read.
 */
export function newestAlertQuery(
  db: string,
  f: Pick<AlertFilters, 'tenant' | 'rule' | 'entityType' | 'entityValue' | 'from'>,
  atLeastS?: number,
): SqlFragment {
  const where = rowFilters(f);
  if (atLeastS !== undefined) where.push(sql`last_seen >= ${dateTime(atLeastS * 1000)}`);
  return sql`SELECT toUInt32(max(last_seen)) AS newest_s, count() AS n FROM ${table(db, 'alerts_by_time')}
WHERE ${join(where, ' AND ')}`;
}

/** One alert with the detector's status (the caller adds a person's: routes/alerts/store.ts). */
export function getAlertQuery(db: string, alertId: string): SqlFragment {
  return listAlertsQuery(db, { alertIds: [alertId], limit: 1, offset: 0 });
}

/** The newest person-made status of each of these alerts (those without one are absent). */
export function currentStatusesQuery(db: string, alertIds: readonly string[]): SqlFragment {
  return humanStatus(db, alertIds.length ? strings(alertIds) : sql`''`);
}

/** An alert's status timeline, oldest first. */
export function alertStatusHistoryQuery(db: string, alertId: string): SqlFragment {
  return sql`SELECT change_id, changed_at_ms, action, status, actor, reason, suppression_id, verdict
FROM ${table(db, 'alert_status_changes')} FINAL WHERE alert_id = ${alertId}
ORDER BY changed_at_ms, change_id`;
}

export interface SuppressionFilters {
  tenant?: string;
  /** active: not deleted and not expired at `now`. */
  state: 'active' | 'all';
  now: number;
  limit: number;
  offset: number;
}

const SUPPRESSION_COLUMNS = sql`suppression_id, tenant, scope, alert_id, rule, entity_type, entity_value, reason,
  created_by, created_at_ms, expires_at_ms, deleted_at_ms, deleted_by`;

export function listSuppressionsQuery(db: string, f: SuppressionFilters): SqlFragment {
  const where: SqlFragment[] = [sql`1`];
  if (f.tenant !== undefined) where.push(sql`tenant = ${f.tenant}`);
  if (f.state === 'active') where.push(sql`deleted_at_ms = 0 AND expires_at_ms > ${uint(f.now)}`);
  return sql`SELECT ${SUPPRESSION_COLUMNS} FROM ${table(db, 'suppressions')} FINAL
WHERE ${join(where, ' AND ')}
ORDER BY created_at_ms DESC, suppression_id
LIMIT ${uint(f.limit)} OFFSET ${uint(f.offset)}`;
}

export function getSuppressionQuery(db: string, id: string): SqlFragment {
  return sql`SELECT ${SUPPRESSION_COLUMNS} FROM ${table(db, 'suppressions')} FINAL WHERE suppression_id = ${id} LIMIT 1`;
}

const ALLOW_COLUMNS = sql`allow_id, tenant, rule, entity_type, entity_value, reason, source_alert_id, created_by,
  created_at_ms, expires_at_ms, deleted_at_ms, deleted_by`;

export function listAllowEntriesQuery(db: string, f: SuppressionFilters): SqlFragment {
  const where: SqlFragment[] = [sql`1`];
  if (f.tenant !== undefined) where.push(sql`tenant = ${f.tenant}`);
  if (f.state === 'active') where.push(sql`deleted_at_ms = 0 AND expires_at_ms > ${uint(f.now)}`);
  return sql`SELECT ${ALLOW_COLUMNS} FROM ${table(db, 'allow_entries')} FINAL
WHERE ${join(where, ' AND ')}
ORDER BY created_at_ms DESC, allow_id
LIMIT ${uint(f.limit)} OFFSET ${uint(f.offset)}`;
}

export function getAllowEntryQuery(db: string, id: string): SqlFragment {
  return sql`SELECT ${ALLOW_COLUMNS} FROM ${table(db, 'allow_entries')} FINAL WHERE allow_id = ${id} LIMIT 1`;
}

/** Alerts of one entity (and rule) whose status a new suppression takes over: not already closed by a person. */
export function alertsToSuppressQuery(
  db: string,
  m: { tenant: string; entityType: string; entityValue: string; rule?: string },
  limit: number,
): SqlFragment {
  const where: SqlFragment[] = [
    sql`tenant = ${m.tenant}`,
    sql`entity_type = ${m.entityType}`,
    sql`entity_value = ${m.entityValue}`,
  ];
  if (m.rule !== undefined) where.push(sql`rule = ${m.rule}`);
  const inner = sql`SELECT alert_id, status AS detector_status FROM ${table(db, 'alerts')} FINAL WHERE ${join(where, ' AND ')}`;
  return sql`SELECT alert_id, if(human_status = '', detector_status, human_status) AS status FROM (${inner}) AS a
ANY LEFT JOIN (${humanStatus(db, sql`SELECT alert_id FROM (${inner})`)}) AS h USING alert_id
WHERE status IN ('open', 'acknowledged')
LIMIT ${uint(limit)}`;
}

export function pingQuery(): SqlFragment {
  return sql`SELECT 1 AS ok`;
}
