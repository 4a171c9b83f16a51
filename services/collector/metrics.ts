import { Counter, Gauge } from 'prom-client';
import { registry } from '#shared/metrics.js';

/** What the listeners count themselves (sources/syslog.ts, sources/http-ingest.ts), read at scrape time. */
export interface ListenerStats {
  syslog(): { received: number; dropped: number; oversize: number; refusedConnections: number } | null;
  ingest(): { accepted: number; rejected: number; busy: number } | null;
}

let listeners: ListenerStats | null = null;

/** The running collector's listeners; null when it stops. */
export function trackListeners(l: ListenerStats | null): void {
  listeners = l;
}

export const collectorMetrics = {
  linesRead: new Counter({
    name: 'leakwatch_collector_lines_read_total',
    help: 'Log lines read, by input (files, syslog, ingest) and format',
    labelNames: ['input', 'format'] as const,
    registers: [registry],
  }),
  inputsDamaged: new Counter({
    name: 'leakwatch_collector_inputs_damaged_total',
    help: 'Compressed input files that were damaged or ended early (their lines before the damage were read)',
    registers: [registry],
  }),
  linesParsed: new Counter({
    name: 'leakwatch_collector_lines_parsed_total',
    help: 'Log lines turned into AccessEvents, by input and format',
    labelNames: ['input', 'format'] as const,
    registers: [registry],
  }),
  linesRejected: new Counter({
    name: 'leakwatch_collector_lines_rejected_total',
    help: 'Log lines sent to the dead-letter topic, by input, format and reason (error code)',
    labelNames: ['input', 'format', 'reason'] as const,
    registers: [registry],
  }),
  recordsSkipped: new Counter({
    name: 'leakwatch_collector_records_skipped_total',
    help: 'Records the format defines that carry no data access (banners, checkpoints), by kind',
    labelNames: ['input', 'format', 'kind'] as const,
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
  // Counters read at scrape time from the listeners' own counts (they only grow while the collector runs).
  syslogMessages: new Counter({
    name: 'leakwatch_collector_syslog_messages_total',
    help: 'Syslog messages since start, by outcome: received; dropped (UDP while the collector was behind); oversize (cut or skipped); refused (TCP connections over the limit)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const s = listeners?.syslog();
      if (!s) return;
      this.reset();
      this.inc({ outcome: 'received' }, s.received);
      this.inc({ outcome: 'dropped' }, s.dropped);
      this.inc({ outcome: 'oversize' }, s.oversize);
      this.inc({ outcome: 'refused' }, s.refusedConnections);
    },
  }),
  ingestRequests: new Counter({
    name: 'leakwatch_collector_ingest_outcomes_total',
    help: 'HTTP ingest since start: lines accepted (durable in Kafka), requests rejected (4xx), requests answered busy (503)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const s = listeners?.ingest();
      if (!s) return;
      this.reset();
      this.inc({ outcome: 'accepted_lines' }, s.accepted);
      this.inc({ outcome: 'rejected_requests' }, s.rejected);
      this.inc({ outcome: 'busy_requests' }, s.busy);
    },
  }),
  backpressure: new Gauge({
    name: 'leakwatch_collector_backpressure',
    help: '1 while reading waits for Kafka to accept the previous batch',
    registers: [registry],
  }),
};
