// The one prom-client registry of a process. Services declare their metrics in their own metrics.ts.
// Metric names: leakwatch_<service>_<thing>_<unit>; labels bounded (rule, source, reason), never an entity.
// prom-client's default process metrics keep their standard names (process_cpu_seconds_total,
// nodejs_eventloop_lag_seconds, ...) so stock Node.js dashboards work; the `service` label tells them apart.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();
let defaultsCollected = false;

export function initMetrics(service: string): Registry {
  if (!defaultsCollected) {
    registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: registry });
    defaultsCollected = true;
  }
  return registry;
}
