// Alerts for API tests, written straight into a migrated database's `alerts` table.
import { createHash } from 'node:crypto';
import type { Alert } from '#shared/avro/generated/alert.js';
import { type ClickHouseClient, insertRows } from '#shared/clickhouse/client.js';
import { alertToRow } from '#shared/clickhouse/rows.js';
import { table } from '#shared/clickhouse/sql.js';

export function makeAlert(
  tenant: string,
  i: number,
  entityValue: string,
  t0 = Date.UTC(2024, 4, 1, 12),
): Alert {
  const id = createHash('sha256').update(`${tenant}/${i}`).digest('hex').slice(0, 32);
  return {
    alert_id: id,
    fingerprint: id.slice(0, 16),
    rule: i % 2 ? 'sequential-enumeration' : 'bulk-egress',
    severity: i % 2 ? 'high' : 'critical',
    entity: { type: 'user', value: entityValue },
    tenant,
    first_seen: t0 + i * 60_000,
    last_seen: t0 + i * 60_000 + 30_000,
    status: 'open',
    title: `test alert ${i} for ${entityValue}`,
    explanation: {
      feature: 'distinct_ids',
      observed: 100 + i,
      baseline: i % 2 ? { p50: 3, p95: 9, mad: 1.5, n: 40 } : null,
      score: 7.5,
      top_resources: ['orders:1', 'orders:2'],
      sample_event_ids: ['e1', 'e2'],
    },
    labels: { route: '/orders/{id}' },
  };
}

export async function insertAlerts(ch: ClickHouseClient, db: string, alerts: Alert[]): Promise<void> {
  await insertRows(
    ch,
    table(db, 'alerts'),
    alerts.map((a) => alertToRow(a)),
  );
}
