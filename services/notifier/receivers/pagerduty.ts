// PagerDuty Events API v2: dedup_key = the page's dedup key (incident id, or actor-<hash of tenant + entity>), so
// a trigger sent twice is one PagerDuty incident, and acknowledge / resolve reach it.
import type { Page } from '../page.js';
import { jsonReceiver } from './http.js';
import type { Receiver, ReceiverOptions } from './types.js';

const PD_SEVERITY: Record<Page['severity'], string> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

export function pagerDutyBody(page: Page, routingKey: string, source: string): Record<string, unknown> {
  const base = { routing_key: routingKey, event_action: page.action, dedup_key: page.dedupKey };
  if (page.action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: page.title.slice(0, 1024),
      source,
      severity: PD_SEVERITY[page.severity],
      timestamp: new Date(page.lastSeen).toISOString(),
      component: page.rule,
      group: page.tenant,
      class: page.entityType,
      custom_details: {
        explanation: page.summary,
        alert_id: page.alertId,
        alert_count: page.alertCount,
        incident_id: page.incidentId,
        entity_ip: page.entityIp,
        repeat: page.n,
        labels: page.labels,
      },
    },
    links: [{ href: page.link, text: 'Alert in leakwatch' }],
  };
}

export function pagerDutyReceiver(
  r: { name: string; url: string; routingKey: string; source?: string },
  o: ReceiverOptions,
): Receiver {
  return jsonReceiver({ name: r.name, type: 'pagerduty', url: r.url }, o, (page) => ({
    body: JSON.stringify(pagerDutyBody(page, r.routingKey, r.source ?? 'leakwatch')),
  }));
}
