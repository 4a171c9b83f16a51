// The one prom-client registry of a process. Services declare their metrics in their own metrics.ts.
// Metric names: leakwatch_<service>_<thing>_<unit>; labels bounded (rule, source, reason), never an entity.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();
let defaultsCollected = false;

export function initMetrics(service: string): Registry {
  if (!defaultsCollected) {
    registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: registry, prefix: 'leakwatch_' });
    defaultsCollected = true;
  }
  return registry;
}
