// What an entity usually moves at this hour of day: scheduled jobs (a nightly backup reading 6 GB at
// 02:00, an ERP export every morning) are one window a day, so the hour-of-week baselines (one
// window a week at that hour) and the every-hour baseline (minHistory windows, mostly other hours)
// never learn them. This decorator keeps, per entity, its last heavy windows (bytes_out >= minBytes
// or rows_out >= minRows) with their day and hour of day, and attaches to whatever the inner store
// answers `atHour`: the summary of the heavy windows at this hour of day (±1 h, UTC) on EARLIER days
// (a window never vouches for its own day: a six-hour pull does not teach itself), with the number
// of distinct days they come from. Light windows are not kept: an entity whose 02:00 windows were
// small has no atHour, and a heavy read there is judged as before.
//
// Bounded: at most `maxEntities` entities (least recently updated dropped), `windowsPerEntity`
// windows each; only entities that ever had a heavy window take memory. The engine wraps its
// baseline store with it, so `scan`, the golden cases and the detector learn alike.
import type { BaselineSummary, Entity } from '#shared/avro/generated/alert.js';
import type {
  Baseline,
  BaselineStore,
  HorizonBaseline,
  HourOfDayBaseline,
  WindowFeatures,
} from '../rules/types.js';
import { type HorizonOptions, HorizonTracker } from './horizon.js';
import { summary } from './memory-store.js';

export interface HourOfDayOptions {
  /** A window is heavy (kept) from these totals on. Default 1 MiB (egress.minBytes). */
  minBytes: number;
  /** Default 5,000 rows (egress.minRows). */
  minRows: number;
  /** Heavy windows kept per entity. Default 32 (a month of one nightly run). */
  windowsPerEntity: number;
  /** Entities kept at most. Default 10,000. */
  maxEntities: number;
}

export const HOUR_OF_DAY_DEFAULTS: Readonly<HourOfDayOptions> = Object.freeze({
  minBytes: 1024 ** 2,
  minRows: 5_000,
  windowsPerEntity: 32,
  maxEntities: 10_000,
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Profile {
  tenant: string;
  type: string;
  day: number[];
  hour: number[];
  bytes: number[];
  rows: number[];
  /** Cached answer for (day, hour). */
  cachedFor: number;
  cached: HourOfDayBaseline | null;
  /** Update sequence number (the least recently updated is dropped first). */
  at: number;
  /** Last answer get() built for this entity (see Memo); horizon types keep theirs on their key. */
  memo: Memo | null;
}

/**
 * get()'s last composed answer for an entity and the parts it was built from. The parts are the
 * stores' cached objects (a store builds a new one when its answer changes), so while all three are
 * the same objects the same answer is returned instead of a new copy per event.
 */
interface Memo {
  b: Baseline | undefined;
  horizon: HorizonBaseline | null;
  at: HourOfDayBaseline | null;
  out: Baseline;
}

interface KeyEntry {
  tenant: string;
  type: string;
  key: string;
  memo: Memo | null;
}

function hourDistance(a: number, b: number): number {
  const d = Math.abs(a - b);
  return Math.min(d, 24 - d);
}

export class HourOfDayStore implements BaselineStore {
  private readonly opts: HourOfDayOptions;
  /** By entity value (no key to build per lookup: get() runs for every event); tenant and type checked. */
  private readonly profiles = new Map<string, Profile[]>();
  private count = 0;
  private clock = 0;
  /** Every entity's last hours and its peers (baselines/horizon.ts), attached as `horizon`. */
  private readonly horizon: HorizonTracker;

  /** Drops the least recently updated profile (a scan: only when maxEntities is reached). */
  private evictStalest(): void {
    let stalest: Profile | undefined;
    let value = '';
    for (const [v, list] of this.profiles)
      for (const p of list)
        if (stalest === undefined || p.at < stalest.at) {
          stalest = p;
          value = v;
        }
    if (stalest === undefined) return;
    const list = this.profiles.get(value) as Profile[];
    list.splice(list.indexOf(stalest), 1);
    if (list.length === 0) this.profiles.delete(value);
    this.count--;
  }

  constructor(
    private readonly inner: BaselineStore | undefined,
    opts: Partial<HourOfDayOptions> = {},
    horizon: Partial<HorizonOptions> = {},
  ) {
    this.opts = { ...HOUR_OF_DAY_DEFAULTS, ...opts };
    this.horizon = new HorizonTracker(horizon);
  }

  /** Entities with a profile. */
  get size(): number {
    return this.count;
  }

  /**
   * Horizon keys by entity value (tenant and type checked), so get() does not build and hash a new
   * string per event. Bounded: emptied when full.
   */
  private readonly keys = new Map<string, KeyEntry>();

  private keyEntry(entity: Entity, tenant: string): KeyEntry {
    const k = this.keys.get(entity.value);
    if (k !== undefined && k.tenant === tenant && k.type === entity.type) return k;
    const e: KeyEntry = { tenant, type: entity.type, key: horizonKey(entity, tenant), memo: null };
    if (k === undefined) {
      if (this.keys.size >= MAX_KEYS) this.keys.clear();
      this.keys.set(entity.value, e);
    }
    return e;
  }

  private find(entity: Entity, tenant: string): Profile | undefined {
    const list = this.profiles.get(entity.value);
    if (list === undefined) return undefined;
    for (const p of list) if (p.tenant === tenant && p.type === entity.type) return p;
    return undefined;
  }

  observe(entity: Entity, tenant: string, windowStart: number, peerClass: string, f: WindowFeatures): void {
    this.inner?.observe?.(entity, tenant, windowStart, peerClass, f);
    if (HORIZON_TYPES.has(entity.type))
      this.horizon.observe(this.keyEntry(entity, tenant).key, windowStart, f.bytes_out, f.rows_out);
    if (f.bytes_out < this.opts.minBytes && f.rows_out < this.opts.minRows) return;
    let p = this.find(entity, tenant);
    if (p === undefined) {
      if (this.count >= this.opts.maxEntities) this.evictStalest();
      p = {
        tenant,
        type: entity.type,
        day: [],
        hour: [],
        bytes: [],
        rows: [],
        cachedFor: -1,
        cached: null,
        at: 0,
        memo: null,
      };
      const list = this.profiles.get(entity.value);
      if (list === undefined) this.profiles.set(entity.value, [p]);
      else list.push(p);
      this.count++;
    }
    p.at = ++this.clock;
    p.day.push(Math.floor(windowStart / DAY));
    p.hour.push(Math.floor((windowStart % DAY) / HOUR));
    p.bytes.push(f.bytes_out);
    p.rows.push(f.rows_out);
    if (p.day.length > this.opts.windowsPerEntity) {
      p.day.shift();
      p.hour.shift();
      p.bytes.shift();
      p.rows.shift();
    }
    p.cachedFor = -1;
  }

  get(entity: Entity, tenant: string, windowStart: number, peerClass: string): Baseline | undefined {
    const b = this.inner?.get(entity, tenant, windowStart, peerClass);
    const k = HORIZON_TYPES.has(entity.type) ? this.keyEntry(entity, tenant) : undefined;
    const horizon = k === undefined ? null : this.horizon.get(k.key, windowStart);
    const p = this.count === 0 ? undefined : this.find(entity, tenant);
    const at = p === undefined ? null : atHour(p, windowStart);
    if (at === null && horizon === null) return b;
    // k or p is set here: a horizon comes with k, an hour-of-day answer with p
    const holder = (k ?? p) as KeyEntry | Profile;
    const m = holder.memo;
    if (m !== null && m.b === b && m.horizon === horizon && m.at === at) return m.out;
    // No store answer (warm-up): a tenant-wide baseline with no features, which no rule reads.
    const base = b ?? { source: 'global' as const, features: {} };
    const out =
      at === null
        ? { ...base, horizon: horizon as HorizonBaseline }
        : horizon === null
          ? { ...base, atHour: at }
          : { ...base, atHour: at, horizon };
    if (m === null) holder.memo = { b, horizon, at, out };
    else {
      m.b = b;
      m.horizon = horizon;
      m.at = at;
      m.out = out;
    }
    return out;
  }
}

/** Principals whose last hours are kept: egress's horizon test is for credentials (rules/egress.ts). */
const HORIZON_TYPES: ReadonlySet<string> = new Set(['user', 'api_key', 'session']);
/** Horizon keys remembered at most. */
const MAX_KEYS = 100_000;

function horizonKey(entity: Entity, tenant: string): string {
  return `${tenant}\u0000${entity.type}\u0000${entity.value}`;
}

function atHour(p: Profile, windowStart: number): HourOfDayBaseline | null {
  const day = Math.floor(windowStart / DAY);
  const hour = Math.floor((windowStart % DAY) / HOUR);
  const slot = day * 24 + hour;
  if (p.cachedFor === slot) return p.cached;
  const days = new Set<number>();
  const bytes: number[] = [];
  const rows: number[] = [];
  for (let i = 0; i < p.day.length; i++) {
    if ((p.day[i] as number) >= day || hourDistance(p.hour[i] as number, hour) > 1) continue;
    days.add(p.day[i] as number);
    bytes.push(p.bytes[i] as number);
    rows.push(p.rows[i] as number);
  }
  const features: Record<string, BaselineSummary> = {};
  if (bytes.length > 0) {
    features['bytes_out'] = summary(bytes);
    features['rows_out'] = summary(rows);
  }
  p.cachedFor = slot;
  p.cached = bytes.length === 0 ? null : { days: days.size, features };
  return p.cached;
}

/** The engine's store: `inner` (or nothing) with hour-of-day profiles attached. */
export function withHourOfDay(
  inner: BaselineStore | undefined,
  opts: Partial<HourOfDayOptions> = {},
): HourOfDayStore {
  return new HourOfDayStore(inner, opts);
}
