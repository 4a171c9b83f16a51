// GET /api/v1/entities/:type/:value: one entity (a principal as alerts name it) at a glance:
//   baselines  per feature from the newest baseline run (services/baselines): the entity's own rows
//              per hour of week (-1 = every hour), the peer groups of the route classes it used in
//              the shown windows, and its tenant's (global);
//   windows    its 5-minute rollups (entity_stats_5m) over the last `hours` before `to`, as the
//              rollup holds them (a bucket a replayed insert counted twice says double_counted);
//   alerts     its alerts, newest first;
//   incidents  the newest incidents whose actors include the entity.
// type: user | api_key | session | client_ip (or ip) | db_user | route; db_user and route are not
// principal keys, so they have alerts but no windows. Audited (it shows what someone accessed).
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { queryRows } from '#shared/clickhouse/client.js';
import { type AlertRowOut, rowToAlert } from '#shared/clickhouse/rows.js';
import { toIncident } from '#shared/incidents/queries.js';
import type { ApiContext } from '../../context.js';
import { withCurrentStatus } from '../alerts/store.js';
import { listIncidentsQuery } from '../incidents/queries.js';
import { summaryOut } from '../incidents/service.js';

/** Incidents listed in the entity view, newest first. */
const ENTITY_INCIDENTS = 50;

import { MAX_EPOCH_MS, num, principalKeyOf, readRows } from '../../reads.js';
import {
  type BaselineRowOut,
  entityAlertsQuery,
  entityBaselinesQuery,
  entityLatestRunQuery,
  entityWindowsQuery,
  type WindowRowOut,
} from './queries.js';

const HOUR_MS = 3_600_000;
const PRINCIPAL_TYPES = new Set(['user', 'api_key', 'session', 'client_ip']);

const Params = Type.Object({
  type: Type.Union(
    ['user', 'api_key', 'session', 'client_ip', 'ip', 'db_user', 'route'].map((t) => Type.Literal(t)),
  ),
  value: Type.String({ minLength: 1, maxLength: 500 }),
});

const Query = Type.Object(
  {
    tenant: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'default LEAKWATCH_TENANT' }),
    ),
    hours: Type.Integer({ minimum: 1, maximum: 168, default: 24, description: 'windows: hours before `to`' }),
    to: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_EPOCH_MS, description: 'epoch ms or ISO 8601; default now' }),
    ),
    alerts_limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  },
  { additionalProperties: false },
);

const Stat = {
  feature: Type.String({ description: 'events, bytes_out, rows_out, distinct_resources' }),
  median: Type.Number(),
  mad: Type.Number(),
  p95: Type.Number(),
  n: Type.Integer({ description: 'windows the statistic is over' }),
};
const EntityStat = Type.Object({
  hour_of_week: Type.Integer({ description: '0..167 from Monday 00:00 UTC; -1 every hour' }),
  ...Stat,
});
const PeerStat = Type.Object({ peer_class: Type.String(), ...Stat });

const Window = Type.Object({
  bucket: Type.Integer({ description: 'start, epoch ms (5 minutes)' }),
  route_class: Type.String(),
  requests: Type.Integer(),
  bytes_out: Type.Integer(),
  rows_out: Type.Integer(),
  max_response_bytes: Type.Integer(),
  distinct_resources: Type.Integer(),
  status_4xx: Type.Integer(),
  status_404: Type.Integer(),
  double_counted: Type.Boolean({
    description: 'a replayed insert was counted again here (requests > distinct event ids): sums are high',
  }),
});

export const AlertJson = Type.Object({
  alert_id: Type.String(),
  fingerprint: Type.String(),
  rule: Type.String(),
  severity: Type.String(),
  entity: Type.Object({ type: Type.String(), value: Type.String() }),
  tenant: Type.String(),
  first_seen: Type.Integer(),
  last_seen: Type.Integer(),
  status: Type.String(),
  title: Type.String(),
  explanation: Type.Object({}, { additionalProperties: true }),
  labels: Type.Record(Type.String(), Type.String()),
});

const EntityView = Type.Object({
  entity: Type.Object({ type: Type.String(), value: Type.String() }),
  tenant: Type.String(),
  baselines: Type.Object({
    run: Type.Union([Type.Integer(), Type.Null()], {
      description: 'version (start, epoch ms) of the newest run',
    }),
    window_ms: Type.Integer(),
    entity: Type.Array(EntityStat),
    peer: Type.Array(PeerStat),
    global: Type.Array(Type.Object(Stat)),
  }),
  windows: Type.Array(Window),
  alerts: Type.Array(AlertJson),
  incidents: Type.Array(Type.Object({}, { additionalProperties: true })),
});
type EntityView = Static<typeof EntityView>;

export async function entityRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const cfg = ctx.config;
  const timeoutS = cfg.api.queryTimeoutS;
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/api/v1/entities/:type/:value',
    {
      config: { role: 'viewer', audit: true },
      schema: {
        summary: 'An entity: its baselines per feature, recent windows, alerts and incidents',
        tags: ['entities'],
        params: Params,
        querystring: Query,
        response: { 200: EntityView },
      },
    },
    async (req) => {
      const q = req.query;
      const type = req.params.type === 'ip' ? 'client_ip' : req.params.type;
      const value = req.params.value;
      const tenant = q.tenant ?? cfg.tenant;
      const to = q.to ?? Date.now();
      const windowMs = cfg.detector.windowMs;

      const [runs, windowRows, alertRows] = await Promise.all([
        readRows<{ v: number | string; n: number | string }>(
          ctx.ch,
          entityLatestRunQuery(ctx.db, windowMs, timeoutS),
        ),
        PRINCIPAL_TYPES.has(type)
          ? readRows<WindowRowOut>(
              ctx.ch,
              entityWindowsQuery(ctx.db, {
                tenant,
                principal: principalKeyOf(type, value),
                fromMs: to - q.hours * HOUR_MS,
                toMs: to,
                timeoutS,
              }),
            )
          : Promise.resolve([]),
        readRows<AlertRowOut>(
          ctx.ch,
          entityAlertsQuery(ctx.db, {
            tenant,
            entityType: type,
            entityValue: value,
            limit: q.alerts_limit,
            timeoutS,
          }),
        ),
      ]);
      const windows = windowRows.map((r) => ({
        bucket: num(r.bucket_s) * 1000,
        route_class: r.route_class,
        requests: num(r.n_requests),
        bytes_out: num(r.sum_bytes),
        rows_out: num(r.sum_rows),
        max_response_bytes: num(r.max_bytes),
        distinct_resources: num(r.n_resources),
        status_4xx: num(r.n_4xx),
        status_404: num(r.n_404),
        double_counted: num(r.n_requests) !== num(r.n_ids),
      }));

      const run = num(runs[0]?.n ?? 0) > 0 ? num(runs[0]!.v) : null;
      const baselines: EntityView['baselines'] = {
        run,
        window_ms: windowMs,
        entity: [],
        peer: [],
        global: [],
      };
      if (run !== null) {
        const rows = await readRows<BaselineRowOut>(
          ctx.ch,
          entityBaselinesQuery(ctx.db, {
            tenant,
            entityType: type,
            entityValue: value,
            peerClasses: [...new Set(windows.map((w) => w.route_class))].sort(),
            windowMs,
            version: run,
            minHistory: cfg.baselines.minHistory,
            timeoutS,
          }),
        );
        for (const r of rows) {
          const stat = { feature: r.feature, median: r.median, mad: r.mad, p95: r.p95, n: num(r.n) };
          if (r.scope === 'entity') baselines.entity.push({ hour_of_week: r.hour_of_week, ...stat });
          else if (r.scope === 'peer') baselines.peer.push({ peer_class: r.peer_class, ...stat });
          else baselines.global.push(stat);
        }
      }
      const alerts = await withCurrentStatus(ctx, alertRows.map(rowToAlert));
      req.auditRows = baselines.entity.length + windows.length + alerts.length;
      return {
        entity: { type, value },
        tenant,
        baselines,
        windows,
        alerts,
        incidents: (
          await queryRows<Parameters<typeof toIncident>[0]>(
            ctx.ch,
            listIncidentsQuery(ctx.db, { tenant, entity: `${type}:${value}`, limit: ENTITY_INCIDENTS }),
          )
        )
          .slice(0, ENTITY_INCIDENTS)
          .map((row) => summaryOut(toIncident(row), ctx, Date.now())),
      } satisfies EntityView;
    },
  );
}
