// GET /api/v1/subjects/:token/accounting: an accounting of disclosures for one data subject.
// A subject is a resource id: a patient, customer or user id, or the PHI token the collector made of
// it (`tok_mrn_…`). Their records are the accesses in access_by_resource with that resource_id and a
// subject kind (`kind`, default patient,customer,user). Events that only mention the token in
// findings or attrs are not searched: neither is in a sorting key, so that would scan the tenant's
// whole range. Only 2xx answers count (a refused request disclosed nothing).
// Range: from/to epoch ms, default the API_ACCESS_MAX_RANGE_DAYS before now, at most that long.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiBadRequest } from '#shared/errors.js';
import type { ApiContext } from '../../context.js';
import {
  checkRange,
  MAX_EPOCH_MS,
  num,
  readRows,
  rowsResponse,
  sendRows,
  splitPrincipal,
} from '../../reads.js';
import { type AccountingRowOut, accountingQuery } from './queries.js';

const DAY_MS = 86_400_000;
const SUBJECT_KINDS = ['patient', 'customer', 'user'];

const Params = Type.Object({
  token: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'resource id or PHI token of the subject',
  }),
});

const Query = Type.Object(
  {
    from: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_EPOCH_MS,
        description: 'epoch ms or ISO 8601; default to - API_ACCESS_MAX_RANGE_DAYS',
      }),
    ),
    to: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_EPOCH_MS, description: 'epoch ms or ISO 8601; default now' }),
    ),
    tenant: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'default LEAKWATCH_TENANT' }),
    ),
    kind: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}(,[a-z][a-z0-9_]{0,63})*$' }), {
        maxItems: 20,
        description:
          'resource kinds naming the subject (repeat or comma-separate); default patient,customer,user',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
  },
  { additionalProperties: false },
);

const Disclosure = Type.Object({
  principal: Type.String(),
  principal_type: Type.String({ description: 'user, api_key, session, client_ip' }),
  principal_value: Type.String(),
  first_access: Type.Integer({ description: 'epoch ms' }),
  last_access: Type.Integer({ description: 'epoch ms' }),
  requests: Type.Integer(),
  bytes_out: Type.Integer(),
  rows_out: Type.Integer(),
  routes: Type.Array(Type.String(), { description: 'at most 20' }),
  methods: Type.Array(Type.String()),
  resource_kinds: Type.Array(Type.String()),
});
type Disclosure = Static<typeof Disclosure>;
const COLUMNS = Object.keys(Disclosure.properties) as (keyof Disclosure & string)[];

const Accounting = Type.Object({
  subject: Type.String(),
  tenant: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  kinds: Type.Array(Type.String()),
  principals: Type.Array(Disclosure),
});

export async function subjectRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.config.api;
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/api/v1/subjects/:token/accounting',
    {
      config: { role: 'viewer', audit: true },
      schema: {
        summary: "Accounting of disclosures: every principal served one of the subject's records",
        tags: ['access'],
        params: Params,
        querystring: Query,
        response: rowsResponse(Accounting, 'One row per principal (CSV: the principals only)', true),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const to = q.to ?? Date.now();
      const from = q.from ?? Math.max(0, to - api.accessMaxRangeDays * DAY_MS);
      checkRange(from, to, api.accessMaxRangeDays);
      const tenant = q.tenant ?? ctx.config.tenant;
      const asked = (q.kind ?? []).flatMap((k) => k.split(','));
      if (asked.length > 20) throw ApiBadRequest('at most 20 kinds');
      const kinds = asked.length > 0 ? [...new Set(asked)] : SUBJECT_KINDS;
      const found = await readRows<AccountingRowOut>(
        ctx.ch,
        accountingQuery(ctx.db, {
          tenant,
          token: req.params.token,
          kinds,
          from,
          to,
          limit: q.limit,
          timeoutS: api.queryTimeoutS,
        }),
      );
      const principals: Disclosure[] = found.map((r) => {
        const p = splitPrincipal(r.principal);
        return {
          principal: r.principal,
          principal_type: p.type,
          principal_value: p.value,
          first_access: num(r.first_ms),
          last_access: num(r.last_ms),
          requests: num(r.requests),
          bytes_out: num(r.bytes),
          rows_out: num(r.rows_n),
          routes: [...r.routes].sort(),
          methods: [...r.methods].filter(Boolean).sort(),
          resource_kinds: [...r.kinds].sort(),
        };
      });
      req.auditRows = principals.length;
      if (q.format === 'csv') return sendRows(reply, 'csv', COLUMNS, principals);
      return { subject: req.params.token, tenant, from, to, kinds, principals };
    },
  );
}
