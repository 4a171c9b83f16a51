// GET /api/v1/audit: the API's own audit trail (api_audit), for the people who answer "who in our
// team looked at this patient's access history, and when". Admin only, and itself audited: reading
// the trail leaves a row in it. Filters: who (token_name), what (route), about what (`contains`:
// a token or resource id in the recorded parameters). Newest first, paged like /api/v1/access.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../../context.js';
import {
  checkRange,
  decodeCursor,
  nextCursor,
  num,
  PageParams,
  RequiredRangeParams,
  readRows,
  rowsResponse,
  sendRows,
} from '../../reads.js';
import { type AuditRowOut, auditTrailQuery } from './queries.js';

const Query = Type.Object(
  {
    ...RequiredRangeParams,
    token_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'whose calls' })),
    route: Type.Optional(
      Type.String({ minLength: 1, maxLength: 300, description: 'route pattern, e.g. /api/v1/access' }),
    ),
    contains: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'a string in the recorded path and query parameters (a PHI token, a resource id)',
      }),
    ),
    ...PageParams,
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
  },
  { additionalProperties: false },
);

const AuditRow = Type.Object({
  ts: Type.Integer({ description: 'epoch ms (whole seconds)' }),
  request_id: Type.String(),
  token_id: Type.String({ description: "first 12 hex digits of the token's SHA-256" }),
  token_name: Type.String(),
  role: Type.String(),
  method: Type.String(),
  route: Type.String(),
  params: Type.String({ description: 'path and query parameters as recorded (JSON); never the body' }),
  status: Type.Integer(),
  rows: Type.Integer({ description: 'rows the call returned' }),
});
type AuditRow = Static<typeof AuditRow>;
const COLUMNS = Object.keys(AuditRow.properties) as (keyof AuditRow & string)[];
const AuditPage = Type.Object({
  rows: Type.Array(AuditRow),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export async function auditRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.config.api;
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/audit',
    {
      config: { role: 'admin', audit: true },
      schema: {
        summary: "The API's audit trail: who asked what, newest first",
        description:
          'from/to are required, at most API_ACCESS_MAX_RANGE_DAYS apart. Reading the trail is itself recorded in it.',
        tags: ['audit'],
        querystring: Query,
        response: rowsResponse(
          AuditPage,
          'One page of api_audit rows; `x-next-cursor` names the next page',
          true,
        ),
      },
    },
    async (req, reply) => {
      const q = req.query;
      checkRange(q.from, q.to, api.accessMaxRangeDays);
      const found = await readRows<AuditRowOut>(
        ctx.ch,
        auditTrailQuery(ctx.db, {
          from: q.from,
          to: q.to,
          ...(q.token_name !== undefined && { tokenName: q.token_name }),
          ...(q.route !== undefined && { route: q.route }),
          ...(q.contains !== undefined && { contains: q.contains }),
          ...(q.cursor !== undefined && { cursor: decodeCursor(q.cursor) }),
          // one more than asked: whether there is a next page
          limit: q.limit + 1,
          timeoutS: api.queryTimeoutS,
        }),
      );
      const page = found.slice(0, q.limit);
      const rows: AuditRow[] = page.map((r) => ({
        ts: num(r.ts_ms),
        request_id: r.request_id,
        token_id: r.token_id,
        token_name: r.token_name,
        role: r.role,
        method: r.method,
        route: r.route,
        params: r.query,
        status: num(r.status),
        rows: num(r.rows),
      }));
      const last = rows.at(-1);
      const next = nextCursor(reply, found.length > q.limit, last && { ts: last.ts, id: last.request_id });
      req.auditRows = rows.length;
      if (q.format === 'csv') return sendRows(reply, 'csv', COLUMNS, rows);
      return { rows, next_cursor: next };
    },
  );
}
