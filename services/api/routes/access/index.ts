// GET /api/v1/access: who accessed a resource, or what a principal accessed, in a bounded range.
//   by resource:  resource_id=ID [&resource_kind=KIND] (access_by_resource). A PHI token
//                 (`tok_mrn_…`) is a resource_id like any other; without resource_kind every kind
//                 matches (slower: the sorting key is used up to the tenant only).
//   by principal: principal=TYPE:VALUE, TYPE user | api_key | session | client_ip (or ip) | db_user
//                 (access_events, sorted by tenant, principal; db_user is a column, not a principal
//                 key, so it filters the tenant's range of the time window).
// Either way the page's keys come first, then their rows from access_events by its sorting key.
// tenant defaults to LEAKWATCH_TENANT. from/to (epoch ms, both included) are required and at most
// API_ACCESS_MAX_RANGE_DAYS apart. Newest first; the next page's cursor is in the `x-next-cursor`
// header (every format) and, for JSON, in `next_cursor`. Audited: every call is an api_audit row.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiBadRequest } from '#shared/errors.js';
import type { ApiContext } from '../../context.js';
import {
  type Cursor,
  checkRange,
  decodeCursor,
  nextCursor,
  num,
  numOrNull,
  PageParams,
  RequiredRangeParams,
  readRows,
  rowsResponse,
  sendRows,
} from '../../reads.js';
import {
  type AccessWindow,
  accessByPrincipalQuery,
  accessByResourceQuery,
  type EventRowOut,
  eventsByIdQuery,
  type PageRowOut,
  type PrincipalFilter,
} from './queries.js';

const KEYS_PER_QUERY = 250;
const PRINCIPAL_TYPES = ['user', 'api_key', 'session', 'client_ip', 'ip', 'db_user'] as const;

const Format = Type.Union([Type.Literal('json'), Type.Literal('ndjson'), Type.Literal('csv')], {
  default: 'json',
});

const AccessQuery = Type.Object(
  {
    ...RequiredRangeParams,
    tenant: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'default LEAKWATCH_TENANT' }),
    ),
    resource_kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' })),
    resource_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'an id or a PHI token (tok_<kind>_…)' }),
    ),
    principal: Type.Optional(
      Type.String({
        pattern: `^(${PRINCIPAL_TYPES.join('|')}):.+$`,
        maxLength: 600,
        description: 'TYPE:VALUE, TYPE one of user, api_key, session, client_ip (ip), db_user',
      }),
    ),
    ...PageParams,
    format: Format,
  },
  { additionalProperties: false },
);

export const AccessRow = Type.Object({
  ts: Type.Integer({ description: 'epoch ms' }),
  event_id: Type.String(),
  tenant: Type.String(),
  principal: Type.String({ description: 'user:.. | api_key:.. | session:.. | ip:..' }),
  client_ip: Type.Union([Type.String(), Type.Null()]),
  user_id: Type.Union([Type.String(), Type.Null()]),
  session_hash: Type.Union([Type.String(), Type.Null()]),
  api_key_id: Type.Union([Type.String(), Type.Null()]),
  db_user: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  authenticated: Type.Boolean(),
  emergency_access: Type.Boolean(),
  route: Type.String(),
  http_method: Type.Union([Type.String(), Type.Null()]),
  db_operation: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Integer(), Type.Null()]),
  bytes_out: Type.Integer(),
  rows_out: Type.Union([Type.Integer(), Type.Null()]),
  source: Type.String(),
  source_kind: Type.String(),
  resource_kind: Type.Union([Type.String(), Type.Null()]),
  resource_id: Type.Union([Type.String(), Type.Null()]),
});
export type AccessRow = Static<typeof AccessRow>;

export const ACCESS_COLUMNS: (keyof AccessRow & string)[] = Object.keys(AccessRow.properties) as never;

const AccessPage = Type.Object({
  rows: Type.Array(AccessRow),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

function toAccessRow(r: EventRowOut): AccessRow {
  return {
    ts: num(r.ts_ms),
    event_id: r.event_id,
    tenant: r.tenant,
    principal: r.principal,
    client_ip: r.client_ip,
    user_id: r.user_id,
    session_hash: r.session_hash,
    api_key_id: r.api_key_id,
    db_user: r.db_user,
    user_agent: r.user_agent,
    authenticated: num(r.authenticated) === 1,
    emergency_access: num(r.emergency_access) === 1,
    route: r.route,
    http_method: r.http_method,
    db_operation: r.db_operation,
    status: r.status,
    bytes_out: num(r.bytes_out),
    rows_out: numOrNull(r.rows_out),
    source: r.source,
    source_kind: r.source_kind,
    resource_kind: r.resource_kind,
    resource_id: r.resource_id,
  };
}

function parsePrincipal(p: string): PrincipalFilter {
  const i = p.indexOf(':');
  const type = p.slice(0, i);
  const value = p.slice(i + 1);
  if (type === 'db_user') return { dbUser: value };
  return { key: `${type === 'client_ip' ? 'ip' : type}:${value}` };
}

export async function accessRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.config.api;
  app.get<{ Querystring: Static<typeof AccessQuery> }>(
    '/api/v1/access',
    {
      config: { role: 'viewer', audit: true },
      schema: {
        summary: 'Access history of a resource or a principal, newest first',
        description:
          'Give resource_id (+ resource_kind) or principal. from/to are required, at most API_ACCESS_MAX_RANGE_DAYS apart. The next page: pass the `x-next-cursor` header back as `cursor`.',
        tags: ['access'],
        querystring: AccessQuery,
        response: rowsResponse(AccessPage, 'One page of accesses; `x-next-cursor` names the next page'),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const byResource = q.resource_id !== undefined;
      if (byResource === (q.principal !== undefined))
        throw ApiBadRequest('give either resource_id (with resource_kind) or principal=type:value');
      if (q.resource_kind !== undefined && !byResource)
        throw ApiBadRequest('resource_kind goes with resource_id');
      const range = checkRange(q.from, q.to, api.accessMaxRangeDays);
      const cursor: Cursor | undefined = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const w: AccessWindow = {
        tenant: q.tenant ?? ctx.config.tenant,
        from: range.from,
        to: range.to,
        ...(cursor && { cursor }),
        limit: q.limit,
        timeoutS: api.queryTimeoutS,
      };

      const page = await readRows<PageRowOut>(
        ctx.ch,
        byResource
          ? accessByResourceQuery(
              ctx.db,
              { id: q.resource_id!, ...(q.resource_kind && { kind: q.resource_kind }) },
              w,
            )
          : accessByPrincipalQuery(ctx.db, parsePrincipal(q.principal!), w),
      );
      const more = page.length > q.limit;
      const keys = page.slice(0, q.limit);
      const rows: AccessRow[] = [];
      if (keys.length > 0) {
        // in chunks, so a page of 1,000 long keys stays far below ClickHouse's max_query_size
        const chunks: PageRowOut[][] = [];
        for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) chunks.push(keys.slice(i, i + KEYS_PER_QUERY));
        const full = (
          await Promise.all(
            chunks.map((c) =>
              readRows<EventRowOut>(
                ctx.ch,
                eventsByIdQuery(ctx.db, {
                  tenant: w.tenant,
                  rows: c.map((r) => ({ principal: r.principal, tsMs: num(r.ts_ms), eventId: r.event_id })),
                  by: byResource ? 'pairs' : 'spans',
                  timeoutS: api.queryTimeoutS,
                }),
              ),
            ),
          )
        ).flat();
        const byId = new Map(full.map((r) => [r.event_id, r]));
        for (const r of keys) {
          const e = byId.get(r.event_id);
          // a missing row would be a partition dropped between the two reads: skipped, and the
          // cursor still moves past it
          if (e !== undefined) rows.push(toAccessRow(e));
        }
      }
      const last = keys[keys.length - 1];
      const next = nextCursor(reply, more, last && { ts: num(last.ts_ms), id: last.event_id });
      req.auditRows = rows.length;
      if (q.format !== 'json') return sendRows(reply, q.format, ACCESS_COLUMNS, rows);
      return { rows, next_cursor: next };
    },
  );
}
