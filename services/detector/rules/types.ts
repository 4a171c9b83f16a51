// The contract between the engine and the detections (STYLE.md "A detection").
//
// The engine owns the per-entity window state and shows it to rules as a read-only WindowView;
// a rule is a pure function of (view, baseline, config) → findings: no I/O, no clock, no state of
// its own. The engine, not the rule, turns findings into Alerts (ids, times, labels, re-emission).

import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { BaselineSummary, Entity, Severity } from '#shared/avro/generated/alert.js';

export type { BaselineSummary, Entity, Severity };

/** Per-route state of one entity, as rules see it. Ids are kept for the engine's id horizon (hours). */
export interface RouteIdsView {
  readonly tenant: string;
  /** Route template (`/wp-json/wc/v3/orders/{id}`). */
  readonly route: string;
  /** resource_kind of the first event on this route that had one; null if none did. */
  readonly resourceKind: string | null;
  /** Requests on this route since its state was created: every event, repeats and id-less ones included. */
  readonly count: number;
  /** Of those, answered 403 or 404. */
  readonly errors: number;
  /** Of those, under emergency (break-glass) access. */
  readonly emergency: number;
  /** Distinct numeric resource ids stored (= sorted.length); index them 0 … distinct - 1 below. */
  readonly distinct: number;
  /** The i-th distinct numeric resource id, in order of first arrival. */
  idAt(i: number): number;
  /** event_id of the i-th id's first request. */
  eventIdAt(i: number): string;
  /** Event time of the i-th id's first request. */
  tsAt(i: number): number;
  /** The same distinct ids, ascending (built on first use, then kept). */
  readonly sorted: readonly number[];
  /** Route-keyed state only: principalAt(i) is a hash of the principal that first requested the i-th id. */
  readonly keepsPrincipals: boolean;
  principalAt(i: number): number;
  /** Distinct non-numeric resource ids (UUIDs, hashes, file names without a number) stored. */
  readonly otherDistinct: number;
  /** Distinct ids not stored because the per-route cap was reached. */
  readonly dropped: number;
  /** Requests whose resource id is absent or not numeric. */
  readonly nonNumeric: number;
  /** Distinct ids (numeric and other) first requested at or after `since`. */
  distinctSince(since: number): number;
}

/** Sliding sums over the last window length, ending at the entity's latest event. */
export interface RecentCounters {
  bytesOut: number;
  rowsOut: number;
  /** Requests on routes that named a resource kind (id routes), and those answered 403/404. */
  idRouteRequests: number;
  idRouteDenied: number;
  /** Events with PHI findings. */
  phi: number;
  /** Start of the sliding span (exclusive). */
  since: number;
}

/** What a rule may read about one entity (a principal, or a route for route-keyed rules). */
export interface WindowView {
  readonly entity: Entity;
  /** Tenant of the entity's first event in this window. */
  readonly tenant: string;
  /** Peer group this window: the resource kind of its largest response, 'none' without a kind. */
  readonly peerClass: string;
  /** Tumbling window bounds, epoch ms, [windowStart, windowEnd): the alert's identity. */
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Totals in the tumbling window. */
  readonly events: number;
  readonly bytesOut: number;
  readonly rowsOut: number;
  /** Every route the entity touched within the id horizon (bounded; see routesDropped). */
  readonly routes: readonly RouteIdsView[];
  /** Routes changed by the event being processed; every route for a full evaluation. */
  readonly changed: readonly RouteIdsView[];
  /** Routes not tracked because the per-entity cap was reached. */
  readonly routesDropped: number;
  /** The (redacted) event being processed; null in a full evaluation. */
  readonly event: AccessEvent | null;
  /** Resources read under emergency access within the id horizon: `route\0id` → time. */
  readonly emergencyResources: ReadonlyMap<string, number> | null;
  /** Sliding counters over the last window length. */
  recent(): RecentCounters;
  /** recent().bytesOut without building the counters. */
  recentBytes(): number;
  /** Distinct resources on id routes first requested within the last window length. */
  recentDistinctResources(): number;
  /** Distinct client addresses and user agents within the last window length (sessions only, else 0). */
  peers(): { ips: number; agents: number };
}

/** Where a baseline came from: the entity itself, its peer group, or every entity of the tenant. */
export type BaselineSource = 'entity' | 'peer' | 'global';

/** Baseline statistics of an entity (or its peer group), per feature, for one hour of the week. */
export interface Baseline {
  readonly source: BaselineSource;
  readonly features: Readonly<Record<string, BaselineSummary>>;
  /**
   * The entity's own heavy windows at this hour of day (±1 h) on earlier days (scheduled jobs: a
   * nightly export at 02:00), when it has any: see baselines/hour-of-day.ts. `days` = distinct
   * earlier days they come from; egress calls the entity learnt at this hour from egress.learntDays.
   */
  readonly atHour?: HourOfDayBaseline;
  /** The entity's closed windows over the last hours (baselines/horizon.ts). */
  readonly horizon?: HorizonBaseline;
  /**
   * On object-store events: how the event's bucket (tenant + attrs.bucket) was read before this
   * event, when it was read at all: see baselines/bucket-history.ts.
   */
  readonly bucket?: BucketReads;
}

/** Successful reads of one bucket so far, with credentials (presigned URLs included) and without. */
export interface BucketReads {
  readonly authenticated: number;
  readonly anonymous: number;
}

/** The entity's last hours (baselines/horizon.ts, issue 15: slow pulls). */
export interface HorizonBaseline {
  /** Closed windows with events in the kept span (6 h) before this window, and their medians. */
  readonly windows: number;
  readonly medianBytes: number;
  readonly medianRows: number;
  /** Totals of its closed windows in the horizon (2 h) before this window. */
  readonly bytes: number;
  readonly rows: number;
}

export interface HourOfDayBaseline {
  readonly days: number;
  readonly features: Readonly<Record<string, BaselineSummary>>;
}

/** Per-window feature values the engine reports when a window closes (what baselines learn from). */
export interface WindowFeatures {
  events: number;
  bytes_out: number;
  rows_out: number;
  distinct_resources: number;
}

/**
 * Where the engine gets baselines. Synchronous: the detector keeps them in memory.
 * `peerClass` names the entity's peer group for this window: the resource kind of its largest
 * response ('none' when it had no kind) — patients streaming their own recordings are compared
 * with other recording viewers, not with API clients.
 */
export interface BaselineStore {
  /**
   * Read the answer before the next observe(): a store may summarise it when first read
   * (memory-store.ts), from what it held when asked.
   */
  get(entity: Entity, tenant: string, windowStart: number, peerClass: string): Baseline | undefined;
  /**
   * Stores that learn from the stream itself take each closed window's features. Read them during
   * the call only: the engine refills one object for every window it closes.
   */
  observe?(
    entity: Entity,
    tenant: string,
    windowStart: number,
    peerClass: string,
    features: WindowFeatures,
  ): void;
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
  /** Which state it reads: the event's principal, or its route (route-keyed: distributed patterns). */
  keyBy: 'principal' | 'route';
  trigger: RuleTrigger;
  /** Merged with the rules file (rules.yaml). */
  defaults: C;
  /** Pure: no I/O, no clock. At most one finding per entity (the engine dedups by rule + entity). */
  evaluate(w: WindowView, b: Baseline | undefined, cfg: C): readonly Finding[];
}

/** Any rule, whatever its config type (method parameters are bivariant, so Rule<X> fits). */
export type AnyRule = Rule<unknown>;
