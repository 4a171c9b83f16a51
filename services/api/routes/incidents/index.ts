// /api/v1/incidents: reads (viewer, audited) and a responder's writes (audited as every write is).
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { queryRows } from '#shared/clickhouse/client.js';
import { ApiBadRequest } from '#shared/errors.js';
import { INCIDENT_STATUSES, SEVERITIES } from '#shared/incidents/model.js';
import { toIncident } from '#shared/incidents/queries.js';
import type { ApiContext } from '../../context.js';
import { affectedCsv, loadAffected } from './affected.js';
import {
  loadNoticeTemplate,
  type NoticeFacts,
  phiInUrlsFact,
  renderNotice,
  subjectsFact,
  timelineFact,
  whatHappened,
} from './notice.js';
import { listIncidentsQuery } from './queries.js';
import {
  createIncident,
  getIncident,
  incidentDetail,
  membersOf,
  mergeInto,
  setOwner,
  setStatus,
  summaryOut,
  timelineOf,
} from './service.js';

const Status = Type.Union(INCIDENT_STATUSES.map((s) => Type.Literal(s)));
const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
const Id = Type.String({ pattern: '^[0-9a-f]{8,64}$' });
const Params = Type.Object({ id: Id });
const AlertIds = Type.Array(Type.String({ pattern: '^[0-9a-f]{8,64}$' }), { minItems: 1, maxItems: 1000 });
const Ms = Type.Integer({ description: 'epoch ms' });
const NullableMs = Type.Union([Ms, Type.Null()]);

const DeadlineOut = Type.Object({
  name: Type.String(),
  hours: Type.Number(),
  due_at: Ms,
  remaining_s: Type.Integer({ description: 'negative when late' }),
  overdue: Type.Boolean(),
  stopped_at: NullableMs,
});
const Entity = Type.Object({ type: Type.String(), value: Type.String() });
const SummaryOut = Type.Object({
  incident_id: Type.String(),
  tenant: Type.String(),
  title: Type.String(),
  status: Type.String(),
  owner: Type.String(),
  severity: Type.String(),
  risk_score: Type.Number(),
  actor: Entity,
  entities: Type.Array(Entity),
  rules: Type.Array(Type.String()),
  alert_count: Type.Integer(),
  first_seen: Ms,
  last_seen: Ms,
  opened_at: Ms,
  discovered_at: Ms,
  confirmed_at: NullableMs,
  notified_at: NullableMs,
  closed_at: NullableMs,
  deadlines: Type.Array(DeadlineOut),
  affected_count: Type.Union([Type.Integer(), Type.Null()], {
    description: 'disclosed records; null in lists (read one incident for it)',
  }),
  updated_by: Type.String(),
  version: Type.Integer(),
});
const TimelineEntry = Type.Object({
  at: Ms,
  actor: Type.String(),
  action: Type.String(),
  status: Type.String(),
  note: Type.String(),
});
const DetailOut = Type.Intersect([
  SummaryOut,
  Type.Object({ alert_ids: Type.Array(Type.String()), timeline: Type.Array(TimelineEntry) }),
]);
/** affected.ts ReadTotals: the fields affected rows and bulk reads share, after what they are about. */
const ReadTotalsOut = {
  principal: Type.String(),
  first_access: Ms,
  last_access: Ms,
  requests: Type.Integer(),
  bytes: Type.Integer(),
  rows: Type.Integer(),
};
const AffectedRowOut = Type.Object({
  resource_kind: Type.String(),
  resource_id: Type.String({ description: 'tokenised by the collector where it is PHI' }),
  ...ReadTotalsOut,
});
const BulkReadOut = Type.Object({ resource_kind: Type.String(), route: Type.String(), ...ReadTotalsOut });
const AffectedOut = Type.Object({
  incident_id: Type.String(),
  disclosed: Type.Array(AffectedRowOut),
  denied: Type.Array(AffectedRowOut),
  bulk: Type.Array(BulkReadOut, {
    description: 'successful reads that name no record (list pages, exports): not counted in records',
  }),
  records: Type.Integer(),
  subjects: Type.Integer(),
  kinds: Type.Array(Type.String()),
  phi_in_urls: Type.Array(
    Type.Object({
      kind: Type.String({ description: 'ssn, email, card, mrn, dob, phone, name, icd10' }),
      requests: Type.Integer(),
      principals: Type.Integer(),
      first_access: Ms,
      last_access: Ms,
    }),
    {
      description: 'requests whose URL carried PHI of this kind (the values were tokenised at the collector)',
    },
  ),
  truncated: Type.Boolean(),
});

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(Status, { description: 'repeat or comma-separate' })),
    severity: Type.Optional(Type.Array(Severity, { description: 'repeat or comma-separate' })),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    entity: Type.Optional(
      Type.String({
        pattern: '^[a-z_]+:.+$',
        maxLength: 500,
        description: 'type:value, e.g. client_ip:203.0.113.9',
      }),
    ),
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms or ISO 8601, on last_seen' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms or ISO 8601, on last_seen' })),
    overdue: Type.Optional(Type.Boolean({ description: 'only incidents whose clock runs past a deadline' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    alert_ids: AlertIds,
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
const MergeBody = Type.Union([
  Type.Object({ alert_ids: AlertIds }, { additionalProperties: false }),
  Type.Object(
    { incident_ids: Type.Array(Id, { minItems: 1, maxItems: 100 }) },
    { additionalProperties: false },
  ),
]);
const StatusBody = Type.Object(
  { status: Status, note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const OwnerBody = Type.Object(
  { owner: Type.String({ maxLength: 200, description: 'empty string clears it' }) },
  { additionalProperties: false },
);

function encodeCursor(lastSeenMs: number, id: string): string {
  return Buffer.from(`${lastSeenMs}:${id}`).toString('base64url');
}

function decodeCursor(c: string): { lastSeenMs: number; incidentId: string } {
  const m = /^(\d{1,16}):([0-9a-f]{8,64})$/.exec(Buffer.from(c, 'base64url').toString());
  if (!m) throw ApiBadRequest('cursor is not one this API gave out');
  return { lastSeenMs: Number(m[1]), incidentId: m[2]! };
}

export async function incidentRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const now = Date.now;
  const cfg = ctx.config.incidents;
  const template = loadNoticeTemplate(cfg.noticeTemplateFile); // a bad template fails at boot
  const read = { role: 'viewer' as const, audit: true };
  const write = { role: 'responder' as const };
  const tags = ['incidents'];

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/incidents',
    {
      config: read,
      schema: {
        summary: 'List incidents, most recently active first (cursor paging)',
        tags,
        querystring: ListQuery,
        response: {
          200: Type.Object({
            incidents: Type.Array(SummaryOut),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.from !== undefined && q.to !== undefined && q.from > q.to)
        throw ApiBadRequest('from must be <= to');
      const at = now();
      const shortest = Math.min(...cfg.deadlines.map((d) => d.hours)) * 3_600_000;
      const rows = (
        await queryRows<Parameters<typeof toIncident>[0]>(
          ctx.ch,
          listIncidentsQuery(ctx.db, {
            ...(q.status && { status: q.status }),
            ...(q.severity && { severity: q.severity }),
            ...(q.tenant !== undefined && { tenant: q.tenant }),
            ...(q.entity !== undefined && { entity: q.entity }),
            ...(q.from !== undefined && { from: q.from }),
            ...(q.to !== undefined && { to: q.to }),
            ...(q.overdue && { overdueBeforeMs: Math.round(at - shortest) }),
            ...(q.cursor !== undefined && { after: decodeCursor(q.cursor) }),
            limit: q.limit,
          }),
        )
      ).map(toIncident);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      req.auditRows = page.length;
      return {
        incidents: page.map((i) => summaryOut(i, ctx, at)),
        next_cursor: rows.length > q.limit && last ? encodeCursor(last.last_seen_ms, last.incident_id) : null,
      };
    },
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/api/v1/incidents/:id',
    {
      config: read,
      schema: {
        summary: 'One incident: status, timeline, owner, alerts, clock and deadlines, affected count',
        tags,
        params: Params,
        response: { 200: DetailOut },
      },
    },
    async (req) => {
      const out = await incidentDetail(ctx, req.params.id, now());
      req.auditRows = 1;
      return out;
    },
  );

  app.get<{ Params: Static<typeof Params>; Querystring: { format: 'json' | 'csv' } }>(
    '/api/v1/incidents/:id/affected',
    {
      config: read,
      schema: {
        summary:
          'Every record the incident’s actors were served in its window: disclosed (2xx) and denied (3xx/4xx); ?format=csv gives the disclosed rows',
        tags,
        params: Params,
        querystring: Type.Object(
          { format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }) },
          { additionalProperties: false },
        ),
        response: { 200: AffectedOut },
      },
    },
    async (req, reply) => {
      const inc = await getIncident(ctx, req.params.id);
      const affected = await loadAffected(
        ctx.ch,
        ctx.db,
        inc.tenant,
        await membersOf(ctx, inc.incident_id),
        cfg,
      );
      if (req.query.format === 'csv') {
        req.auditRows = affected.disclosed.length;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="incident-${inc.incident_id}-affected.csv"`)
          .send(affectedCsv(affected.disclosed));
      }
      req.auditRows = affected.disclosed.length + affected.denied.length;
      return { incident_id: inc.incident_id, ...affected };
    },
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/api/v1/incidents/:id/notice',
    {
      config: read,
      schema: {
        summary: 'A breach-notice draft (Markdown) with the incident’s facts',
        tags,
        params: Params,
        response: { 200: Type.String({ description: 'text/markdown' }) },
      },
    },
    async (req, reply) => {
      const at = now();
      const inc = await getIncident(ctx, req.params.id);
      const members = await membersOf(ctx, inc.incident_id);
      const [timeline, affected] = await Promise.all([
        timelineOf(ctx, inc.incident_id),
        loadAffected(ctx.ch, ctx.db, inc.tenant, members, cfg),
      ]);
      const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : 'not yet');
      const s = summaryOut(inc, ctx, at);
      const deniedRecords = new Set(affected.denied.map((r) => `${r.resource_kind}\u0000${r.resource_id}`))
        .size;
      const facts: NoticeFacts = {
        incident_id: inc.incident_id,
        tenant: inc.tenant,
        title: inc.title,
        status: inc.status,
        severity: inc.severity,
        what_happened: whatHappened(
          members.map((m) => m.title),
          inc.title,
        ),
        rules: inc.rules.join(', ') || 'none',
        first_seen: iso(inc.first_seen_ms),
        last_seen: iso(inc.last_seen_ms),
        discovered_at: iso(inc.discovered_at_ms),
        confirmed_at: iso(inc.confirmed_at_ms),
        data_kinds: affected.kinds.join(', ') || 'none identified',
        records: String(affected.records),
        subjects: subjectsFact(
          affected.subjects,
          affected.records,
          affected.kinds,
          cfg.subjectKinds,
          // a request carrying two kinds counts under each: the largest is a floor
          Math.max(0, ...affected.phi_in_urls.map((p) => p.requests)),
        ),
        phi_in_urls: phiInUrlsFact(affected.phi_in_urls),
        denied_records: String(deniedRecords),
        bulk_reads: affected.bulk.length
          ? `${affected.bulk.reduce((n, b) => n + b.requests, 0)} requests, ${affected.bulk.reduce((n, b) => n + b.rows, 0)} rows, ${affected.bulk.reduce((n, b) => n + b.bytes, 0)} bytes (${[...new Set(affected.bulk.map((b) => b.route))].join(', ')})`
          : 'none',
        deadlines: s.deadlines
          .map(
            (d) =>
              `- ${d.name}: due ${iso(d.due_at)} (${d.hours} h from discovery)${d.overdue ? ', OVERDUE' : d.stopped_at ? ', met' : `, ${Math.floor(d.remaining_s / 3600)} h left`}`,
          )
          .join('\n'),
        timeline: timelineFact(timeline, iso),
        generated_at: iso(at),
      };
      req.auditRows = 1;
      return reply.type('text/markdown; charset=utf-8').send(renderNotice(template, facts));
    },
  );

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/incidents',
    {
      config: write,
      schema: {
        summary: 'Group alerts into a new incident by hand (they leave the incidents they were in)',
        tags,
        body: CreateBody,
        response: { 201: DetailOut },
      },
    },
    async (req, reply) => {
      const at = now();
      const id = await createIncident(ctx, req.body, req.principal!.name, at);
      req.auditRows = 1;
      return reply.code(201).send(await incidentDetail(ctx, id, at));
    },
  );

  /** POST /api/v1/incidents/:id/<action>: apply a responder's change, answer with the incident as it now is. */
  function change<B extends TSchema>(
    action: string,
    summary: string,
    body: B,
    apply: (id: string, body: Static<B>, by: string, at: number) => Promise<unknown>,
  ): void {
    app.post<{ Params: Static<typeof Params>; Body: Static<B> }>(
      `/api/v1/incidents/:id/${action}`,
      { config: write, schema: { summary, tags, params: Params, body, response: { 200: DetailOut } } },
      async (req) => {
        const at = now();
        await apply(req.params.id, req.body, req.principal!.name, at);
        req.auditRows = 1;
        return incidentDetail(ctx, req.params.id, at);
      },
    );
  }

  change(
    'alerts',
    'Merge alerts ({alert_ids}) or whole incidents ({incident_ids}, closed as merged) into this one',
    MergeBody,
    (id, b, by, at) => mergeInto(ctx, id, b, by, at),
  );
  change(
    'status',
    'Change the status (open, investigating, contained, notified, closed; see README for transitions)',
    StatusBody,
    (id, b, by, at) => setStatus(ctx, id, b.status, b.note ?? '', by, at),
  );
  change('owner', 'Set (or clear) the owner', OwnerBody, (id, b, by, at) =>
    setOwner(ctx, id, b.owner, by, at),
  );
}
