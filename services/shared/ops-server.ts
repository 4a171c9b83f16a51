// /metrics, /healthz and /readyz: opsRoutes() adds them to any Fastify app (the API serves them on its
// own port, as public routes); startOpsServer() serves them alone for services that have no API of
// their own (collector, detector, archiver, incidents, notifier).
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteShorthandOptions } from 'fastify';
import type { Logger } from './log.js';
import { registry } from './metrics.js';

/** null when ready, otherwise why not. May log through the request's logger. */
export type Readiness = (log: FastifyBaseLogger) => string | null | Promise<string | null>;

export interface OpsRoutesOptions {
  readiness: Readiness;
  /** true: a 503 says why (`reason`); false: a bare {status:'not ready'}, details only in the log. */
  showReason: boolean;
  /** Options every ops route gets, e.g. the API's `{ config: { role: 'public' }, schema: { hide: true } }`. */
  routeOptions?: RouteShorthandOptions;
}

export function opsRoutes(app: FastifyInstance, o: OpsRoutesOptions): void {
  const ro = o.routeOptions ?? {};
  app.get('/healthz', ro, async () => ({ status: 'ok' }));
  app.get('/readyz', ro, async (req, reply) => {
    const reason = await o.readiness(req.log);
    if (reason === null) return { status: 'ready' };
    return reply.code(503).send(o.showReason ? { status: 'not ready', reason } : { status: 'not ready' });
  });
  app.get('/metrics', ro, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}

export interface OpsServerOptions {
  host?: string;
  port: number;
  log: Logger;
  /** Ready = connected and consuming/producing; returns a reason when not ready. */
  readiness: () => string | null;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.log.child({ component: 'ops-http' }) as unknown as FastifyBaseLogger,
    disableRequestLogging: true,
  });
  // the ops port is not public: a 503 says why
  opsRoutes(app, { readiness: () => opts.readiness(), showReason: true });
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port });
  const addr = app.server.address();
  opts.log.info({ port: typeof addr === 'object' && addr ? addr.port : opts.port }, 'ops server listening');
  return app;
}
