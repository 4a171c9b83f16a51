// build() assembles the API and never listens (fastify's Testing guide); main.ts listens.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import { queryRows } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import { registry } from '#shared/metrics.js';
import { apiMetrics } from './metrics.js';
import { createAuthenticator, requireRole } from './plugins/auth.js';
import { installErrorHandler } from './plugins/errors.js';
import { pingQuery } from './queries.js';
import { alertRoutes } from './routes/alerts/index.js';

export interface BuildOptions {
  config: Readonly<Config>;
  ch: ClickHouseClient;
  log: Logger;
}

export async function build(opts: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.log as unknown as FastifyBaseLogger,
    disableRequestLogging: true,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true } },
    querystringParser: (s) => {
      // comma-separated lists (severity=high,critical) as well as repeated keys
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of new URLSearchParams(s)) {
        const vals = k === 'severity' ? v.split(',') : [v];
        const prev = out[k];
        out[k] = prev === undefined ? (vals.length === 1 ? vals[0]! : vals) : [...[prev].flat(), ...vals];
      }
      return out;
    },
  });
  installErrorHandler(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'leakwatch API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    apiMetrics.requests.inc({ route, status: `${Math.floor(reply.statusCode / 100)}xx` });
    apiMetrics.duration.observe({ route }, reply.elapsedTime / 1000);
  });

  const authenticate = createAuthenticator(opts.config.api.tokens, opts.config.api.openAccess);
  const viewer = requireRole('viewer', authenticate);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await queryRows(opts.ch, pingQuery());
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'not ready', reason: `clickhouse: ${(err as Error).message}` });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());

  await app.register(alertRoutes, { ch: opts.ch, database: opts.config.clickhouse.database, viewer });
  return app;
}
