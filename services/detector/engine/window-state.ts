// Per-entity tumbling-window state, which rules read through the WindowView interface.
// Bounded: at most `maxIdsPerRoute` distinct ids per route and `maxRoutes` routes per entity per
// window; what does not fit is counted (dropped / routesDropped), never stored.

import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Entity } from '#shared/avro/generated/alert.js';
import type { RouteIdsView, WindowView } from '../rules/types.js';

export interface WindowLimits {
  maxIdsPerRoute: number;
  maxRoutes: number;
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

export class RouteState implements RouteIdsView {
  readonly tenant: string;
  readonly route: string;
  resourceKind: string | null = null;
  count = 0;
  distinct = 0;
  readonly ids: number[] = [];
  readonly eventIds: string[] = [];
  readonly ts: number[] = [];
  readonly sorted: number[] = [];
  dropped = 0;
  nonNumeric = 0;

  constructor(tenant: string, route: string) {
    this.tenant = tenant;
    this.route = route;
  }

  /** Records one id; true when it is a new distinct id that was stored. */
  addId(id: number, eventId: string, ts: number, cap: number, drops: DropCounters): boolean {
    const s = this.sorted;
    const n = s.length;
    let pos: number;
    if (n === 0 || id > (s[n - 1] as number)) {
      pos = n; // ascending walks append
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((s[mid] as number) < id) lo = mid + 1;
        else hi = mid;
      }
      if (lo < n && s[lo] === id) return false;
      pos = lo;
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
    this.distinct = n + 1;
    return true;
  }
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
  routes: RouteState[] = [];
  changed: RouteState[] = [];
  routesDropped = 0;
  /** Latest event time seen for this entity (idle eviction). */
  lastActivity = Number.NEGATIVE_INFINITY;
  /** Alerts emitted in this window, by rule + entity. Null until the first one. */
  emitted: Map<string, EmittedAlert> | null = null;
  private byTenant = new Map<string, Map<string, RouteState>>();
  private readonly limits: WindowLimits;
  private readonly drops: DropCounters;

  constructor(entity: Entity, limits: WindowLimits, drops: DropCounters) {
    this.entity = entity;
    this.limits = limits;
    this.drops = drops;
  }

  /** Starts a new window (drops the previous window's state). */
  reset(windowStart: number, windowMs: number, tenant: string): void {
    this.tenant = tenant;
    this.windowStart = windowStart;
    this.windowEnd = windowStart + windowMs;
    this.firstSeen = Number.POSITIVE_INFINITY;
    this.lastSeen = Number.NEGATIVE_INFINITY;
    this.events = 0;
    this.bytesOut = 0;
    this.routes = [];
    this.changed.length = 0;
    this.routesDropped = 0;
    this.emitted = null;
    this.byTenant = new Map();
  }

  /**
   * Adds one event. Returns the route state when the event stored a new distinct numeric id
   * (and sets `changed` to it), else null (and `changed` empty).
   */
  add(e: AccessEvent): RouteState | null {
    this.events++;
    this.bytesOut += e.bytes_out;
    if (e.ts < this.firstSeen) this.firstSeen = e.ts;
    if (e.ts > this.lastSeen) this.lastSeen = e.ts;
    this.changed.length = 0;
    let routes = this.byTenant.get(e.tenant);
    if (routes === undefined) {
      routes = new Map();
      this.byTenant.set(e.tenant, routes);
    }
    let r = routes.get(e.route);
    if (r === undefined) {
      if (this.routes.length >= this.limits.maxRoutes) {
        this.routesDropped++;
        this.drops.routesDropped++;
        return null;
      }
      r = new RouteState(e.tenant, e.route);
      routes.set(e.route, r);
      this.routes.push(r);
    }
    r.count++;
    if (r.resourceKind === null && e.resource_kind !== null) r.resourceKind = e.resource_kind;
    const id = numericId(e.resource_id);
    if (Number.isNaN(id)) {
      r.nonNumeric++;
      return null;
    }
    if (!r.addId(id, e.event_id, e.ts, this.limits.maxIdsPerRoute, this.drops)) return null;
    this.changed.push(r);
    return r;
  }

  /** A view whose `changed` lists every route: what a rule sees in a full evaluation. */
  fullView(): WindowView {
    return { ...viewFields(this), changed: this.routes };
  }
}

function viewFields(w: EntityWindow): WindowView {
  return {
    entity: w.entity,
    tenant: w.tenant,
    windowStart: w.windowStart,
    windowEnd: w.windowEnd,
    firstSeen: w.firstSeen,
    lastSeen: w.lastSeen,
    events: w.events,
    bytesOut: w.bytesOut,
    routes: w.routes,
    changed: w.changed,
    routesDropped: w.routesDropped,
  };
}

export interface EmittedAlert {
  alertId: string;
  fingerprint: string;
  observed: number;
  firstSeen: number;
  lastSeen: number;
}
