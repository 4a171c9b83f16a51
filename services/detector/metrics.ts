import { Counter, Histogram } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const detectorMetrics = {
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
    help: 'Wall time from a batch arriving to its alerts being durable in Kafka',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  }),
};
