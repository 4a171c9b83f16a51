// The incident contract shared by the grouper (services/incidents) and the API's incident routes:
// the table rows (schemas/clickhouse/0009_incidents.sql), who the actor of an alert is, the risk
// score, the status model and the breach clock. Pure: no I/O, no clock (callers pass `now`).
import { createHash } from 'node:crypto';
import type { Alert } from '../avro/generated/alert.js';

export const INCIDENT_STATUSES = ['open', 'investigating', 'contained', 'notified', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** One version of an incident (table `incidents`). */
export interface IncidentRow {
  incident_id: string;
  tenant: string;
  title: string;
  status: IncidentStatus;
  owner: string;
  severity: string;
  risk_score: number;
  /** The actor the incident was opened for (its first alert's). */
  actor_type: string;
  actor_value: string;
  /** Every actor of its members (`type:value`), the opening actor first: what later alerts join by. */
  actor_keys: string[];
  rules: string[];
  alert_count: number;
  first_seen_ms: number;
  last_seen_ms: number;
  opened_at_ms: number;
  discovered_at_ms: number;
  confirmed_at_ms: number;
  notified_at_ms: number;
  closed_at_ms: number;
  version: number;
  updated_by: string;
}

/** An alert's membership in an incident, with the alert's facts as last seen (table `incident_alerts`). */
export interface MemberRow {
  tenant: string;
  incident_id: string;
  alert_id: string;
  joined_at_ms: number;
  joined_by: string;
  rule: string;
  severity: string;
  score: number;
  entity_type: string;
  entity_value: string;
  /** For route actors: the resource kind the route serves (the alert's label); else ''. */
  resource_kind: string;
  title: string;
  first_seen_ms: number;
  last_seen_ms: number;
  version: number;
}

/** One line of an incident's timeline (table `incident_events`). */
export interface IncidentEventRow {
  tenant: string;
  incident_id: string;
  at_ms: number;
  actor: string;
  action: string;
  status: string;
  note: string;
}

export interface Actor {
  type: string;
  value: string;
  /** `type:value`, e.g. `client_ip:203.0.113.9`, `user:1234`, `route:/wp-json/wc/v3/customers/{id}`. */
  key: string;
}

export function actorKey(type: string, value: string): string {
  return `${type}:${value}`;
}

/**
 * Who an alert is about. A principal alert's actor is its entity. A route-keyed alert (entity type
 * `route`: distributed enumeration, many principals by design) has the route itself as its actor
 * (label `route`, else the entity value).
 */
export function actorOf(a: Pick<Alert, 'entity' | 'labels'>): Actor {
  if (a.entity.type === 'route') {
    const route = a.labels['route'] || a.entity.value;
    return { type: 'route', value: route, key: actorKey('route', route) };
  }
  return { type: a.entity.type, value: a.entity.value, key: actorKey(a.entity.type, a.entity.value) };
}

/**
 * Findings about what a route does rather than about who used it: it serves sensitive records to
 * anyone (unauthenticated-sensitive), it carries PHI in its URLs (phi-in-url). A reader of such a
 * route is not an actor worth an incident (and a page) of its own: many readers of one route are one
 * incident, keyed by the route, each reader a member (its own entity, so affected records stay per
 * reader).
 */
export const ROUTE_FINDINGS: ReadonlySet<string> = new Set(['unauthenticated-sensitive', 'phi-in-url']);

/**
 * What an alert is grouped by when it opens an incident: its route for route findings (label
 * `route`), else its actor. An alert first joins an open incident of its own actor (a reader that
 * also walked ids stays one incident), then one of this key.
 */
export function groupingActorOf(a: Pick<Alert, 'rule' | 'entity' | 'labels'>): Actor {
  const route = a.labels['route'];
  if (ROUTE_FINDINGS.has(a.rule) && route)
    return { type: 'route', value: route, key: actorKey('route', route) };
  return actorOf(a);
}

function hex32(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

/** Deterministic: a replay of the same alerts after a crash rebuilds the same ids. */
export function incidentIdOf(tenant: string, key: string, firstAlertId: string): string {
  return hex32(`${tenant}\u0000${key}\u0000${firstAlertId}`);
}

/** Incidents a person makes by hand from alerts (not replayable, so not derived from them alone). */
export function manualIncidentIdOf(
  tenant: string,
  alertIds: readonly string[],
  atMs: number,
  by: string,
): string {
  return hex32(`manual\u0000${tenant}\u0000${[...alertIds].sort().join(',')}\u0000${atMs}\u0000${by}`);
}

export function severityRank(s: string): number {
  return SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);
}

export function maxSeverity(a: string, b: string): string {
  return severityRank(b) > severityRank(a) ? b : a;
}

/** Severity weights of the risk score. */
export const SEVERITY_WEIGHT: Readonly<Record<string, number>> = Object.freeze({
  info: 1,
  low: 2,
  medium: 5,
  high: 10,
  critical: 20,
});

/**
 * Risk of one alert: severity weight x sqrt(score clamped to [1, 10]). The score is the rule's own
 * "how far past its bar" (1 = just at it); the square root and the cap keep one extreme window from
 * outweighing several distinct detections. An incident's risk is the sum over its alerts, so it
 * grows with every alert that joins (and with a re-emitted alert whose score grew).
 */
export function alertRisk(severity: string, score: number): number {
  const s = Number.isFinite(score) ? Math.min(Math.max(score, 1), 10) : 1;
  return (SEVERITY_WEIGHT[severity] ?? 1) * Math.sqrt(s);
}

export interface Summary {
  severity: string;
  risk_score: number;
  rules: string[];
  actor_keys: string[];
  alert_count: number;
  first_seen_ms: number;
  last_seen_ms: number;
}

/** What an incident's members add up to; `firstKey` (the opening actor) stays first in actor_keys. */
export function summarize(members: readonly MemberRow[], firstKey?: string): Summary {
  let severity = 'info';
  let risk = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const rules = new Set<string>();
  const keys = new Set<string>(firstKey ? [firstKey] : []);
  for (const m of members) {
    severity = maxSeverity(severity, m.severity);
    risk += alertRisk(m.severity, m.score);
    rules.add(m.rule);
    keys.add(actorKey(m.entity_type === 'route' ? 'route' : m.entity_type, m.entity_value));
    first = Math.min(first, m.first_seen_ms);
    last = Math.max(last, m.last_seen_ms);
  }
  return {
    severity: members.length ? severity : 'info',
    risk_score: Math.round(risk * 100) / 100,
    rules: [...rules].sort(),
    actor_keys: [...keys],
    alert_count: members.length,
    first_seen_ms: members.length ? first : 0,
    last_seen_ms: last,
  };
}

/**
 * An alert's current incident: its membership row with the newest joined_at_ms (a person's move is
 * later than the grouper's join, so it wins); ties go to the larger incident_id (deterministic).
 */
export function currentMembership(rows: readonly MemberRow[]): Map<string, MemberRow> {
  const out = new Map<string, MemberRow>();
  for (const r of rows) {
    const cur = out.get(r.alert_id);
    if (
      cur === undefined ||
      r.joined_at_ms > cur.joined_at_ms ||
      (r.joined_at_ms === cur.joined_at_ms && r.incident_id > cur.incident_id)
    )
      out.set(r.alert_id, r);
  }
  return out;
}

// ---- status model ----

/**
 * Allowed status changes. Forward to any later status (an incident may be closed straight away as a
 * false positive); back from contained to investigating (containment failed); closed can be
 * reopened to open (new evidence; the clock keeps its discovered_at). Nothing else goes backwards:
 * a notified incident can only be closed.
 */
export const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = Object.freeze({
  open: ['investigating', 'contained', 'notified', 'closed'],
  investigating: ['contained', 'notified', 'closed'],
  contained: ['investigating', 'notified', 'closed'],
  notified: ['closed'],
  closed: ['open'],
});

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** The row after a person's status change (new version written by the caller). */
export function applyStatus(row: IncidentRow, to: IncidentStatus, atMs: number, by: string): IncidentRow {
  const next: IncidentRow = { ...row, status: to, updated_by: by };
  if (to !== 'open' && next.confirmed_at_ms === 0) next.confirmed_at_ms = atMs;
  if (to === 'notified' && next.notified_at_ms === 0) next.notified_at_ms = atMs;
  if (to === 'closed') next.closed_at_ms = atMs;
  if (to === 'open') next.closed_at_ms = 0;
  return next;
}

// ---- the clock ----

export interface DeadlineConfig {
  name: string;
  hours: number;
}

export interface Deadline {
  name: string;
  hours: number;
  due_at: number;
  /** Seconds left when the clock stopped (or now, while it runs); negative when late. */
  remaining_s: number;
  overdue: boolean;
  /** When the clock stopped: the incident was notified (obligation met) or closed; else null. */
  stopped_at: number | null;
}

/** Whether an incident's clock still runs: it stops at notified (or closed without notice). */
export function clockStoppedAt(
  row: Pick<IncidentRow, 'notified_at_ms' | 'closed_at_ms' | 'status'>,
): number | null {
  if (row.notified_at_ms > 0) return row.notified_at_ms;
  if (row.status === 'closed' && row.closed_at_ms > 0) return row.closed_at_ms;
  return null;
}

/** One deadline per configured jurisdiction, counted from discovered_at (computed at read time). */
export function deadlinesOf(
  row: Pick<IncidentRow, 'discovered_at_ms' | 'notified_at_ms' | 'closed_at_ms' | 'status'>,
  config: readonly DeadlineConfig[],
  now: number,
): Deadline[] {
  const stopped = clockStoppedAt(row);
  const at = stopped ?? now;
  return config.map((d) => {
    const due = row.discovered_at_ms + Math.round(d.hours * 3_600_000);
    return {
      name: d.name,
      hours: d.hours,
      due_at: due,
      remaining_s: Math.floor((due - at) / 1000),
      overdue: at > due,
      stopped_at: stopped,
    };
  });
}

/** Fields a writer never changes by rebasing: the key, and what says who wrote this version. */
const REBASE_SKIP = new Set<keyof IncidentRow>(['incident_id', 'tenant', 'version', 'updated_by']);

const same = (a: unknown, b: unknown) =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;

/**
 * A version about to be written, made current against the newest stored one (read just before the
 * write). Both writers (the grouper, people through the API) read, change some fields and write a
 * whole row; without this, the later write undoes what the other wrote in between (a person's
 * status reverted by the grouper's member count, or the reverse). A three-way merge per field:
 * a field this writer left as it read it (`base`) takes the stored value; a field it changed keeps
 * its change; actor_keys changed on both sides are united. The version follows the stored one.
 */
export function rebaseIncident(
  next: IncidentRow,
  base: IncidentRow | undefined,
  stored: IncidentRow | undefined,
): IncidentRow {
  if (stored === undefined || base === undefined || stored.version <= base.version) return next;
  const out: Record<string, unknown> = { ...next };
  for (const k of Object.keys(next) as (keyof IncidentRow)[]) {
    if (REBASE_SKIP.has(k) || same(stored[k], base[k])) continue; // nobody else changed it
    if (same(next[k], base[k])) out[k] = stored[k];
    else if (k === 'actor_keys') out[k] = [...new Set([...stored.actor_keys, ...next.actor_keys])];
  }
  out['version'] = Math.max(next.version, stored.version + 1);
  return out as unknown as IncidentRow;
}

/** The next version number: later than the stored one even if clocks disagree. */
export function nextVersion(current: number, now: number): number {
  return Math.max(now, current + 1);
}
