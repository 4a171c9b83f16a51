// The grouping rule, pure (no I/O, no clock: `now` is passed in). For each alert, in order:
//  - an alert already in an incident (the detector re-emits a growing alert under the same
//    alert_id) updates its membership row there and never moves; its incident is the one its
//    newest membership names, so an alert a person moved stays where the person put it;
//  - otherwise it joins the open (status not closed) incident of the same tenant and actor
//    (actorOf: the entity, or the route for route-keyed alerts; an incident's actors are every
//    member's) whose last_seen is at least alert.first_seen - gapMs (the latest such incident when
//    several match); a route finding (an anonymous read of a sensitive route) without one joins the
//    open incident of its route (groupingActorOf);
//  - otherwise it opens one, keyed by groupingActorOf (the route for route findings), with id
//    sha256(tenant, that key, first alert_id): a replay rebuilds the same ids;
//  - a suppressed alert not yet grouped is left out (it must never page).
// The caller loads the state (from ClickHouse) for the batch's alerts and actors, and writes the
// result: new incident versions, membership rows, timeline events and status changes.
import type { Alert } from '#shared/avro/generated/alert.js';
import {
  actorOf,
  groupingActorOf,
  type IncidentEventRow,
  type IncidentRow,
  incidentIdOf,
  type MemberRow,
  nextVersion,
  summarize,
} from '#shared/incidents/model.js';

export const GROUPER_ACTOR = 'incidents';

export interface GroupingState {
  /** Incidents this batch may touch, by id: the open ones of its actors and those its alerts are in. */
  incidents: Map<string, IncidentRow>;
  /** Current members of those incidents, by alert_id (each alert's newest membership). */
  members: Map<string, MemberRow>;
}

export interface GroupingOptions {
  gapMs: number;
  /** Wall-clock time of this grouping: joined_at, opened_at (= discovered_at), versions. */
  now: number;
}

export interface IncidentChange {
  incident_id: string;
  tenant: string;
  action: 'open' | 'join';
  status: string;
  alert_ids: string[];
  severity: string;
  rules: string[];
  actor_type: string;
}

export interface GroupingResult {
  /** New versions of every incident the batch touched. */
  incidents: IncidentRow[];
  /** Membership rows to write (new joins and updated facts of re-emitted alerts). */
  members: MemberRow[];
  events: IncidentEventRow[];
  /** One per incident opened or joined by this batch (re-emissions alone announce nothing). */
  changes: IncidentChange[];
}

function memberOf(
  a: Alert,
  incidentId: string,
  joinedAt: number,
  joinedBy: string,
  version: number,
): MemberRow {
  const actor = actorOf(a);
  return {
    tenant: a.tenant,
    incident_id: incidentId,
    alert_id: a.alert_id,
    joined_at_ms: joinedAt,
    joined_by: joinedBy,
    rule: a.rule,
    severity: a.severity,
    score: a.explanation.score,
    entity_type: actor.type,
    entity_value: actor.value,
    resource_kind: actor.type === 'route' ? (a.labels['resource_kind'] ?? '') : '',
    title: a.title,
    first_seen_ms: a.first_seen,
    last_seen_ms: a.last_seen,
    version,
  };
}

/** The open incident an alert of `key` first seen at `firstSeen` joins, if any. */
export function findOpenIncident(
  incidents: Iterable<IncidentRow>,
  tenant: string,
  key: string,
  firstSeen: number,
  gapMs: number,
): IncidentRow | undefined {
  let best: IncidentRow | undefined;
  for (const inc of incidents) {
    if (inc.tenant !== tenant || inc.status === 'closed' || !inc.actor_keys.includes(key)) continue;
    if (inc.last_seen_ms < firstSeen - gapMs) continue;
    if (
      best === undefined ||
      inc.last_seen_ms > best.last_seen_ms ||
      (inc.last_seen_ms === best.last_seen_ms && inc.incident_id > best.incident_id)
    )
      best = inc;
  }
  return best;
}

export function groupAlerts(
  state: GroupingState,
  alerts: readonly Alert[],
  opts: GroupingOptions,
): GroupingResult {
  const touched = new Set<string>();
  const written = new Map<string, MemberRow>();
  const opened = new Map<string, string[]>();
  const joined = new Map<string, string[]>();
  for (const a of alerts) {
    const cur = state.members.get(a.alert_id);
    if (cur !== undefined) {
      // re-emission: new facts, same incident, same joined_at
      const row = memberOf(
        a,
        cur.incident_id,
        cur.joined_at_ms,
        cur.joined_by,
        nextVersion(cur.version, opts.now),
      );
      state.members.set(a.alert_id, row);
      written.set(a.alert_id, row);
      touched.add(cur.incident_id);
      const inc = state.incidents.get(cur.incident_id);
      if (inc) inc.last_seen_ms = Math.max(inc.last_seen_ms, a.last_seen);
      continue;
    }
    // A suppressed alert (a person said so, DESIGN: stored and listed, never paged) opens and joins
    // nothing; one already grouped keeps being updated above.
    if (a.status === 'suppressed') continue;
    const own = actorOf(a);
    const actor = groupingActorOf(a);
    const target =
      findOpenIncident(state.incidents.values(), a.tenant, own.key, a.first_seen, opts.gapMs) ??
      (actor.key === own.key
        ? undefined
        : findOpenIncident(state.incidents.values(), a.tenant, actor.key, a.first_seen, opts.gapMs));
    if (target !== undefined) {
      const row = memberOf(a, target.incident_id, opts.now, GROUPER_ACTOR, opts.now);
      state.members.set(a.alert_id, row);
      written.set(a.alert_id, row);
      target.last_seen_ms = Math.max(target.last_seen_ms, a.last_seen);
      // its actor is the incident's from now on, for the rest of this batch too
      if (!target.actor_keys.includes(own.key)) target.actor_keys = [...target.actor_keys, own.key];
      touched.add(target.incident_id);
      const list = opened.get(target.incident_id) ?? joined.get(target.incident_id);
      if (list) list.push(a.alert_id);
      else joined.set(target.incident_id, [a.alert_id]);
      continue;
    }
    const id = incidentIdOf(a.tenant, actor.key, a.alert_id);
    const inc: IncidentRow = {
      incident_id: id,
      tenant: a.tenant,
      title: a.title,
      status: 'open',
      owner: '',
      severity: a.severity,
      risk_score: 0,
      actor_type: actor.type,
      actor_value: actor.value,
      actor_keys: [...new Set([actor.key, own.key])],
      rules: [a.rule],
      alert_count: 1,
      first_seen_ms: a.first_seen,
      last_seen_ms: a.last_seen,
      opened_at_ms: opts.now,
      discovered_at_ms: opts.now,
      confirmed_at_ms: 0,
      notified_at_ms: 0,
      closed_at_ms: 0,
      version: 0,
      updated_by: GROUPER_ACTOR,
    };
    state.incidents.set(id, inc);
    const row = memberOf(a, id, opts.now, GROUPER_ACTOR, opts.now);
    state.members.set(a.alert_id, row);
    written.set(a.alert_id, row);
    touched.add(id);
    opened.set(id, [a.alert_id]);
  }

  const byIncident = new Map<string, MemberRow[]>();
  for (const m of state.members.values()) {
    if (!touched.has(m.incident_id)) continue;
    const list = byIncident.get(m.incident_id);
    if (list) list.push(m);
    else byIncident.set(m.incident_id, [m]);
  }
  const incidents: IncidentRow[] = [];
  for (const id of touched) {
    const inc = state.incidents.get(id);
    if (inc === undefined) continue; // the caller loads every incident its members name
    const s = summarize(byIncident.get(id) ?? [], `${inc.actor_type}:${inc.actor_value}`);
    const next: IncidentRow = {
      ...inc,
      ...s,
      actor_keys: [...new Set([...inc.actor_keys, ...s.actor_keys])],
      version: nextVersion(inc.version, opts.now),
      updated_by: GROUPER_ACTOR,
    };
    state.incidents.set(id, next);
    incidents.push(next);
  }

  const events: IncidentEventRow[] = [];
  const changes: IncidentChange[] = [];
  const announce = (id: string, action: 'open' | 'join', ids: string[]) => {
    const inc = state.incidents.get(id)!;
    const rules = [...new Set(ids.map((x) => state.members.get(x)!.rule))].sort();
    events.push({
      tenant: inc.tenant,
      incident_id: id,
      at_ms: opts.now,
      actor: GROUPER_ACTOR,
      action,
      status: inc.status,
      note: `${action === 'open' ? 'opened with' : 'joined:'} ${ids.length} alert${ids.length === 1 ? '' : 's'} (${rules.join(', ')})`,
    });
    changes.push({
      incident_id: id,
      tenant: inc.tenant,
      action,
      status: inc.status,
      alert_ids: ids,
      severity: inc.severity,
      rules: inc.rules,
      actor_type: inc.actor_type,
    });
  };
  for (const [id, ids] of opened) announce(id, 'open', ids);
  for (const [id, ids] of joined) announce(id, 'join', ids);
  return { incidents, members: [...written.values()], events, changes };
}
