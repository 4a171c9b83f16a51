// Alerts for tests of the grouper (unit and integration): only the fields a test cares about.
import type { Alert } from '#shared/avro/generated/alert.js';

export function alertWith(
  fields: Pick<Alert, 'alert_id' | 'first_seen' | 'last_seen'> & Partial<Alert> & { score?: number },
): Alert {
  const { score, ...rest } = fields;
  return {
    fingerprint: `fp-${fields.alert_id}`,
    rule: 'sequential-enumeration',
    severity: 'high',
    entity: { type: 'client_ip', value: '203.0.113.9' },
    tenant: 'shop',
    status: 'open',
    title: `alert ${fields.alert_id}`,
    explanation: {
      feature: 'sequential_ids',
      observed: 40,
      baseline: null,
      score: score ?? 2,
      top_resources: [],
      sample_event_ids: [],
    },
    labels: {},
    ...rest,
  };
}
