// Grafana reads for the dashboards (Infinity datasource: flat JSON arrays, `from`/`to` epoch ms as
// Grafana's ${__from} and ${__to}, `interval` as ${__interval} or ${__interval_ms}):
//   GET /api/v1/series/alerts        [{time, rule, severity, count}]  alerts started per bucket
//   GET /api/v1/series/top-entities  [{entity_type, entity_value, tenant, bytes_out, requests, rows_out}]
//   GET /api/v1/annotations          [{time, timeEnd, title, text, tags}]  alerts as annotations
// Viewer role, not audited: they read aggregates and alert titles, not access history.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiBadRequest } from '#shared/errors.js';
import type { ApiContext } from '../../context.js';
import { checkRange, MAX_EPOCH_MS, num, readRows, splitPrincipal } from '../../reads.js';
import { withCurrentStatus } from '../alerts/store.js';
import {
  type AlertSeriesRowOut,
  type AnnotationRowOut,
  alertSeriesQuery,
  annotationsQuery,
  type TopRowOut,
  topEntitiesQuery,
} from './queries.js';

/** Points per series at most: `interval` must be at least (to - from) / MAX_POINTS. */
export const MAX_POINTS = 2000;
const NICE_S = [60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400];
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** `30s`, `5m`, `1h`, `1d`, `1w`, `1500ms` or plain milliseconds (${__interval_ms}) -> whole seconds. */
export function parseInterval(s: string): number {
  const m = /^(\d{1,9})(ms|s|m|h|d|w)?$/.exec(s);
  if (!m) throw ApiBadRequest(`interval ${JSON.stringify(s)}: use 30s, 5m, 1h, 1d, 1w or milliseconds`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  if (unit === 'ms') {
    if (n < 1000 || n % 1000 !== 0) throw ApiBadRequest('interval must be whole seconds, at least 1s');
    return n / 1000;
  }
  if (n < 1) throw ApiBadRequest('interval must be at least 1s');
  return n * UNIT_S[unit]!;
}

/** The bucket length for a range: the one asked for (refused above MAX_POINTS), else a round one. */
export function bucketSeconds(from: number, to: number, interval: string | undefined): number {
  const spanS = Math.max(1, Math.ceil((to - from) / 1000));
  if (interval === undefined) {
    const s = NICE_S.find((x) => spanS / x <= MAX_POINTS);
    if (s === undefined) throw ApiBadRequest(`range too long for ${MAX_POINTS} weekly points`);
    return s;
  }
  const s = parseInterval(interval);
  if (spanS / s > MAX_POINTS)
    throw ApiBadRequest(
      `interval ${interval} gives ${Math.ceil(spanS / s)} points over this range; at most ${MAX_POINTS} (use ${Math.ceil(spanS / MAX_POINTS)}s or more)`,
    );
  return s;
}

const Severity = Type.Union(['info', 'low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)));
const Range = {
  from: Type.Integer({ minimum: 0, maximum: MAX_EPOCH_MS, description: 'epoch ms or ISO 8601 (${__from})' }),
  to: Type.Integer({ minimum: 0, maximum: MAX_EPOCH_MS, description: 'epoch ms or ISO 8601 (${__to})' }),
  tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'default: every tenant' })),
};
const AlertFilters = {
  ...Range,
  rule: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), { maxItems: 50 })),
  severity: Type.Optional(Type.Array(Severity, { maxItems: 5 })),
};

const SeriesQuery = Type.Object(
  {
    ...AlertFilters,
    interval: Type.Optional(
      Type.String({
        maxLength: 16,
        description: '${__interval} (30s, 5m, 1h, 1d) or ms; default: a round step',
      }),
    ),
  },
  { additionalProperties: false },
);
const SeriesRow = Type.Object({
  time: Type.Integer({ description: 'bucket start, epoch ms' }),
  rule: Type.String(),
  severity: Type.String(),
  count: Type.Integer(),
});

const TopQuery = Type.Object(
  {
    ...Range,
    by: Type.Union([Type.Literal('bytes_out'), Type.Literal('requests'), Type.Literal('rows_out')], {
      default: 'bytes_out',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);
const TopRow = Type.Object({
  entity_type: Type.String(),
  entity_value: Type.String(),
  tenant: Type.String(),
  bytes_out: Type.Integer(),
  requests: Type.Integer(),
  rows_out: Type.Integer(),
});

const AnnotationQuery = Type.Object(
  { ...AlertFilters, limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }) },
  { additionalProperties: false },
);
const Annotation = Type.Object({
  time: Type.Integer({ description: 'first_seen, epoch ms' }),
  timeEnd: Type.Integer({ description: 'last_seen, epoch ms' }),
  title: Type.String(),
  text: Type.String(),
  tags: Type.Array(Type.String()),
});

export async function seriesRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.config.api;
  const role = { role: 'viewer' as const };

  app.get<{ Querystring: Static<typeof SeriesQuery> }>(
    '/api/v1/series/alerts',
    {
      config: role,
      schema: {
        summary: 'Alerts started per time bucket, by rule and severity (Grafana Infinity)',
        tags: ['grafana'],
        querystring: SeriesQuery,
        response: { 200: Type.Array(SeriesRow) },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.from > q.to) throw ApiBadRequest('from must be <= to');
      const intervalS = bucketSeconds(q.from, q.to, q.interval);
      const rows = await readRows<AlertSeriesRowOut>(
        ctx.ch,
        alertSeriesQuery(ctx.db, {
          from: q.from,
          to: q.to,
          intervalS,
          ...(q.tenant !== undefined && { tenant: q.tenant }),
          ...(q.rule && { rule: q.rule }),
          ...(q.severity && { severity: q.severity }),
          timeoutS: api.queryTimeoutS,
        }),
      );
      return rows.map((r) => ({
        time: num(r.bucket_s) * 1000,
        rule: r.rule,
        severity: r.severity,
        count: num(r.n),
      }));
    },
  );

  app.get<{ Querystring: Static<typeof TopQuery> }>(
    '/api/v1/series/top-entities',
    {
      config: role,
      schema: {
        summary: 'Principals with the most egress in the range (5-minute rollups; Grafana Infinity)',
        tags: ['grafana'],
        querystring: TopQuery,
        response: { 200: Type.Array(TopRow) },
      },
    },
    async (req) => {
      const q = req.query;
      checkRange(q.from, q.to, api.accessMaxRangeDays);
      const rows = await readRows<TopRowOut>(
        ctx.ch,
        topEntitiesQuery(ctx.db, {
          from: q.from,
          to: q.to,
          ...(q.tenant !== undefined && { tenant: q.tenant }),
          by: q.by,
          limit: q.limit,
          timeoutS: api.queryTimeoutS,
        }),
      );
      return rows.map((r) => {
        const e = splitPrincipal(r.principal);
        return {
          entity_type: e.type,
          entity_value: e.value,
          tenant: r.tenant,
          bytes_out: num(r.bytes_out),
          requests: num(r.requests),
          rows_out: num(r.rows_out),
        };
      });
    },
  );

  app.get<{ Querystring: Static<typeof AnnotationQuery> }>(
    '/api/v1/annotations',
    {
      config: role,
      schema: {
        summary: 'Alerts overlapping the range as annotations, newest first (Grafana Infinity)',
        tags: ['grafana'],
        querystring: AnnotationQuery,
        response: { 200: Type.Array(Annotation) },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.from > q.to) throw ApiBadRequest('from must be <= to');
      const stored = await readRows<AnnotationRowOut>(
        ctx.ch,
        annotationsQuery(ctx.db, {
          from: q.from,
          to: q.to,
          ...(q.tenant !== undefined && { tenant: q.tenant }),
          ...(q.rule && { rule: q.rule }),
          ...(q.severity && { severity: q.severity }),
          limit: q.limit,
          timeoutS: api.queryTimeoutS,
        }),
      );
      const rows = await withCurrentStatus(ctx, stored);
      return rows.map((r) => ({
        time: num(r.first_seen_ms),
        timeEnd: num(r.last_seen_ms),
        title: r.title,
        text: `${r.severity} ${r.rule} on ${r.entity_type}:${r.entity_value} (score ${Number(r.score).toFixed(2)}, ${r.status}, alert ${r.alert_id})`,
        tags: [r.rule, r.severity, r.status, `tenant:${r.tenant}`],
      }));
    },
  );
}
