// Generic webhook: the page as JSON, signed. Headers:
//   X-Leakwatch-Timestamp: unix seconds of the send
//   X-Leakwatch-Signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
//   Idempotency-Key: the page id (the same page sent twice carries the same key)
// A receiver checks the signature with verifyWebhookSignature and refuses timestamps older than
// its tolerance (replay). Each attempt is signed anew with the time it is sent.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Page } from '../page.js';
import { jsonReceiver } from './http.js';
import type { Receiver, ReceiverOptions } from './types.js';

export const SIGNATURE_HEADER = 'x-leakwatch-signature';
export const TIMESTAMP_HEADER = 'x-leakwatch-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** True if `signature` is `body`'s at `timestamp` and the timestamp is within toleranceS of now. */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  signature: string | undefined,
  nowMs = Date.now(),
  toleranceS = 300,
): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceS) return false;
  const want = Buffer.from(sign(secret, Number(timestamp), body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The JSON a webhook receives (version 1). */
export function webhookBody(page: Page): Record<string, unknown> {
  return {
    version: 1,
    id: page.id,
    action: page.action,
    n: page.n,
    dedup_key: page.dedupKey,
    incident_id: page.incidentId,
    tenant: page.tenant,
    rule: page.rule,
    severity: page.severity,
    entity_type: page.entityType,
    entity_ip: page.entityIp,
    title: page.title,
    summary: page.summary,
    alert_id: page.alertId,
    alert_count: page.alertCount,
    starts_at: new Date(page.startsAt).toISOString(),
    last_seen: new Date(page.lastSeen).toISOString(),
    ends_at: page.endsAt === null ? null : new Date(page.endsAt).toISOString(),
    link: page.link,
    labels: page.labels,
  };
}

export function webhookReceiver(
  r: { name: string; url: string; secret: string },
  o: ReceiverOptions,
): Receiver {
  return jsonReceiver({ name: r.name, type: 'webhook', url: r.url }, o, (page) => {
    const body = JSON.stringify(webhookBody(page));
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      [TIMESTAMP_HEADER]: String(ts),
      [SIGNATURE_HEADER]: sign(r.secret, ts, body),
      [IDEMPOTENCY_HEADER]: page.id,
    };
    return { body, headers };
  });
}
