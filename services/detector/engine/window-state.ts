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
//
// Small (make bench: bytes per active entity). Most entities are an IP or a session reading a few
// pages, so:
// - numbers live in plain double arrays, not in object fields (a field holding a timestamp costs a
//   16-byte heap box of its own), and arrays are sized exactly while small (a push reserves 16+
//   spare slots), geometrically once large;
// - an entity's scalars and its sliding counters share one array; the sub-buckets are a ring
//   behind the newest sub-bucket (no start time per sub-bucket), and counters that few entities
//   ever move (rows, denied id requests, PHI) sit in a second array made on first use;
// - route state is kept only for routes that carry a resource (an id or a kind) or emergency
//   access; a route's ids are one array of records (id, time, event id packed in three doubles
//   when it is the collector's 32 hex digits), in arrival order; the ascending copy rules walk is
//   built when a rule first asks for it or when the route passes LINEAR_IDS ids, then kept sorted;
// - fields few entities or routes use (emergency counts, caps hit, alerts emitted, route index,
//   route-keyed principals) live in a side object made on first use;
// - what holds for the event being processed only (the event, the route it changed, the recent()
//   sums, the entity object handed to rules) and the window length are kept once per engine
//   (Shared), not in every entity; tenants, routes and kinds are interned by the engine;
// - strings that only need counting are kept as 52-bit hashes: non-numeric resource ids (UUIDs,
//   slugs) and a session's client addresses and user agents. Counts stay exact unless two of one
//   route's ids collide (p < 1e-8 at the 4,096 cap). Why exact sets and not HyperLogLog: engine.ts.

import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Entity } from '#shared/avro/generated/alert.js';
import type { RecentCounters, RouteIdsView, WindowView } from '../rules/types.js';

export interface WindowLimits {
  maxIdsPerRoute: number;
  maxRoutes: number;
  /** How long resource ids stay in route state (sliding), event time. */
  idHorizonMs: number;
  /** One shared copy of a string that state keeps (tenant, route, kind); without it, as given. */
  intern?: (s: string) => string;
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

/** 52-bit hash of a string (two 32-bit FNV-1a lanes, finalised), exact in a double. */
export function hash52(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = fmix(a);
  b = fmix(b ^ a);
  return (a >>> 0) * 0x100000 + (b >>> 12);
}

function fmix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

// Event ids: the collector's are 32 lowercase hex digits (128 bits), packed into three doubles
// (48 + 48 + 32 bits, the last tagged with 2^52); any other id is kept as a string in the route's
// side object and its record holds -1 - its index there.
const HEX_TAG = 2 ** 52;

function hexDigit(c: number): number {
  if (c >= D0 && c <= D9) return c - D0;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function hexRun(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const h = hexDigit(s.charCodeAt(i));
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/** Writes a 32-hex-digit event id to d[o..o+2]; false (nothing written) for any other id. */
export function packEventId(s: string, d: number[], o: number): boolean {
  if (s.length !== 32) return false;
  const a = hexRun(s, 0, 12);
  const b = a < 0 ? -1 : hexRun(s, 12, 24);
  const c = b < 0 ? -1 : hexRun(s, 24, 32);
  if (c < 0) return false;
  d[o] = a;
  d[o + 1] = b;
  d[o + 2] = HEX_TAG + c;
  return true;
}

/** Scratch for unpackEventId (one event at a time). */
const UNPACKED = Buffer.alloc(16);

/** The event id packEventId wrote. */
export function unpackEventId(d: readonly number[], o: number): string {
  UNPACKED.writeUIntBE(d[o] as number, 0, 6);
  UNPACKED.writeUIntBE(d[o + 1] as number, 6, 6);
  UNPACKED.writeUInt32BE((d[o + 2] as number) - HEX_TAG, 12);
  return UNPACKED.toString('hex');
}

/** Arrays up to this many elements grow by exact copies; longer ones by push (geometric). */
const EXACT_UP_TO = 64;

function withNumber(a: number[], v: number): number[] {
  const n = a.length;
  if (n >= EXACT_UP_TO) {
    a.push(v);
    return a;
  }
  const b: number[] = new Array(n + 1);
  for (let i = 0; i < n; i++) b[i] = a[i] as number;
  b[n] = v;
  return b;
}

function withPair(a: number[], v: number, w: number): number[] {
  const n = a.length;
  if (n >= EXACT_UP_TO) {
    a.push(v, w);
    return a;
  }
  const b: number[] = new Array(n + 2);
  for (let i = 0; i < n; i++) b[i] = a[i] as number;
  b[n] = v;
  b[n + 1] = w;
  return b;
}

function withItem<T>(a: T[], v: T): T[] {
  const n = a.length;
  if (n >= EXACT_UP_TO) {
    a.push(v);
    return a;
  }
  const b: T[] = new Array(n + 1);
  for (let i = 0; i < n; i++) b[i] = a[i] as T;
  b[n] = v;
  return b;
}

const NO_NUMBERS: number[] = Object.freeze([]) as unknown as number[];
const NO_STRINGS: string[] = Object.freeze([]) as unknown as string[];
/** `changed` when the event stored no new id; `routes` before the first route. */
const NO_ROUTES: RouteState[] = Object.freeze([]) as unknown as RouteState[];

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

// A route's numbers: its latest event time, then one record per stored id (id, event time,
// event id in 3 doubles), in order of first arrival.
const D_LAST = 0;
const D_RECS = 1;
const REC = 5;
const R_TS = 1;
const R_EV = 2;
/** Ids checked for repeats by a linear scan; above this a sorted copy is kept. */
const LINEAR_IDS = 16;

/** What few routes need: made on first use. */
interface RouteSide {
  emergency: number;
  dropped: number;
  /** Non-numeric ids (UUIDs, hashes, file names without a number): hash52, last time seen. */
  others: number[];
  /** Route-keyed state only: principal hash per stored id (parallel to the records). */
  principals: number[] | null;
  /** Event ids that are not 32 hex digits, referenced from their record. */
  eventIds: string[];
  /** The stored ids ascending, once built (kept in step with the records from then on). */
  sorted: number[] | null;
}

export class RouteState implements RouteIdsView {
  readonly tenant: string;
  readonly route: string;
  resourceKind: string | null = null;
  count = 0;
  errors = 0;
  nonNumeric = 0;
  /** D_LAST, then the id records. */
  private d: number[] = [Number.NEGATIVE_INFINITY];
  private x: RouteSide | null = null;

  constructor(tenant: string, route: string, keepPrincipals = false) {
    this.tenant = tenant;
    this.route = route;
    if (keepPrincipals) this.side().principals = [];
  }

  private side(): RouteSide {
    if (this.x === null)
      this.x = {
        emergency: 0,
        dropped: 0,
        others: NO_NUMBERS,
        principals: null,
        eventIds: NO_STRINGS,
        sorted: null,
      };
    return this.x;
  }

  /** Latest event time on this route. */
  get lastTs(): number {
    return this.d[D_LAST] as number;
  }

  /** Keeps ts as the latest event time when it is later. */
  touch(ts: number): void {
    if (ts > (this.d[D_LAST] as number)) this.d[D_LAST] = ts;
  }

  get distinct(): number {
    return (this.d.length - D_RECS) / REC;
  }

  get emergency(): number {
    return this.x === null ? 0 : this.x.emergency;
  }

  get dropped(): number {
    return this.x === null ? 0 : this.x.dropped;
  }

  get otherDistinct(): number {
    return this.x === null ? 0 : this.x.others.length / 2;
  }

  get keepsPrincipals(): boolean {
    return this.x !== null && this.x.principals !== null;
  }

  idAt(i: number): number {
    return this.d[D_RECS + i * REC] as number;
  }

  tsAt(i: number): number {
    return this.d[D_RECS + i * REC + R_TS] as number;
  }

  eventIdAt(i: number): string {
    const o = D_RECS + i * REC + R_EV;
    const tag = this.d[o + 2] as number;
    if (tag >= HEX_TAG) return unpackEventId(this.d, o);
    return (this.x as RouteSide).eventIds[-1 - tag] as string;
  }

  principalAt(i: number): number {
    return this.x?.principals?.[i] ?? 0;
  }

  get sorted(): readonly number[] {
    if (this.x !== null && this.x.sorted !== null) return this.x.sorted;
    return this.distinct === 0 ? NO_NUMBERS : this.buildSorted();
  }

  private buildSorted(): number[] {
    const n = this.distinct;
    const s: number[] = new Array(n);
    for (let i = 0; i < n; i++) s[i] = this.d[D_RECS + i * REC] as number;
    s.sort((a, b) => a - b);
    this.side().sorted = s;
    return s;
  }

  countEmergency(): void {
    this.side().emergency++;
  }

  /** Records one id; true when it is a new distinct id that was stored. */
  addId(id: number, eventId: string, ts: number, cap: number, drops: DropCounters, principal = 0): boolean {
    const n = this.distinct;
    let s = this.x === null ? null : this.x.sorted;
    if (s === null && n > LINEAR_IDS) s = this.buildSorted();
    let pos = n;
    if (s !== null) {
      if (n > 0 && id <= (s[n - 1] as number)) {
        pos = lowerBound(s, id);
        if (s[pos] === id) return false;
      }
    } else {
      const d = this.d;
      for (let o = D_RECS; o < d.length; o += REC) if (d[o] === id) return false;
    }
    if (n >= cap) {
      this.side().dropped++;
      drops.idsDropped++;
      return false;
    }
    if (s !== null) {
      if (pos === n) s.push(id);
      else s.splice(pos, 0, id);
    }
    this.append(id, ts, eventId);
    const p = this.x === null ? null : this.x.principals;
    if (p !== null) (this.x as RouteSide).principals = withNumber(p, principal);
    return true;
  }

  private append(id: number, ts: number, eventId: string): void {
    const old = this.d;
    const len = old.length;
    let d: number[];
    if (len >= EXACT_UP_TO) {
      d = old;
      d.push(id, ts, 0, 0, 0);
    } else {
      d = new Array(len + REC);
      for (let i = 0; i < len; i++) d[i] = old[i] as number;
      d[len] = id;
      d[len + R_TS] = ts;
    }
    if (!packEventId(eventId, d, len + R_EV)) {
      const side = this.side();
      d[len + R_EV] = 0;
      d[len + R_EV + 1] = 0;
      d[len + R_EV + 2] = -1 - side.eventIds.length;
      side.eventIds = withItem(side.eventIds, eventId);
    }
    this.d = d;
  }

  /** Remembers a non-numeric id; true when it was new. */
  addOther(id: string, ts: number, cap: number, drops: DropCounters): boolean {
    const h = hash52(id);
    const side = this.side();
    const o = side.others;
    for (let i = 0; i < o.length; i += 2) {
      if (o[i] === h) {
        o[i + 1] = ts;
        return false;
      }
    }
    if (o.length / 2 >= cap) {
      side.dropped++;
      drops.idsDropped++;
      return false;
    }
    side.others = withPair(o, h, ts);
    return true;
  }

  /** Drops ids first seen before `cutoff` (ids arrive roughly in time order: expire from the front). */
  expire(cutoff: number): void {
    const d = this.d;
    let k = 0;
    while (D_RECS + k * REC < d.length && (d[D_RECS + k * REC + R_TS] as number) < cutoff) k++;
    if (k > 0) this.dropFront(k);
    const x = this.x;
    if (x !== null && x.others.length > 0) {
      const o = x.others;
      let keep = 0;
      for (let i = 0; i < o.length; i += 2) if ((o[i + 1] as number) >= cutoff) keep++;
      if (keep * 2 < o.length) {
        const b: number[] = keep === 0 ? NO_NUMBERS : new Array(keep * 2);
        let j = 0;
        for (let i = 0; i < o.length; i += 2) {
          if ((o[i + 1] as number) < cutoff) continue;
          b[j++] = o[i] as number;
          b[j++] = o[i + 1] as number;
        }
        x.others = b;
      }
    }
  }

  private dropFront(k: number): void {
    const old = this.d;
    const from = D_RECS + k * REC;
    const x = this.x;
    if (x !== null && x.sorted !== null) {
      const s = x.sorted;
      for (let o = D_RECS; o < from; o += REC) s.splice(lowerBound(s, old[o] as number), 1);
    }
    const d: number[] = new Array(old.length - k * REC);
    d[D_LAST] = old[D_LAST] as number;
    for (let i = from; i < old.length; i++) d[i - k * REC] = old[i] as number;
    if (x !== null && x.eventIds.length > 0) {
      // re-index the event ids kept as strings
      const names: string[] = [];
      for (let o = D_RECS + R_EV + 2; o < d.length; o += REC) {
        const tag = d[o] as number;
        if (tag >= 0) continue;
        d[o] = -1 - names.length;
        names.push(x.eventIds[-1 - tag] as string);
      }
      x.eventIds = names;
    }
    if (x !== null && x.principals !== null) x.principals = x.principals.slice(k);
    this.d = d;
  }

  /** Distinct ids (numeric and other) first seen at or after `since`. */
  distinctSince(since: number): number {
    let c = 0;
    const d = this.d;
    for (let o = d.length - REC + R_TS; o > D_LAST; o -= REC) if ((d[o] as number) >= since) c++;
    if (this.x !== null) {
      const others = this.x.others;
      for (let i = 1; i < others.length; i += 2) if ((others[i] as number) >= since) c++;
    }
    return c;
  }
}

/** Sub-buckets of the sliding counters; each covers windowMs / SUB_BUCKETS. */
export const SUB_BUCKETS = 5;
/** Distinct client addresses / user agents remembered per entity (session sharing). */
export const MAX_PEERS = 64;
/** Routes scanned linearly before a Map index is built. */
const LINEAR_ROUTES = 8;
/** Events of a window between prunes of expired ids and peers. */
const PRUNE_EVERY = 256;

// The entity's number array: scalars, then the ring of sub-buckets (core counters).
const N_WSTART = 0;
const N_FIRST = 1;
const N_LAST = 2;
const N_EVENTS = 3;
const N_BYTES = 4;
const N_ROWS = 5;
const N_LARGEST = 6;
/** Number of the newest sub-bucket (floor(ts / subMs)); slot = number mod SUB_BUCKETS. */
const N_HEAD = 7;
const N_RING = 8;
// Core counters per sub-bucket; rare ones (few entities move them) in the side array.
const C_BYTES = 0;
const C_ID_REQ = 1;
const CORE = 2;
const X_ROWS = 0;
const X_ID_ERR = 1;
const X_PHI = 2;
const RARE = 3;

function newNumbers(): number[] {
  const n: number[] = new Array(N_RING + SUB_BUCKETS * CORE).fill(0);
  n[N_HEAD] = Number.NEGATIVE_INFINITY;
  return n;
}

function slotOf(bucket: number): number {
  const s = bucket % SUB_BUCKETS;
  return s < 0 ? s + SUB_BUCKETS : s;
}

/** What few entities need: made on first use. */
interface EntitySide {
  /** Alerts emitted in this window. */
  emitted: EmittedAlerts | null;
  /** Rare sliding counters, RARE per sub-bucket (same ring as the core ones). */
  rare: number[] | null;
  /** Resources read under emergency access → time. */
  emergencyResources: Map<string, number> | null;
  /** Route lookup once an entity has many routes; a linear scan below that. */
  byKey: Map<string, RouteState> | null;
  routesDropped: number;
}

/**
 * What all windows of one engine share: limits, drop counters, and what holds for the event being
 * processed only (the engine handles one event at a time, and rules read that event's window
 * only), so that it is kept once, not in every entity.
 */
class Shared {
  readonly limits: WindowLimits;
  readonly drops: DropCounters;
  /** Window length (one per engine), and the sub-buckets' (set by reset). */
  windowMs = 0;
  subMs = 0;
  /** The latest recent() result, valid until the next add(). */
  recentOwner: object | null = null;
  recentValue: RecentCounters | null = null;
  /** The window whose latest add() stored a new id, and on which route. */
  changedOwner: object | null = null;
  changedRoutes: RouteState[] = NO_ROUTES;
  /** The window whose rules are running, and on which event. */
  evaluatedOwner: object | null = null;
  evaluatedEvent: AccessEvent | null = null;
  /** The last entity object handed out, and for which window. */
  entityOwner: object | null = null;
  entityValue: Entity = { type: '', value: '' };

  constructor(limits: WindowLimits, drops: DropCounters) {
    this.limits = limits;
    this.drops = drops;
  }
}

const sharedByLimits = new WeakMap<WindowLimits, Shared>();

function sharedFor(limits: WindowLimits, drops: DropCounters): Shared {
  let c = sharedByLimits.get(limits);
  if (c === undefined || c.drops !== drops) {
    c = new Shared(limits, drops);
    sharedByLimits.set(limits, c);
  }
  return c;
}

export class EntityWindow implements WindowView {
  readonly type: string;
  readonly value: string;
  tenant = '';
  peerClass = 'none';
  routes: RouteState[] = NO_ROUTES;
  /**
   * The engine's idle-expiry bookkeeping (engine.ts flushIdle): the bucket (event time / window
   * length) whose list holds this state's current entry, NaN once evicted; its position in the
   * engine's state maps' walk order; the last flush that looked at it.
   */
  idleBucket = Number.NaN;
  walkOrder = 0;
  flushMark = 0;
  /** Scalars and the sliding counters (N_*). */
  private readonly n = newNumbers();
  private x: EntitySide | null = null;
  /**
   * Sessions only: client addresses and user agents as (hash52 * 2 + kind, last time seen) pairs,
   * kind 0 = address, 1 = user agent.
   */
  private peerLog: number[] | null;
  private readonly c: Shared;

  constructor(entity: Entity, limits: WindowLimits, drops: DropCounters) {
    this.type = entity.type;
    this.value = entity.value;
    this.c = sharedFor(limits, drops);
    this.peerLog = entity.type === 'session' ? NO_NUMBERS : null;
  }

  get entity(): Entity {
    const c = this.c;
    if (c.entityOwner !== this) {
      c.entityValue = { type: this.type, value: this.value };
      c.entityOwner = this;
    }
    return c.entityValue;
  }

  /** Routes the event being processed stored a new id on; every route in a full view. */
  get changed(): readonly RouteState[] {
    return this.c.changedOwner === this ? this.c.changedRoutes : NO_ROUTES;
  }

  /** The (redacted) event being processed while rules run; null otherwise. */
  get event(): AccessEvent | null {
    return this.c.evaluatedOwner === this ? this.c.evaluatedEvent : null;
  }

  /** Marks e as the event the rules are about to read on this window; null when they are done. */
  evaluating(e: AccessEvent | null): void {
    this.c.evaluatedOwner = e === null ? null : this;
    this.c.evaluatedEvent = e;
  }

  get windowStart(): number {
    return this.n[N_WSTART] as number;
  }
  get windowEnd(): number {
    return (this.n[N_WSTART] as number) + this.c.windowMs;
  }
  get firstSeen(): number {
    return this.n[N_FIRST] as number;
  }
  get lastSeen(): number {
    return this.n[N_LAST] as number;
  }
  /**
   * Latest event time seen for this entity (idle eviction, sliding state). Every event that is
   * not late moves the window forward or lands in it, so this is the window's lastSeen.
   */
  get lastActivity(): number {
    return this.n[N_LAST] as number;
  }
  get events(): number {
    return this.n[N_EVENTS] as number;
  }
  get bytesOut(): number {
    return this.n[N_BYTES] as number;
  }
  get rowsOut(): number {
    return this.n[N_ROWS] as number;
  }
  get routesDropped(): number {
    return this.x === null ? 0 : this.x.routesDropped;
  }
  get emergencyResources(): ReadonlyMap<string, number> | null {
    return this.x === null ? null : this.x.emergencyResources;
  }
  /** Alerts emitted in this window (made on first use). */
  emittedAlerts(): EmittedAlerts {
    const side = this.side();
    if (side.emitted === null) side.emitted = new EmittedAlerts();
    return side.emitted;
  }

  private side(): EntitySide {
    if (this.x === null)
      this.x = { emitted: null, rare: null, emergencyResources: null, byKey: null, routesDropped: 0 };
    return this.x;
  }

  private intern(s: string): string {
    const f = this.c.limits.intern;
    return f === undefined ? s : f(s);
  }

  /** Starts a new tumbling window: per-window totals and emitted alerts restart; sliding state stays. */
  reset(windowStart: number, windowMs: number, tenant: string): void {
    const n = this.n;
    this.tenant = this.intern(tenant);
    n[N_WSTART] = windowStart;
    this.c.windowMs = windowMs;
    this.c.subMs = windowMs / SUB_BUCKETS;
    n[N_FIRST] = Number.POSITIVE_INFINITY;
    n[N_LAST] = Number.NEGATIVE_INFINITY;
    n[N_EVENTS] = 0;
    n[N_BYTES] = 0;
    n[N_ROWS] = 0;
    n[N_LARGEST] = -1;
    this.peerClass = 'none';
    if (this.c.changedOwner === this) this.c.changedOwner = null;
    if (this.x !== null) this.x.emitted = null;
    this.prune(windowStart);
  }

  /** Drops ids and routes older than the id horizon, and peers older than one window. */
  prune(now: number): void {
    const cutoff = now - this.c.limits.idHorizonMs;
    const routes = this.routes;
    if (routes.length > 0) {
      let stale = 0;
      for (let i = 0; i < routes.length; i++) {
        const r = routes[i] as RouteState;
        if (r.lastTs < cutoff) stale++;
        else r.expire(cutoff);
      }
      if (stale > 0) {
        const keep: RouteState[] = stale === routes.length ? NO_ROUTES : new Array(routes.length - stale);
        let j = 0;
        for (let i = 0; i < routes.length; i++) {
          const r = routes[i] as RouteState;
          if (r.lastTs >= cutoff) keep[j++] = r;
          else this.x?.byKey?.delete(r.tenant + '\u0000' + r.route);
        }
        this.routes = keep;
      }
    }
    const log = this.peerLog;
    if (log !== null && log.length > 0) {
      const peerCutoff = now - this.c.subMs * SUB_BUCKETS;
      let keep = 0;
      for (let i = 1; i < log.length; i += 2) if ((log[i] as number) >= peerCutoff) keep++;
      if (keep * 2 < log.length) {
        const b: number[] = keep === 0 ? NO_NUMBERS : new Array(keep * 2);
        let j = 0;
        for (let i = 0; i < log.length; i += 2) {
          if ((log[i + 1] as number) < peerCutoff) continue;
          b[j++] = log[i] as number;
          b[j++] = log[i + 1] as number;
        }
        this.peerLog = b;
      }
    }
    const em = this.x === null ? null : this.x.emergencyResources;
    if (em !== null) for (const [k, t] of em) if (t < cutoff) em.delete(k);
  }

  /**
   * Moves the ring to ts's sub-bucket when it is newer than the newest (clearing the sub-buckets
   * passed over); returns the sub-bucket's slot, or -1 when ts is older than the sliding span
   * (counted in the window totals only).
   */
  private slotFor(ts: number): number {
    const n = this.n;
    const b = Math.floor(ts / this.c.subMs);
    const head = n[N_HEAD] as number;
    if (b > head) {
      const rare = this.x === null ? null : this.x.rare;
      for (let k = b - head > SUB_BUCKETS ? b - SUB_BUCKETS + 1 : head + 1; k <= b; k++) {
        const s = slotOf(k);
        n.fill(0, N_RING + s * CORE, N_RING + (s + 1) * CORE);
        if (rare !== null) rare.fill(0, s * RARE, (s + 1) * RARE);
      }
      n[N_HEAD] = b;
    } else if (b <= head - SUB_BUCKETS) {
      return -1;
    }
    return slotOf(b);
  }

  private bumpRare(slot: number, field: number, v: number): void {
    const side = this.side();
    if (side.rare === null) side.rare = new Array(SUB_BUCKETS * RARE).fill(0);
    const i = slot * RARE + field;
    side.rare[i] = (side.rare[i] as number) + v;
  }

  /** Sliding sums over the last window length, ending at the latest event (cached until the next event). */
  recent(): RecentCounters {
    const c = this.c;
    if (c.recentOwner === this && c.recentValue !== null) return c.recentValue;
    const n = this.n;
    const subMs = this.c.subMs;
    const since = (n[N_LAST] as number) - subMs * SUB_BUCKETS;
    const head = n[N_HEAD] as number;
    const rare = this.x === null ? null : this.x.rare;
    let bytes = 0;
    let idReq = 0;
    let rows = 0;
    let idErr = 0;
    let phi = 0;
    for (let s = 0; s < SUB_BUCKETS; s++) {
      if ((head - slotOf(head - s)) * subMs <= since) continue;
      const o = N_RING + s * CORE;
      bytes += n[o + C_BYTES] as number;
      idReq += n[o + C_ID_REQ] as number;
      if (rare !== null) {
        rows += rare[s * RARE + X_ROWS] as number;
        idErr += rare[s * RARE + X_ID_ERR] as number;
        phi += rare[s * RARE + X_PHI] as number;
      }
    }
    const value: RecentCounters = {
      bytesOut: bytes,
      rowsOut: rows,
      idRouteRequests: idReq,
      idRouteDenied: idErr,
      phi,
      since,
    };
    c.recentValue = value;
    c.recentOwner = this;
    return value;
  }

  /** Bytes in the sliding span, without building the full counters (cheap pre-checks). */
  recentBytes(): number {
    const n = this.n;
    const subMs = this.c.subMs;
    const since = (n[N_LAST] as number) - subMs * SUB_BUCKETS;
    const head = n[N_HEAD] as number;
    let bytes = 0;
    for (let s = 0; s < SUB_BUCKETS; s++) {
      if ((head - slotOf(head - s)) * subMs > since) bytes += n[N_RING + s * CORE + C_BYTES] as number;
    }
    return bytes;
  }

  /** Distinct resources (all id routes) first requested within the last window length. */
  recentDistinctResources(): number {
    const n = this.n;
    const since = (n[N_LAST] as number) - this.c.subMs * SUB_BUCKETS;
    let c = 0;
    // indexed loops over routes here and below: `routes` is often the shared frozen empty list,
    // which a for-of walks with the generic iterator (an allocation per step)
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i] as RouteState;
      if (r.resourceKind !== null) c += r.distinctSince(since);
    }
    return c;
  }

  /**
   * Window totals, times and the core sliding counters for one event (bytes in the sliding span
   * only when `slideBytes`); returns the sub-bucket slot it counts in, or -1.
   */
  private count(ts: number, bytesOut: number, slideBytes: boolean): number {
    const n = this.n;
    this.c.recentOwner = null;
    n[N_EVENTS] = (n[N_EVENTS] as number) + 1;
    n[N_BYTES] = (n[N_BYTES] as number) + bytesOut;
    if (ts < (n[N_FIRST] as number)) n[N_FIRST] = ts;
    if (ts > (n[N_LAST] as number)) n[N_LAST] = ts;
    const slot = this.slotFor(ts);
    if (slot >= 0 && slideBytes && bytesOut > 0) {
      const o = N_RING + slot * CORE + C_BYTES;
      n[o] = (n[o] as number) + bytesOut;
    }
    // every PRUNE_EVERY events of a window (a new window prunes too)
    if ((n[N_EVENTS] as number) % PRUNE_EVERY === 0) this.prune(ts);
    this.c.changedOwner = null;
    return slot;
  }

  /**
   * Adds one event. Returns the route state when the event stored a new distinct numeric id
   * (and sets `changed` to it), else null (and `changed` empty).
   */
  add(e: AccessEvent): RouteState | null {
    const ts = e.ts;
    // what the event contributes to the sliding counters (locals: no object per event)
    const idRoute = e.resource_kind !== null;
    const denied = e.status === 403 || e.status === 404;
    const n = this.n;
    if (e.rows_out !== null) n[N_ROWS] = (n[N_ROWS] as number) + e.rows_out;
    if (e.bytes_out > (n[N_LARGEST] as number)) {
      n[N_LARGEST] = e.bytes_out;
      this.peerClass = e.resource_kind === null ? 'none' : this.intern(e.resource_kind);
    }
    if (this.peerLog !== null) {
      this.remember(e.client_ip, 0, ts);
      this.remember(e.user_agent, 1, ts);
    }
    const slot = this.count(ts, e.bytes_out, true);
    if (slot >= 0) {
      if (e.rows_out !== null && e.rows_out > 0) this.bumpRare(slot, X_ROWS, e.rows_out);
      if (idRoute) {
        n[N_RING + slot * CORE + C_ID_REQ] = (n[N_RING + slot * CORE + C_ID_REQ] as number) + 1;
        if (denied) this.bumpRare(slot, X_ID_ERR, 1);
      }
      if (e.findings.length > 0) this.bumpRare(slot, X_PHI, 1);
    }
    // Pages without a resource are counted above, not kept per route.
    if (e.resource_id === null && e.resource_kind === null && !e.emergency_access) return null;
    let r = this.findRoute(e.tenant, e.route);
    if (r === undefined) {
      if (this.routes.length >= this.c.limits.maxRoutes) {
        this.side().routesDropped++;
        this.c.drops.routesDropped++;
        return null;
      }
      r = new RouteState(this.intern(e.tenant), this.intern(e.route));
      this.routes = withItem(this.routes, r);
      const side = this.x;
      if (side !== null && side.byKey !== null) side.byKey.set(r.tenant + '\u0000' + r.route, r);
      else if (this.routes.length > LINEAR_ROUTES) {
        const byKey = new Map<string, RouteState>();
        for (const x of this.routes) byKey.set(x.tenant + '\u0000' + x.route, x);
        this.side().byKey = byKey;
      }
    }
    r.count++;
    r.touch(ts);
    if (denied) r.errors++;
    if (r.resourceKind === null && e.resource_kind !== null) r.resourceKind = this.intern(e.resource_kind);
    if (e.emergency_access) {
      r.countEmergency();
      if (e.resource_id !== null) {
        const side = this.side();
        if (side.emergencyResources === null) side.emergencyResources = new Map();
        const em = side.emergencyResources;
        const rk = e.route + '\u0000' + e.resource_id;
        if (em.size < this.c.limits.maxIdsPerRoute || em.has(rk)) em.set(rk, ts);
      }
    }
    const id = numericId(e.resource_id);
    if (Number.isNaN(id)) {
      r.nonNumeric++;
      if (e.resource_id !== null && r.resourceKind !== null)
        r.addOther(e.resource_id, ts, this.c.limits.maxIdsPerRoute, this.c.drops);
      return null;
    }
    if (!r.addId(id, e.event_id, ts, this.c.limits.maxIdsPerRoute, this.c.drops)) return null;
    this.c.changedOwner = this;
    this.c.changedRoutes = [r];
    return r;
  }

  private findRoute(tenant: string, route: string): RouteState | undefined {
    const byKey = this.x === null ? null : this.x.byKey;
    if (byKey !== null) return byKey.get(tenant + '\u0000' + route);
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i] as RouteState;
      if (r.route === route && r.tenant === tenant) return r;
    }
    return undefined;
  }

  /**
   * Adds one event to route-keyed state (entity = one tenant + route): ids remember a hash of the
   * principal that asked. Returns the route when a new distinct numeric id was stored.
   */
  addRouteKeyed(e: AccessEvent, principal: number): RouteState | null {
    const ts = e.ts;
    this.count(ts, e.bytes_out, false);
    let r = this.routes[0];
    if (r === undefined) {
      r = new RouteState(this.intern(e.tenant), this.intern(e.route), true);
      this.routes = [r];
    }
    r.count++;
    r.touch(ts);
    if (e.status === 403 || e.status === 404) r.errors++;
    if (r.resourceKind === null && e.resource_kind !== null) r.resourceKind = this.intern(e.resource_kind);
    const id = numericId(e.resource_id);
    if (Number.isNaN(id)) {
      r.nonNumeric++;
      return null;
    }
    if (!r.addId(id, e.event_id, ts, this.c.limits.maxIdsPerRoute, this.c.drops, principal)) return null;
    this.c.changedOwner = this;
    this.c.changedRoutes = [r];
    return r;
  }

  /** Remembers a session's address (kind 0) or user agent (kind 1), at most MAX_PEERS of each. */
  private remember(v: string | null, kind: number, ts: number): void {
    if (v === null || v === '') return;
    const key = hash52(v) * 2 + kind;
    const log = this.peerLog as number[];
    let same = 0;
    for (let i = 0; i < log.length; i += 2) {
      const k = log[i] as number;
      if (k === key) {
        if (ts > (log[i + 1] as number)) log[i + 1] = ts;
        return;
      }
      if (k % 2 === kind) same++;
    }
    if (same >= MAX_PEERS) return;
    this.peerLog = withPair(log, key, ts);
  }

  /** Distinct client addresses / user agents seen in the last window length (sessions). */
  peers(): { ips: number; agents: number } {
    const log = this.peerLog;
    if (log === null) return { ips: 0, agents: 0 };
    const since = this.lastActivity - this.c.subMs * SUB_BUCKETS;
    let ips = 0;
    let agents = 0;
    for (let i = 0; i < log.length; i += 2) {
      if ((log[i + 1] as number) <= since) continue;
      if ((log[i] as number) % 2 === 0) ips++;
      else agents++;
    }
    return { ips, agents };
  }

  /** A view whose `changed` lists every route: what a rule sees in a full evaluation. */
  fullView(): WindowView {
    return Object.create(this, {
      changed: { value: this.routes },
      event: { value: null },
    }) as WindowView;
  }
}

/**
 * The alerts an entity emitted in its current window, by key (the rule id when the finding is
 * about the window's own entity, else rule + entity): alert_id and fingerprint, the observed
 * value last emitted, first and last seen. Parallel arrays, not an object per alert.
 */
export class EmittedAlerts {
  private keys: string[] = NO_STRINGS;
  /** alert_id, fingerprint per alert. */
  private ids: string[] = NO_STRINGS;
  /** observed, firstSeen, lastSeen per alert. */
  private nums: number[] = NO_NUMBERS;

  /** Index of the alert emitted under key, or -1. */
  find(key: string): number {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
    return -1;
  }
  add(key: string, alertId: string, fingerprint: string): number {
    this.keys = withItem(this.keys, key);
    this.ids = withItem(withItem(this.ids, alertId), fingerprint);
    this.nums = withPair(withNumber(this.nums, 0), Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    return this.keys.length - 1;
  }
  alertId(i: number): string {
    return this.ids[2 * i] as string;
  }
  fingerprint(i: number): string {
    return this.ids[2 * i + 1] as string;
  }
  observed(i: number): number {
    return this.nums[3 * i] as number;
  }
  firstSeen(i: number): number {
    return this.nums[3 * i + 1] as number;
  }
  lastSeen(i: number): number {
    return this.nums[3 * i + 2] as number;
  }
  update(i: number, observed: number, firstSeen: number, lastSeen: number): void {
    this.nums[3 * i] = observed;
    this.nums[3 * i + 1] = firstSeen;
    this.nums[3 * i + 2] = lastSeen;
  }
}
