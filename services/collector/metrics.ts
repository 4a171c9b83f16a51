import { Counter, Gauge } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const collectorMetrics = {
  linesRead: new Counter({
    name: 'leakwatch_collector_lines_read_total',
    help: 'Log lines read, by format',
    labelNames: ['format'] as const,
    registers: [registry],
  }),
  linesParsed: new Counter({
    name: 'leakwatch_collector_lines_parsed_total',
    help: 'Log lines turned into AccessEvents, by format',
    labelNames: ['format'] as const,
    registers: [registry],
  }),
  linesRejected: new Counter({
    name: 'leakwatch_collector_lines_rejected_total',
    help: 'Log lines sent to the dead-letter topic, by reason (error code)',
    labelNames: ['format', 'reason'] as const,
    registers: [registry],
  }),
  recordsSkipped: new Counter({
    name: 'leakwatch_collector_records_skipped_total',
    help: 'Records the format defines that carry no data access (banners, checkpoints), by kind',
    labelNames: ['format', 'kind'] as const,
    registers: [registry],
  }),
  phiFindings: new Counter({
    name: 'leakwatch_collector_phi_findings_total',
    help: 'PHI/PII values found and tokenised at the edge, by finding',
    labelNames: ['finding'] as const,
    registers: [registry],
  }),
  publishFailures: new Counter({
    name: 'leakwatch_collector_publish_failures_total',
    help: 'Failed Kafka sends (each is retried; reading pauses meanwhile)',
    registers: [registry],
  }),
  backpressure: new Gauge({
    name: 'leakwatch_collector_backpressure',
    help: '1 while reading waits for Kafka to accept the previous batch',
    registers: [registry],
  }),
};
