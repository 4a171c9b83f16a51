// The detection engine: AccessEvent in, Alerts out. Pure: no I/O, no clock, event time only.
//
// - State per entity (the event's principal: user, else API key, else session, else client IP),
//   in tumbling event-time windows aligned to the epoch (windowStart = floor(ts / windowMs) * windowMs),
//   so a replay sees the same windows whatever the batching.
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
import type { AnyRule, BaselineStore, Finding } from '../rules/types.js';
import { type DropCounters, type EmittedAlert, EntityWindow, type WindowLimits } from './window-state.js';

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
  /** Routes kept per entity per window. Default 1024. */
  maxRoutesPerEntity?: number;
  baselines?: BaselineStore;
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
});

const NONE: readonly Alert[] = Object.freeze([]);

function hex32(s: string): string {
  return hash('sha256', s, 'hex').slice(0, 32);
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
  };
  const baselines = opts.baselines;

  const seen = new Set<string>();
  const rules: PreparedRule[] = opts.rules.map((rule) => {
    if (seen.has(rule.id)) throw ConfigInvalid(`rule ${rule.id} is listed twice`);
    seen.add(rule.id);
    if (rule.keyBy !== 'principal')
      throw ConfigInvalid(`rule ${rule.id}: keyBy ${rule.keyBy} is not supported yet`);
    return {
      rule,
      cfg: resolveRuleConfig(rule, opts.config?.[rule.id]),
      everyEvent: rule.trigger === 'every-event',
    };
  });
  for (const id of Object.keys(opts.config ?? {})) {
    if (!seen.has(id)) throw ConfigInvalid(`configuration for unknown rule ${id}`);
  }
  const anyEveryEvent = rules.some((r) => r.everyEvent);

  const entities: Record<PrincipalType, Map<string, EntityWindow>> = {
    user: new Map(),
    api_key: new Map(),
    session: new Map(),
    client_ip: new Map(),
  };
  const drops: DropCounters = { idsDropped: 0, routesDropped: 0 };
  const st = {
    events: 0,
    lateEvents: 0,
    invalidEvents: 0,
    entities: 0,
    evictedEntities: 0,
    windowsOpened: 0,
    evaluations: 0,
    alertsOpened: 0,
    alertsUpdated: 0,
  };
  /** Events before this may belong to evicted state: late. */
  let horizon = Number.NEGATIVE_INFINITY;

  function toAlert(rule: string, f: Finding, w: EntityWindow, ev: EmittedAlert, tenant: string): Alert {
    const labels: Record<string, string> = { rule, severity: f.severity, tenant };
    for (const k in f.labels) if (!(k in labels)) labels[k] = f.labels[k] as string;
    return {
      alert_id: ev.alertId,
      fingerprint: ev.fingerprint,
      rule,
      severity: f.severity,
      entity: { type: w.entity.type, value: w.entity.value },
      tenant,
      first_seen: ev.firstSeen,
      last_seen: ev.lastSeen,
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

  function evaluate(w: EntityWindow, ts: number, newId: boolean): Alert[] | null {
    let out: Alert[] | null = null;
    for (const p of rules) {
      if (!p.everyEvent && !newId) continue;
      st.evaluations++;
      const b = baselines?.get(w.entity, w.tenant, w.windowStart);
      const findings = p.rule.evaluate(w, b, p.cfg);
      for (const f of findings) {
        const key = p.rule.id + '\u0000' + f.entity.type + '\u0000' + f.entity.value;
        if (w.emitted === null) w.emitted = new Map();
        const prev = w.emitted.get(key);
        if (prev !== undefined && !(f.observed > prev.observed)) continue;
        const firstSeen = Math.min(f.firstSeen ?? ts, prev?.firstSeen ?? Number.POSITIVE_INFINITY);
        const lastSeen = Math.max(ts, prev?.lastSeen ?? Number.NEGATIVE_INFINITY);
        const ev: EmittedAlert = prev ?? {
          alertId: alertIdOf(p.rule.id, f.entity, w.windowStart),
          fingerprint: fingerprintOf(p.rule.id, f.entity),
          observed: 0,
          firstSeen,
          lastSeen,
        };
        ev.observed = f.observed;
        ev.firstSeen = firstSeen;
        ev.lastSeen = lastSeen;
        if (prev === undefined) {
          w.emitted.set(key, ev);
          st.alertsOpened++;
        } else {
          st.alertsUpdated++;
        }
        if (out === null) out = [];
        out.push(toAlert(p.rule.id, f, w, ev, f.tenant ?? w.tenant));
      }
    }
    return out;
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
    const map = entities[type];
    const windowStart = Math.floor(ts / windowMs) * windowMs;
    let w = map.get(value);
    if (w === undefined) {
      w = new EntityWindow({ type, value }, limits, drops);
      w.reset(windowStart, windowMs, e.tenant);
      map.set(value, w);
      st.entities++;
      st.windowsOpened++;
    } else if (windowStart > w.windowStart) {
      w.reset(windowStart, windowMs, e.tenant);
      st.windowsOpened++;
    } else if (windowStart < w.windowStart && w.windowStart - ts > lateness) {
      st.lateEvents++;
      return NONE;
    }
    if (ts > w.lastActivity) w.lastActivity = ts;
    const changed = w.add(e);
    if (changed === null && !anyEveryEvent) return NONE;
    return evaluate(w, ts, changed !== null) ?? NONE;
  }

  function flushIdle(nowEventMs: number): number {
    const cutoff = nowEventMs - idleMs;
    if (cutoff > horizon) horizon = cutoff;
    let evicted = 0;
    for (const map of Object.values(entities)) {
      for (const [k, w] of map) {
        if (w.lastActivity < cutoff) {
          map.delete(k);
          evicted++;
        }
      }
    }
    st.entities -= evicted;
    st.evictedEntities += evicted;
    return evicted;
  }

  function stats(): EngineStats {
    return { ...st, idsDropped: drops.idsDropped, routesDropped: drops.routesDropped };
  }

  return { process, flushIdle, stats };
}
