// Per-entity window state, which rules read through the WindowView interface.
//
// Two clocks, both event time:
// - the tumbling window (windowStart..windowEnd, aligned to the epoch) gives alerts their identity
//   (alert_id = rule + entity + window start) and the per-window totals the baseline learns from;
// - sliding state: counters in `SUB_BUCKETS` sub-buckets covering the last window length
//   (`recent()`), and resource ids per route kept with their time for `idHorizonMs` (hours), so
//   a walk that straddles a window boundary, or crawls one id a minute, is still one walk.
// Bounded: at most `maxIdsPerRoute` ids per route, `maxRoutes` routes, `MAX_PEERS` addresses and
// user agents per entity; what does not fit is counted (dropped / routesDropped), never stored.
// Small: most entities are a browser reading a few pages, so route state is kept only for routes
// that carry a resource (an id or a kind) or emergency access, id arrays are allocated on the
// first id, and counters live in one typed array (make bench: bytes per active entity).

import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Entity } from '#shared/avro/generated/alert.js';
import type { RecentCounters, RouteIdsView, WindowView } from '../rules/types.js';

export interface WindowLimits {
  maxIdsPerRoute: number;
  maxRoutes: number;
  /** How long resource ids stay in route state (sliding), event time. */
  idHorizonMs: number;
}

/** Totals over all entities and windows, shared with the engine's stats. */
export interface DropCounters {
  idsDropped: number;
  routesDropped: number;
}

const D0 = 0x30;
const D9 = 0x39;

/**
 * Numeric value of a resource id, or NaN: `1234` → 1234; a name with one number in it,
 * `session-0007.mp4` / `report_12.pdf` → 7 / 12 (letters, `-`, `_` before the digits, an
 * extension of up to 8 letters or digits after). Redaction tokens, UUIDs and hex hashes → NaN.
 */
export function numericId(id: string | null): number {
  if (id === null) return Number.NaN;
  const n = id.length;
  if (n === 0 || n > 64) return Number.NaN;
  let i = 0;
  // prefix: letters, '-', '_'
  while (i < n) {
    const c = id.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f) i++;
    else break;
  }
  if (i > 0 && id.startsWith('tok_')) return Number.NaN;
  const d0 = i;
  let v = 0;
  while (i < n) {
    const c = id.charCodeAt(i);
    if (c < D0 || c > D9) break;
    v = v * 10 + (c - D0);
    i++;
  }
  const digits = i - d0;
  if (digits === 0 || digits > 15) return Number.NaN;
  if (i === n) return v;
  if (id.charCodeAt(i) !== 0x2e || n - i - 1 > 8 || n - i - 1 === 0) return Number.NaN;
  for (let k = i + 1; k < n; k++) {
    const c = id.charCodeAt(k);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= D0 && c <= D9);
    if (!ok) return Number.NaN;
  }
  return v;
}

/** Sub-buckets of the sliding counters; each covers windowMs / SUB_BUCKETS. */
export const SUB_BUCKETS = 5;
/** Distinct client addresses / user agents remembered per entity (session sharing). */
export const MAX_PEERS = 64;

// Sliding counter fields (index into a sub-bucket).
const F_EVENTS = 0;
const F_BYTES = 1;
const F_ROWS = 2;
const F_ID_REQ = 3;
const F_ID_ERR = 4;
const F_UNAUTH = 5;
const F_EMERG = 6;
const F_PHI = 7;
const FIELDS = 8;
const STRIDE = FIELDS + 1;
/** Routes scanned linearly before a Map index is built. */
const LINEAR_ROUTES = 8;

function newBuckets(): Float64Array {
  const b = new Float64Array(SUB_BUCKETS * STRIDE);
  for (let s = 0; s < SUB_BUCKETS; s++) b[s * STRIDE] = Number.NEGATIVE_INFINITY;
  return b;
}

export class RouteState implements RouteIdsView {
  readonly tenant: string;
  readonly route: string;
  resourceKind: string | null = null;
  count = 0;
  errors = 0;
  emergency = 0;
  distinct = 0;
  // Shared empty arrays until the first id (copy on write in addId).
  ids: number[] = NO_NUMBERS;
  eventIds: string[] = NO_STRINGS;
  ts: number[] = NO_NUMBERS;
  sorted: number[] = NO_NUMBERS;
  /** Principal hash per id; only route-keyed state fills it. */
  principals: number[] | null = null;
  /** Non-numeric resource ids (UUIDs, hashes, tokens) → last time seen. Null until the first. */
  others: Map<string, number> | null = null;
  dropped = 0;
  nonNumeric = 0;
  lastTs = Number.NEGATIVE_INFINITY;

  constructor(tenant: string, route: string) {
    this.tenant = tenant;
    this.route = route;
  }

  /** Records one id; true when it is a new distinct id that was stored. */
  addId(id: number, eventId: string, ts: number, cap: number, drops: DropCounters, principal = 0): boolean {
    if (this.sorted === NO_NUMBERS) {
      this.ids = [];
      this.eventIds = [];
      this.ts = [];
      this.sorted = [];
    }
    const s = this.sorted;
    const n = s.length;
    let pos: number;
    if (n === 0 || id > (s[n - 1] as number)) {
      pos = n; // ascending walks append
    } else {
      pos = lowerBound(s, id);
      if (pos < n && s[pos] === id) return false;
    }
    if (n >= cap) {
      this.dropped++;
      drops.idsDropped++;
      return false;
    }
    if (pos === n) s.push(id);
    else s.splice(pos, 0, id);
    this.ids.push(id);
    this.eventIds.push(eventId);
    this.ts.push(ts);
    if (this.principals !== null) this.principals.push(principal);
    this.distinct = n + 1;
    return true;
  }

  /** Remembers a non-numeric id; true when it was new. */
  addOther(id: string, ts: number, cap: number, drops: DropCounters): boolean {
    if (this.others === null) this.others = new Map();
    const had = this.others.has(id);
    if (!had && this.others.size >= cap) {
      this.dropped++;
      drops.idsDropped++;
      return false;
    }
    this.others.set(id, ts);
    return !had;
  }

  /** Drops ids first seen before `cutoff` (ids arrive roughly in time order: expire from the front). */
  expire(cutoff: number): void {
    const ts = this.ts;
    let k = 0;
    while (k < ts.length && (ts[k] as number) < cutoff) k++;
    if (k > 0) {
      for (let i = 0; i < k; i++) {
        const p = lowerBound(this.sorted, this.ids[i] as number);
        this.sorted.splice(p, 1);
      }
      this.ids = this.ids.slice(k);
      this.eventIds = this.eventIds.slice(k);
      this.ts = ts.slice(k);
      if (this.principals !== null) this.principals = this.principals.slice(k);
      this.distinct = this.sorted.length;
    }
    if (this.others !== null) {
      for (const [id, t] of this.others) if (t < cutoff) this.others.delete(id);
    }
  }

  /** Distinct ids (numeric and other) first seen at or after `since`. */
  distinctSince(since: number): number {
    let c = 0;
    const ts = this.ts;
    for (let i = ts.length - 1; i >= 0; i--) {
      if ((ts[i] as number) >= since) c++;
    }
    if (this.others !== null) for (const t of this.others.values()) if (t >= since) c++;
    return c;
  }
}

const NO_NUMBERS: number[] = Object.freeze([]) as unknown as number[];
const NO_STRINGS: string[] = Object.freeze([]) as unknown as string[];
/** `changed` when the event stored no new id. */
const NOTHING_CHANGED: RouteState[] = Object.freeze([]) as unknown as RouteState[];

function lowerBound(s: readonly number[], v: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((s[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the event contributes to the sliding counters, decided once per event. */
export interface EventTraits {
  /** The route is an id route (it named a resource kind). */
  idRoute: boolean;
  /** 403 or 404. */
  denied: boolean;
  /** 2xx to a principal that is not authenticated, on a route that named a resource kind. */
  unauthSensitive: boolean;
}

export function traitsOf(e: AccessEvent): EventTraits {
  const idRoute = e.resource_kind !== null;
  const s = e.status;
  return {
    idRoute,
    denied: s === 403 || s === 404,
    unauthSensitive: idRoute && !e.authenticated && s !== null && s >= 200 && s < 300,
  };
}

export class EntityWindow implements WindowView {
  readonly entity: Entity;
  tenant = '';
  windowStart = 0;
  windowEnd = 0;
  firstSeen = 0;
  lastSeen = 0;
  events = 0;
  bytesOut = 0;
  rowsOut = 0;
  peerClass = 'none';
  private largest = -1;
  routes: RouteState[] = [];
  changed: RouteState[] = NOTHING_CHANGED;
  routesDropped = 0;
  /** The event being processed while rules run; null otherwise. */
  event: AccessEvent | null = null;
  /** Latest event time seen for this entity (idle eviction, sliding state). */
  lastActivity = Number.NEGATIVE_INFINITY;
  /** Alerts emitted in this window, by rule + entity. Null until the first one. */
  emitted: Map<string, EmittedAlert> | null = null;
  /** Client addresses and user agents → last time seen (sessions only; null otherwise). */
  ips: Map<string, number> | null = null;
  agents: Map<string, number> | null = null;
  /** Resources read under emergency access → time (null until the first). */
  emergencyResources: Map<string, number> | null = null;
  /** Route lookup once an entity has many routes; a linear scan below that. */
  private byKey: Map<string, RouteState> | null = null;
  /** Per sub-bucket: its start time, then FIELDS counters. */
  private readonly buckets = newBuckets();
  private recentCache: RecentCounters | null = null;
  private subMs = 0;
  private readonly limits: WindowLimits;
  private readonly drops: DropCounters;
  private sincePrune = 0;

  constructor(entity: Entity, limits: WindowLimits, drops: DropCounters) {
    this.entity = entity;
    this.limits = limits;
    this.drops = drops;
    if (entity.type === 'session') {
      this.ips = new Map();
      this.agents = new Map();
    }
  }

  /** Starts a new tumbling window: per-window totals and emitted alerts restart; sliding state stays. */
  reset(windowStart: number, windowMs: number, tenant: string): void {
    this.tenant = tenant;
    this.windowStart = windowStart;
    this.windowEnd = windowStart + windowMs;
    this.subMs = windowMs / SUB_BUCKETS;
    this.firstSeen = Number.POSITIVE_INFINITY;
    this.lastSeen = Number.NEGATIVE_INFINITY;
    this.events = 0;
    this.bytesOut = 0;
    this.rowsOut = 0;
    this.peerClass = 'none';
    this.largest = -1;
    this.changed = NOTHING_CHANGED;
    this.emitted = null;
    this.prune(windowStart);
  }

  /** Drops ids and routes older than the id horizon, and peers older than one window. */
  prune(now: number): void {
    const cutoff = now - this.limits.idHorizonMs;
    if (this.routes.length > 0) {
      const keep: RouteState[] = [];
      for (const r of this.routes) {
        if (r.lastTs < cutoff) {
          this.byKey?.delete(r.tenant + '\u0000' + r.route);
          continue;
        }
        r.expire(cutoff);
        keep.push(r);
      }
      this.routes = keep;
    }
    const peerCutoff = now - this.subMs * SUB_BUCKETS;
    for (const m of [this.ips, this.agents, this.emergencyResources]) {
      if (m === null) continue;
      for (const [k, t] of m) if (t < (m === this.emergencyResources ? cutoff : peerCutoff)) m.delete(k);
    }
    this.sincePrune = 0;
  }

  private bump(ts: number, field: number, v: number): void {
    this.recentCache = null;
    const b = Math.floor(ts / this.subMs);
    const slot = b % SUB_BUCKETS;
    const start = b * this.subMs;
    const o = slot * STRIDE;
    const cur = this.buckets[o] as number;
    if (start > cur) {
      this.buckets.fill(0, o, o + STRIDE);
      this.buckets[o] = start;
    } else if (start < cur) {
      return; // older than the sliding span: counted in the window totals only
    }
    const i = o + 1 + field;
    this.buckets[i] = (this.buckets[i] as number) + v;
  }

  /** Sliding sums over the last window length, ending at the latest event (cached until the next event). */
  recent(): RecentCounters {
    if (this.recentCache !== null) return this.recentCache;
    const since = this.lastActivity - this.subMs * SUB_BUCKETS;
    const sum = new Float64Array(FIELDS);
    for (let s = 0; s < SUB_BUCKETS; s++) {
      const o = s * STRIDE;
      if ((this.buckets[o] as number) <= since) continue;
      for (let f = 0; f < FIELDS; f++) sum[f] = (sum[f] as number) + (this.buckets[o + 1 + f] as number);
    }
    this.recentCache = {
      events: sum[F_EVENTS] as number,
      bytesOut: sum[F_BYTES] as number,
      rowsOut: sum[F_ROWS] as number,
      idRouteRequests: sum[F_ID_REQ] as number,
      idRouteDenied: sum[F_ID_ERR] as number,
      unauthSensitive: sum[F_UNAUTH] as number,
      emergency: sum[F_EMERG] as number,
      phi: sum[F_PHI] as number,
      since,
    };
    return this.recentCache;
  }

  /** Bytes in the sliding span, without building the full counters (cheap pre-checks). */
  recentBytes(): number {
    const since = this.lastActivity - this.subMs * SUB_BUCKETS;
    let n = 0;
    for (let s = 0; s < SUB_BUCKETS; s++) {
      const o = s * STRIDE;
      if ((this.buckets[o] as number) > since) n += this.buckets[o + 1 + F_BYTES] as number;
    }
    return n;
  }

  /** Distinct resources (all id routes) first requested within the last window length. */
  recentDistinctResources(): number {
    const since = this.lastActivity - this.subMs * SUB_BUCKETS;
    let c = 0;
    for (const r of this.routes) if (r.resourceKind !== null) c += r.distinctSince(since);
    return c;
  }

  /**
   * Adds one event. Returns the route state when the event stored a new distinct numeric id
   * (and sets `changed` to it), else null (and `changed` empty).
   */
  add(e: AccessEvent, t: EventTraits = traitsOf(e)): RouteState | null {
    const ts = e.ts;
    this.events++;
    this.bytesOut += e.bytes_out;
    if (e.rows_out !== null) this.rowsOut += e.rows_out;
    if (e.bytes_out > this.largest) {
      this.largest = e.bytes_out;
      this.peerClass = e.resource_kind ?? 'none';
    }
    if (ts < this.firstSeen) this.firstSeen = ts;
    if (ts > this.lastSeen) this.lastSeen = ts;
    this.bump(ts, F_EVENTS, 1);
    if (e.bytes_out > 0) this.bump(ts, F_BYTES, e.bytes_out);
    if (e.rows_out !== null && e.rows_out > 0) this.bump(ts, F_ROWS, e.rows_out);
    if (t.idRoute) {
      this.bump(ts, F_ID_REQ, 1);
      if (t.denied) this.bump(ts, F_ID_ERR, 1);
    }
    if (t.unauthSensitive) this.bump(ts, F_UNAUTH, 1);
    if (e.emergency_access) this.bump(ts, F_EMERG, 1);
    if (e.findings.length > 0) this.bump(ts, F_PHI, 1);
    if (this.ips !== null) remember(this.ips, e.client_ip, ts);
    if (this.agents !== null) remember(this.agents, e.user_agent, ts);
    if (++this.sincePrune >= 256) this.prune(ts);
    this.changed = NOTHING_CHANGED;
    // Pages without a resource are counted above, not kept per route.
    if (e.resource_id === null && e.resource_kind === null && !e.emergency_access) return null;
    let r = this.findRoute(e.tenant, e.route);
    if (r === undefined) {
      if (this.routes.length >= this.limits.maxRoutes) {
        this.routesDropped++;
        this.drops.routesDropped++;
        return null;
      }
      r = new RouteState(e.tenant, e.route);
      this.routes.push(r);
      if (this.byKey !== null) this.byKey.set(e.tenant + '\u0000' + e.route, r);
      else if (this.routes.length > LINEAR_ROUTES) {
        this.byKey = new Map();
        for (const x of this.routes) this.byKey.set(x.tenant + '\u0000' + x.route, x);
      }
    }
    r.count++;
    if (ts > r.lastTs) r.lastTs = ts;
    if (t.denied) r.errors++;
    if (r.resourceKind === null && e.resource_kind !== null) r.resourceKind = e.resource_kind;
    if (e.emergency_access) {
      r.emergency++;
      if (e.resource_id !== null) {
        if (this.emergencyResources === null) this.emergencyResources = new Map();
        const rk = e.route + '\u0000' + e.resource_id;
        if (this.emergencyResources.size < this.limits.maxIdsPerRoute || this.emergencyResources.has(rk))
          this.emergencyResources.set(rk, ts);
      }
    }
    const id = numericId(e.resource_id);
    if (Number.isNaN(id)) {
      r.nonNumeric++;
      if (e.resource_id !== null && r.resourceKind !== null)
        r.addOther(e.resource_id, ts, this.limits.maxIdsPerRoute, this.drops);
      return null;
    }
    if (!r.addId(id, e.event_id, ts, this.limits.maxIdsPerRoute, this.drops)) return null;
    this.changed = [r];
    return r;
  }

  private findRoute(tenant: string, route: string): RouteState | undefined {
    if (this.byKey !== null) return this.byKey.get(tenant + '\u0000' + route);
    for (const r of this.routes) if (r.route === route && r.tenant === tenant) return r;
    return undefined;
  }

  /**
   * Adds one event to route-keyed state (entity = one tenant + route): ids remember a hash of the
   * principal that asked. Returns the route when a new distinct numeric id was stored.
   */
  addRouteKeyed(e: AccessEvent, principal: number): RouteState | null {
    const ts = e.ts;
    this.events++;
    this.bytesOut += e.bytes_out;
    if (ts < this.firstSeen) this.firstSeen = ts;
    if (ts > this.lastSeen) this.lastSeen = ts;
    this.bump(ts, F_EVENTS, 1);
    if (++this.sincePrune >= 256) this.prune(ts);
    this.changed = NOTHING_CHANGED;
    let r = this.routes[0];
    if (r === undefined) {
      r = new RouteState(e.tenant, e.route);
      r.principals = [];
      this.routes.push(r);
    }
    r.count++;
    if (ts > r.lastTs) r.lastTs = ts;
    if (e.status === 403 || e.status === 404) r.errors++;
    if (r.resourceKind === null && e.resource_kind !== null) r.resourceKind = e.resource_kind;
    const id = numericId(e.resource_id);
    if (Number.isNaN(id)) {
      r.nonNumeric++;
      return null;
    }
    if (!r.addId(id, e.event_id, ts, this.limits.maxIdsPerRoute, this.drops, principal)) return null;
    this.changed = [r];
    return r;
  }

  /** Distinct client addresses / user agents seen in the last window length (sessions). */
  peers(): { ips: number; agents: number } {
    const since = this.lastActivity - this.subMs * SUB_BUCKETS;
    return { ips: countSince(this.ips, since), agents: countSince(this.agents, since) };
  }

  /** A view whose `changed` lists every route: what a rule sees in a full evaluation. */
  fullView(): WindowView {
    return Object.assign(Object.create(Object.getPrototypeOf(this)), this, {
      changed: this.routes,
    }) as WindowView;
  }
}

function remember(m: Map<string, number>, v: string | null, ts: number): void {
  if (v === null || v === '') return;
  if (m.size >= MAX_PEERS && !m.has(v)) return;
  const prev = m.get(v);
  if (prev === undefined || ts > prev) m.set(v, ts);
}

function countSince(m: Map<string, number> | null, since: number): number {
  if (m === null) return 0;
  let c = 0;
  for (const t of m.values()) if (t > since) c++;
  return c;
}

export interface EmittedAlert {
  alertId: string;
  fingerprint: string;
  observed: number;
  firstSeen: number;
  lastSeen: number;
}
