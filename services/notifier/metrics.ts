import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const notifierMetrics = {
  pagesSent: new Counter({
    name: 'leakwatch_notifier_pages_sent_total',
    help: 'Pages a receiver accepted, by receiver and action (trigger, acknowledge, resolve)',
    labelNames: ['receiver', 'action'] as const,
    registers: [registry],
  }),
  pagesFailed: new Counter({
    name: 'leakwatch_notifier_pages_failed_total',
    help: 'Pages given up on and written to the dead-letter topic, by receiver and reason',
    labelNames: ['receiver', 'reason'] as const,
    registers: [registry],
  }),
  attemptsFailed: new Counter({
    name: 'leakwatch_notifier_attempts_failed_total',
    help: 'Delivery attempts that failed (each retried until max attempts), by receiver',
    labelNames: ['receiver'] as const,
    registers: [registry],
  }),
  pagesSuppressed: new Counter({
    name: 'leakwatch_notifier_pages_suppressed_total',
    help: 'Pages not sent: alerts the detector suppressed, or groups acknowledged/resolved during group_wait, by receiver',
    labelNames: ['receiver'] as const,
    registers: [registry],
  }),
  alertsFolded: new Counter({
    name: 'leakwatch_notifier_alerts_folded_total',
    help: 'Alert messages folded into a page already sent or waiting (no page of their own), by receiver',
    labelNames: ['receiver'] as const,
    registers: [registry],
  }),
  rateLimited: new Counter({
    name: 'leakwatch_notifier_rate_limited_total',
    help: 'Pages that waited for the receiver rate limit, by receiver',
    labelNames: ['receiver'] as const,
    registers: [registry],
  }),
  queued: new Gauge({
    name: 'leakwatch_notifier_queued_pages',
    help: 'Pages waiting for or in delivery, by receiver',
    labelNames: ['receiver'] as const,
    registers: [registry],
  }),
  deliverySeconds: new Histogram({
    name: 'leakwatch_notifier_delivery_seconds',
    help: 'From the page being decided to the receiver accepting it (rate limit and retries included), by receiver',
    labelNames: ['receiver'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'leakwatch_notifier_dead_letters_total',
    help: 'Dead letters written (undecodable messages, pages given up on), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'leakwatch_notifier_consumer_lag',
    help: 'Messages between the last fetched offset and the partition high watermark, by topic and partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
  }),
  uncommitted: new Gauge({
    name: 'leakwatch_notifier_uncommitted_messages',
    help: 'Messages read but not yet committed because a page they depend on is not delivered yet',
    registers: [registry],
  }),
};
