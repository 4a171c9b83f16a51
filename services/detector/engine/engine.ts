// The detection engine: AccessEvent in, Alerts out. Pure: no I/O, no clock, event time only.
//
// - State per entity (the event's principal: user, else API key, else session, else client IP),
//   and, for route-keyed rules, per tenant + route on id routes. Tumbling event-time windows aligned
//   to the epoch (windowStart = floor(ts / windowMs) * windowMs) give alerts their identity and the
//   baselines their per-window values; sliding state (sub-bucket counters over the last window
//   length, resource ids kept for idHorizonMs) lets rules see across window boundaries. Event time
//   only, so a replay sees the same state whatever the batching.
// - Allow-lists (rules file) are checked on the event: a rule is not evaluated for an allowed event.
// - Memory budget: above maxEntities, the least recently active tenth is evicted (onEvict).
//   Per-entity state is small (make bench: under 1 KB for a typical IP or session; see
//   window-state.ts for how) and bounded: ids kept for idHorizonMs, at most maxIdsPerRoute per
//   route and maxRoutesPerEntity routes. Distinct counts are exact, not HyperLogLog: the rules
//   need the ids themselves (near-sequential runs, who asked for each id, when each was first
//   seen, for 10-minute and hourly sliding counts), which a sketch does not keep; and the sets are
//   small (a typical route holds one or two ids, 40 bytes each) where an HLL of useful accuracy
//   is about 1 KB per set (2^10 registers, ~3% error; npm `bloom-filters`, `hyperloglog`).
// - After each event, the rules whose trigger fired are evaluated on that entity's window
//   ('new-id' rules only when the event stored a new distinct resource id).
// - A finding becomes an Alert at once (the 20th id, not at window close).
//   alert_id    = first 32 hex of sha256(rule | entity.type | entity.value | windowStart)
//   fingerprint = first 32 hex of sha256(rule | entity.type | entity.value)
//   (windowStart written as decimal epoch ms; the tenant is not part of either, as specified)
//   Later findings for the same alert in the same window re-emit it (same alert_id, updated
//   observed / last_seen / explanation) only when `observed` grows.
// - An event older than its entity's current window start by more than `allowedLatenessMs`, or
//   older than what flushIdle may already have evicted, is counted as late and ignored; a late
//   event within the allowance is counted in the current window.
// - flushIdle(nowEventMs) evicts entities with no event for `idleWindows` windows.
//
// Alerts are built only from the finding (which rules build from redacted event fields) and the
// entity: no raw log text reaches them.

import { hash } from 'node:crypto';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert, Entity } from '#shared/avro/generated/alert.js';
import { ConfigInvalid } from '#shared/errors.js';
import { type PrincipalType, principalType, principalValue } from '#shared/principal.js';
import { BucketHistory } from '../baselines/bucket-history.js';
import { withHourOfDay } from '../baselines/hour-of-day.js';
import type { AnyRule, Baseline, BaselineStore, Finding, WindowFeatures } from '../rules/types.js';
import { type DropCounters, type EmittedAlerts, EntityWindow, type WindowLimits } from './window-state.js';

export interface EngineOptions {
  rules: readonly AnyRule[];
  /** Per-rule overrides of the rules' defaults, by rule id (the rules file). */
  config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Tumbling window length, event time. Default 10 minutes. */
  windowMs?: number;
  /** How far before its entity's window start an event is still counted. Default 60 s. */
  allowedLatenessMs?: number;
  /** Windows without events after which flushIdle evicts an entity. Default 2. */
  idleWindows?: number;
  /** Distinct ids kept per route per entity per window. Default 4096. */
  maxIdsPerRoute?: number;
  /** Routes kept per entity. Default 1024. */
  maxRoutesPerEntity?: number;
  /** How long resource ids stay in route state (slow walks). Default 6 hours. */
  idHorizonMs?: number;
  /** Entities held at most (principals + routes); above it the least recently active are evicted. */
  maxEntities?: number;
  /** Called after a budget eviction with how many entities were dropped (log line, metric). */
  onEvict?: (evicted: number, held: number) => void;
  /** Per rule id (or '*' for every rule): events for which the rule is not evaluated. */
  allow?: Readonly<Record<string, (e: AccessEvent) => boolean>>;
  baselines?: BaselineStore;
  /**
   * How each bucket is read (baselines/bucket-history.ts), learnt from every object-store event
   * this engine processes. The streaming detector shares one between its partitions' engines;
   * absent, the engine keeps its own.
   */
  buckets?: BucketHistory;
}

export interface EngineStats {
  /** Events given to process(). */
  events: number;
  /** Events ignored as late. */
  lateEvents: number;
  /** Events ignored because their ts is not a finite number. */
  invalidEvents: number;
  /** Entities currently held. */
  entities: number;
  /** Entities evicted by flushIdle. */
  evictedEntities: number;
  /** Entities evicted because the memory budget (maxEntities) was reached. */
  budgetEvictions: number;
  /** Windows opened (first event of an entity, or an entity moving to a later window). */
  windowsOpened: number;
  /** Rule evaluations run. */
  evaluations: number;
  /** Alerts emitted for the first time / re-emitted with a larger observed value. */
  alertsOpened: number;
  alertsUpdated: number;
  /** Distinct ids and routes not stored because of the caps. */
  idsDropped: number;
  routesDropped: number;
}

export interface Engine {
  /** Feeds one event; returns the alerts it opened or updated (often none: a shared empty array). */
  process(event: AccessEvent): readonly Alert[];
  /** Evicts entities idle for more than `idleWindows` windows before nowEventMs; returns how many. */
  flushIdle(nowEventMs: number): number;
  stats(): EngineStats;
}

export const ENGINE_DEFAULTS = Object.freeze({
  windowMs: 10 * 60_000,
  allowedLatenessMs: 60_000,
  idleWindows: 2,
  maxIdsPerRoute: 4096,
  maxRoutesPerEntity: 1024,
  idHorizonMs: 6 * 3_600_000,
  maxEntities: 200_000,
});

const NONE: readonly Alert[] = Object.freeze([]);
/** Distinct tenants, routes and kinds shared between entities; beyond it each keeps its own copy. */
const MAX_INTERNED = 65_536;

/** First 32 hex digits of sha256(s), as a string of its own (a slice would keep all 64 alive). */
function hex32(s: string): string {
  return hash('sha256', s, 'buffer').toString('hex', 0, 16);
}

export function alertIdOf(rule: string, entity: Entity, windowStart: number): string {
  return hex32(rule + '|' + entity.type + '|' + entity.value + '|' + windowStart);
}

export function fingerprintOf(rule: string, entity: Entity): string {
  return hex32(rule + '|' + entity.type + '|' + entity.value);
}

interface PreparedRule {
  rule: AnyRule;
  cfg: unknown;
  everyEvent: boolean;
  allow: ((e: AccessEvent) => boolean) | undefined;
}

/** 32-bit FNV-1a of a principal key: route-keyed state remembers who asked for each id. */
export function principalHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** principalHash(type + ':' + value), without building the string. */
export function principalHashOf(type: string, value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < type.length; i++) {
    h ^= type.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= 58; // ':'
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Merges overrides into a rule's defaults; unknown rules, unknown keys and wrong types are errors. */
export function resolveRuleConfig(
  rule: AnyRule,
  override: Readonly<Record<string, unknown>> | undefined,
): unknown {
  const defaults = rule.defaults;
  if (override === undefined) return defaults;
  if (typeof defaults !== 'object' || defaults === null) {
    throw ConfigInvalid(`rule ${rule.id} takes no configuration`);
  }
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(override)) {
    if (!(k in merged)) throw ConfigInvalid(`rule ${rule.id}: unknown setting ${k}`);
    const want = Array.isArray(merged[k]) ? 'array' : typeof merged[k];
    const got = Array.isArray(v) ? 'array' : typeof v;
    if (got !== want) throw ConfigInvalid(`rule ${rule.id}: ${k} must be a ${want}`);
    merged[k] = v;
  }
  return Object.freeze(merged);
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0)
    throw ConfigInvalid(`engine ${name} must be a positive number, got ${v}`);
  return v;
}

export function createEngine(opts: EngineOptions): Engine {
  const windowMs = positive('windowMs', opts.windowMs ?? ENGINE_DEFAULTS.windowMs);
  const lateness = opts.allowedLatenessMs ?? ENGINE_DEFAULTS.allowedLatenessMs;
  if (!(lateness >= 0)) throw ConfigInvalid(`engine allowedLatenessMs must be >= 0, got ${lateness}`);
  const idleMs = positive('idleWindows', opts.idleWindows ?? ENGINE_DEFAULTS.idleWindows) * windowMs;
  const limits: WindowLimits = {
    maxIdsPerRoute: positive('maxIdsPerRoute', opts.maxIdsPerRoute ?? ENGINE_DEFAULTS.maxIdsPerRoute),
    maxRoutes: positive('maxRoutesPerEntity', opts.maxRoutesPerEntity ?? ENGINE_DEFAULTS.maxRoutesPerEntity),
    idHorizonMs: positive('idHorizonMs', opts.idHorizonMs ?? ENGINE_DEFAULTS.idHorizonMs),
  };
  const maxEntities = positive('maxEntities', opts.maxEntities ?? ENGINE_DEFAULTS.maxEntities);
  // Hour-of-day profiles (scheduled jobs) over the given store: baselines/hour-of-day.ts.
  const baselines = opts.baselines === undefined ? undefined : withHourOfDay(opts.baselines);
  const buckets = opts.buckets ?? new BucketHistory();
  // One copy of each tenant, route template and kind that state keeps (events bring fresh strings).
  const interned = new Map<string, string>();
  const intern = (s: string): string => {
    const t = interned.get(s);
    if (t !== undefined) return t;
    if (interned.size < MAX_INTERNED) interned.set(s, s);
    return s;
  };
  limits.intern = intern;
  /** tenant + '\0' + route, built once per tenant and route (route templates are few). */
  const routeKeys = new Map<string, Map<string, string>>();
  let routeKeysHeld = 0;
  const routeKey = (tenant: string, route: string): string => {
    let byRoute = routeKeys.get(tenant);
    if (byRoute === undefined) {
      byRoute = new Map();
      routeKeys.set(tenant, byRoute);
    }
    let k = byRoute.get(route);
    if (k === undefined) {
      k = tenant + '\u0000' + route;
      if (routeKeysHeld < MAX_INTERNED) {
        byRoute.set(route, k);
        routeKeysHeld++;
      }
    }
    return k;
  };

  const seen = new Set<string>();
  const rules: PreparedRule[] = opts.rules.map((rule) => {
    if (seen.has(rule.id)) throw ConfigInvalid(`rule ${rule.id} is listed twice`);
    seen.add(rule.id);
    return {
      rule,
      cfg: resolveRuleConfig(rule, opts.config?.[rule.id]),
      everyEvent: rule.trigger === 'every-event',
      allow: opts.allow?.[rule.id],
    };
  });
  for (const id of Object.keys(opts.config ?? {})) {
    if (!seen.has(id)) throw ConfigInvalid(`configuration for unknown rule ${id}`);
  }
  /** Allowed for every rule: checked once per event. */
  const allowAll = opts.allow?.['*'];
  const principalRules = rules.filter((r) => r.rule.keyBy === 'principal');
  const routeRules = rules.filter((r) => r.rule.keyBy === 'route');
  const anyEveryEvent = principalRules.some((r) => r.everyEvent);

  const entities: Record<PrincipalType, Map<string, EntityWindow>> = {
    user: new Map(),
    api_key: new Map(),
    session: new Map(),
    client_ip: new Map(),
  };
  /** Route-keyed state (tenant + route of id routes), for route-keyed rules only. */
  const routeStates = new Map<string, EntityWindow>();
  /** Every state map, in the order flushIdle and the budget eviction walk them. */
  const allMaps: Map<string, EntityWindow>[] = [...Object.values(entities), routeStates];
  /** Index of each map in allMaps, times 2^44: the high part of a state's walkOrder. */
  const mapOrder = new Map<Map<string, EntityWindow>, number>(allMaps.map((m, i) => [m, i * 2 ** 44]));
  /** Insertion counter: the low part of walkOrder (a Map iterates in insertion order). */
  let inserted = 0;
  /**
   * Idle expiry without walking every state: idleLists[b] holds the states that may become
   * evictable once flushIdle's cutoff reaches bucket b (= floor(time / windowMs)): by their
   * lastActivity, or for states kept for their ids, by when the id horizon lets them go. Entries
   * are lazy: a state is pushed again when its bucket moves, and an entry whose bucket is not the
   * state's idleBucket is stale and skipped. A flush then touches only the buckets at or below its
   * cutoff, and evicts in the order the full walk of allMaps did (walkOrder), so baselines learn
   * the closed windows in the same order.
   */
  const idleLists = new Map<number, EntityWindow[]>();
  let flushes = 0;
  const toIdleList = (w: EntityWindow, bucket: number): void => {
    w.idleBucket = bucket;
    const list = idleLists.get(bucket);
    if (list === undefined) idleLists.set(bucket, [w]);
    else list.push(w);
  };
  const drops: DropCounters = { idsDropped: 0, routesDropped: 0 };
  const st = {
    events: 0,
    lateEvents: 0,
    invalidEvents: 0,
    entities: 0,
    evictedEntities: 0,
    budgetEvictions: 0,
    windowsOpened: 0,
    evaluations: 0,
    alertsOpened: 0,
    alertsUpdated: 0,
  };
  /** Events before this may belong to evicted state: late. */
  let horizon = Number.NEGATIVE_INFINITY;

  function toAlert(
    rule: string,
    f: Finding,
    w: EntityWindow,
    em: EmittedAlerts,
    i: number,
    tenant: string,
  ): Alert {
    const labels: Record<string, string> = { rule, severity: f.severity, tenant };
    for (const k in f.labels) if (!(k in labels)) labels[k] = f.labels[k] as string;
    return {
      alert_id: em.alertId(i),
      fingerprint: em.fingerprint(i),
      rule,
      severity: f.severity,
      entity: { type: w.entity.type, value: w.entity.value },
      tenant,
      first_seen: em.firstSeen(i),
      last_seen: em.lastSeen(i),
      status: 'open',
      title: f.title,
      explanation: {
        feature: f.feature,
        observed: f.observed,
        baseline: f.baseline,
        score: f.score,
        top_resources: f.topResources,
        sample_event_ids: f.sampleEventIds,
      },
      labels,
    };
  }

  function evaluate(
    list: readonly PreparedRule[],
    w: EntityWindow,
    e: AccessEvent,
    newId: boolean,
  ): Alert[] | null {
    const ts = e.ts;
    let out: Alert[] | null = null;
    w.evaluating(e);
    // One baseline lookup per event, not per rule.
    let b: Baseline | undefined;
    let looked = false;
    for (let pi = 0; pi < list.length; pi++) {
      const p = list[pi] as PreparedRule;
      if (!p.everyEvent && !newId) continue;
      if (p.allow?.(e)) continue;
      st.evaluations++;
      if (!looked) {
        b = baselines?.get(w.entity, w.tenant, w.windowStart, w.peerClass);
        // An object-store event: how its bucket was read so far (a tenant-wide empty baseline
        // when there is none, as hour-of-day.ts does: no rule reads its features).
        const reads = e.source_kind === 'storage' ? buckets.get(e) : undefined;
        if (reads !== undefined) b = { ...(b ?? { source: 'global', features: {} }), bucket: reads };
        looked = true;
      }
      const findings = p.rule.evaluate(w, b, p.cfg);
      // indexed: a for-of over the shared frozen empty list takes the generic iterator path
      for (let fi = 0; fi < findings.length; fi++) {
        const f = findings[fi] as Finding;
        // Keyed by rule + entity; the rule id alone for the window's own entity (nearly always).
        const own = f.entity.type === w.entity.type && f.entity.value === w.entity.value;
        const key = own ? p.rule.id : p.rule.id + '\u0000' + f.entity.type + '\u0000' + f.entity.value;
        const em = w.emittedAlerts();
        let i = em.find(key);
        if (i >= 0 && !(f.observed > em.observed(i))) continue;
        if (i < 0) {
          i = em.add(key, alertIdOf(p.rule.id, f.entity, w.windowStart), fingerprintOf(p.rule.id, f.entity));
          st.alertsOpened++;
        } else {
          st.alertsUpdated++;
        }
        em.update(i, f.observed, Math.min(f.firstSeen ?? ts, em.firstSeen(i)), Math.max(ts, em.lastSeen(i)));
        if (out === null) out = [];
        out.push(toAlert(p.rule.id, f, w, em, i, f.tenant ?? w.tenant));
      }
    }
    w.evaluating(null);
    return out;
  }

  /** A closed window's totals, refilled for each observe (stores read them during the call only). */
  const closed: WindowFeatures = { events: 0, bytes_out: 0, rows_out: 0, distinct_resources: 0 };

  /** Reports a closed window's totals to a learning baseline store. */
  function closeWindow(w: EntityWindow): void {
    if (baselines?.observe === undefined || w.events === 0 || w.type === 'route') return;
    closed.events = w.events;
    closed.bytes_out = w.bytesOut;
    closed.rows_out = w.rowsOut;
    closed.distinct_resources = w.recentDistinctResources();
    baselines.observe(w.entity, w.tenant, w.windowStart, w.peerClass, closed);
  }

  /** Finds or creates the state for key in map, moving it to ts's window; null when ts is late. */
  function stateFor(
    map: Map<string, EntityWindow>,
    key: string,
    type: string,
    value: string,
    ts: number,
    tenant: string,
  ): EntityWindow | null {
    const windowStart = Math.floor(ts / windowMs) * windowMs;
    let w = map.get(key);
    if (w === undefined) {
      // The entity object is built only for a new state: this runs for every event.
      // a route's state is named by its (interned) route template
      w = new EntityWindow({ type, value: type === 'route' ? intern(value) : value }, limits, drops);
      w.reset(windowStart, windowMs, tenant);
      map.set(key, w);
      w.walkOrder = (mapOrder.get(map) as number) + inserted++;
      st.entities++;
      st.windowsOpened++;
      if (st.entities > maxEntities) evictForBudget();
    } else if (windowStart > w.windowStart) {
      closeWindow(w);
      w.reset(windowStart, windowMs, tenant);
      st.windowsOpened++;
    } else if (windowStart < w.windowStart && w.windowStart - ts > lateness) {
      return null;
    }
    // lastActivity follows: it is the window's lastSeen once the event is added
    return w;
  }

  /** Evicts the least recently active tenth of all entities (memory budget). */
  function evictForBudget(): void {
    const maps = allMaps;
    const times: number[] = [];
    for (const m of maps) for (const w of m.values()) times.push(w.lastActivity);
    times.sort((a, b) => a - b);
    const cutoff = times[Math.max(0, Math.floor(times.length / 10) - 1)] as number;
    let evicted = 0;
    for (const m of maps) {
      for (const [k, w] of m) {
        if (w.lastActivity <= cutoff) {
          closeWindow(w);
          m.delete(k);
          w.idleBucket = Number.NaN;
          evicted++;
        }
      }
    }
    st.entities -= evicted;
    st.budgetEvictions += evicted;
    opts.onEvict?.(evicted, st.entities);
  }

  function process(e: AccessEvent): readonly Alert[] {
    st.events++;
    const ts = e.ts;
    if (!Number.isFinite(ts)) {
      st.invalidEvents++;
      return NONE;
    }
    if (ts < horizon) {
      st.lateEvents++;
      return NONE;
    }
    const type = principalType(e);
    const value = principalValue(e, type);
    let out: Alert[] | null = null;
    // An engine with route-keyed rules only (the streaming detector's by-route partitions) keeps no
    // principal state at all.
    if (principalRules.length > 0) {
      const w = stateFor(entities[type], value, type, value, ts, e.tenant);
      if (w === null) {
        st.lateEvents++;
        return NONE;
      }
      const changed = w.add(e);
      const bucket = Math.floor(w.lastActivity / windowMs);
      if (bucket !== w.idleBucket) toIdleList(w, bucket);
      // State always counts the event; allow-listed events only skip the rules.
      if (allowAll?.(e)) {
        if (e.source_kind === 'storage') buckets.observe(e);
        return NONE;
      }
      if (changed !== null || anyEveryEvent) out = evaluate(principalRules, w, e, changed !== null);
      // Learnt after the rules ran: an event never vouches for itself.
      if (e.source_kind === 'storage') buckets.observe(e);
    } else if (allowAll?.(e)) {
      return NONE;
    }
    if (routeRules.length > 0 && e.resource_kind !== null && e.resource_id !== null) {
      const rw = stateFor(routeStates, routeKey(e.tenant, e.route), 'route', e.route, ts, e.tenant);
      if (rw === null && principalRules.length === 0) st.lateEvents++;
      if (rw !== null) {
        const changed = rw.addRouteKeyed(e, principalHashOf(type, value));
        const bucket = Math.floor(rw.lastActivity / windowMs);
        if (bucket !== rw.idleBucket) toIdleList(rw, bucket);
        if (changed !== null) {
          const more = evaluate(routeRules, rw, e, true);
          if (more !== null) out = out === null ? more : out.concat(more);
        }
      }
    }
    return out ?? NONE;
  }

  /** A state's key in its map: the principal's value, or tenant + route (routeKey). */
  const keyOf = (w: EntityWindow): string => (w.type === 'route' ? routeKey(w.tenant, w.value) : w.value);

  function flushIdle(nowEventMs: number): number {
    const cutoff = nowEventMs - idleMs;
    if (cutoff > horizon) horizon = cutoff;
    const idsFrom = nowEventMs - limits.idHorizonMs;
    const cutoffBucket = Math.floor(cutoff / windowMs);
    const mark = ++flushes;
    const due: number[] = [];
    for (const b of idleLists.keys()) if (b <= cutoffBucket) due.push(b);
    const idle: EntityWindow[] = [];
    // indexed loops: a flush runs too seldom for its for-of iterators to be optimised away
    for (let d = 0; d < due.length; d++) {
      const b = due[d] as number;
      const list = idleLists.get(b) as EntityWindow[];
      idleLists.delete(b);
      for (let i = 0; i < list.length; i++) {
        const w = list[i] as EntityWindow;
        // stale (moved on or evicted), or a duplicate entry already looked at in this flush
        if (w.idleBucket !== b || w.flushMark === mark) continue;
        w.flushMark = mark;
        const last = w.lastActivity;
        if (last >= cutoff) {
          toIdleList(w, Math.floor(last / windowMs));
        } else if (w.routes.length > 0 && last >= idsFrom && hasIds(w)) {
          // Route state and entities with ids in flight live as long as the id horizon: without
          // events of its own the state does not change, so it is due again only when its
          // lastActivity falls behind the id horizon.
          toIdleList(w, Math.floor((last + limits.idHorizonMs - idleMs) / windowMs));
        } else {
          idle.push(w);
        }
      }
    }
    // In the order a walk of allMaps meets them.
    idle.sort((a, b) => a.walkOrder - b.walkOrder);
    for (let i = 0; i < idle.length; i++) {
      const w = idle[i] as EntityWindow;
      closeWindow(w);
      (w.type === 'route' ? routeStates : entities[w.type as PrincipalType]).delete(keyOf(w));
      w.idleBucket = Number.NaN;
    }
    const evicted = idle.length;
    st.entities -= evicted;
    st.evictedEntities += evicted;
    return evicted;
  }

  function stats(): EngineStats {
    return { ...st, idsDropped: drops.idsDropped, routesDropped: drops.routesDropped };
  }

  return { process, flushIdle, stats };
}

function hasIds(w: EntityWindow): boolean {
  const routes = w.routes;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i] as EntityWindow['routes'][number];
    if (r.distinct > 0 || r.otherDistinct > 0) return true;
  }
  return false;
}
