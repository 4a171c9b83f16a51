// Prometheus Alertmanager v2: POST /api/v2/alerts. The alert's labels identify it in Alertmanager
// (the same labels on every page of a group, so a repeat updates it and a resolve ends it):
// alertname, rule, severity, tenant, entity_type, incident (the dedup key) and the alert's bounded
// labels. Never the entity value unless it is an IP (annotation entity_ip). A firing alert is sent
// with endsAt = now + hold (default 24 h): Alertmanager would otherwise resolve it after its
// resolve_timeout; the resolve page sends endsAt = when it was resolved.
import type { Page } from '../page.js';
import { jsonReceiver } from './http.js';
import type { Receiver, ReceiverOptions } from './types.js';

export const ALERTNAME = 'LeakwatchAlert';

export function alertmanagerBody(page: Page, holdMs: number, now = Date.now()): Record<string, unknown>[] {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(page.labels)) if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) labels[k] = v;
  Object.assign(labels, {
    alertname: ALERTNAME,
    rule: page.rule,
    severity: page.severity,
    tenant: page.tenant,
    entity_type: page.entityType,
    incident: page.dedupKey,
  });
  const annotations: Record<string, string> = {
    title: page.title,
    summary: page.summary,
    explanation: page.summary,
    link: page.link,
    alert_id: page.alertId,
    alert_count: String(page.alertCount),
  };
  if (page.entityIp) annotations['entity_ip'] = page.entityIp;
  if (page.action === 'acknowledge') annotations['acknowledged'] = 'true';
  const endsAt = page.action === 'resolve' ? (page.endsAt ?? now) : now + holdMs;
  return [
    {
      labels,
      annotations,
      startsAt: new Date(page.startsAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      generatorURL: page.link,
    },
  ];
}

export function alertmanagerReceiver(
  r: { name: string; url: string; holdMs?: number },
  o: ReceiverOptions,
): Receiver {
  const url = `${r.url.replace(/\/+$/, '')}/api/v2/alerts`;
  return jsonReceiver({ name: r.name, type: 'alertmanager', url }, o, (page) => ({
    body: JSON.stringify(alertmanagerBody(page, r.holdMs ?? 86_400_000)),
  }));
}
