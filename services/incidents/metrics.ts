import { Counter, Gauge } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const incidentsMetrics = {
  alertsGrouped: new Counter({
    name: 'leakwatch_incidents_alerts_grouped_total',
    help: 'Alert messages grouped, by outcome (open: opened an incident, join: joined one, update: a re-emission)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  writeFailures: new Counter({
    name: 'leakwatch_incidents_write_failures_total',
    help: 'Failed ClickHouse reads or writes of a batch (each is retried until it succeeds)',
    registers: [registry],
  }),
  publishFailures: new Counter({
    name: 'leakwatch_incidents_publish_failures_total',
    help: 'Failed sends of incident status changes (each is retried until it succeeds)',
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'leakwatch_incidents_dead_letters_total',
    help: 'Alert messages that could not be decoded, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'leakwatch_incidents_consumer_lag',
    help: 'Alert messages between the last grouped offset and the partition high watermark, by partition',
    labelNames: ['partition'] as const,
    registers: [registry],
  }),
  backpressure: new Gauge({
    name: 'leakwatch_incidents_backpressure',
    help: '1 while consumption waits for ClickHouse or Kafka to come back',
    registers: [registry],
  }),
};
