// AccessEvents in a compact form for crossing from `scan`'s parsing thread to its detection thread:
// typed arrays (transferred, not copied) and a string table that both sides grow in step, so each
// distinct string (route, user agent, client IP, source…) crosses once and the detection thread
// holds one copy of it, instead of a structured clone of thousands of small objects. decode()
// rebuilds events equal to the encoded ones, field for field and in the same key order.
import type { AccessEvent, SourceKind } from '#shared/avro/generated/access-event.js';
import { eventId } from '#shared/event-id.js';
import { flatCopy } from '#shared/flat-copy.js';

export interface EventBatch {
  /** Events in the batch. */
  n: number;
  /** The decoder empties its string table before adding `strings` (the table reached its bound). */
  reset: boolean;
  /** Strings new to the table, in code order. */
  strings: string[];
  /**
   * In event order, for each event that has one: its event_id (unique, so never in the table), or
   * its position when that is not a plain byte offset (flag bit 5 without bit 6).
   */
  ids: string[];
  /** Per event: the 14 string fields as table codes (NULL, UNDEFINED), then findings (count, codes), then attrs (count, key and value codes). */
  ints: Int32Array;
  /** Per event: ts, bytes_out, status, rows_out, duration_ms, position (flag bit 6). */
  nums: Float64Array;
  /**
   * Per event: bit 0 authenticated, 1 emergency_access, 2 status null, 3 rows_out null, 4
   * duration_ms null, 5 event_id not computed: the id is eventId(source, position), computed when
   * first read; 6 (with 5) the position is a byte offset, in nums, else it is the next of ids.
   */
  flags: Uint8Array;
}

/** Numbers per event in nums. */
const NUMS = 6;
const NULL = -1;
const UNDEFINED = -2;
/** Table entries before both sides start again (bounds the memory of high-cardinality strings). */
const MAX_TABLE = 1 << 18;

/** The buffers to list in postMessage's transfer list. */
export function transferables(b: EventBatch): ArrayBuffer[] {
  return [b.ints.buffer as ArrayBuffer, b.nums.buffer as ArrayBuffer, b.flags.buffer as ArrayBuffer];
}

export class EventEncoder {
  private readonly dict = new Map<string, number>();
  private strings: string[] = [];
  private ids: string[] = [];
  private reset = false;
  private ints = new Int32Array(16 * 1024);
  private ni = 0;
  private nums = new Float64Array(NUMS * 1024);
  private flags = new Uint8Array(1024);
  private n = 0;
  constructor(private readonly maxTable = MAX_TABLE) {}

  /** Events added since the last take(). */
  get size(): number {
    return this.n;
  }

  /** The last string and code of each of the 14 string fields: consecutive events often repeat them. */
  private readonly lastS: Array<string | null | undefined> = new Array(14).fill(null);
  private readonly lastC = new Int32Array(14).fill(NULL);

  private field(f: number, s: string | null | undefined): void {
    if (s === this.lastS[f]) {
      this.int(this.lastC[f] as number);
      return;
    }
    const c = this.code(s);
    this.lastS[f] = s;
    this.lastC[f] = c;
    this.int(c);
  }

  private code(s: string | null | undefined): number {
    if (s === null) return NULL;
    if (s === undefined) return UNDEFINED;
    let c = this.dict.get(s);
    if (c === undefined) {
      // A flat copy (collector's flatCopy): V8 keeps a substring of 13+ characters as a view of
      // the line it was cut from, and the table must hold no line alive; and a lookup that ends
      // on a flat key compares in generated code, where a view costs a call into the runtime.
      const k = flatCopy(s);
      c = this.dict.size;
      this.dict.set(k, c);
      this.strings.push(k);
    }
    return c;
  }

  private int(v: number): void {
    if (this.ni === this.ints.length) {
      const next = new Int32Array(this.ints.length * 2);
      next.set(this.ints);
      this.ints = next;
    }
    this.ints[this.ni++] = v;
  }

  /**
   * Adds an event; one with event_id '' (NormalizeOptions.eventIds false) needs its position, and
   * its id is derived where it is read.
   */
  add(e: AccessEvent, position?: string): void {
    if (this.n === 0 && this.dict.size >= this.maxTable) {
      this.dict.clear();
      this.lastS.fill(null);
      this.lastC.fill(NULL);
      this.reset = true;
    }
    const i = this.n;
    if (i === this.flags.length) {
      const f = new Uint8Array(i * 2);
      f.set(this.flags);
      this.flags = f;
      const m = new Float64Array(i * 2 * NUMS);
      m.set(this.nums);
      this.nums = m;
    }
    const lazyId = e.event_id === '' && position !== undefined;
    // Most positions are byte offsets: sent as numbers, not as 200,000 strings to clone and rebuild.
    const offset = lazyId ? plainOffset(position) : -1;
    if (offset === -1) this.ids.push(lazyId ? position : e.event_id);
    this.field(0, e.source_kind);
    this.field(1, e.source);
    this.field(2, e.tenant);
    this.field(3, e.user_id);
    this.field(4, e.session_hash);
    this.field(5, e.api_key_id);
    this.field(6, e.client_ip);
    this.field(7, e.user_agent);
    this.field(8, e.db_user);
    this.field(9, e.http_method);
    this.field(10, e.db_operation);
    this.field(11, e.route);
    this.field(12, e.resource_id);
    this.field(13, e.resource_kind);
    const fi = e.findings;
    this.int(fi.length);
    for (const f of fi) this.int(this.code(f));
    let na = 0;
    for (const _ in e.attrs) na++;
    this.int(na);
    for (const k in e.attrs) {
      this.int(this.code(k));
      this.int(this.code(e.attrs[k]));
    }
    const o = i * NUMS;
    this.nums[o] = e.ts;
    this.nums[o + 1] = e.bytes_out;
    this.nums[o + 2] = e.status ?? 0;
    this.nums[o + 3] = e.rows_out ?? 0;
    this.nums[o + 4] = e.duration_ms ?? 0;
    this.nums[o + 5] = offset;
    this.flags[i] =
      (e.authenticated ? 1 : 0) |
      (e.emergency_access ? 2 : 0) |
      (e.status === null ? 4 : 0) |
      (e.rows_out === null ? 8 : 0) |
      (e.duration_ms === null ? 16 : 0) |
      (lazyId ? 32 : 0) |
      (offset !== -1 ? 64 : 0);
    this.n++;
  }

  /** The events added since the last take(), as one batch; the encoder starts a new one. */
  take(): EventBatch {
    const b: EventBatch = {
      n: this.n,
      reset: this.reset,
      strings: this.strings,
      ids: this.ids,
      ints: this.ints.slice(0, this.ni),
      nums: this.nums.slice(0, this.n * NUMS),
      flags: this.flags.slice(0, this.n),
    };
    this.n = 0;
    this.ni = 0;
    this.reset = false;
    this.strings = [];
    this.ids = [];
    return b;
  }
}

/**
 * The number a position string is the decimal form of (String(n) gives it back: no sign, no
 * leading zero, at most 15 digits), else -1.
 */
function plainOffset(p: string): number {
  const n = p.length;
  if (n === 0 || n > 15 || (n > 1 && p.charCodeAt(0) === 0x30)) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = p.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** The string a table code stands for (NULL and UNDEFINED are negative). */
function str(t: readonly string[], c: number): string | null {
  return c >= 0 ? (t[c] as string) : c === NULL ? null : (undefined as never);
}

export class EventDecoder {
  private table: string[] = [];

  decode(b: EventBatch): AccessEvent[] {
    if (b.reset) this.table = [];
    const t = this.table;
    for (const s of b.strings) t.push(s);
    // (str is a module function, not a closure made per batch: optimised code inlines its call
    // target, and a new closure for each batch sent decode back to the interpreter)
    const { ints, nums, flags, ids } = b;
    const out: AccessEvent[] = new Array(b.n);
    let p = 0;
    let nextId = 0;
    for (let i = 0; i < b.n; i++) {
      const sourceKind = str(t, ints[p] as number) as SourceKind;
      const source = str(t, ints[p + 1] as number) as string;
      const tenant = str(t, ints[p + 2] as number) as string;
      const userId = str(t, ints[p + 3] as number);
      const sessionHash = str(t, ints[p + 4] as number);
      const apiKeyId = str(t, ints[p + 5] as number);
      const clientIp = str(t, ints[p + 6] as number);
      const userAgent = str(t, ints[p + 7] as number);
      const dbUser = str(t, ints[p + 8] as number);
      const method = str(t, ints[p + 9] as number);
      const dbOperation = str(t, ints[p + 10] as number);
      const route = str(t, ints[p + 11] as number) as string;
      const resourceId = str(t, ints[p + 12] as number);
      const resourceKind = str(t, ints[p + 13] as number);
      p += 14;
      const nf = ints[p++] as number;
      const findings: string[] = new Array(nf);
      for (let j = 0; j < nf; j++) findings[j] = str(t, ints[p++] as number) as string;
      const na = ints[p++] as number;
      const attrs: Record<string, string> = {};
      for (let j = 0; j < na; j++) {
        const k = str(t, ints[p] as number) as string;
        attrs[k] = str(t, ints[p + 1] as number) as string;
        p += 2;
      }
      const o = i * NUMS;
      const f = flags[i] as number;
      const status = (f & 4) !== 0 ? null : (nums[o + 2] as number);
      const rowsOut = (f & 8) !== 0 ? null : (nums[o + 3] as number);
      const durationMs = (f & 16) !== 0 ? null : (nums[o + 4] as number);
      const authenticated = (f & 1) !== 0;
      const emergency = (f & 2) !== 0;
      if ((f & 32) !== 0) {
        const e = new LazyIdEvent((f & 64) !== 0 ? (nums[o + 5] as number) : (ids[nextId++] as string));
        e.ts = nums[o] as number;
        e.source_kind = sourceKind;
        e.source = source;
        e.tenant = tenant;
        e.user_id = userId;
        e.session_hash = sessionHash;
        e.api_key_id = apiKeyId;
        e.client_ip = clientIp;
        e.user_agent = userAgent;
        e.db_user = dbUser;
        e.authenticated = authenticated;
        e.emergency_access = emergency;
        e.http_method = method;
        e.db_operation = dbOperation;
        e.route = route;
        e.resource_id = resourceId;
        e.resource_kind = resourceKind;
        e.status = status;
        e.bytes_out = nums[o + 1] as number;
        e.rows_out = rowsOut;
        e.duration_ms = durationMs;
        e.findings = findings;
        e.attrs = attrs;
        out[i] = e;
        continue;
      }
      out[i] = {
        event_id: ids[nextId++] as string,
        ts: nums[o] as number,
        source_kind: sourceKind,
        source,
        tenant,
        user_id: userId,
        session_hash: sessionHash,
        api_key_id: apiKeyId,
        client_ip: clientIp,
        user_agent: userAgent,
        db_user: dbUser,
        authenticated,
        emergency_access: emergency,
        http_method: method,
        db_operation: dbOperation,
        route,
        resource_id: resourceId,
        resource_kind: resourceKind,
        status,
        bytes_out: nums[o + 1] as number,
        rows_out: rowsOut,
        duration_ms: durationMs,
        findings,
        attrs,
      };
    }
    return out;
  }
}

/** Placeholders the decoder always replaces (never read, never mutated). */
const NO_FINDINGS: string[] = [];
const NO_ATTRS: Record<string, string> = {};

/**
 * An AccessEvent whose event_id is computed when first read (eventId(source, position), the
 * collector's own formula), and kept. The other fields are own properties in AccessEvent's order,
 * overwritten by the decoder; event_id is a getter on the prototype (JSON.stringify and
 * Object.keys do not see it: the detection thread only reads it).
 *
 * The fields are declared with placeholder values, not only typed: V8 sizes an instance by the
 * fields its class defines, and the ones a caller adds later go to a separate property array
 * that is reallocated as it grows (about 450 of the 700 bytes allocated per decoded event).
 */
export class LazyIdEvent implements AccessEvent {
  #id: string | null = null;
  /** A byte offset, or the position string as the record gave it. */
  readonly #position: number | string;
  ts: number = 0;
  source_kind: SourceKind = 'web';
  source: string = '';
  tenant: string = '';
  user_id: string | null = null;
  session_hash: string | null = null;
  api_key_id: string | null = null;
  client_ip: string | null = null;
  user_agent: string | null = null;
  db_user: string | null = null;
  authenticated: boolean = false;
  emergency_access: boolean = false;
  http_method: string | null = null;
  db_operation: string | null = null;
  route: string = '';
  resource_id: string | null = null;
  resource_kind: string | null = null;
  status: number | null = null;
  bytes_out: number = 0;
  rows_out: number | null = null;
  duration_ms: number | null = null;
  findings: string[] = NO_FINDINGS;
  attrs: Record<string, string> = NO_ATTRS;

  constructor(position: number | string) {
    this.#position = position;
  }

  get event_id(): string {
    this.#id ??= eventId(this.source, this.#position);
    return this.#id;
  }
}
