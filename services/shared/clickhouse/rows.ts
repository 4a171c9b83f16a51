// Table contracts: how AccessEvent and Alert map to ClickHouse rows and back (schemas/clickhouse).
// Times go in as whole epoch seconds plus an exact *_ms column (18.16 has no DateTime64).
import type { AccessEvent } from '../avro/generated/access-event.js';
import type { Alert } from '../avro/generated/alert.js';
import { principalKeyMemo } from '../principal.js';

export interface AccessEventRow {
  event_id: string;
  ts: number;
  ts_ms: number;
  source_kind: string;
  source: string;
  tenant: string;
  principal: string;
  user_id: string | null;
  session_hash: string | null;
  api_key_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  db_user: string | null;
  authenticated: number;
  emergency_access: number;
  http_method: string | null;
  db_operation: string | null;
  route: string;
  resource_id: string | null;
  resource_kind: string | null;
  status: number | null;
  bytes_out: number;
  rows_out: number | null;
  duration_ms: number | null;
  findings: string[];
  'attrs.key': string[];
  'attrs.value': string[];
}

/** The `principal` column: principals repeat, their keys are remembered (bounded). */
const principalOf = principalKeyMemo();

export function accessEventToRow(e: AccessEvent): AccessEventRow {
  const keys = Object.keys(e.attrs);
  return {
    event_id: e.event_id,
    ts: Math.floor(e.ts / 1000),
    ts_ms: e.ts,
    source_kind: e.source_kind,
    source: e.source,
    tenant: e.tenant,
    principal: principalOf(e),
    user_id: e.user_id,
    session_hash: e.session_hash,
    api_key_id: e.api_key_id,
    client_ip: e.client_ip,
    user_agent: e.user_agent,
    db_user: e.db_user,
    authenticated: e.authenticated ? 1 : 0,
    emergency_access: e.emergency_access ? 1 : 0,
    http_method: e.http_method,
    db_operation: e.db_operation,
    route: e.route,
    resource_id: e.resource_id,
    resource_kind: e.resource_kind,
    status: e.status,
    bytes_out: e.bytes_out,
    rows_out: e.rows_out,
    duration_ms: e.duration_ms,
    findings: e.findings,
    'attrs.key': keys,
    'attrs.value': keys.map((k) => e.attrs[k]!),
  };
}

export interface AlertRow {
  alert_id: string;
  fingerprint: string;
  rule: string;
  severity: string;
  entity_type: string;
  entity_value: string;
  tenant: string;
  first_seen: number;
  first_seen_ms: number;
  last_seen: number;
  last_seen_ms: number;
  status: string;
  title: string;
  feature: string;
  observed: number;
  score: number;
  explanation: string;
  'labels.key': string[];
  'labels.value': string[];
  version: number;
}

/**
 * Detector rows are versioned by last_seen: a re-emitted alert with more evidence replaces the
 * earlier one; a replay of the same alert writes the same version (harmless duplicate).
 */
export function alertToRow(a: Alert, version: number = a.last_seen): AlertRow {
  const keys = Object.keys(a.labels).sort();
  return {
    alert_id: a.alert_id,
    fingerprint: a.fingerprint,
    rule: a.rule,
    severity: a.severity,
    entity_type: a.entity.type,
    entity_value: a.entity.value,
    tenant: a.tenant,
    first_seen: Math.floor(a.first_seen / 1000),
    first_seen_ms: a.first_seen,
    last_seen: Math.floor(a.last_seen / 1000),
    last_seen_ms: a.last_seen,
    status: a.status,
    title: a.title,
    feature: a.explanation.feature,
    observed: a.explanation.observed,
    score: a.explanation.score,
    explanation: JSON.stringify(a.explanation),
    'labels.key': keys,
    'labels.value': keys.map((k) => a.labels[k]!),
    version,
  };
}

/** A row as ClickHouse returns it (UInt64 as strings; Nested as `labels.key`). */
export type AlertRowOut = Omit<AlertRow, 'first_seen' | 'last_seen'> & Record<string, unknown>;

export function rowToAlert(r: AlertRowOut): Alert {
  const labels: Record<string, string> = {};
  const keys = r['labels.key'] ?? [];
  const values = r['labels.value'] ?? [];
  keys.forEach((k, i) => {
    labels[k] = values[i] ?? '';
  });
  return {
    alert_id: r.alert_id,
    fingerprint: r.fingerprint,
    rule: r.rule,
    severity: r.severity as Alert['severity'],
    entity: { type: r.entity_type, value: r.entity_value },
    tenant: r.tenant,
    first_seen: Number(r.first_seen_ms),
    last_seen: Number(r.last_seen_ms),
    status: r.status as Alert['status'],
    title: r.title,
    explanation: JSON.parse(r.explanation) as Alert['explanation'],
    labels,
  };
}

/**
 * A `baselines` row (schemas/clickhouse/0007_baselines.sql): the baseline job writes it
 * (JSONEachRow), the detector's ClickHouse store reads its statistics back.
 */
export interface BaselineRow {
  hour_of_week: number;
  tenant: string;
  scope: 'entity' | 'peer' | 'global';
  peer_class: string;
  entity_type: string;
  entity_value: string;
  feature: string;
  median: number;
  mad: number;
  p95: number;
  n: number;
  window_ms: number;
  computed_at: number;
  version: number;
}

/** The columns the detector's store selects, as they arrive (UInt64 `n` quoted; scope unchecked). */
export type BaselineRowOut = Omit<BaselineRow, 'scope' | 'n' | 'window_ms' | 'computed_at' | 'version'> & {
  scope: string;
  n: number | string;
};
