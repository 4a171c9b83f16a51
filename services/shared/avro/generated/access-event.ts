// generated from schemas/avro/access-event.avsc by gen-types; do not edit.
// To change these types, edit the schema, then run: npx tsc -p . && node dist/services/shared/avro/gen-types.js

/** One access to data (HTTP request, SQL statement, API call, object read), parsed and PHI-redacted by a collector. */
export interface AccessEvent {
  /** Deterministic: hash of source + position, so a replay produces the same id */
  event_id: string;
  /**
   * Event time, epoch ms
   * logicalType timestamp-millis: kept as a plain number
   */
  ts: number;
  source_kind: SourceKind;
  /** Which log: file path or stream name */
  source: string;
  /** Site or shop the event belongs to */
  tenant: string;
  user_id: string | null;
  /** Keyed hash of the session token; never the token */
  session_hash: string | null;
  /** Key id or keyed hash; never the key */
  api_key_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  db_user: string | null;
  authenticated: boolean;
  /** Break-glass session */
  emergency_access: boolean;
  http_method: string | null;
  db_operation: string | null;
  /** Route template, e.g. /wp-json/wc/v3/orders/{id}; redacted */
  route: string;
  resource_id: string | null;
  /** order, customer, patient, appointment, recording, export, user, ... */
  resource_kind: string | null;
  status: number | null;
  bytes_out: number;
  rows_out: number | null;
  duration_ms: number | null;
  /** e.g. phi_in_url:ssn */
  findings: string[];
  /** Redacted extras (query template, referrer host, ...) */
  attrs: Record<string, string>;
}

export type SourceKind = 'web' | 'db' | 'api' | 'storage';
