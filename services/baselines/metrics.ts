import { Counter, Gauge } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const baselineMetrics = {
  runs: new Counter({
    name: 'leakwatch_baselines_runs_total',
    help: 'Baseline job runs by outcome (ok, no_data, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  lastRunSeconds: new Gauge({
    name: 'leakwatch_baselines_last_run_seconds',
    help: 'Wall time of the last finished baseline job run',
    registers: [registry],
  }),
  lastSuccess: new Gauge({
    name: 'leakwatch_baselines_last_success_timestamp_seconds',
    help: 'When the last baseline job run finished successfully (epoch seconds)',
    registers: [registry],
  }),
  rowsWritten: new Counter({
    name: 'leakwatch_baselines_rows_written_total',
    help: 'Rows written to the baselines table',
    registers: [registry],
  }),
  dirtyWindows: new Counter({
    name: 'leakwatch_baselines_dirty_windows_total',
    help: 'Entity windows the rollup double-counted (replayed inserts), recomputed from access_events',
    registers: [registry],
  }),
};
