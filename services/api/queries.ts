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
}

const DETECTOR_COLUMNS = sql`alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant,
  first_seen_ms, last_seen_ms, status AS detector_status, title, feature, observed, score, explanation,
  labels.key, labels.value, version`;

const OUT_COLUMNS = sql`alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant,
  first_seen_ms, last_seen_ms, if(human_status = '', detector_status, human_status) AS status, title, feature,
  observed, score, explanation, labels.key, labels.value, version, human_actor AS status_changed_by,
  human_at_ms AS status_changed_at_ms, human_reason AS status_reason`;

/** Newest person-made status per alert (restricted to the alerts a query can return). */
function humanStatus(db: string, alertIds?: SqlFragment): SqlFragment {
  const where = alertIds ? sql`WHERE alert_id IN (${alertIds})` : sql``;
  return sql`SELECT alert_id, argMax(status, changed_at_ms) AS human_status, argMax(actor, changed_at_ms) AS human_actor,
    max(changed_at_ms) AS human_at_ms, argMax(reason, changed_at_ms) AS human_reason
  FROM ${table(db, 'alert_status_changes')} ${where} GROUP BY alert_id`;
}

function strings(values: readonly string[]): SqlFragment {
  return join(
    values.map((s) => sql`${s}`),
    ', ',
  );
}

export function listAlertsQuery(db: string, f: AlertFilters): SqlFragment {
  const where: SqlFragment[] = [sql`1`];
  if (f.from !== undefined) where.push(sql`last_seen >= ${dateTime(f.from)}`);
  if (f.to !== undefined) where.push(sql`first_seen <= ${dateTime(f.to)}`);
  if (f.severity?.length) where.push(sql`severity IN (${strings(f.severity)})`);
  if (f.rule !== undefined) where.push(sql`rule = ${f.rule}`);
  if (f.tenant !== undefined) where.push(sql`tenant = ${f.tenant}`);
  if (f.entityType !== undefined) where.push(sql`entity_type = ${f.entityType}`);
  if (f.entityValue !== undefined) where.push(sql`entity_value = ${f.entityValue}`);
  if (f.alertIds !== undefined) where.push(sql`alert_id IN (${strings(f.alertIds)})`);
  const order = sql`ORDER BY last_seen_ms DESC, alert_id`;
  const page = sql`LIMIT ${uint(f.limit)} OFFSET ${uint(f.offset)}`;
  if (!f.status?.length) {
    // The status does not change the order: page the detector's rows first, then join only the page.
    const inner = sql`SELECT ${DETECTOR_COLUMNS} FROM ${table(db, 'alerts')} FINAL WHERE ${join(where, ' AND ')} ${order} ${page}`;
    return sql`SELECT ${OUT_COLUMNS} FROM (${inner}) AS a
ANY LEFT JOIN (${humanStatus(db, sql`SELECT alert_id FROM (${inner})`)}) AS h USING alert_id
${order}`;
  }
  const inner = sql`SELECT ${DETECTOR_COLUMNS} FROM ${table(db, 'alerts')} FINAL WHERE ${join(where, ' AND ')}`;
  return sql`SELECT ${OUT_COLUMNS} FROM (${inner}) AS a
ANY LEFT JOIN (${humanStatus(db)}) AS h USING alert_id
WHERE status IN (${strings(f.status)})
${order} ${page}`;
}

export function getAlertQuery(db: string, alertId: string): SqlFragment {
  return listAlertsQuery(db, { alertIds: [alertId], limit: 1, offset: 0 });
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
