// The in-memory BaselineStore: learns from the stream itself (what `leakwatch scan` and a detector
// without ClickHouse baselines use).
//
// The engine reports every closed tumbling window of every entity (observe). Per entity we keep
// streaming summaries of its recent windows' feature values (quantile-sketch.ts: a mergeable
// DDSketch-style sketch per feature, updated in O(1) amortised per window and never sorted), in
// total and per hour of week; get() reads median, MAD, p95 and n from them:
//   1. the entity's own windows at the same hour of week (±1 h), when there are `minHistory` of them;
//   2. else all of the entity's windows, when there are `minHistory`;
//   3. else its peer group: windows of any entity of the tenant with the same peer class (the
//      resource kind of the window's largest response: recording viewers with recording viewers,
//      order API clients with order API clients), when the group has `minHistory` windows;
//   4. else every entity of the tenant ('global'); undefined when even that is too short.
// Warm-up is explicit: Baseline.source and each summary's n say what the numbers rest on, and
// rules decide (egress needs n >= its minHistory from the entity, and a larger margin otherwise).
//
// Recent = two generations: a history's windows go into its current generation of
// historyWindows / 2 windows; when that is full, it becomes the previous generation and the one
// before is forgotten. A summary merges both, so it rests on the last historyWindows / 2 to
// historyWindows windows (the ring of exact values this replaces kept exactly the last
// historyWindows). Quantiles are within 1% of the exact ones, MADs within 1% of
// (2 x median + MAD) (see quantile-sketch.ts), and exact when each value is its own bin.
//
// Bounded: at most `maxEntities` entity histories (the least recently updated are dropped); a
// sketch has at most one bin per window it holds; summaries are cached and recomputed only when a
// window is added (groups: every `refreshEvery` windows).
//
// Lazy, for entities (most of the work of a scan over many short-lived principals): an entity's
// sketches are built from its raw windows only when a summary of every window is first needed, and
// its summaries only when a rule first reads its features (rules read them near a threshold only),
// from the same windows in the same order, so the answers are the same as computed eagerly. Such
// an answer is valid until the entity's next window (see LazyFeatures).

import { medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';
import type { BaselineSummary, Entity } from '#shared/avro/generated/alert.js';
import { hourOfWeek } from '#shared/hour-of-week.js';
import type { Baseline, BaselineSource, BaselineStore, WindowFeatures } from '../rules/types.js';
import { DenseSketchSet, SketchSet } from './quantile-sketch.js';
import { RecencyList } from './recency-list.js';

export const BASELINE_FEATURES = ['events', 'bytes_out', 'rows_out', 'distinct_resources'] as const;
type Feature = (typeof BASELINE_FEATURES)[number];
const NF = BASELINE_FEATURES.length;

export interface MemoryBaselineOptions {
  /** Windows kept per entity. Default 96 (16 hours of continuous activity at 10-minute windows). */
  historyWindows: number;
  /** Windows an entity (or group) needs before its own statistics are used. Default 12. */
  minHistory: number;
  /** Windows kept per peer group and per tenant. Default 2048. */
  groupWindows: number;
  /** Entity histories kept at most. Default 100,000. */
  maxEntities: number;
  /**
   * What observe() learns: 'all' (default); 'entities': entity histories only, for a store whose
   * peer and tenant answers nobody reads (a partition's, behind tenant-groups.ts's shared groups);
   * 'groups': peer groups and tenants only (the shared groups, asked for no entity's own history).
   */
  learn: 'all' | 'entities' | 'groups';
}

export const MEMORY_BASELINE_DEFAULTS: Readonly<MemoryBaselineOptions> = Object.freeze({
  historyWindows: 96,
  minHistory: 12,
  groupWindows: 2048,
  maxEntities: 100_000,
  learn: 'all',
});

export { hourOfWeek };

const WEEK_HOURS = 168;

/** Scratch for merging generations and hours (summaries are read at once; nothing keeps it). */
const scratch = new SketchSet();
/** Scratch for a group's current generation laid out as a SketchSet. */
const groupScratch = new SketchSet();
/** Scratch for one generation's windows at one hour (seasonal summaries). */
const hourScratch = new SketchSet();
/** Numbers per window in a generation's raw list: hour of week, then the features. */
const RAW = 1 + NF;
/** A raw list not made yet (groups never make one): shared, never written. */
const NO_RAW: number[] = Object.freeze([]) as unknown as number[];

/** Streaming summaries of an entity's or a group's recent windows (two generations). */
class History {
  /**
   * Slot f: feature f over every window of the generation (dense for groups: many values).
   * Entities: built from the generation's raw windows when a summary of every window is first
   * asked for, then kept up to date the same way (curApplied / prevApplied: raw windows added so
   * far): most entities never reach minHistory windows, or are answered by their seasonal
   * summary, and so never need one. The adds are the same, in the same order, as an eager sketch
   * takes, so the bins and sums are the same.
   */
  private cur: SketchSet | DenseSketchSet | null;
  private prev: SketchSet | DenseSketchSet | null = null;
  private curApplied = 0;
  private prevApplied = 0;
  /**
   * Seasonal histories: each window of the generation as (hour, features), in order. The sketch
   * of one hour is rebuilt from them when a seasonal summary is asked for, by the same adds in the
   * same order a sketch per hour kept up to date would have seen (so the same bins and sums):
   * eight sketch adds per window, half of them for hours rarely asked about, cost more than that.
   */
  private curRaw: number[] = NO_RAW;
  private prevRaw: number[] = NO_RAW;
  private curWindows = 0;
  private prevWindows = 0;
  /** Cached baselines: all windows, and the hour of week the seasonal cache is for. */
  all: Baseline | null = null;
  seasonal: Baseline | null = null;
  seasonalHour = -1;
  private addsSinceSummary = 0;
  /** Windows added so far (a lazy baseline checks that it was not outlived). */
  stamp = 0;
  private readonly generationWindows: number;
  /** An entity's value, for dropping it from the store's maps; null once dropped (and for groups). */
  value: string | null = null;
  /** Entities: the next history with the same value (another tenant or type). */
  sameValue: History | null = null;
  /** Entities: the owner's tenant and type, on the history itself (entity() checks them per event). */
  tenant = '';
  type = '';
  /** Entities: neighbours in the store's recency list (older: updated before this one). */
  older: History | null = null;
  newer: History | null = null;

  /**
   * source: what its baselines say they rest on; refreshEvery: adds after which cached summaries
   * are recomputed (groups change constantly); seasonalHours: also keep each window's hour of week
   * (entities, whose sketches are then built lazily from those; groups need none).
   */
  constructor(
    capacity: number,
    readonly source: BaselineSource,
    private readonly refreshEvery = 1,
    private readonly seasonalHours = true,
  ) {
    this.generationWindows = Math.max(1, Math.floor(capacity / 2));
    this.cur = this.seasonalHours ? null : new DenseSketchSet(NF);
  }

  /** Windows the summaries rest on. */
  get n(): number {
    return this.curWindows + this.prevWindows;
  }

  add(hour: number, f: WindowFeatures): void {
    if (this.curWindows >= this.generationWindows) {
      const old = this.prev ?? (this.seasonalHours ? null : new DenseSketchSet(NF));
      old?.clear();
      this.prev = this.cur;
      this.prevApplied = this.curApplied;
      this.prevWindows = this.curWindows;
      this.cur = old;
      this.curApplied = 0;
      this.curWindows = 0;
      const oldRaw = this.prevRaw;
      this.prevRaw = this.curRaw;
      this.curRaw = oldRaw;
    }
    if (this.seasonalHours) {
      // Written over the generation before's (never emptied: a typed array per history, or an
      // array emptied and regrown per generation, cost more than the writes).
      const r = this.curRaw;
      if (r === NO_RAW) {
        // a generation's first list: exactly one window's numbers (most entities never have a
        // second window; an empty array's first write reserves three windows' room)
        this.curRaw = [hour, f.events, f.bytes_out, f.rows_out, f.distinct_resources];
      } else {
        const at = RAW * this.curWindows;
        r[at] = hour;
        r[at + 1] = f.events;
        r[at + 2] = f.bytes_out;
        r[at + 3] = f.rows_out;
        r[at + 4] = f.distinct_resources;
      }
    } else {
      // slots in BASELINE_FEATURES order, spelt out (a keyed read per feature costs more here)
      const c = this.cur as DenseSketchSet;
      c.add(0, f.events);
      c.add(1, f.bytes_out);
      c.add(2, f.rows_out);
      c.add(3, f.distinct_resources);
    }
    this.curWindows++;
    this.stamp++;
    if (++this.addsSinceSummary >= this.refreshEvery || this.all === null) {
      this.addsSinceSummary = 0;
      this.all = null;
      this.seasonal = null;
      this.seasonalHour = -1;
    }
  }

  /** An entity's sketch of the current (g = 0) or previous generation, brought up to date. */
  private sketch(g: 0 | 1): SketchSet {
    const raw = g === 0 ? this.curRaw : this.prevRaw;
    const windows = g === 0 ? this.curWindows : this.prevWindows;
    let s = (g === 0 ? this.cur : this.prev) as SketchSet | null;
    let i = g === 0 ? this.curApplied : this.prevApplied;
    if (s === null) {
      s = new SketchSet();
      if (g === 0) this.cur = s;
      else this.prev = s;
    }
    for (const end = RAW * windows; RAW * i < end; i++) {
      const at = RAW * i;
      s.add(0, raw[at + 1] as number);
      s.add(1, raw[at + 2] as number);
      s.add(2, raw[at + 3] as number);
      s.add(3, raw[at + 4] as number);
    }
    if (g === 0) this.curApplied = i;
    else this.prevApplied = i;
    return s;
  }

  /**
   * The baseline of every window (filterHour null) or of those at filterHour ±1 h; null when fewer
   * than min. An entity's features are summarised when a rule first reads them (lazyBaseline):
   * rules read them only for events that come near a threshold, and an entity's answer changes
   * with each window it closes, so most were computed for nothing.
   */
  summarize(filterHour: number | null, min: number): Baseline | null {
    if (filterHour === null || !this.seasonalHours) {
      if (this.n < min) return null;
    } else {
      // Counted before merging anything: most asks find too few at the same hours.
      const h0 = (filterHour + WEEK_HOURS - 1) % WEEK_HOURS;
      const h2 = (filterHour + 1) % WEEK_HOURS;
      let windows = 0;
      for (let g = 0; g < 2; g++) {
        const raw = g === 0 ? this.prevRaw : this.curRaw;
        const end = RAW * (g === 0 ? this.prevWindows : this.curWindows);
        for (let i = 0; i < end; i += RAW) {
          const h = raw[i] as number;
          if (h === h0 || h === filterHour || h === h2) windows++;
        }
      }
      if (windows < min) return null;
    }
    if (this.seasonalHours) return lazyBaseline(this, filterHour);
    return { source: this.source, features: this.features(null) };
  }

  /** The summaries summarize() answers with, from the windows held now. */
  features(filterHour: number | null): Record<Feature, BaselineSummary> {
    let from: SketchSet;
    if (!this.seasonalHours) {
      const cur = this.cur as DenseSketchSet;
      const prev = this.prevWindows === 0 ? null : (this.prev as DenseSketchSet);
      // laid out as the SketchSets that took the same adds, then merged as those were
      scratch.clear();
      if (prev === null) cur.writeTo(scratch);
      else {
        prev.writeTo(scratch);
        groupScratch.clear();
        cur.writeTo(groupScratch);
        scratch.merge(groupScratch, 0, NF);
      }
      from = scratch;
    } else if (filterHour === null) {
      if (this.prevWindows === 0) from = this.sketch(0);
      else {
        scratch.clear();
        scratch.merge(this.sketch(1), 0, NF);
        scratch.merge(this.sketch(0), 0, NF);
        from = scratch;
      }
    } else {
      // Hour by hour, the older generation first: the order the per-hour sketches were merged in.
      const h0 = (filterHour + WEEK_HOURS - 1) % WEEK_HOURS;
      const h2 = (filterHour + 1) % WEEK_HOURS;
      scratch.clear();
      for (const h of [h0, filterHour, h2]) {
        if (this.prevWindows > 0) mergeHour(this.prevRaw, this.prevWindows, h);
        mergeHour(this.curRaw, this.curWindows, h);
      }
      from = scratch;
    }
    // a literal in BASELINE_FEATURES order: one object shape, not a dictionary filled key by key
    return {
      events: from.summary(0),
      bytes_out: from.summary(1),
      rows_out: from.summary(2),
      distinct_resources: from.summary(3),
    };
  }
}

/**
 * An entity's baseline whose features are summarised on first read, from the windows the history
 * held when it was asked for. Valid until the history learns its next window (the engine reads it
 * during one event's rules, and the store's caches drop it at the next window): a read after that
 * would see other windows, so it throws rather than answer differently.
 */
function lazyBaseline(h: History, filterHour: number | null): Baseline {
  // Not Record-shaped for TypeScript (a class has no index signature); read by key like one.
  const features = new LazyFeatures(h, filterHour) as unknown as Record<Feature, BaselineSummary>;
  return { source: h.source, features };
}

/**
 * The four summaries as getters (on the prototype: one small object per window, no closure), all
 * four computed by the first read. A spread of the baseline copies this object, still lazy;
 * JSON.stringify reads it through toJSON.
 */
class LazyFeatures {
  private f: Record<Feature, BaselineSummary> | null = null;
  private readonly stamp: number;

  constructor(
    private readonly h: History,
    private readonly filterHour: number | null,
  ) {
    this.stamp = h.stamp;
  }

  private all(): Record<Feature, BaselineSummary> {
    if (this.f === null) {
      if (this.h.stamp !== this.stamp)
        throw new Error('memory-store: baseline features read after the entity learnt another window');
      this.f = this.h.features(this.filterHour);
    }
    return this.f;
  }

  get events(): BaselineSummary {
    return this.all().events;
  }
  get bytes_out(): BaselineSummary {
    return this.all().bytes_out;
  }
  get rows_out(): BaselineSummary {
    return this.all().rows_out;
  }
  get distinct_resources(): BaselineSummary {
    return this.all().distinct_resources;
  }
  toJSON(): Record<Feature, BaselineSummary> {
    return this.all();
  }
}

/** Adds to scratch the sketch of a generation's windows at hour h (as slots 0 .. NF - 1). */
function mergeHour(raw: readonly number[], windows: number, h: number): void {
  const t = hourScratch;
  t.clear();
  for (let i = 0; i < RAW * windows; i += RAW) {
    if (raw[i] !== h) continue;
    t.add(0, raw[i + 1] as number);
    t.add(1, raw[i + 2] as number);
    t.add(2, raw[i + 3] as number);
    t.add(3, raw[i + 4] as number);
  }
  scratch.merge(t, 0, NF);
}

/** median, MAD, p95 and n of values, exact (what the sketches approximate; tests compare). */
export function summary(values: number[]): BaselineSummary {
  const sorted = values.slice().sort((a, b) => a - b);
  return {
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    mad: medianAbsoluteDeviation(sorted),
    n: sorted.length,
  };
}

/** A tenant's peer groups and its tenant-wide group. */
interface TenantGroups {
  readonly global: History;
  readonly peers: Map<string, History>;
}

export class MemoryBaselineStore implements BaselineStore {
  private readonly opts: MemoryBaselineOptions;
  /** Entity histories in recency order (the oldest is the stalest, dropped first). */
  private readonly recency = new RecencyList<History>();
  private held = 0;
  /**
   * The same histories by entity value, then a chain (History.sameValue) for the rare same value
   * of another tenant or type: one lookup, no key to build (get() runs for every event).
   */
  private readonly entities = new Map<string, History>();
  private readonly groups = new Map<string, TenantGroups>();
  /**
   * The last get()'s question and answer: the engine asks once per event, and an entity's events
   * come in runs (a page and its assets). Any observe() may change answers: it bumps `version`.
   */
  private version = 0;
  private last: {
    entity: Entity | null;
    tenant: string;
    windowStart: number;
    peerClass: string;
    version: number;
    answer: Baseline | undefined;
  } = { entity: null, tenant: '', windowStart: 0, peerClass: '', version: -1, answer: undefined };

  constructor(opts: Partial<MemoryBaselineOptions> = {}) {
    this.opts = { ...MEMORY_BASELINE_DEFAULTS, ...opts };
  }

  /** Entity histories held. */
  get size(): number {
    return this.held;
  }

  observe(
    entity: Entity,
    tenant: string,
    windowStart: number,
    peerClass: string,
    features: WindowFeatures,
  ): void {
    this.version++;
    const hour = hourOfWeek(windowStart);
    const learn = this.opts.learn;
    if (learn !== 'groups') this.observeEntity(entity, tenant, hour, features);
    if (learn === 'entities') return;
    const g = this.tenantGroups(tenant);
    let peer = g.peers.get(peerClass);
    if (peer === undefined) {
      peer = new History(this.opts.groupWindows, 'peer', 512, false);
      g.peers.set(peerClass, peer);
    }
    peer.add(hour, features);
    g.global.add(hour, features);
  }

  private observeEntity(entity: Entity, tenant: string, hour: number, features: WindowFeatures): void {
    let h = this.entity(entity, tenant);
    if (h === undefined) {
      if (this.held >= this.opts.maxEntities) {
        const stalest = this.recency.oldest;
        if (stalest !== null) this.drop(stalest);
      }
      h = new History(this.opts.historyWindows, 'entity', 1, true);
      h.value = entity.value;
      h.tenant = tenant;
      h.type = entity.type;
      const first = this.entities.get(entity.value);
      if (first === undefined) this.entities.set(entity.value, h);
      else {
        h.sameValue = first.sameValue;
        first.sameValue = h;
      }
      this.held++;
      this.recency.append(h);
    } else {
      this.recency.touch(h);
    }
    h.add(hour, features);
  }

  get(entity: Entity, tenant: string, windowStart: number, peerClass = 'none'): Baseline | undefined {
    const l = this.last;
    if (
      l.entity === entity &&
      l.version === this.version &&
      l.windowStart === windowStart &&
      l.peerClass === peerClass &&
      l.tenant === tenant
    )
      return l.answer;
    const answer = this.lookup(entity, tenant, windowStart, peerClass);
    l.entity = entity;
    l.tenant = tenant;
    l.windowStart = windowStart;
    l.peerClass = peerClass;
    l.version = this.version;
    l.answer = answer;
    return answer;
  }

  private lookup(
    entity: Entity,
    tenant: string,
    windowStart: number,
    peerClass: string,
  ): Baseline | undefined {
    const { minHistory } = this.opts;
    const h = this.entity(entity, tenant);
    if (h !== undefined && h.n >= minHistory) {
      const hour = hourOfWeek(windowStart);
      if (h.seasonalHour !== hour) {
        h.seasonal = h.summarize(hour, minHistory);
        h.seasonalHour = hour;
      }
      // Seasonal only once the same hours alone are enough history; else every window.
      if (h.seasonal !== null) return h.seasonal;
      h.all ??= h.summarize(null, minHistory);
      if (h.all !== null) return h.all;
    }
    const g = this.groups.get(tenant);
    if (g === undefined) return undefined;
    const peer = g.peers.get(peerClass);
    if (peer !== undefined && peer.n >= minHistory) {
      peer.all ??= peer.summarize(null, minHistory);
      if (peer.all !== null) return peer.all;
    }
    if (g.global.n >= minHistory) {
      g.global.all ??= g.global.summarize(null, minHistory);
      if (g.global.all !== null) return g.global.all;
    }
    return undefined;
  }

  private entity(entity: Entity, tenant: string): History | undefined {
    const type = entity.type;
    for (let h = this.entities.get(entity.value) ?? null; h !== null; h = h.sameValue)
      if (h.tenant === tenant && h.type === type) return h;
    return undefined;
  }

  private drop(h: History): void {
    this.recency.unlink(h);
    this.held--;
    const value = h.value;
    if (value === null) return;
    h.value = null;
    const first = this.entities.get(value);
    if (first === h) {
      if (h.sameValue === null) this.entities.delete(value);
      else this.entities.set(value, h.sameValue);
    } else {
      for (let p = first ?? null; p !== null; p = p.sameValue)
        if (p.sameValue === h) {
          p.sameValue = h.sameValue;
          break;
        }
    }
    h.sameValue = null;
  }

  private tenantGroups(tenant: string): TenantGroups {
    let g = this.groups.get(tenant);
    if (g === undefined) {
      g = { global: new History(this.opts.groupWindows, 'global', 512, false), peers: new Map() };
      this.groups.set(tenant, g);
    }
    return g;
  }
}
