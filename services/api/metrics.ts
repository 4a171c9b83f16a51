import { Counter, Histogram } from 'prom-client';
import { registry } from '#shared/metrics.js';

export const apiMetrics = {
  requests: new Counter({
    name: 'leakwatch_api_requests_total',
    help: 'API requests by route template and status class',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  }),
  duration: new Histogram({
    name: 'leakwatch_api_request_duration_seconds',
    help: 'API request duration by route template',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
};
