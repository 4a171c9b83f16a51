// Every SQL the API sends, built only through shared/clickhouse/sql.ts.
// The compat test runs these same builders on ClickHouse 18.16 and on the current engine (chDB).
import { dateTime, join, type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';

export interface AlertFilters {
  from?: number;
  to?: number;
  severity?: string[];
  rule?: string;
  status?: string;
  tenant?: string;
  entityType?: string;
  entityValue?: string;
  limit: number;
  offset: number;
}

const ALERT_COLUMNS = sql`alert_id, fingerprint, rule, severity, entity_type, entity_value, tenant,
  first_seen_ms, last_seen_ms, status, title, feature, observed, score, explanation, labels.key, labels.value, version`;

export function listAlertsQuery(db: string, f: AlertFilters): SqlFragment {
  const where: SqlFragment[] = [sql`1`];
  if (f.from !== undefined) where.push(sql`last_seen >= ${dateTime(f.from)}`);
  if (f.to !== undefined) where.push(sql`first_seen <= ${dateTime(f.to)}`);
  if (f.severity?.length)
    where.push(
      sql`severity IN (${join(
        f.severity.map((s) => sql`${s}`),
        ', ',
      )})`,
    );
  if (f.rule !== undefined) where.push(sql`rule = ${f.rule}`);
  if (f.status !== undefined) where.push(sql`status = ${f.status}`);
  if (f.tenant !== undefined) where.push(sql`tenant = ${f.tenant}`);
  if (f.entityType !== undefined) where.push(sql`entity_type = ${f.entityType}`);
  if (f.entityValue !== undefined) where.push(sql`entity_value = ${f.entityValue}`);
  return sql`SELECT ${ALERT_COLUMNS} FROM ${table(db, 'alerts')} FINAL
WHERE ${join(where, ' AND ')}
ORDER BY last_seen_ms DESC, alert_id
LIMIT ${uint(f.limit)} OFFSET ${uint(f.offset)}`;
}

export function getAlertQuery(db: string, alertId: string): SqlFragment {
  return sql`SELECT ${ALERT_COLUMNS} FROM ${table(db, 'alerts')} FINAL WHERE alert_id = ${alertId} LIMIT 1`;
}

export function pingQuery(): SqlFragment {
  return sql`SELECT 1 AS ok`;
}
