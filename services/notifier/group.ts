// Route -> group/dedup: the notifier's state machine, pure apart from the clock it is given.
//
// One group per receiver and actor (tenant + entity: the incident grouper's unit, so the alerts of
// one attack share a group even before their incident is known). A new group waits group_wait, so
// the incident grouper's open/join can arrive and the first page already names the incident; then
// one trigger. Later alerts of the group are folded into it, except one repeat trigger per
// repeat_interval of EVENT time while nobody has acknowledged it. A person's ack (or the incident
// moving to investigating/contained/notified) acknowledges the page, the group's last open alert
// resolved or suppressed (or the incident closed) resolves it. Alerts the detector marked
// suppressed never page.
//
// Until the incident is known the dedup key is `actor-<sha256(tenant, entity)>` (one key per actor
// whichever of its alerts and fingerprints came first, so a restart that re-reads them in another
// order keeps the key). Every page id is deterministic (receiver, dedup key, generation, action, n),
// so a page sent again after a crash carries the same idempotency key / dedup_key and the receiver
// collapses it.
import { createHash } from 'node:crypto';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import { groupingActorOf, ROUTE_FINDINGS } from '#shared/incidents/model.js';
import { type Route, route, SEVERITIES } from './config.js';
import {
  alertLink,
  explanationSummary,
  isIp,
  type Page,
  type PageAction,
  pageId,
  pageLabels,
  safeTitle,
} from './page.js';

export interface GrouperOptions {
  routes: readonly Route[];
  apiBaseUrl: string;
  /** A group whose last alert is older than this (event time) is over: the next alert opens a new one. */
  groupTtlMs?: number;
  /** Delivers a page; resolves once it is delivered or dead-lettered (never rejects). */
  emit: (page: Page) => Promise<void>;
  /** Counters (metrics.ts wires them). */
  onFolded?: (receiver: string) => void;
  onSuppressed?: (receiver: string) => void;
}

type GroupState = 'pending' | 'firing' | 'acknowledged' | 'resolved';

interface Group {
  receiver: string;
  route: Route;
  actorKey: string;
  /** Groups of this receiver and actor before this one (in this process): part of the page id. */
  gen: number;
  state: GroupState;
  dedupKey: string | null;
  incidentId: string | null;
  first: Alert;
  top: Alert;
  alertIds: Set<string>;
  openIds: Set<string>;
  startsAt: number;
  lastSeen: number;
  /** Triggers sent so far (the next trigger's n). */
  triggers: number;
  lastTriggerEventTime: number;
  /** Labels and severity of the first page: the receiver's identity of this page (Alertmanager). */
  pagedLabels: Record<string, string> | null;
  pagedSeverity: Alert['severity'];
  dueAt: number | null;
  pending: { promise: Promise<void>; resolve: () => void } | null;
  inflight: Promise<void>;
  touchedAt: number;
}

const DAY = 86_400_000;
const MAX_REMEMBERED = 200_000;

/**
 * The incident grouper's unit: the alert's entity, or for a route finding (an anonymous read of a
 * sensitive route) the route, so many readers of one exposed route page once.
 */
export function actorKey(a: Pick<Alert, 'tenant' | 'entity' | 'rule' | 'labels'>): string {
  const actor = ROUTE_FINDINGS.has(a.rule) ? groupingActorOf(a) : a.entity;
  return createHash('sha256')
    .update(`${a.tenant}\u0000${actor.type}\u0000${actor.value}`)
    .digest('hex')
    .slice(0, 32);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A Set/Map that forgets its oldest entries beyond a bound. */
function remember<K, V>(m: Map<K, V>, k: K, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > MAX_REMEMBERED) m.delete(m.keys().next().value as K);
}

export class Grouper {
  private readonly o: Required<Omit<GrouperOptions, 'onFolded' | 'onSuppressed'>> &
    Pick<GrouperOptions, 'onFolded' | 'onSuppressed'>;
  /** receiver \0 actor -> its current group. */
  private readonly byActor = new Map<string, Group>();
  private readonly byAlert = new Map<string, Set<Group>>();
  private readonly incidentOfAlert = new Map<string, string>();
  /** Alerts a person resolved or suppressed: the detector's later re-emissions do not page again. */
  private readonly closedAlerts = new Map<string, true>();
  /** Rebuilding from messages already committed: their pages were delivered, so nothing is sent. */
  private replaying = false;

  constructor(o: GrouperOptions) {
    this.o = { groupTtlMs: DAY, ...o };
  }

  get groupCount(): number {
    return this.byActor.size;
  }

  /** Returns what this alert's delivery depends on: the pages it caused or was folded into. */
  onAlert(a: Alert, now: number): Promise<void>[] {
    const routes = route(this.o.routes, a);
    const waits: Promise<void>[] = [];
    if (a.status === 'suppressed' || a.status === 'resolved') {
      for (const r of routes) if (a.status === 'suppressed') this.o.onSuppressed?.(r.receiver);
      this.closeAlert(a.alert_id, now, waits);
      return waits;
    }
    if (this.closedAlerts.has(a.alert_id)) {
      for (const g of this.byAlert.get(a.alert_id) ?? []) {
        this.o.onFolded?.(g.receiver);
        waits.push(g.inflight);
      }
      return waits;
    }
    const actor = actorKey(a);
    for (const r of routes) {
      const key = `${r.receiver}\u0000${actor}`;
      let g = this.byActor.get(key);
      const prev = g;
      if (g && (g.state === 'resolved' || a.last_seen - g.lastSeen > this.o.groupTtlMs)) g = undefined;
      if (!g) {
        g = this.newGroup(r, actor, a, now, prev ? prev.gen + 1 : 0);
        this.byActor.set(key, g);
        this.index(g, a.alert_id);
        if (g.dueAt !== null && g.dueAt <= now) this.flush(g, now);
        waits.push(g.pending?.promise ?? g.inflight);
        continue;
      }
      g.touchedAt = now;
      this.index(g, a.alert_id);
      g.openIds.add(a.alert_id);
      if (SEVERITIES.indexOf(a.severity) > SEVERITIES.indexOf(g.top.severity)) g.top = a;
      g.lastSeen = Math.max(g.lastSeen, a.last_seen);
      const inc = this.incidentOfAlert.get(a.alert_id);
      if (inc && !g.incidentId) g.incidentId = inc;
      if (g.state === 'firing' && g.lastSeen - g.lastTriggerEventTime >= r.repeatIntervalMs) {
        this.send(g, 'trigger', g.triggers, now);
      } else {
        this.o.onFolded?.(g.receiver);
      }
      waits.push(g.pending?.promise ?? g.inflight);
    }
    return waits;
  }

  onStatus(c: StatusChange, now: number): Promise<void>[] {
    const waits: Promise<void>[] = [];
    if (c.kind === 'incident') {
      const incident = c.incident_id ?? c.object_id;
      if (c.action === 'open' || c.action === 'join' || c.action === 'merge') {
        for (const id of c.alert_ids) {
          remember(this.incidentOfAlert, id, incident);
          for (const g of this.byAlert.get(id) ?? []) if (!g.incidentId) g.incidentId = incident;
        }
      } else if (c.action === 'status') {
        for (const g of this.groupsOfIncident(incident)) {
          if (c.status === 'closed') this.resolveGroup(g, now);
          else if (c.status === 'investigating' || c.status === 'contained' || c.status === 'notified')
            this.ackGroup(g, now);
          waits.push(g.inflight);
        }
      }
    } else if (c.kind === 'alert') {
      if (c.action === 'ack') {
        for (const g of this.byAlert.get(c.object_id) ?? []) {
          this.ackGroup(g, now);
          waits.push(g.inflight);
        }
      } else if (c.action === 'resolve' || c.action === 'suppress') {
        this.closeAlert(c.object_id, now, waits);
      } else if (c.action === 'reopen') {
        this.closedAlerts.delete(c.object_id);
        for (const g of this.byAlert.get(c.object_id) ?? []) {
          g.openIds.add(c.object_id);
          if (g.state === 'resolved' && g.dedupKey) {
            g.state = 'firing';
            g.lastTriggerEventTime = g.lastSeen;
            this.send(g, 'trigger', g.triggers, now);
          }
          waits.push(g.inflight);
        }
      }
    } else if (c.kind === 'suppression' && c.action === 'create') {
      for (const id of c.alert_ids) this.closeAlert(id, now, waits);
    }
    return waits;
  }

  /**
   * Replays messages read before the committed offsets (notifier.ts at start): the state is rebuilt
   * as it was, and nothing is sent, because every page those messages caused or were folded into was
   * delivered or dead-lettered before their offsets were committed. Groups still in group_wait at the
   * end were therefore paged too.
   */
  replay(apply: (g: this) => void): void {
    this.replaying = true;
    try {
      apply(this);
      for (const g of this.byActor.values()) if (g.state === 'pending') this.flush(g, g.touchedAt);
    } finally {
      this.replaying = false;
    }
  }

  /** Sends the groups whose group_wait is over; forgets groups long over. Call every second or so. */
  tick(now: number): void {
    for (const [key, g] of this.byActor) {
      if (g.state === 'pending' && g.dueAt !== null && g.dueAt <= now) this.flush(g, now);
      else if (g.state !== 'pending' && now - g.touchedAt > this.o.groupTtlMs) {
        this.byActor.delete(key);
        for (const id of g.alertIds) {
          const set = this.byAlert.get(id);
          set?.delete(g);
          if (set && set.size === 0) this.byAlert.delete(id);
        }
      }
    }
  }

  /** The earliest group_wait end, for a timer. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const g of this.byActor.values())
      if (g.state === 'pending' && g.dueAt !== null && (next === null || g.dueAt < next)) next = g.dueAt;
    return next;
  }

  private newGroup(r: Route, actor: string, a: Alert, now: number, gen: number): Group {
    const inc = this.incidentOfAlert.get(a.alert_id) ?? null;
    return {
      gen,
      receiver: r.receiver,
      route: r,
      actorKey: actor,
      state: 'pending',
      dedupKey: null,
      incidentId: inc,
      first: a,
      top: a,
      alertIds: new Set(),
      openIds: new Set([a.alert_id]),
      startsAt: a.first_seen,
      lastSeen: a.last_seen,
      triggers: 0,
      lastTriggerEventTime: a.last_seen,
      pagedLabels: null,
      pagedSeverity: a.severity,
      dueAt: now + r.groupWaitMs,
      pending: deferred(),
      inflight: Promise.resolve(),
      touchedAt: now,
    };
  }

  private index(g: Group, alertId: string): void {
    g.alertIds.add(alertId);
    let set = this.byAlert.get(alertId);
    if (!set) {
      set = new Set();
      this.byAlert.set(alertId, set);
    }
    set.add(g);
  }

  private groupsOfIncident(incident: string): Group[] {
    const out: Group[] = [];
    for (const g of this.byActor.values()) if (g.incidentId === incident) out.push(g);
    return out;
  }

  private closeAlert(alertId: string, now: number, waits: Promise<void>[]): void {
    remember(this.closedAlerts, alertId, true);
    for (const g of this.byAlert.get(alertId) ?? []) {
      g.openIds.delete(alertId);
      if (g.openIds.size === 0) this.resolveGroup(g, now);
      waits.push(g.pending?.promise ?? g.inflight);
    }
  }

  private flush(g: Group, now: number): void {
    g.dedupKey = g.incidentId ?? `actor-${g.actorKey}`;
    g.state = 'firing';
    g.dueAt = null;
    g.pagedLabels = pageLabels(g.top);
    g.pagedSeverity = g.top.severity;
    g.lastTriggerEventTime = g.lastSeen;
    this.send(g, 'trigger', 0, now);
    const p = g.pending;
    g.pending = null;
    if (p) void g.inflight.then(p.resolve);
  }

  /** A group still in group_wait that is acknowledged or resolved never pages. */
  private drop(g: Group, state: GroupState): void {
    g.state = state;
    g.dueAt = null;
    this.o.onSuppressed?.(g.receiver);
    g.pending?.resolve();
    g.pending = null;
  }

  private ackGroup(g: Group, now: number): void {
    if (g.state === 'pending') this.drop(g, 'acknowledged');
    else if (g.state === 'firing') {
      g.state = 'acknowledged';
      this.send(g, 'acknowledge', 0, now);
    }
  }

  private resolveGroup(g: Group, now: number): void {
    if (g.state === 'pending') this.drop(g, 'resolved');
    else if (g.state === 'firing' || g.state === 'acknowledged') {
      g.state = 'resolved';
      this.send(g, 'resolve', 0, now);
    }
  }

  private send(g: Group, action: PageAction, n: number, now: number): void {
    if (action === 'trigger') {
      g.triggers = n + 1;
      g.lastTriggerEventTime = g.lastSeen;
    }
    const dedupKey = g.dedupKey as string;
    const a = g.top;
    const page: Page = {
      id: pageId([g.receiver, dedupKey, g.gen, action, n]),
      receiver: g.receiver,
      dedupKey,
      incidentId: g.incidentId,
      action,
      n,
      tenant: a.tenant,
      rule: g.first.rule,
      severity: g.pagedSeverity,
      entityType: a.entity.type,
      entityIp: isIp(a.entity.value) ? a.entity.value : null,
      title: safeTitle(a),
      summary: explanationSummary(a),
      alertId: g.first.alert_id,
      alertCount: g.alertIds.size,
      startsAt: g.startsAt,
      lastSeen: g.lastSeen,
      endsAt: action === 'resolve' ? Math.max(now, g.lastSeen) : null,
      link: alertLink(this.o.apiBaseUrl, g.first.alert_id),
      labels: g.pagedLabels ?? pageLabels(a),
      createdAt: now,
    };
    if (this.replaying) return;
    const delivered = this.o.emit(page);
    const prev = g.inflight;
    g.inflight = Promise.all([prev, delivered]).then(() => {});
  }
}
