// /metrics, /healthz and /readyz for services that have no API of their own (collector, detector, archiver).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from './log.js';
import { registry } from './metrics.js';

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
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reason = opts.readiness();
    if (reason) return reply.code(503).send({ status: 'not ready', reason });
    return { status: 'ready' };
  });
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port });
  const addr = app.server.address();
  opts.log.info({ port: typeof addr === 'object' && addr ? addr.port : opts.port }, 'ops server listening');
  return app;
}
