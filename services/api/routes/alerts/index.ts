import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { queryRows } from '#shared/clickhouse/client.js';
import { type AlertRowOut, rowToAlert } from '#shared/clickhouse/rows.js';
import { ApiBadRequest, ApiNotFound } from '#shared/errors.js';
import type { ApiContext } from '../../context.js';
import { getAlertQuery, listAlertsQuery } from '../../queries.js';
import { AlertSchema } from '../../schemas/alert.js';

const Severity = Type.Union(['info', 'low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)));
const Status = Type.Union(['open', 'acknowledged', 'resolved', 'suppressed'].map((s) => Type.Literal(s)));

const ListQuery = Type.Object(
  {
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms (Grafana ${__from})' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms (Grafana ${__to})' })),
    severity: Type.Optional(Type.Array(Severity, { description: 'repeat or comma-separate' })),
    rule: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
    status: Type.Optional(Status),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    entity: Type.Optional(
      Type.String({ pattern: '^[a-z_]+:.+$', maxLength: 500, description: 'type:value' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 1000000, default: 0 }),
  },
  { additionalProperties: false },
);

export async function alertRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const opts = { ch: ctx.ch, database: ctx.db };
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List alerts, newest first',
        tags: ['alerts'],
        querystring: ListQuery,
        response: { 200: Type.Array(AlertSchema) },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.from !== undefined && q.to !== undefined && q.from > q.to)
        throw ApiBadRequest('from must be <= to');
      let entityType: string | undefined;
      let entityValue: string | undefined;
      if (q.entity) {
        const i = q.entity.indexOf(':');
        entityType = q.entity.slice(0, i);
        entityValue = q.entity.slice(i + 1);
      }
      const rows = await queryRows<AlertRowOut>(
        opts.ch,
        listAlertsQuery(opts.database, {
          ...(q.from !== undefined && { from: q.from }),
          ...(q.to !== undefined && { to: q.to }),
          ...(q.severity && { severity: q.severity }),
          ...(q.rule !== undefined && { rule: q.rule }),
          ...(q.status !== undefined && { status: q.status }),
          ...(q.tenant !== undefined && { tenant: q.tenant }),
          ...(entityType !== undefined && { entityType, entityValue }),
          limit: q.limit,
          offset: q.offset,
        }),
      );
      return rows.map(rowToAlert);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/alerts/:id',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'One alert with its explanation',
        tags: ['alerts'],
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{8,64}$' }) }),
        response: { 200: AlertSchema },
      },
    },
    async (req) => {
      const rows = await queryRows<AlertRowOut>(opts.ch, getAlertQuery(opts.database, req.params.id));
      if (rows.length === 0) throw ApiNotFound(`alert ${req.params.id}`);
      return rowToAlert(rows[0]!);
    },
  );
}
