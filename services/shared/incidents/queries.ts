// Reads of the incident tables that both writers (the grouper and the API's incident routes) need,
// and the rows they return coerced to numbers (18.16 quotes UInt64 in JSON).
import { join, type SqlFragment, sql, table } from '../clickhouse/sql.js';
import type { IncidentEventRow, IncidentRow, IncidentStatus, MemberRow } from './model.js';

export const INCIDENT_COLUMNS = sql`incident_id, tenant, title, status, owner, severity, risk_score, actor_type,
  actor_value, actor_keys, rules, alert_count, first_seen_ms, last_seen_ms, opened_at_ms, discovered_at_ms,
  confirmed_at_ms, notified_at_ms, closed_at_ms, version, updated_by`;

const MEMBER_COLUMNS = sql`tenant, incident_id, alert_id, joined_at_ms, joined_by, rule, severity, score,
  entity_type, entity_value, resource_kind, title, first_seen_ms, last_seen_ms, version`;

function list(values: readonly string[]): SqlFragment {
  return join(
    values.map((v) => sql`${v}`),
    ', ',
  );
}

/** Incidents by id (current versions). `ids` must not be empty. */
export function incidentsByIdQuery(db: string, ids: readonly string[]): SqlFragment {
  return sql`SELECT ${INCIDENT_COLUMNS} FROM ${table(db, 'incidents')} FINAL WHERE incident_id IN (${list(ids)})`;
}

/** Not-closed incidents of these tenants having any of these actors. Neither list may be empty. */
export function openIncidentsOfActorsQuery(
  db: string,
  tenants: readonly string[],
  actorKeys: readonly string[],
): SqlFragment {
  // Non-key conditions outside FINAL: filtered before the merge, they could pick an older version.
  return sql`SELECT * FROM (SELECT ${INCIDENT_COLUMNS} FROM ${table(db, 'incidents')} FINAL
WHERE tenant IN (${list(tenants)})) WHERE status != 'closed' AND hasAny(actor_keys, [${list(actorKeys)}])`;
}

/** Every membership row of these alerts (the caller keeps each alert's newest: currentMembership). */
export function membershipOfAlertsQuery(db: string, alertIds: readonly string[]): SqlFragment {
  return sql`SELECT ${MEMBER_COLUMNS} FROM ${table(db, 'incident_alerts')} FINAL WHERE alert_id IN (${list(alertIds)})`;
}

/**
 * Every membership row of the alerts that ever joined these incidents: with currentMembership, the
 * incidents' current members (an alert moved away since is still named here, and dropped there).
 */
export function membersOfIncidentsQuery(db: string, incidentIds: readonly string[]): SqlFragment {
  const t = table(db, 'incident_alerts');
  return sql`SELECT ${MEMBER_COLUMNS} FROM ${t} FINAL
WHERE alert_id IN (SELECT alert_id FROM ${t} WHERE incident_id IN (${list(incidentIds)}))`;
}

export function timelineQuery(db: string, incidentId: string): SqlFragment {
  return sql`SELECT tenant, incident_id, at_ms, actor, action, status, note FROM ${table(db, 'incident_events')}
WHERE incident_id = ${incidentId} ORDER BY at_ms, action`;
}

type Raw<T> = { [K in keyof T]: unknown };

export function toIncident(r: Raw<IncidentRow>): IncidentRow {
  return {
    incident_id: String(r.incident_id),
    tenant: String(r.tenant),
    title: String(r.title),
    status: String(r.status) as IncidentStatus,
    owner: String(r.owner),
    severity: String(r.severity),
    risk_score: Number(r.risk_score),
    actor_type: String(r.actor_type),
    actor_value: String(r.actor_value),
    actor_keys: (r.actor_keys as string[]) ?? [],
    rules: (r.rules as string[]) ?? [],
    alert_count: Number(r.alert_count),
    first_seen_ms: Number(r.first_seen_ms),
    last_seen_ms: Number(r.last_seen_ms),
    opened_at_ms: Number(r.opened_at_ms),
    discovered_at_ms: Number(r.discovered_at_ms),
    confirmed_at_ms: Number(r.confirmed_at_ms),
    notified_at_ms: Number(r.notified_at_ms),
    closed_at_ms: Number(r.closed_at_ms),
    version: Number(r.version),
    updated_by: String(r.updated_by),
  };
}

export function toMember(r: Raw<MemberRow>): MemberRow {
  return {
    tenant: String(r.tenant),
    incident_id: String(r.incident_id),
    alert_id: String(r.alert_id),
    joined_at_ms: Number(r.joined_at_ms),
    joined_by: String(r.joined_by),
    rule: String(r.rule),
    severity: String(r.severity),
    score: Number(r.score),
    entity_type: String(r.entity_type),
    entity_value: String(r.entity_value),
    resource_kind: String(r.resource_kind),
    title: String(r.title),
    first_seen_ms: Number(r.first_seen_ms),
    last_seen_ms: Number(r.last_seen_ms),
    version: Number(r.version),
  };
}

export function toEvent(r: Raw<IncidentEventRow>): IncidentEventRow {
  return {
    tenant: String(r.tenant),
    incident_id: String(r.incident_id),
    at_ms: Number(r.at_ms),
    actor: String(r.actor),
    action: String(r.action),
    status: String(r.status),
    note: String(r.note),
  };
}
