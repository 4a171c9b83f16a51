// One error handler: bad input is a 4xx with a message, an unreachable or slow store a 503, another
// store failure a 502, only bugs are 500 (LW_ERR_INTERNAL, "internal error"; the cause only in the log).
//   validation failure                          -> 400 LW_ERR_API_BAD_REQUEST
//   a leakwatch error (errors.ts)               -> its statusCode and code (401/403/404/429/503 ...)
//   ClickHouse unreachable / query timed out    -> 503 LW_ERR_CLICKHOUSE_UNAVAILABLE (wrapError)
//   any other ClickHouse exception              -> 502 LW_ERR_CLICKHOUSE_QUERY_FAILED (server code only)
//   body over bodyLimit                         -> 413 LW_ERR_API_BODY_TOO_LARGE
//   another framework 4xx (bad JSON, media type) -> that status, LW_ERR_API_BAD_REQUEST
//   anything else                               -> 500 LW_ERR_INTERNAL
import type { FastifyError, FastifyInstance } from 'fastify';
import { clickHouseErrorCode } from '#shared/clickhouse/client.js';
import { ApiBodyTooLarge, ClickHouseQueryFailed, Internal, isLeakwatchError } from '#shared/errors.js';
import { TIME_PARAM_HINT } from '../time-params.js';

export interface ErrorHandlerOptions {
  /** For the 413 message. */
  bodyLimitBytes?: number;
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * One line per bad field. A choice among literals (TypeBox unions of Type.Literal, as every enum
 * here is) fails as one `const` error per literal plus an `anyOf`: said once, as the values allowed.
 */
export function validationMessage(issues: readonly ValidationIssue[], context = 'request'): string {
  const allowed = new Map<string, unknown[]>();
  for (const i of issues) {
    if (i.keyword !== 'const') continue;
    allowed.set(i.instancePath, [...(allowed.get(i.instancePath) ?? []), i.params['allowedValue']]);
  }
  const lines: string[] = [];
  const said = new Set<string>();
  for (const i of issues) {
    const where = `${context}${i.instancePath}`;
    const choices = allowed.get(i.instancePath);
    if (choices !== undefined && (i.keyword === 'const' || i.keyword === 'anyOf')) {
      if (said.has(where)) continue;
      said.add(where);
      lines.push(`${where} must be one of ${choices.map(String).join(', ')}`);
    } else {
      const time = context === 'querystring' && /^\/(from|to)$/.test(i.instancePath);
      lines.push(`${where} ${i.message ?? 'is invalid'}${time ? `: ${TIME_PARAM_HINT}` : ''}`);
    }
  }
  return lines.join('; ');
}

export function installErrorHandler(app: FastifyInstance, opts: ErrorHandlerOptions = {}): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      return reply.code(400).send({
        error: 'LW_ERR_API_BAD_REQUEST',
        message: validationMessage(err.validation, err.validationContext),
      });
    }
    if (isLeakwatchError(err)) {
      if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    }
    const chCode = clickHouseErrorCode(err);
    if (chCode !== undefined) {
      req.log.error({ err, clickhouseCode: chCode }, 'ClickHouse refused a query');
      const e = ClickHouseQueryFailed(chCode);
      return reply.code(e.statusCode).send({ error: e.code, message: e.message });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const e = ApiBodyTooLarge(opts.bodyLimitBytes ?? 'the configured');
      return reply.code(e.statusCode).send({ error: e.code, message: e.message });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'LW_ERR_API_BAD_REQUEST', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    const e = Internal();
    return reply.code(e.statusCode).send({ error: e.code, message: e.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: 'LW_ERR_API_NOT_FOUND', message: `${req.method} ${req.url.split('?')[0]} not found` });
  });
}
