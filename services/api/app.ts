// build() assembles the API and never listens (fastify's Testing guide); main.ts listens.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import { queryRows } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import { opsRoutes } from '#shared/ops-server.js';
import { withSettings } from './clickhouse.js';
import type { ApiContext } from './context.js';
import { apiMetrics } from './metrics.js';
import { audit } from './plugins/audit.js';
import { auth } from './plugins/auth.js';
import { installErrorHandler } from './plugins/errors.js';
import { security } from './plugins/security.js';
import { pingQuery } from './queries.js';
import { accessRoutes } from './routes/access/index.js';
import { alertRoutes } from './routes/alerts/index.js';
import { auditRoutes } from './routes/audit/index.js';
import { entityRoutes } from './routes/entities/index.js';
import { incidentRoutes } from './routes/incidents/index.js';
import { seriesRoutes } from './routes/series/index.js';
import { subjectRoutes } from './routes/subjects/index.js';
import { suppressionRoutes } from './routes/suppressions/index.js';
import { memoryStatusPublisher, type StatusPublisher } from './status-publisher.js';
import { TIME_PARAMS, timeParam } from './time-params.js';

export interface BuildOptions {
  config: Readonly<Config>;
  ch: ClickHouseClient;
  log: Logger;
  /** Where status changes are announced; tests and `leakwatch openapi` keep them in memory. */
  status?: StatusPublisher;
}

/**
 * Query strings: comma-separated lists (severity=high,critical) as well as repeated keys; `from` and
 * `to` as epoch ms or ISO 8601 (time-params.ts).
 */
const LIST_PARAMS = new Set(['severity', 'status', 'rule']);

export async function build(opts: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.log as unknown as FastifyBaseLogger,
    // requests are logged by our own hooks (audit, errors), not once more by fastify
    logController: new LogController({ disableRequestLogging: true }),
    // api_audit's request_id and the logs' reqId: unique across restarts and instances (fastify's
    // default, req-1, req-2…, starts again with every process)
    genReqId: () => randomUUID(),
    // API security (issue 13): body size and slow-client limits from config
    bodyLimit: opts.config.api.bodyLimitBytes,
    connectionTimeout: opts.config.api.connectionTimeoutMs,
    requestTimeout: opts.config.api.requestTimeoutMs,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true } },
    routerOptions: {
      querystringParser: (s) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of new URLSearchParams(s)) {
          const vals = LIST_PARAMS.has(k) ? v.split(',') : [TIME_PARAMS.has(k) ? timeParam(k, v) : v];
          const prev = out[k];
          out[k] = prev === undefined ? (vals.length === 1 ? vals[0]! : vals) : [...[prev].flat(), ...vals];
        }
        return out;
      },
    },
  });
  const ctx: ApiContext = {
    config: opts.config,
    // every query the API sends is bounded by max_execution_time (services/api/clickhouse.ts)
    ch: withSettings(opts.ch, { max_execution_time: opts.config.api.queryTimeoutS }),
    db: opts.config.clickhouse.database,
    log: opts.log,
    status: opts.status ?? memoryStatusPublisher(),
  };
  installErrorHandler(app, { bodyLimitBytes: opts.config.api.bodyLimitBytes });
  await app.register(swagger, {
    openapi: {
      info: { title: 'leakwatch API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(security, opts.config.api);
  await app.register(auth, { tokens: opts.config.api.tokens, openAccess: opts.config.api.openAccess });
  await app.register(audit, { ch: ctx.ch, db: ctx.db, batchMs: opts.config.api.auditBatchMs });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list' },
    // Swagger UI's pages get their own CSP (hashes of its inline scripts) instead of the API's 'none';
    // without upgrade-insecure-requests, so /docs works over plain HTTP on a LAN address too
    staticCSP: true,
    transformStaticCSP: (h) => h.replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    apiMetrics.requests.inc({ route, status: `${Math.floor(reply.statusCode / 100)}xx` });
    apiMetrics.duration.observe({ route }, reply.elapsedTime / 1000);
  });

  const ops = { config: { role: 'public' as const }, schema: { hide: true } };
  // the shared ops routes; /readyz answers anonymous callers, so details only in the log
  opsRoutes(app, {
    routeOptions: ops,
    showReason: false,
    readiness: async (log) => {
      try {
        await queryRows(ctx.ch, pingQuery());
        return null;
      } catch (err) {
        log.warn({ err }, 'readiness check failed: ClickHouse');
        return 'ClickHouse';
      }
    },
  });
  app.get('/openapi.json', ops, async () => app.swagger());

  await app.register(alertRoutes, ctx);
  await app.register(suppressionRoutes, ctx);
  await app.register(incidentRoutes, ctx);
  // investigation reads
  await app.register(accessRoutes, ctx);
  await app.register(subjectRoutes, ctx);
  await app.register(entityRoutes, ctx);
  await app.register(seriesRoutes, ctx);
  // end investigation reads
  await app.register(auditRoutes, ctx);
  return app;
}
