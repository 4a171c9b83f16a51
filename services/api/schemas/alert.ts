// The Alert as the API returns it (schemas/avro/alert.avsc, services/shared/avro/generated/alert.ts):
// the `response` schema of every route that answers alerts, so the OpenAPI document describes the
// answer and fast-json-stringify writes only these fields.
import { Type } from '@sinclair/typebox';

export const SeveritySchema = Type.Union(
  ['info', 'low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)),
);
export const AlertStatusSchema = Type.Union(
  ['open', 'acknowledged', 'resolved', 'suppressed'].map((s) => Type.Literal(s)),
);

export const AlertSchema = Type.Object(
  {
    alert_id: Type.String(),
    fingerprint: Type.String(),
    rule: Type.String(),
    severity: SeveritySchema,
    entity: Type.Object(
      {
        type: Type.String({ description: 'user, api_key, session, client_ip, db_user, route' }),
        value: Type.String(),
      },
      { additionalProperties: false },
    ),
    tenant: Type.String(),
    first_seen: Type.Integer({ description: 'epoch ms' }),
    last_seen: Type.Integer({ description: 'epoch ms' }),
    status: AlertStatusSchema,
    title: Type.String(),
    explanation: Type.Object(
      {
        feature: Type.String(),
        observed: Type.Number(),
        baseline: Type.Union([
          Type.Null(),
          Type.Object(
            { p50: Type.Number(), p95: Type.Number(), mad: Type.Number(), n: Type.Number() },
            { additionalProperties: false },
          ),
        ]),
        score: Type.Number(),
        top_resources: Type.Array(Type.String()),
        sample_event_ids: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
    labels: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);
