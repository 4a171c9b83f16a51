// TypeBox schemas of the alert, suppression and allow-entry JSON the API returns (OpenAPI shows them;
// fastify serialises responses through them, so a field not declared here never leaves the API).
import { Type } from '@sinclair/typebox';

export const SeveritySchema = Type.Union(
  ['info', 'low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)),
);
export const AlertStatusSchema = Type.Union(
  ['open', 'acknowledged', 'resolved', 'suppressed'].map((s) => Type.Literal(s)),
);

export const AlertIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{8,64}$' }) });

const Baseline = Type.Union([
  Type.Null(),
  Type.Object({ p50: Type.Number(), p95: Type.Number(), mad: Type.Number(), n: Type.Number() }),
]);

export const AlertSchema = Type.Object(
  {
    alert_id: Type.String(),
    fingerprint: Type.String(),
    rule: Type.String(),
    severity: SeveritySchema,
    entity: Type.Object({ type: Type.String(), value: Type.String() }),
    tenant: Type.String(),
    first_seen: Type.Integer({ description: 'epoch ms' }),
    last_seen: Type.Integer({ description: 'epoch ms' }),
    status: AlertStatusSchema,
    title: Type.String(),
    explanation: Type.Object({
      feature: Type.String(),
      observed: Type.Number(),
      baseline: Baseline,
      score: Type.Number(),
      top_resources: Type.Array(Type.String()),
      sample_event_ids: Type.Array(Type.String()),
    }),
    labels: Type.Record(Type.String(), Type.String()),
    status_changed_by: Type.Optional(
      Type.String({ description: 'who set the status (absent: the detector)' }),
    ),
    status_changed_at: Type.Optional(Type.Integer({ description: 'epoch ms' })),
    status_reason: Type.Optional(Type.String()),
  },
  { $id: 'Alert' },
);

export const StatusChangeSchema = Type.Object({
  change_id: Type.String(),
  changed_at: Type.Integer({ description: 'epoch ms' }),
  action: Type.String(),
  status: Type.String(),
  actor: Type.String(),
  reason: Type.String(),
  suppression_id: Type.String(),
  verdict: Type.String(),
});

/** Who made a suppression or allow entry, when, until when, and whether (and by whom) it was deleted. */
const Lifetime = {
  created_by: Type.String(),
  created_at: Type.Integer(),
  expires_at: Type.Integer(),
  deleted_at: Type.Union([Type.Integer(), Type.Null()]),
  deleted_by: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
};

export const SuppressionSchema = Type.Object({
  suppression_id: Type.String(),
  tenant: Type.String(),
  scope: Type.Union([Type.Literal('alert'), Type.Literal('entity'), Type.Literal('rule-entity')]),
  alert_id: Type.String({ description: 'scope alert: the alert; else the alert it was made from' }),
  rule: Type.String({ description: 'scope rule-entity and alert' }),
  entity: Type.Object({ type: Type.String(), value: Type.String() }),
  reason: Type.String(),
  ...Lifetime,
  alerts_suppressed: Type.Optional(
    Type.Integer({ description: 'existing alerts set to suppressed on creation' }),
  ),
});

export const AllowEntrySchema = Type.Object({
  allow_id: Type.String(),
  tenant: Type.String(),
  rule: Type.String(),
  entity: Type.Object({ type: Type.String(), value: Type.String() }),
  reason: Type.String(),
  source_alert_id: Type.String(),
  ...Lifetime,
});

export const ErrorSchema = Type.Object({ error: Type.String(), message: Type.String() });
