// generated from schemas/avro/status-change.avsc by gen-types; do not edit.
// To change these types, edit the schema, then run: npx tsc -p . && node dist/services/shared/avro/gen-types.js

/** A person's or the incident grouper's change to an alert, a suppression or an incident, published on leakwatch.status.v1 so paging can follow it. Kafka key: the object's id. */
export interface StatusChange {
  /** Unique per change (hex); receivers dedup on it */
  change_id: string;
  kind: StatusObjectKind;
  /** alert_id, suppression id, incident_id or allow entry id */
  object_id: string;
  tenant: string;
  /** alert: ack, resolve, reopen, suppress, feedback; suppression: create, delete; incident: open, join, status, owner, merge; allow: create, delete */
  action: string;
  /** The object's status after the change (alert: open, acknowledged, resolved, suppressed; incident: open, investigating, contained, notified, closed; suppression/allow: active, deleted) */
  status: string;
  /** Token name of the person (api), or the service (incidents) */
  actor: string;
  reason: string;
  /** logicalType timestamp-millis: kept as a plain number */
  at: number;
  /** The incident an alert belongs to, when known */
  incident_id: string | null;
  /** Alerts the change applies to (incident joins and merges, suppressions applied to existing alerts) */
  alert_ids: string[];
  /** Small non-PHI facts: severity, rule, entity type, owner, scope, expires_at */
  attrs: Record<string, string>;
}

export type StatusObjectKind = 'alert' | 'suppression' | 'incident' | 'allow';
