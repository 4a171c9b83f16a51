// Suppressions and allow entries are objects a responder can list and delete. Deleting writes a new
// version with deleted_at (the row stays, as the record of who stopped it); alerts already
// suppressed keep that status, new ones are raised normally again.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { insertRows, queryRows } from '#shared/clickhouse/client.js';
import { table } from '#shared/clickhouse/sql.js';
import { ApiConflict, ApiNotFound } from '#shared/errors.js';
import type { ApiContext } from '../../context.js';
import {
  getAllowEntryQuery,
  getSuppressionQuery,
  listAllowEntriesQuery,
  listSuppressionsQuery,
} from '../../queries.js';
import { AllowEntrySchema, ErrorSchema, SuppressionSchema } from '../alerts/schemas.js';
import { announce, objectChange } from '../alerts/store.js';
import { allowEntryView, suppressionView } from './views.js';

const ListQuery = Type.Object(
  {
    state: Type.Union([Type.Literal('active'), Type.Literal('all')], {
      default: 'active',
      description: 'active: not deleted and not expired',
    }),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 1000000, default: 0 }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) });

type Row = Record<string, string | number>;

export async function suppressionRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const kinds = [
    {
      path: 'suppressions',
      tag: 'suppressions',
      what: 'suppression',
      tableName: 'suppressions',
      idKey: 'suppression_id',
      kind: 'suppression' as const,
      schema: SuppressionSchema,
      list: listSuppressionsQuery,
      get: getSuppressionQuery,
      view: suppressionView,
    },
    {
      path: 'allow-entries',
      tag: 'suppressions',
      what: 'allow entry',
      tableName: 'allow_entries',
      idKey: 'allow_id',
      kind: 'allow' as const,
      schema: AllowEntrySchema,
      list: listAllowEntriesQuery,
      get: getAllowEntryQuery,
      view: allowEntryView,
    },
  ];
  for (const k of kinds) {
    app.get<{ Querystring: Static<typeof ListQuery> }>(
      `/api/v1/${k.path}`,
      {
        config: { role: 'viewer' },
        schema: {
          summary: `List ${k.what === 'suppression' ? 'suppressions' : 'allow entries (from feedback "legitimate")'}, newest first`,
          tags: [k.tag],
          querystring: ListQuery,
          response: { 200: Type.Array(k.schema), 400: ErrorSchema },
        },
      },
      async (req) => {
        const now = Date.now();
        const rows = await queryRows<Row>(
          ctx.ch,
          k.list(ctx.db, {
            state: req.query.state,
            now,
            limit: req.query.limit,
            offset: req.query.offset,
            ...(req.query.tenant !== undefined ? { tenant: req.query.tenant } : {}),
          }),
        );
        return rows.map((r) => k.view(r, now));
      },
    );

    app.delete<{ Params: Static<typeof IdParams> }>(
      `/api/v1/${k.path}/:id`,
      {
        config: { role: 'responder' },
        schema: {
          summary: `Delete a ${k.what}: it stops applying at once (the detector within DETECTOR_POLICY_REFRESH_MS)`,
          tags: [k.tag],
          params: IdParams,
          response: { 200: k.schema, 404: ErrorSchema, 409: ErrorSchema },
        },
      },
      async (req) => {
        const found = await queryRows<Row>(ctx.ch, k.get(ctx.db, req.params.id));
        if (found.length === 0) throw ApiNotFound(`${k.what} ${req.params.id}`);
        const row = found[0]!;
        if (Number(row['deleted_at_ms']) > 0)
          throw ApiConflict(`${k.what} ${req.params.id} is already deleted`);
        const now = Date.now();
        const actor = req.principal!.name;
        const deleted: Row = { ...row, deleted_at_ms: now, deleted_by: actor, version: now };
        await insertRows(ctx.ch, table(ctx.db, k.tableName), [deleted]);
        const change = objectChange(k.kind, req.params.id, 'delete', {
          tenant: String(row['tenant']),
          actor,
          at: now,
          attrs: { rule: String(row['rule']), entity_type: String(row['entity_type']) },
        });
        await announce(ctx, [change]);
        return k.view(deleted, now);
      },
    );
  }
}
