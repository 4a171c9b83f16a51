// What the incident routes do, apart from HTTP: read an incident with its members, timeline,
// deadlines and affected count; and the people's writes (group by hand, merge, status, owner),
// each of which appends to the timeline, writes new incident versions, then announces the change.
import { queryRows } from '#shared/clickhouse/client.js';
import { ApiBadRequest, ApiNotFound, IncidentBadTransition } from '#shared/errors.js';
import {
  actorKey,
  applyStatus,
  canTransition,
  type Deadline,
  deadlinesOf,
  type IncidentEventRow,
  type IncidentRow,
  type IncidentStatus,
  type MemberRow,
  manualIncidentIdOf,
  nextVersion,
  summarize,
  TRANSITIONS,
} from '#shared/incidents/model.js';
import { timelineQuery, toEvent } from '#shared/incidents/queries.js';
import { loadIncidents, loadMembers, loadMembership, writeIncidentState } from '#shared/incidents/store.js';
import type { ApiContext } from '../../context.js';
import { newChangeId, type StatusChange } from '../../status-publisher.js';
import { loadAffected } from './affected.js';
import { alertFactsQuery } from './queries.js';

export interface TimelineEntry {
  at: number;
  actor: string;
  action: string;
  status: string;
  note: string;
}

export interface IncidentSummaryOut {
  incident_id: string;
  tenant: string;
  title: string;
  status: string;
  owner: string;
  severity: string;
  risk_score: number;
  actor: { type: string; value: string };
  entities: { type: string; value: string }[];
  rules: string[];
  alert_count: number;
  first_seen: number;
  last_seen: number;
  opened_at: number;
  discovered_at: number;
  confirmed_at: number | null;
  notified_at: number | null;
  closed_at: number | null;
  deadlines: Deadline[];
  /** Disclosed records; null in lists (GET /incidents/{id} computes it). */
  affected_count: number | null;
  updated_by: string;
  version: number;
}

export interface IncidentOut extends IncidentSummaryOut {
  alert_ids: string[];
  timeline: TimelineEntry[];
}

function splitKey(k: string): { type: string; value: string } {
  const i = k.indexOf(':');
  return { type: k.slice(0, i), value: k.slice(i + 1) };
}

const orNull = (ms: number): number | null => (ms > 0 ? ms : null);

export function summaryOut(inc: IncidentRow, ctx: ApiContext, now: number): IncidentSummaryOut {
  return {
    incident_id: inc.incident_id,
    tenant: inc.tenant,
    title: inc.title,
    status: inc.status,
    owner: inc.owner,
    severity: inc.severity,
    risk_score: inc.risk_score,
    actor: { type: inc.actor_type, value: inc.actor_value },
    entities: inc.actor_keys.map(splitKey),
    rules: inc.rules,
    alert_count: inc.alert_count,
    first_seen: inc.first_seen_ms,
    last_seen: inc.last_seen_ms,
    opened_at: inc.opened_at_ms,
    discovered_at: inc.discovered_at_ms,
    confirmed_at: orNull(inc.confirmed_at_ms),
    notified_at: orNull(inc.notified_at_ms),
    closed_at: orNull(inc.closed_at_ms),
    deadlines: deadlinesOf(inc, ctx.config.incidents.deadlines, now),
    affected_count: null,
    updated_by: inc.updated_by,
    version: inc.version,
  };
}

export async function getIncident(ctx: ApiContext, id: string): Promise<IncidentRow> {
  const inc = (await loadIncidents(ctx.ch, ctx.db, [id])).get(id);
  if (inc === undefined) throw ApiNotFound(`incident ${id}`);
  return inc;
}

export async function membersOf(ctx: ApiContext, id: string): Promise<MemberRow[]> {
  return [...(await loadMembers(ctx.ch, ctx.db, [id])).values()].sort(
    (a, b) => a.first_seen_ms - b.first_seen_ms || (a.alert_id < b.alert_id ? -1 : 1),
  );
}

export async function timelineOf(ctx: ApiContext, id: string): Promise<TimelineEntry[]> {
  const rows = await queryRows<Parameters<typeof toEvent>[0]>(ctx.ch, timelineQuery(ctx.db, id));
  return rows
    .map(toEvent)
    .map((e) => ({ at: e.at_ms, actor: e.actor, action: e.action, status: e.status, note: e.note }));
}

export async function incidentDetail(ctx: ApiContext, id: string, now: number): Promise<IncidentOut> {
  const inc = await getIncident(ctx, id);
  const members = await membersOf(ctx, id);
  const [timeline, affected] = await Promise.all([
    timelineOf(ctx, id),
    loadAffected(ctx.ch, ctx.db, inc.tenant, members, ctx.config.incidents),
  ]);
  return {
    ...summaryOut(inc, ctx, now),
    affected_count: affected.records,
    alert_ids: members.map((m) => m.alert_id),
    timeline,
  };
}

// ---- writes ----

interface Pending {
  incidents: Map<string, IncidentRow>;
  /** The incidents as read before changing them (the writes are rebased on the stored ones). */
  read: Map<string, IncidentRow>;
  members: MemberRow[];
  events: IncidentEventRow[];
  changes: StatusChange[];
}

function change(
  inc: IncidentRow,
  action: string,
  actor: string,
  at: number,
  reason: string,
  alertIds: string[] = [],
  attrs: Record<string, string> = {},
): StatusChange {
  return {
    change_id: newChangeId(),
    kind: 'incident',
    object_id: inc.incident_id,
    tenant: inc.tenant,
    action,
    status: inc.status,
    actor,
    reason,
    at,
    incident_id: inc.incident_id,
    alert_ids: alertIds,
    attrs: { severity: inc.severity, ...attrs },
  };
}

function event(inc: IncidentRow, at: number, actor: string, action: string, note: string): IncidentEventRow {
  return {
    tenant: inc.tenant,
    incident_id: inc.incident_id,
    at_ms: at,
    actor,
    action,
    status: inc.status,
    note,
  };
}

async function commit(ctx: ApiContext, p: Pending): Promise<void> {
  await writeIncidentState(
    ctx.ch,
    ctx.db,
    { incidents: [...p.incidents.values()], members: p.members, events: p.events },
    p.read,
  );
  await ctx.status.publish(p.changes);
}

/** The membership rows of `alertIds` as they are now (from their incident, else from `alerts`); 404 for unknown ones. */
async function alertFacts(ctx: ApiContext, alertIds: readonly string[]): Promise<Map<string, MemberRow>> {
  const out = await loadMembership(ctx.ch, ctx.db, alertIds);
  const ungrouped = alertIds.filter((id) => !out.has(id));
  if (ungrouped.length) {
    const rows = await queryRows<Record<string, unknown>>(ctx.ch, alertFactsQuery(ctx.db, ungrouped));
    for (const r of rows) {
      const route = r['entity_type'] === 'route';
      out.set(String(r['alert_id']), {
        tenant: String(r['tenant']),
        incident_id: '',
        alert_id: String(r['alert_id']),
        joined_at_ms: 0,
        joined_by: '',
        rule: String(r['rule']),
        severity: String(r['severity']),
        score: Number(r['score']),
        entity_type: String(r['entity_type']),
        entity_value: route ? String(r['route_label'] || r['entity_value']) : String(r['entity_value']),
        resource_kind: route ? String(r['resource_kind_label'] ?? '') : '',
        title: String(r['title']),
        first_seen_ms: Number(r['first_seen_ms']),
        last_seen_ms: Number(r['last_seen_ms']),
        version: 0,
      });
    }
  }
  const unknown = alertIds.filter((id) => !out.has(id));
  if (unknown.length) throw ApiNotFound(`alert ${unknown.join(', ')}`);
  return out;
}

/**
 * Moves alerts into `target` (a newer joined_at_ms: the person's membership wins, and the grouper
 * honours it); the incidents they leave get new versions, and an incident left empty is closed.
 * The target's clock keeps the earliest discovered_at of the incidents it took alerts from.
 */
async function moveInto(
  ctx: ApiContext,
  p: Pending,
  target: IncidentRow,
  facts: Map<string, MemberRow>,
  by: string,
  now: number,
  action: 'move' | 'merge',
): Promise<void> {
  const moved = [...facts.values()].filter((f) => f.incident_id !== target.incident_id);
  const sources = [...new Set(moved.map((f) => f.incident_id).filter(Boolean))];
  const ids = [...new Set([target.incident_id, ...sources])];
  const current = await loadMembers(ctx.ch, ctx.db, ids);
  const sourceRows = await loadIncidents(ctx.ch, ctx.db, sources);
  for (const r of sourceRows.values()) p.read.set(r.incident_id, r);
  for (const f of moved) {
    const row: MemberRow = {
      ...f,
      incident_id: target.incident_id,
      joined_at_ms: now,
      joined_by: by,
      version: nextVersion(f.version, now),
    };
    current.set(f.alert_id, row);
    p.members.push(row);
  }
  const membersOfId = (id: string) => [...current.values()].filter((m) => m.incident_id === id);
  let discovered = target.discovered_at_ms;
  for (const src of sourceRows.values()) discovered = Math.min(discovered, src.discovered_at_ms);
  const s = summarize(membersOfId(target.incident_id), actorKey(target.actor_type, target.actor_value));
  const next: IncidentRow = {
    ...target,
    ...s,
    actor_keys: [...new Set([...target.actor_keys, ...s.actor_keys])],
    discovered_at_ms: discovered,
    version: nextVersion(target.version, now),
    updated_by: by,
  };
  if (target.version > 0) p.read.set(target.incident_id, target); // 0: made here, not stored yet
  p.incidents.set(next.incident_id, next);
  for (const src of sourceRows.values()) {
    const left = membersOfId(src.incident_id);
    const took = moved.filter((f) => f.incident_id === src.incident_id).map((f) => f.alert_id);
    let row: IncidentRow = {
      ...src,
      // an emptied incident keeps what it was about (rules, times), with no alerts
      ...(left.length ? summarize(left, actorKey(src.actor_type, src.actor_value)) : { alert_count: 0 }),
      actor_keys: src.actor_keys,
      version: nextVersion(src.version, now),
      updated_by: by,
    };
    const note = `${took.length} alert${took.length === 1 ? '' : 's'} moved to ${target.incident_id}`;
    if (left.length === 0 && row.status !== 'closed') {
      row = applyStatus(row, 'closed', now, by);
      p.events.push(
        event(row, now, by, action, `${note}; closed: ${action === 'merge' ? 'merged' : 'emptied'}`),
      );
    } else p.events.push(event(row, now, by, 'move', note));
    p.incidents.set(row.incident_id, row);
    p.changes.push(change(row, action, by, now, note, took, { into: target.incident_id }));
  }
}

export async function createIncident(
  ctx: ApiContext,
  body: { alert_ids: string[]; title?: string; note?: string },
  by: string,
  now: number,
): Promise<string> {
  const ids = [...new Set(body.alert_ids)];
  const facts = await alertFacts(ctx, ids);
  const tenants = new Set([...facts.values()].map((f) => f.tenant));
  if (tenants.size > 1) throw ApiBadRequest('alerts of different tenants cannot share an incident');
  const first = [...facts.values()].sort((a, b) => a.first_seen_ms - b.first_seen_ms)[0]!;
  const id = manualIncidentIdOf(first.tenant, ids, now, by);
  const target: IncidentRow = {
    incident_id: id,
    tenant: first.tenant,
    title: body.title ?? `Grouped by ${by}: ${ids.length} alert${ids.length === 1 ? '' : 's'}`,
    status: 'open',
    owner: '',
    severity: first.severity,
    risk_score: 0,
    actor_type: first.entity_type,
    actor_value: first.entity_value,
    actor_keys: [actorKey(first.entity_type, first.entity_value)],
    rules: [],
    alert_count: 0,
    first_seen_ms: first.first_seen_ms,
    last_seen_ms: first.last_seen_ms,
    opened_at_ms: now,
    discovered_at_ms: now,
    confirmed_at_ms: 0,
    notified_at_ms: 0,
    closed_at_ms: 0,
    version: 0,
    updated_by: by,
  };
  const p: Pending = { incidents: new Map(), read: new Map(), members: [], events: [], changes: [] };
  await moveInto(ctx, p, target, facts, by, now, 'move');
  const created = p.incidents.get(id)!;
  p.events.unshift(event(created, now, by, 'open', body.note ?? `grouped by hand from ${ids.length} alerts`));
  p.changes.unshift(change(created, 'open', by, now, body.note ?? '', ids));
  await commit(ctx, p);
  return id;
}

export async function mergeInto(
  ctx: ApiContext,
  id: string,
  body: { alert_ids?: string[]; incident_ids?: string[] },
  by: string,
  now: number,
): Promise<void> {
  const target = await getIncident(ctx, id);
  let alertIds = [...new Set(body.alert_ids ?? [])];
  const others = [...new Set(body.incident_ids ?? [])].filter((x) => x !== id);
  if (others.length) {
    const found = await loadIncidents(ctx.ch, ctx.db, others);
    const unknown = others.filter((x) => !found.has(x));
    if (unknown.length) throw ApiNotFound(`incident ${unknown.join(', ')}`);
    for (const o of found.values())
      if (o.tenant !== target.tenant) throw ApiBadRequest('incidents of different tenants cannot be merged');
    const members = await loadMembers(ctx.ch, ctx.db, others);
    alertIds = [...new Set([...alertIds, ...members.keys()])];
  }
  if (alertIds.length === 0)
    throw ApiBadRequest('nothing to merge: give alert_ids or incident_ids with alerts');
  const facts = await alertFacts(ctx, alertIds);
  for (const f of facts.values())
    if (f.tenant !== target.tenant) throw ApiBadRequest('alerts of another tenant cannot join this incident');
  const p: Pending = { incidents: new Map(), read: new Map(), members: [], events: [], changes: [] };
  const moving = [...facts.values()].filter((f) => f.incident_id !== id).map((f) => f.alert_id);
  await moveInto(ctx, p, target, facts, by, now, others.length ? 'merge' : 'move');
  const next = p.incidents.get(id)!;
  const note = others.length
    ? `merged ${others.join(', ')} (${moving.length} alerts)`
    : `${moving.length} alert${moving.length === 1 ? '' : 's'} added`;
  p.events.push(event(next, now, by, 'merge', note));
  p.changes.push(change(next, 'merge', by, now, note, moving));
  await commit(ctx, p);
}

export async function setStatus(
  ctx: ApiContext,
  id: string,
  to: IncidentStatus,
  note: string,
  by: string,
  now: number,
): Promise<void> {
  const inc = await getIncident(ctx, id);
  if (!canTransition(inc.status, to))
    throw IncidentBadTransition(id, inc.status, to, TRANSITIONS[inc.status].join(', ') || 'none');
  const next = { ...applyStatus(inc, to, now, by), version: nextVersion(inc.version, now) };
  await commit(ctx, {
    incidents: new Map([[id, next]]),
    read: new Map([[id, inc]]),
    members: [],
    events: [event(next, now, by, 'status', note)],
    changes: [change(next, 'status', by, now, note, [], { from: inc.status })],
  });
}

export async function setOwner(
  ctx: ApiContext,
  id: string,
  owner: string,
  by: string,
  now: number,
): Promise<void> {
  const inc = await getIncident(ctx, id);
  const next: IncidentRow = { ...inc, owner, updated_by: by, version: nextVersion(inc.version, now) };
  await commit(ctx, {
    incidents: new Map([[id, next]]),
    read: new Map([[id, inc]]),
    members: [],
    events: [event(next, now, by, 'owner', owner ? `owner: ${owner}` : 'owner cleared')],
    changes: [change(next, 'owner', by, now, '', [], { owner })],
  });
}
