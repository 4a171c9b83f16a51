// The response policy's two reads (allow-list entries and suppressions in force), apart from the
// policy so that the front door's SQL catalog does not load a ClickHouse client (scan imports it).
import { type SqlFragment, sql, table, uint } from '#shared/clickhouse/sql.js';

/** The two reads, as the compat test runs them. */
export function policyQueries(db: string, now: number): { name: string; sql: SqlFragment }[] {
  return [
    {
      name: 'allowEntries',
      sql: sql`SELECT tenant, rule, entity_type, entity_value, expires_at_ms FROM ${table(db, 'allow_entries')} FINAL
WHERE deleted_at_ms = 0 AND expires_at_ms > ${uint(now)}`,
    },
    {
      name: 'suppressions',
      sql: sql`SELECT suppression_id, tenant, scope, alert_id, rule, entity_type, entity_value, expires_at_ms
FROM ${table(db, 'suppressions')} FINAL WHERE deleted_at_ms = 0 AND expires_at_ms > ${uint(now)}`,
    },
  ];
}
