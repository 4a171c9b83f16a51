import { Counter, Gauge } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const archiverMetrics = {
  consumerLag: new Gauge({
    name: 'leakwatch_archiver_consumer_lag',
    help: "Records (Kafka messages; an access record may hold a run of one principal's events) between the last archived offset and the partition high watermark, by topic and partition",
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
  }),
  rowsInserted: new Counter({
    name: 'leakwatch_archiver_rows_inserted_total',
    help: 'Rows written to ClickHouse by table',
    labelNames: ['table'] as const,
    registers: [registry],
  }),
  insertFailures: new Counter({
    name: 'leakwatch_archiver_insert_failures_total',
    help: 'Failed ClickHouse inserts (each is retried until it succeeds)',
    labelNames: ['table'] as const,
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'leakwatch_archiver_dead_letters_total',
    help: 'Messages that could not be decoded, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  backpressure: new Gauge({
    name: 'leakwatch_archiver_backpressure',
    help: '1 while consumption waits for ClickHouse to come back',
    registers: [registry],
  }),
};
