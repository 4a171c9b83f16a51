// Loading and writing incident state in ClickHouse, for both writers (the grouper and the API).
// Each incident version is rebased on the newest stored one just before it is written (model.ts
// rebaseIncident), so a writer's stale read does not undo the other writer's change; what is left
// is the one round trip between that read and the insert.
// Write order: incident versions, then membership, then the timeline. A crash between the first
// two leaves an incident whose alert is not yet a member: the replayed alert then finds it as its
// actor's open incident and joins it, under the same id.
import { type ClickHouseClient, insertRows, queryRows } from '../clickhouse/client.js';
import { table } from '../clickhouse/sql.js';
import {
  currentMembership,
  type IncidentEventRow,
  type IncidentRow,
  type MemberRow,
  rebaseIncident,
} from './model.js';
import {
  incidentsByIdQuery,
  membershipOfAlertsQuery,
  membersOfIncidentsQuery,
  openIncidentsOfActorsQuery,
  toIncident,
  toMember,
} from './queries.js';

export interface IncidentState {
  incidents: Map<string, IncidentRow>;
  /** Current members of `incidents`, by alert_id. */
  members: Map<string, MemberRow>;
}

export async function loadIncidents(
  ch: ClickHouseClient,
  db: string,
  ids: readonly string[],
): Promise<Map<string, IncidentRow>> {
  const out = new Map<string, IncidentRow>();
  if (ids.length === 0) return out;
  const rows = await queryRows<Parameters<typeof toIncident>[0]>(ch, incidentsByIdQuery(db, ids));
  for (const r of rows) {
    const inc = toIncident(r);
    out.set(inc.incident_id, inc);
  }
  return out;
}

/** Current members (each alert's newest membership) of these incidents, by alert_id. */
export async function loadMembers(
  ch: ClickHouseClient,
  db: string,
  incidentIds: readonly string[],
): Promise<Map<string, MemberRow>> {
  const out = new Map<string, MemberRow>();
  if (incidentIds.length === 0) return out;
  const rows = await queryRows<Parameters<typeof toMember>[0]>(ch, membersOfIncidentsQuery(db, incidentIds));
  const wanted = new Set(incidentIds);
  for (const [id, m] of currentMembership(rows.map(toMember))) if (wanted.has(m.incident_id)) out.set(id, m);
  return out;
}

/** Each alert's current membership, for the alerts that have one. */
export async function loadMembership(
  ch: ClickHouseClient,
  db: string,
  alertIds: readonly string[],
): Promise<Map<string, MemberRow>> {
  if (alertIds.length === 0) return new Map();
  const rows = await queryRows<Parameters<typeof toMember>[0]>(ch, membershipOfAlertsQuery(db, alertIds));
  return currentMembership(rows.map(toMember));
}

/**
 * What grouping a batch needs: the incidents its alerts already belong to (whatever their status),
 * the open incidents of its actors, and the current members of all of them. Read fresh for every
 * batch, so a person's status change, move or merge made through the API is always seen.
 */
export async function loadGroupingState(
  ch: ClickHouseClient,
  db: string,
  alerts: readonly { alert_id: string; tenant: string; actorKeys: readonly string[] }[],
): Promise<IncidentState> {
  const membership = await loadMembership(
    ch,
    db,
    alerts.map((a) => a.alert_id),
  );
  const tenants = [...new Set(alerts.map((a) => a.tenant))];
  const keys = [...new Set(alerts.flatMap((a) => a.actorKeys))];
  const incidents = new Map<string, IncidentRow>();
  if (tenants.length && keys.length) {
    const rows = await queryRows<Parameters<typeof toIncident>[0]>(
      ch,
      openIncidentsOfActorsQuery(db, tenants, keys),
    );
    for (const r of rows) {
      const inc = toIncident(r);
      incidents.set(inc.incident_id, inc);
    }
  }
  const missing = [...new Set([...membership.values()].map((m) => m.incident_id))].filter(
    (id) => !incidents.has(id),
  );
  for (const [id, inc] of await loadIncidents(ch, db, missing)) incidents.set(id, inc);
  const members = await loadMembers(ch, db, [...incidents.keys(), ...missing]);
  // An incident named by a membership but never written (a crash between the two inserts of a
  // person's move): rebuilt from its members so the alert still has a home.
  for (const id of missing) {
    if (incidents.has(id)) continue;
    const own = [...members.values()].filter((m) => m.incident_id === id);
    const first = own[0] ?? [...membership.values()].find((m) => m.incident_id === id)!;
    const opened = Math.min(...own.map((m) => m.joined_at_ms), first.joined_at_ms);
    incidents.set(id, {
      incident_id: id,
      tenant: first.tenant,
      title: first.title,
      status: 'open',
      owner: '',
      severity: first.severity,
      risk_score: 0,
      actor_type: first.entity_type,
      actor_value: first.entity_value,
      actor_keys: [`${first.entity_type}:${first.entity_value}`],
      rules: [first.rule],
      alert_count: own.length,
      first_seen_ms: first.first_seen_ms,
      last_seen_ms: first.last_seen_ms,
      opened_at_ms: opened,
      discovered_at_ms: opened,
      confirmed_at_ms: 0,
      notified_at_ms: 0,
      closed_at_ms: 0,
      version: 0,
      updated_by: first.joined_by,
    });
  }
  return { incidents, members };
}

export interface IncidentWrites {
  incidents: readonly IncidentRow[];
  members: readonly MemberRow[];
  events: readonly IncidentEventRow[];
}

/**
 * `read`: the incidents as the writer read them before changing them (the base of each rebase);
 * new incidents are not in it.
 */
export async function writeIncidentState(
  ch: ClickHouseClient,
  db: string,
  w: IncidentWrites,
  read: ReadonlyMap<string, IncidentRow>,
): Promise<void> {
  const known = w.incidents.filter((r) => read.has(r.incident_id)).map((r) => r.incident_id);
  const stored = await loadIncidents(ch, db, known);
  const rows = w.incidents.map((r) => rebaseIncident(r, read.get(r.incident_id), stored.get(r.incident_id)));
  await insertRows(ch, table(db, 'incidents'), rows);
  await insertRows(ch, table(db, 'incident_alerts'), [...w.members]);
  await insertRows(ch, table(db, 'incident_events'), [...w.events]);
}
