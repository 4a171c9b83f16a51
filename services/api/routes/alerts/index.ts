// Alerts: list and read (viewer), and what a responder does with one: ack, resolve, reopen,
// suppress, feedback. Each change is a new row in alert_status_changes (never a new `alerts`
// version, so the detector's re-emissions cannot undo it), then a StatusChange on the status topic.
import { randomBytes } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AlertStatus } from '#shared/avro/generated/alert.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import { insertRows, queryRows } from '#shared/clickhouse/client.js';
import { table } from '#shared/clickhouse/sql.js';
import { ApiBadRequest } from '#shared/errors.js';
import type { ApiContext } from '../../context.js';
import { alertStatusHistoryQuery, alertsToSuppressQuery } from '../../queries.js';
import { allowEntryView, suppressionView } from '../suppressions/views.js';
import {
  AlertIdParams,
  AlertSchema,
  AlertStatusSchema,
  AllowEntrySchema,
  ErrorSchema,
  SeveritySchema,
  StatusChangeSchema,
  SuppressionSchema,
} from './schemas.js';
import {
  type AlertView,
  alertChange,
  announce,
  listAlerts,
  loadAlert,
  objectChange,
  type StatusChangeRow,
  statusChangeRow,
  writeStatusChanges,
} from './store.js';
import { type AlertAction, expiryOf, nextStatus } from './transitions.js';

const ListQuery = Type.Object(
  {
    from: Type.Optional(
      Type.Integer({ minimum: 0, description: 'epoch ms or ISO 8601 (Grafana ${__from})' }),
    ),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms or ISO 8601 (Grafana ${__to})' })),
    severity: Type.Optional(Type.Array(SeveritySchema, { description: 'repeat or comma-separate' })),
    rule: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
    status: Type.Optional(Type.Array(AlertStatusSchema, { description: 'repeat or comma-separate' })),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    entity: Type.Optional(
      Type.String({ pattern: '^[a-z_]+:.+$', maxLength: 500, description: 'type:value' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 1000000, default: 0 }),
  },
  { additionalProperties: false },
);

const ReasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);

const SuppressBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    for: Type.Optional(Type.String({ maxLength: 16, description: 'duration: 30m, 24h, 7d' })),
    until: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms' })),
    scope: Type.Union([Type.Literal('alert'), Type.Literal('entity'), Type.Literal('rule-entity')], {
      default: 'alert',
      description:
        'alert: this alert only; rule-entity: this rule on this entity, now and until expiry; entity: every rule on this entity',
    }),
  },
  { additionalProperties: false },
);

const FeedbackBody = Type.Object(
  {
    verdict: Type.Union([Type.Literal('legitimate'), Type.Literal('malicious')]),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    for: Type.Optional(
      Type.String({ maxLength: 16, description: 'legitimate: how long the allow entry lasts (default 30d)' }),
    ),
  },
  { additionalProperties: false },
);

const AlertWithHistory = Type.Intersect([
  AlertSchema,
  Type.Object({ status_history: Type.Array(StatusChangeSchema) }),
]);
const errors = { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };

/** Existing alerts a new suppression takes over, at most this many (the rest keep their status). */
const SUPPRESS_EXISTING_LIMIT = 10_000;
const DAY_MS = 86_400_000;

export async function alertRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const limits = ctx.config.respond;

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/alerts',
    {
      // audited: an alert names the records its actor read (top_resources, sample_event_ids)
      config: { role: 'viewer', audit: true },
      schema: {
        summary: 'List alerts, newest first',
        tags: ['alerts'],
        querystring: ListQuery,
        response: { 200: Type.Array(AlertSchema), 400: ErrorSchema },
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
      const page = await listAlerts(ctx, {
        ...(q.from !== undefined && { from: q.from }),
        ...(q.to !== undefined && { to: q.to }),
        ...(q.severity && { severity: q.severity }),
        ...(q.rule !== undefined && { rule: q.rule }),
        ...(q.status && { status: q.status }),
        ...(q.tenant !== undefined && { tenant: q.tenant }),
        ...(entityType !== undefined && { entityType, entityValue }),
        limit: q.limit,
        offset: q.offset,
      });
      req.auditRows = page.length;
      return page;
    },
  );

  app.get<{ Params: Static<typeof AlertIdParams> }>(
    '/api/v1/alerts/:id',
    {
      config: { role: 'viewer', audit: true },
      schema: {
        summary: 'One alert with its explanation and status history',
        tags: ['alerts'],
        params: AlertIdParams,
        response: { 200: AlertWithHistory, ...errors },
      },
    },
    async (req) => {
      const a = await loadAlert(ctx, req.params.id);
      req.auditRows = 1;
      const history = await queryRows<Record<string, string>>(
        ctx.ch,
        alertStatusHistoryQuery(ctx.db, a.alert_id),
      );
      return {
        ...a,
        status_history: history.map((h) => ({
          change_id: h['change_id']!,
          changed_at: Number(h['changed_at_ms']),
          action: h['action']!,
          status: h['status']!,
          actor: h['actor']!,
          reason: h['reason']!,
          suppression_id: h['suppression_id']!,
          verdict: h['verdict']!,
        })),
      };
    },
  );

  /** Applies one change to one alert: writes it (unless it is a no-op) and announces it. */
  async function change(
    a: AlertView,
    action: AlertAction | 'feedback',
    status: AlertStatus | null,
    actor: string,
    extra: { reason?: string; suppressionId?: string; verdict?: string },
    now: number,
  ): Promise<StatusChangeRow> {
    const row = statusChangeRow(a, { action, status: status ?? a.status, actor, ...extra }, now);
    if (status !== null || action === 'feedback') await writeStatusChanges(ctx, [row]);
    return row;
  }

  for (const action of ['ack', 'resolve', 'reopen'] as const) {
    app.post<{ Params: Static<typeof AlertIdParams>; Body: Static<typeof ReasonBody> }>(
      `/api/v1/alerts/:id/${action}`,
      {
        config: { role: 'responder' },
        schema: {
          summary: `${action === 'ack' ? 'Acknowledge' : action === 'resolve' ? 'Resolve' : 'Reopen'} an alert`,
          description:
            'Writes a new status version (who, when, why) and publishes it on the status topic. Repeating a call whose status is already set writes nothing and re-announces it.',
          tags: ['alerts'],
          params: AlertIdParams,
          body: Type.Optional(ReasonBody),
          response: { 200: AlertSchema, ...errors },
        },
      },
      async (req) => {
        const a = await loadAlert(ctx, req.params.id);
        const next = nextStatus(a.status, action);
        const now = Date.now();
        const actor = req.principal!.name;
        const row = await change(a, action, next, actor, { reason: req.body?.reason ?? '' }, now);
        await announce(ctx, [alertChange(a, row)]);
        return next === null
          ? a
          : {
              ...a,
              status: next,
              status_changed_by: actor,
              status_changed_at: now,
              status_reason: row.reason,
            };
      },
    );
  }

  app.post<{ Params: Static<typeof AlertIdParams>; Body: Static<typeof SuppressBody> }>(
    '/api/v1/alerts/:id/suppress',
    {
      config: { role: 'responder' },
      schema: {
        summary: 'Suppress an alert, or its rule and entity, or its entity, for a while',
        description:
          'Creates a suppression (listed at /api/v1/suppressions until it expires or is deleted). Matching alerts, existing and future, are stored and listed with status suppressed and never paged; the detector picks up new suppressions within DETECTOR_POLICY_REFRESH_MS.',
        tags: ['alerts'],
        params: AlertIdParams,
        body: SuppressBody,
        response: { 201: SuppressionSchema, ...errors },
      },
    },
    async (req, reply) => {
      const a = await loadAlert(ctx, req.params.id);
      const now = Date.now();
      const expires = expiryOf(req.body, now, { maxMs: limits.suppressMaxDays * DAY_MS });
      const actor = req.principal!.name;
      const scope = req.body.scope;
      const row = {
        suppression_id: randomBytes(16).toString('hex'),
        tenant: a.tenant,
        scope,
        alert_id: a.alert_id,
        rule: scope === 'entity' ? '' : a.rule,
        entity_type: a.entity.type,
        entity_value: a.entity.value,
        reason: req.body.reason,
        created_by: actor,
        created_at_ms: now,
        expires_at_ms: expires,
        deleted_at_ms: 0,
        deleted_by: '',
        version: now,
      };
      await insertRows(ctx.ch, table(ctx.db, 'suppressions'), [row]);
      // Existing alerts it covers take the status now; future ones get it from the detector.
      let targets: { alert_id: string; status: string }[] = [{ alert_id: a.alert_id, status: a.status }];
      if (scope !== 'alert') {
        targets = await queryRows(
          ctx.ch,
          alertsToSuppressQuery(
            ctx.db,
            {
              tenant: a.tenant,
              entityType: a.entity.type,
              entityValue: a.entity.value,
              ...(scope === 'rule-entity' ? { rule: a.rule } : {}),
            },
            SUPPRESS_EXISTING_LIMIT,
          ),
        );
        if (!targets.some((t) => t.alert_id === a.alert_id))
          targets.push({ alert_id: a.alert_id, status: a.status });
      }
      const rows = targets
        .filter((t) => t.status !== 'suppressed')
        .map((t) =>
          statusChangeRow(
            { tenant: a.tenant, alert_id: t.alert_id },
            {
              action: 'suppress',
              status: 'suppressed',
              actor,
              reason: req.body.reason,
              suppressionId: row.suppression_id,
            },
            now,
          ),
        );
      await writeStatusChanges(ctx, rows);
      const changes: StatusChange[] = [
        objectChange('suppression', row.suppression_id, 'create', {
          tenant: a.tenant,
          actor,
          reason: req.body.reason,
          at: now,
          alertIds: rows.map((r) => r.alert_id),
          attrs: { scope, rule: row.rule, entity_type: row.entity_type, expires_at: String(expires) },
        }),
        ...rows.map((r) => alertChange({ ...a, alert_id: r.alert_id }, r)),
      ];
      await announce(ctx, changes);
      reply.code(201);
      return { ...suppressionView(row, now), alerts_suppressed: rows.length };
    },
  );

  app.post<{ Params: Static<typeof AlertIdParams>; Body: Static<typeof FeedbackBody> }>(
    '/api/v1/alerts/:id/feedback',
    {
      config: { role: 'responder' },
      schema: {
        summary: 'Say whether an alert was a legitimate access or a malicious one',
        description:
          'legitimate: the alert is resolved and an allow entry for its rule and entity (expiring after "for", default 30d) makes the detector raise nothing for them, within DETECTOR_POLICY_REFRESH_MS and without a restart; other entities are unaffected. malicious: the verdict is recorded and an open alert is acknowledged.',
        tags: ['alerts'],
        params: AlertIdParams,
        body: FeedbackBody,
        response: {
          201: Type.Object({ alert: AlertSchema, allow_entry: Type.Union([AllowEntrySchema, Type.Null()]) }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const a = await loadAlert(ctx, req.params.id);
      const now = Date.now();
      const actor = req.principal!.name;
      const { verdict, reason } = req.body;
      let allow: Record<string, string | number> | null = null;
      let status: AlertStatus = a.status;
      const changes: StatusChange[] = [];
      if (verdict === 'legitimate') {
        const expires = expiryOf(req.body.for === undefined ? {} : { for: req.body.for }, now, {
          defaultMs: limits.allowDefaultDays * DAY_MS,
          maxMs: limits.allowMaxDays * DAY_MS,
        });
        allow = {
          allow_id: randomBytes(16).toString('hex'),
          tenant: a.tenant,
          rule: a.rule,
          entity_type: a.entity.type,
          entity_value: a.entity.value,
          reason,
          source_alert_id: a.alert_id,
          created_by: actor,
          created_at_ms: now,
          expires_at_ms: expires,
          deleted_at_ms: 0,
          deleted_by: '',
          version: now,
        };
        await insertRows(ctx.ch, table(ctx.db, 'allow_entries'), [allow]);
        status = 'resolved';
        changes.push(
          objectChange('allow', String(allow['allow_id']), 'create', {
            tenant: a.tenant,
            actor,
            reason,
            at: now,
            alertIds: [a.alert_id],
            attrs: { rule: a.rule, entity_type: a.entity.type, expires_at: String(expires) },
          }),
        );
      } else if (a.status === 'open') {
        status = 'acknowledged';
      }
      const row = await change(a, 'feedback', status, actor, { reason, verdict }, now);
      changes.push(alertChange(a, row));
      await announce(ctx, changes);
      reply.code(201);
      return {
        alert: { ...a, status, status_changed_by: actor, status_changed_at: now, status_reason: reason },
        allow_entry: allow === null ? null : allowEntryView(allow, now),
      };
    },
  );
}
