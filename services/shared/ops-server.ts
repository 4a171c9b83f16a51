// /metrics, /healthz and /readyz: opsRoutes() adds them to any Fastify app (the API serves them on its
// own port, as public routes); startOpsServer() serves them alone for services that have no API of
// their own (collector, detector, archiver, incidents, notifier, baselines). Both answer through
// opsAnswer(), so the two cannot drift. startOpsServer is a plain node:http server: loading Fastify
// (and its schema compiler) for three fixed routes was ~0.1 s of CPU at every service start.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, RouteShorthandOptions } from 'fastify';
import { listen } from './listen.js';
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

const OPS_PATHS = ['/healthz', '/readyz', '/metrics'] as const;
type OpsPath = (typeof OPS_PATHS)[number];

interface OpsAnswer {
  status: number;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The answer of one ops route. */
async function opsAnswer(
  path: OpsPath,
  readiness: Readiness,
  showReason: boolean,
  log: FastifyBaseLogger,
): Promise<OpsAnswer> {
  if (path === '/healthz')
    return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ status: 'ok' }) };
  if (path === '/metrics')
    return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
  const reason = await readiness(log);
  if (reason === null)
    return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ status: 'ready' }) };
  return {
    status: 503,
    contentType: JSON_TYPE,
    body: JSON.stringify(showReason ? { status: 'not ready', reason } : { status: 'not ready' }),
  };
}

export function opsRoutes(app: FastifyInstance, o: OpsRoutesOptions): void {
  const ro = o.routeOptions ?? {};
  for (const path of OPS_PATHS)
    app.get(path, ro, async (req, reply) => {
      const a = await opsAnswer(path, o.readiness, o.showReason, req.log);
      return reply.code(a.status).header('content-type', a.contentType).send(a.body);
    });
}

export interface OpsServerOptions {
  host?: string;
  port: number;
  log: Logger;
  /** Ready = connected and consuming/producing; returns a reason when not ready. */
  readiness: () => string | null;
}

export interface OpsServer {
  /** The port it listens on (the one asked for, or the one given for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const log = opts.log.child({ component: 'ops-http' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as OpsPath;
    if (!OPS_PATHS.includes(path) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': JSON_TYPE }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
    // the ops port is not public: a 503 says why
    opsAnswer(path, () => opts.readiness(), true, log as unknown as FastifyBaseLogger).then(
      (a) =>
        res
          .writeHead(a.status, { 'content-type': a.contentType })
          .end(req.method === 'HEAD' ? undefined : a.body),
      (err: unknown) => {
        log.error({ err, path }, 'ops route failed');
        res.writeHead(500, { 'content-type': JSON_TYPE }).end(JSON.stringify({ error: 'internal error' }));
      },
    );
  });
  // keep-alive connections (Prometheus scrapes) must not hold close() up
  server.keepAliveTimeout = 5_000;
  await listen(server, opts.port, opts.host);
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'ops server listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
