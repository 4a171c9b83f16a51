// What a security team expects in front of the routes (issue 13): a rate limit per token, helmet's
// headers (a CSP that forbids everything on JSON answers; Swagger UI at /docs sets its own, with the
// hashes of its inline scripts), a query string length limit, CORS only for configured origins, and
// `Cache-Control: no-store` on /api answers. Body size and timeouts are fastify options (app.ts).
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '#shared/config.js';
import { ApiQueryTooLong, ApiRateLimited } from '#shared/errors.js';

export type SecurityOptions = Pick<
  Config['api'],
  'rateLimitPerMinute' | 'maxQueryStringBytes' | 'corsOrigins'
>;

/** CSP of every answer except Swagger UI's pages: JSON needs nothing, so nothing is allowed. */
export const API_CSP = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

async function securityPlugin(app: FastifyInstance, opts: SecurityOptions): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    // the API is plain HTTP behind whatever terminates TLS; HSTS belongs to that proxy
    strictTransportSecurity: false,
  });

  // after helmet's hook, so a refused request still carries the headers
  app.addHook('onRequest', async (req) => {
    const q = req.url.indexOf('?');
    if (q >= 0 && Buffer.byteLength(req.url) - q - 1 > opts.maxQueryStringBytes)
      throw ApiQueryTooLong(opts.maxQueryStringBytes);
  });

  // Route-level hook: runs after auth's onRequest, so the key is the authenticated token.
  await app.register(rateLimit, {
    global: true,
    max: opts.rateLimitPerMinute,
    timeWindow: 60_000,
    // API_OPEN_ACCESS callers share one principal: they are told apart by IP like anonymous ones
    keyGenerator: (req) =>
      req.principal && req.principal.tokenId !== 'open-access'
        ? `token:${req.principal.tokenId}`
        : `ip:${req.ip}`,
    errorResponseBuilder: (_req, ctx) => ApiRateLimited(ctx.max, ctx.after),
  });

  const origins = new Set(opts.corsOrigins);
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    if (origins.size === 0) return;
    const origin = req.headers.origin;
    if (origin === undefined || !origins.has(origin)) return; // no CORS headers: the browser refuses
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
      reply.header('access-control-allow-headers', 'authorization, content-type');
      reply.header('access-control-max-age', '600');
      await reply.code(204).send();
      return reply;
    }
  });
}

export const security = fp(securityPlugin, { name: 'leakwatch-security', fastify: '5.x' });
