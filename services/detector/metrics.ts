import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const detectorMetrics = {
  baselineReloadFailures: new Counter({
    name: 'leakwatch_detector_baseline_reload_failures_total',
    help: 'Failed loads of baselines from ClickHouse (the cached baselines keep being served)',
    registers: [registry],
  }),
  baselineCachedEntries: new Gauge({
    name: 'leakwatch_detector_baseline_cached_entries',
    help: 'Baselines (entity per hour of week or every hour, peer group, tenant) held in memory',
    registers: [registry],
  }),
  baselineRunVersion: new Gauge({
    name: 'leakwatch_detector_baseline_run_timestamp_seconds',
    help: 'Start of the baseline job run the cached baselines come from (epoch seconds; 0: none yet)',
    registers: [registry],
  }),
  events: new Counter({
    name: 'leakwatch_detector_events_total',
    help: 'Access events processed',
    registers: [registry],
  }),
  alerts: new Counter({
    name: 'leakwatch_detector_alerts_total',
    help: 'Alert messages published (first emission and updates), by rule',
    labelNames: ['rule'] as const,
    registers: [registry],
  }),
  alertsAllowed: new Counter({
    name: 'leakwatch_detector_alerts_allowed_total',
    help: 'Alerts not raised because an allow entry (feedback "legitimate") covers their rule and entity, by rule',
    labelNames: ['rule'] as const,
    registers: [registry],
  }),
  alertsSuppressed: new Counter({
    name: 'leakwatch_detector_alerts_suppressed_total',
    help: 'Alert messages published with status suppressed (an active suppression covers them), by rule',
    labelNames: ['rule'] as const,
    registers: [registry],
  }),
  policyEntries: new Gauge({
    name: 'leakwatch_detector_policy_entries',
    help: 'Active suppressions and allow entries the detector last read from ClickHouse',
    registers: [registry],
  }),
  evictions: new Counter({
    name: 'leakwatch_detector_evicted_entities_total',
    help: 'Idle entities whose window state was evicted',
    registers: [registry],
  }),
  budgetEvictions: new Counter({
    name: 'leakwatch_detector_budget_evictions_total',
    help: 'Entities evicted because the engine memory budget (rules file engine.memoryBudgetMb) was reached',
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'leakwatch_detector_dead_letters_total',
    help: 'Messages that could not be decoded, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  eventToAlert: new Histogram({
    name: 'leakwatch_detector_event_to_alert_seconds',
    help: 'Wall time from the triggering event being appended to Kafka (its produce timestamp) to its alert being acknowledged by Kafka',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  }),
  lateEvents: new Counter({
    name: 'leakwatch_detector_late_events_total',
    help: 'Events ignored because they arrived later than the allowed lateness (event time)',
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'leakwatch_detector_consumer_lag',
    help: "Records (Kafka messages; an access record may hold a run of one principal's events) between the last processed offset and the partition high watermark, by topic and partition",
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
  }),
  partitionsOwned: new Gauge({
    name: 'leakwatch_detector_partitions_owned',
    help: 'Topic-partitions this detector instance holds state for',
    registers: [registry],
  }),
  rebuilds: new Counter({
    name: 'leakwatch_detector_state_rebuilds_total',
    help: 'Newly assigned partitions whose entity state was rebuilt by re-reading the topic',
    registers: [registry],
  }),
  rebuildEvents: new Counter({
    name: 'leakwatch_detector_state_rebuild_events_total',
    help: 'Events re-read to rebuild the state of newly assigned partitions (their alerts are not re-sent)',
    registers: [registry],
  }),
  forwarded: new Counter({
    name: 'leakwatch_detector_forwarded_by_route_total',
    help: 'Events on id routes forwarded to the by-route repartition topic for route-keyed rules',
    registers: [registry],
  }),
  forwardsHeld: new Gauge({
    name: 'leakwatch_detector_forwards_held',
    help: 'By-route forwards held until every owned access partition has passed their event time',
    registers: [registry],
  }),
};
