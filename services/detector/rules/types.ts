// The contract between the engine and the detections (STYLE.md "A detection").
//
// The engine owns the per-entity window state and shows it to rules as a read-only WindowView;
// a rule is a pure function of (view, baseline, config) → findings: no I/O, no clock, no state of
// its own. The engine, not the rule, turns findings into Alerts (ids, times, labels, re-emission).

import type { BaselineSummary, Entity, Severity } from '#shared/avro/generated/alert.js';

export type { BaselineSummary, Entity, Severity };

/** Per-route state of one entity in one window, as rules see it. */
export interface RouteIdsView {
  readonly tenant: string;
  /** Route template (`/wp-json/wc/v3/orders/{id}`). */
  readonly route: string;
  /** resource_kind of the first event on this route that had one; null if none did. */
  readonly resourceKind: string | null;
  /** Requests on this route in the window: every event, repeats and id-less ones included. */
  readonly count: number;
  /** Distinct numeric resource ids stored (= ids.length = sorted.length). */
  readonly distinct: number;
  /** Distinct numeric resource ids in order of first arrival. */
  readonly ids: readonly number[];
  /** event_id of each id's first request (parallel to ids). */
  readonly eventIds: readonly string[];
  /** Event time of each id's first request (parallel to ids). */
  readonly ts: readonly number[];
  /** The same distinct ids, ascending. */
  readonly sorted: readonly number[];
  /** Distinct ids not stored because the per-route cap was reached. */
  readonly dropped: number;
  /** Requests whose resource id is absent or not numeric. */
  readonly nonNumeric: number;
}

/** What a rule may read about one entity's current window. */
export interface WindowView {
  readonly entity: Entity;
  /** Tenant of the entity's first event in this window. */
  readonly tenant: string;
  /** Window bounds, epoch ms, [windowStart, windowEnd). */
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Events counted in this window. */
  readonly events: number;
  readonly bytesOut: number;
  /** Every route the entity touched in this window (bounded; see routesDropped). */
  readonly routes: readonly RouteIdsView[];
  /** Routes changed by the event being processed; every route for a full evaluation. */
  readonly changed: readonly RouteIdsView[];
  /** Routes not tracked because the per-entity cap was reached. */
  readonly routesDropped: number;
}

/** Baseline statistics of an entity (or its peer group), per feature. */
export interface Baseline {
  readonly features: Readonly<Record<string, BaselineSummary>>;
}

/** Where the engine gets baselines. Synchronous: the detector keeps them in memory. */
export interface BaselineStore {
  get(entity: Entity, tenant: string, windowStart: number): Baseline | undefined;
}

export interface Finding {
  severity: Severity;
  entity: Entity;
  /** Explanation feature, e.g. `sequential_ids`. */
  feature: string;
  observed: number;
  baseline: BaselineSummary | null;
  score: number;
  /** Built from redacted event fields only. */
  title: string;
  topResources: string[];
  /** At most 10. */
  sampleEventIds: string[];
  /** Extra alert labels (bounded values: route templates, kinds; never ids). */
  labels: Record<string, string>;
  /** Event time of the first event the finding is about; the engine uses the event's time if absent. */
  firstSeen?: number;
  /** Tenant the finding is about when it is not the window's (a principal seen on two sites). */
  tenant?: string;
}

/**
 * When the engine evaluates a rule: `new-id` only after an event that stored a new distinct
 * resource id on some route; `every-event` after every event of the entity.
 */
export type RuleTrigger = 'new-id' | 'every-event';

export interface Rule<C> {
  /** 'sequential-enumeration': alert.rule, metric label, the rule's file name. */
  id: string;
  /** Which window state it reads. The engine supports 'principal' today. */
  keyBy: 'principal' | 'route';
  trigger: RuleTrigger;
  /** Merged with the rules file (rules.yaml). */
  defaults: C;
  /** Pure: no I/O, no clock. At most one finding per entity (the engine dedups by rule + entity). */
  evaluate(w: WindowView, b: Baseline | undefined, cfg: C): Finding[];
}

/** Any rule, whatever its config type (method parameters are bivariant, so Rule<X> fits). */
export type AnyRule = Rule<unknown>;
