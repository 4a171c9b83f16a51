// api_audit: who asked the API what. A route with `config: { audit: true }` (reads of access
// history, alerts, incidents, affected records, the trail itself) and every write is recorded
// *before* its answer is sent: if the row cannot be written, the caller gets 503 and no data, so no
// read escapes the trail. A known token refused for its role (403) is recorded too (auth.ts sets
// the principal before the role check). Handlers say how many rows they returned with
// `req.auditRows = n`. Rows of concurrent answers share one insert (audit-writer.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type ClickHouseClient, insertRows } from '#shared/clickhouse/client.js';
import { table } from '#shared/clickhouse/sql.js';
import { ClickHouseUnavailable, isLeakwatchError } from '#shared/errors.js';
import { AuditWriter } from './audit-writer.js';

const AuditUnavailable = () => ClickHouseUnavailable('the configured CLICKHOUSE_URL (api_audit not written)');

declare module 'fastify' {
  interface FastifyRequest {
    auditRows?: number;
  }
}

export interface AuditRow {
  ts: number;
  request_id: string;
  token_id: string;
  /** The token's name in API_TOKENS (migration 0010). */
  token_name: string;
  role: string;
  method: string;
  route: string;
  query: string;
  status: number;
  rows: number;
}

export interface AuditOptions {
  ch: ClickHouseClient;
  db: string;
  /** Shortest time between two api_audit inserts, in ms (api.auditBatchMs). */
  batchMs: number;
}

export function isAudited(req: FastifyRequest): boolean {
  if (req.routeOptions.config?.audit) return true;
  const role = req.routeOptions.config?.role;
  return role !== undefined && role !== 'public' && req.method !== 'GET' && req.method !== 'HEAD';
}

export function auditRow(req: FastifyRequest, status: number): AuditRow {
  return {
    ts: Math.floor(Date.now() / 1000),
    request_id: String(req.id),
    token_id: req.principal?.tokenId ?? 'anonymous',
    token_name: req.principal?.name ?? '',
    role: req.principal?.role ?? '',
    method: req.method,
    route: req.routeOptions.url ?? req.url.split('?')[0]!,
    // parameters only: request bodies (reasons, notes) stay out of the trail
    query: JSON.stringify({ params: req.params ?? {}, query: req.query ?? {} }),
    status,
    rows: req.auditRows ?? 0,
  };
}

async function auditPlugin(app: FastifyInstance, opts: AuditOptions): Promise<void> {
  app.decorateRequest('auditRows', undefined);
  const auditTable = table(opts.db, 'api_audit');
  const writer = new AuditWriter<AuditRow>((rows) => insertRows(opts.ch, auditTable, rows), {
    intervalMs: opts.batchMs,
    maxBatch: 1000,
    maxPending: 10_000,
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!isAudited(req) || req.principal === undefined) return payload;
    try {
      await writer.write(auditRow(req, reply.statusCode));
    } catch (err) {
      // An error answer (a 404, a 429) discloses nothing: it keeps its status, so a caller is told
      // what it did wrong rather than that the store is down.
      if (reply.statusCode >= 400) {
        req.log.error({ err }, 'api_audit row of an error answer not written');
        return payload;
      }
      // Otherwise the answer is withheld, in the API's error shape (an error thrown from onSend
      // would bypass the error handler and reach the caller in fastify's default shape).
      req.log.error({ err }, 'api_audit row not written: answer withheld');
      const e = isLeakwatchError(err) && err.statusCode >= 500 ? err : AuditUnavailable();
      reply.code(e.statusCode).header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify({ error: e.code, message: e.message });
    }
    return payload;
  });
}

export const audit = fp(auditPlugin, {
  name: 'leakwatch-audit',
  fastify: '5.x',
  dependencies: ['leakwatch-auth'],
});
