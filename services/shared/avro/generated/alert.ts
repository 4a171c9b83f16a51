// generated from schemas/avro/alert.avsc by gen-types; do not edit.
// To change these types, edit the schema, then run: npx tsc -p . && node dist/services/shared/avro/gen-types.js

/** A detection's verdict about one entity in one window, with its explanation. */
export interface Alert {
  /** Deterministic from rule + entity + window start */
  alert_id: string;
  /** rule + entity: grouping and paging dedup */
  fingerprint: string;
  rule: string;
  severity: Severity;
  entity: Entity;
  tenant: string;
  /** logicalType timestamp-millis: kept as a plain number */
  first_seen: number;
  /** logicalType timestamp-millis: kept as a plain number */
  last_seen: number;
  status: AlertStatus;
  title: string;
  explanation: Explanation;
  labels: Record<string, string>;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface Entity {
  /** user, api_key, session, client_ip, db_user, route */
  type: string;
  value: string;
}

export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'suppressed';

export interface Explanation {
  feature: string;
  observed: number;
  baseline: BaselineSummary | null;
  score: number;
  top_resources: string[];
  sample_event_ids: string[];
}

export interface BaselineSummary {
  p50: number;
  p95: number;
  mad: number;
  n: number;
}
