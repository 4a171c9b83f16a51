// Request target → route template + resource.
//
//   /wp-json/wc/v3/orders/1234?context=view  →  route /wp-json/wc/v3/orders/{id}, resource 1234 (order)
//   /index.php?p=123                         →  route /index.php?p={id},           resource 123 (post)
//   /wp-content/uploads/recordings/s-1.mp4   →  route /wp-content/uploads/recordings/{file}, resource s-1.mp4
//
// Generic rules apply to every path: segments that are numbers, UUIDs, long hex strings become `{id}`
// (`123.json` becomes `{id}.json`; `1.0` stays), redaction tokens (`tok_email_…`) become `{email}`, and the query
// string is dropped (its keys are returned in `queryKeys`). On top of that, a small table of
// patterns (DEFAULT_ROUTE_TABLE; compileRouteTable() takes more from config) names the resource
// kind and says which segment is the resource.
//
// Pattern syntax, one pattern per resource kind, matched segment by segment:
//   literal      matches that segment, ASCII case-insensitively (`V1` = `v1`)
//   *            any one segment, kept in the route as written
//   {id}         an id-like segment (number, UUID, hex hash, redaction token): the resource id;
//                written `{id}` in the route. A literal suffix is allowed: `{id}.json`.
//   {file}       any non-empty segment: the resource id; written `{file}`
//   {name}       any other name (`{version}`): any one segment, written `{name}`
//   ** (first)   any number of leading segments (zero or more)
//   ** (last)    any number of trailing segments (zero or more)
// When several patterns match, the one whose resource segment is deepest in the path wins
// (`/patients/7/appointments/9` is an appointment), then the earlier one in the table.
//
// Query ids (`?p=123`, `?post=123`, `?order_id=123`) are used when no path pattern matched: the
// route keeps the key (`?p={id}`) and the value is the resource id.
//
// Id routes outside the table: when no pattern matched, a templated `{id}` segment still makes an
// id route. Its kind comes from the collection segment before it, singularised (`/bookings/17` →
// booking, `/lab-results/9` → lab_result, `/entries/3` → entry), or is GENERIC_KIND (`resource`)
// when there is no such word (`/123`, `/v2/123`, `/u/123`). Which kinds are *sensitive* is not
// decided here (services/shared/sensitive-kinds.ts): every id route counts for enumeration.
//
// Dates are not ids: `2026/11/05` (year 1970-2099, month, optional day) becomes `{yyyy}/{mm}/{dd}`,
// `2026-11-05` becomes `{date}`, in generic templating and in `*` segments; `{id}` never matches a
// date segment. Generated file names are ids: `<uuid>.mp4`, `<hex>.pdf`, `123.json` → `{id}.ext`
// (static assets, `<hash>.js`, `<id>.png`, are templated the same way but name no kind).
//
// Files in a recording or export folder at any depth (FILE_COLLECTIONS: `recordings/2026/11/05/
// <uuid>.mp4` in a bucket, `exports/clinic-a/x.csv`): when no pattern matched, the last segment is
// the resource (`{file}`), the kind is the folder's (recording, export).
//
// Percent-decoding never throws: a segment with `%` is decoded for matching and for the route
// when it decodes to printable text without `/`, `?` or `#`; otherwise it is kept as written.

import { ConfigInvalid } from '#shared/errors.js';

export interface RouteInfo {
  /** Route template: path with ids replaced, no query string except a query id (`?p={id}`). */
  route: string;
  /** The resource the request addressed, as written in the (redacted) target; null if none. */
  resourceId: string | null;
  /** order, customer, patient, appointment, recording, post, ...; null when no pattern named it. */
  resourceKind: string | null;
  /** Query parameter names, in order of first appearance, as written. */
  queryKeys: readonly string[];
}

export interface RoutePatternDef {
  /** Segment pattern, e.g. `/wp-json/wc/*` + `/orders/{id}/**`. */
  path: string;
  kind: string;
}

export interface QueryIdDef {
  /** Query parameter whose value is a resource id, e.g. `p`. */
  key: string;
  kind: string;
}

export interface FileCollectionDef {
  /** Folder name (one path segment, matched ASCII case-insensitively), e.g. `recordings`. */
  segment: string;
  kind: string;
}

export interface RouteTableDef {
  paths: readonly RoutePatternDef[];
  queryIds: readonly QueryIdDef[];
  /** Folders whose files are resources of a kind at any depth; DEFAULT_FILE_COLLECTIONS when absent. */
  fileCollections?: readonly FileCollectionDef[];
  /** Derive a kind for id routes no pattern named (default true). */
  deriveKinds?: boolean;
}

/** Kind of an id route no pattern named and whose collection segment says nothing. */
export const GENERIC_KIND = 'resource';

/** Kind of an object-store bucket listing (S3 ListObjects / REST.GET.BUCKET). */
export const BUCKET_LISTING_KIND = 'bucket_listing';

const LISTING_OPERATIONS: ReadonlySet<string> = new Set([
  'REST.GET.BUCKET',
  'REST.GET.BUCKETVERSIONS',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
]);

/** An S3 access-log operation or CloudTrail event name that lists a bucket's keys. */
export function isBucketListing(operation: string | null | undefined): boolean {
  return operation !== null && operation !== undefined && LISTING_OPERATIONS.has(operation);
}

export const DEFAULT_FILE_COLLECTIONS: readonly FileCollectionDef[] = Object.freeze([
  { segment: 'recordings', kind: 'recording' },
  { segment: 'recording', kind: 'recording' },
  { segment: 'call-recordings', kind: 'recording' },
  { segment: 'video-visits', kind: 'recording' },
  { segment: 'exports', kind: 'export' },
  { segment: 'export', kind: 'export' },
  { segment: 'wc-exports', kind: 'export' },
]);

export const DEFAULT_ROUTE_TABLE: RouteTableDef = {
  paths: [
    // WooCommerce REST (any API version: v1, v2, v3, wc-analytics...)
    { path: '/wp-json/wc/*/orders/{id}/**', kind: 'order' },
    { path: '/wp-json/wc/*/customers/{id}/**', kind: 'customer' },
    { path: '/wp-json/wc/*/products/{id}/**', kind: 'product' },
    { path: '/wp-json/wp/*/users/{id}/**', kind: 'user' },
    // WooCommerce storefront
    { path: '**/my-account/view-order/{id}/**', kind: 'order' },
    { path: '**/checkout/order-received/{id}/**', kind: 'order' },
    // Magento 2 REST (with or without a store code)
    { path: '/rest/V1/orders/{id}/**', kind: 'order' },
    { path: '/rest/*/V1/orders/{id}/**', kind: 'order' },
    { path: '/rest/V1/customers/{id}/**', kind: 'customer' },
    { path: '/rest/*/V1/customers/{id}/**', kind: 'customer' },
    // Shopify Admin REST
    { path: '/admin/api/{version}/orders/{id}.json', kind: 'order' },
    { path: '/admin/api/{version}/customers/{id}.json', kind: 'customer' },
    { path: '/admin/orders/{id}.json', kind: 'order' },
    { path: '/admin/customers/{id}.json', kind: 'customer' },
    // Telehealth portals
    { path: '**/patients/{id}/**', kind: 'patient' },
    { path: '**/appointments/{id}/**', kind: 'appointment' },
    { path: '**/recordings/{file}', kind: 'recording' },
    { path: '**/recordings/*/{file}', kind: 'recording' },
    { path: '**/recordings/*/*/{file}', kind: 'recording' },
    { path: '**/exports/{file}', kind: 'export' },
    { path: '**/wc-exports/{file}', kind: 'export' },
    // Form plugins: entries hold intake answers (Gravity Forms REST v1/v2)
    { path: '/wp-json/gf/*/entries/{id}/**', kind: 'form_entry' },
    { path: '/wp-json/gf/*/forms/{id}/entries', kind: 'form_entry' },
    { path: '**/gravityformsapi/entries/{id}/**', kind: 'form_entry' },
    // Booking plugins (WooCommerce Bookings, Bookly, Amelia REST)
    { path: '/wp-json/wc-bookings/*/bookings/{id}/**', kind: 'booking' },
    { path: '/wp-json/bookly/*/appointments/{id}/**', kind: 'appointment' },
    // Collections (bulk reads: the kind without a resource id)
    { path: '/wp-json/wc/*/orders', kind: 'order' },
    { path: '/wp-json/wc/*/customers', kind: 'customer' },
    { path: '/rest/V1/orders', kind: 'order' },
    { path: '/rest/*/V1/orders', kind: 'order' },
    { path: '/rest/V1/customers/search', kind: 'customer' },
    { path: '/admin/api/{version}/orders.json', kind: 'order' },
    { path: '/admin/api/{version}/customers.json', kind: 'customer' },
    { path: '**/patients', kind: 'patient' },
    { path: '**/appointments', kind: 'appointment' },
  ],
  queryIds: [
    { key: 'p', kind: 'post' },
    { key: 'post', kind: 'post' },
    { key: 'page_id', kind: 'page' },
    { key: 'order_id', kind: 'order' },
    { key: 'attachment_id', kind: 'attachment' },
    // WPForms / Gravity Forms admin entry views, Ninja Forms submissions, booking plugins
    { key: 'entry_id', kind: 'form_entry' },
    { key: 'lid', kind: 'form_entry' },
    { key: 'sub_id', kind: 'form_entry' },
    { key: 'appointment_id', kind: 'appointment' },
    { key: 'booking_id', kind: 'booking' },
  ],
};

// ---- compiled table -----------------------------------------------------------------------------

const SEG_LITERAL = 0;
const SEG_ANY = 1; // *
const SEG_ID = 2; // {id} (+ suffix)
const SEG_FILE = 3; // {file}
const SEG_NAMED = 4; // {version}

interface SegMatcher {
  type: number;
  /** Literal (lowercased) or the id suffix (`.json`, lowercased). */
  text: string;
  /** What the route shows for placeholders: `{id}.json`, `{file}`, `{version}`. */
  out: string;
}

interface CompiledPattern {
  index: number;
  kind: string;
  leading: boolean;
  trailing: boolean;
  segs: SegMatcher[];
  /** Index in segs of the resource segment ({id} / {file}), -1 when none. */
  resourceAt: number;
}

interface Anchor {
  /** Lowercased literal. */
  text: string;
  entries: Array<{ pattern: CompiledPattern; offset: number }>;
}

export interface CompiledRouteTable {
  /** Anchors (the first literal of each pattern) by (lowercased first char & 31). */
  readonly anchorsByFirst: ReadonlyArray<ReadonlyArray<Anchor> | undefined>;
  /** Bit (c & 31) set for the first character of every anchor: a cheap pre-check. */
  readonly anchorFirst: number;
  readonly queryIds: ReadonlyMap<string, string>;
  /** Lowercased folder → kind (FILE_COLLECTIONS). */
  readonly fileCollections: ReadonlyMap<string, string>;
  readonly deriveKinds: boolean;
  readonly size: number;
}

/** Validates and indexes a route table; throws ConfigInvalid naming the bad pattern. */
export function compileRouteTable(def: RouteTableDef): CompiledRouteTable {
  const anchors = new Map<string, Anchor>();
  def.paths.forEach((p, index) => {
    if (typeof p.path !== 'string' || (!p.path.startsWith('/') && !p.path.startsWith('**/'))) {
      throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: must start with / or **/`);
    }
    if (typeof p.kind !== 'string' || p.kind === '') {
      throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: kind is required`);
    }
    const raw = p.path.startsWith('/') ? p.path.slice(1).split('/') : p.path.split('/');
    let leading = false;
    let trailing = false;
    if (raw[0] === '**') {
      leading = true;
      raw.shift();
    }
    if (raw.length > 0 && raw[raw.length - 1] === '**') {
      trailing = true;
      raw.pop();
    }
    const segs: SegMatcher[] = [];
    let resourceAt = -1;
    let anchorAt = -1;
    for (const s of raw) {
      if (s === '**' || s === '') {
        throw ConfigInvalid(
          `route pattern ${JSON.stringify(p.path)}: ** only first or last, no empty segments`,
        );
      }
      if (s === '*') segs.push({ type: SEG_ANY, text: '', out: '' });
      else if (s.startsWith('{id}')) {
        segs.push({ type: SEG_ID, text: s.slice(4).toLowerCase(), out: s });
        if (resourceAt !== -1) throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: two resources`);
        resourceAt = segs.length - 1;
      } else if (s === '{file}') {
        segs.push({ type: SEG_FILE, text: '', out: s });
        if (resourceAt !== -1) throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: two resources`);
        resourceAt = segs.length - 1;
      } else if (/^\{[a-z_]+\}$/.test(s)) segs.push({ type: SEG_NAMED, text: '', out: s });
      else if (s.includes('{') || s.includes('*')) {
        throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: bad segment ${JSON.stringify(s)}`);
      } else {
        segs.push({ type: SEG_LITERAL, text: s.toLowerCase(), out: s });
        if (anchorAt === -1) anchorAt = segs.length - 1;
      }
    }
    if (anchorAt === -1)
      throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: needs one literal segment`);
    const pattern: CompiledPattern = { index, kind: p.kind, leading, trailing, segs, resourceAt };
    const key = (segs[anchorAt] as SegMatcher).text;
    let a = anchors.get(key);
    if (a === undefined) {
      a = { text: key, entries: [] };
      anchors.set(key, a);
    }
    a.entries.push({ pattern, offset: anchorAt });
  });
  const anchorsByFirst: Anchor[][] = [];
  let anchorFirst = 0;
  for (const a of anchors.values()) {
    const b = a.text.charCodeAt(0) & 31;
    anchorFirst |= 1 << b;
    let list = anchorsByFirst[b];
    if (list === undefined) {
      list = [];
      anchorsByFirst[b] = list;
    }
    list.push(a);
  }
  const queryIds = new Map<string, string>();
  for (const q of def.queryIds) {
    if (typeof q.key !== 'string' || q.key === '' || typeof q.kind !== 'string' || q.kind === '') {
      throw ConfigInvalid(`query id ${JSON.stringify(q)}: key and kind are required`);
    }
    if (!queryIds.has(q.key)) queryIds.set(q.key, q.kind);
  }
  const fileCollections = new Map<string, string>();
  for (const f of def.fileCollections ?? DEFAULT_FILE_COLLECTIONS) {
    if (typeof f.segment !== 'string' || f.segment === '' || f.segment.includes('/') || !f.kind) {
      throw ConfigInvalid(`file collection ${JSON.stringify(f)}: one segment and a kind are required`);
    }
    fileCollections.set(f.segment.toLowerCase(), f.kind);
  }
  return {
    anchorsByFirst,
    anchorFirst,
    queryIds,
    fileCollections,
    deriveKinds: def.deriveKinds ?? true,
    size: def.paths.length,
  };
}

const DEFAULT_COMPILED = compileRouteTable(DEFAULT_ROUTE_TABLE);
const EMPTY: readonly string[] = Object.freeze([]);
const MAX_ROUTE_CHARS = 1024;
const MAX_QUERY_KEYS = 64;

// ---- segment classification (on s[a..b), no substrings) -------------------------------------------------

function isHexChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function allDigits(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Number (≤ 20 digits), UUID, or hex string of 16+ chars, in s[a..b). */
function isIdLikeAt(s: string, a: number, b: number): boolean {
  const n = b - a;
  if (n <= 0) return false;
  if (n <= 20 && allDigits(s, a, b)) return true;
  if (n === 36) {
    for (let i = 0; i < 36; i++) {
      const c = s.charCodeAt(a + i);
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (c !== 0x2d) return false;
      } else if (!isHexChar(c)) return false;
    }
    return true;
  }
  if (n >= 16 && n <= 128) {
    for (let i = a; i < b; i++) if (!isHexChar(s.charCodeAt(i))) return false;
    return true;
  }
  return false;
}

/** Number (≤ 20 digits), UUID, or hex string of 16+ chars. */
export function isIdLike(s: string): boolean {
  return isIdLikeAt(s, 0, s.length);
}

/** End of the kind in a `tok_<kind>_<16 hex>` token at s[a..b) (kind = s[a+4..end)), or -1. */
function tokenKindEnd(s: string, a: number, b: number): number {
  if (b - a < 22 || !s.startsWith('tok_', a)) return -1;
  const us = b - 17;
  if (s.charCodeAt(us) !== 0x5f || us <= a + 4) return -1;
  for (let i = us + 1; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return -1;
  }
  for (let i = a + 4; i < us; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return -1;
  }
  return us;
}

/** `tok_<kind>_<16 hex>` as written by redact.ts → `kind`, else null. */
export function tokenKind(s: string): string | null {
  const e = tokenKindEnd(s, 0, s.length);
  return e === -1 ? null : s.slice(4, e);
}

/** s[a..b) equals `lower` ignoring ASCII case. */
function eqIgnoreCaseAt(s: string, a: number, b: number, lower: string): boolean {
  if (b - a !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(a + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Decodes %HH escapes without ever throwing: valid UTF-8 sequences via decodeURIComponent,
 * anything else (`%zz`, lone `%`, broken UTF-8) left as written.
 */
export function safeDecode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // Decode only well-formed ASCII escapes; leave the rest.
    let out = '';
    let last = 0;
    for (let i = s.indexOf('%'); i !== -1 && i + 2 < s.length; i = s.indexOf('%', i + 1)) {
      const h = s.charCodeAt(i + 1);
      const l = s.charCodeAt(i + 2);
      if (!isHexChar(h) || !isHexChar(l)) continue;
      const v = Number.parseInt(s.slice(i + 1, i + 3), 16);
      if (v >= 0x80) continue;
      out += s.slice(last, i) + String.fromCharCode(v);
      last = i + 3;
      i += 2;
    }
    return last === 0 ? s : out + s.slice(last);
  }
}

/** Decoded segment when it is safe to show and match; else the segment as written. */
function decodeSegment(seg: string): string {
  if (seg.indexOf('%') === -1) return seg;
  const d = safeDecode(seg);
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2f || c === 0x3f || c === 0x23) return seg;
  }
  return d;
}

/** `{id}` matcher on s[a..b): id-like or a redaction token, followed by the literal suffix. */
function matchIdAt(s: string, a: number, b: number, suffix: string): boolean {
  let e = b;
  if (suffix !== '') {
    e = b - suffix.length;
    if (e <= a || !eqIgnoreCaseAt(s, e, b, suffix)) return false;
  }
  return isIdLikeAt(s, a, e) || tokenKindEnd(s, a, e) !== -1;
}

// ---- dates and kinds ------------------------------------------------------------------------------

/** Digits s[a..b) as a number, -1 when not 1..maxLen digits. */
function smallNumberAt(s: string, a: number, b: number, maxLen: number): number {
  if (b <= a || b - a > maxLen || !allDigits(s, a, b)) return -1;
  return Number(s.slice(a, b));
}

function isYearAt(s: string, a: number, b: number): boolean {
  if (b - a !== 4) return false;
  const y = smallNumberAt(s, a, b, 4);
  return y >= 1970 && y <= 2099;
}

/** `2026-11-05`: a whole-segment ISO date. */
function isIsoDateAt(s: string, a: number, b: number): boolean {
  if (b - a !== 10 || s.charCodeAt(a + 4) !== 0x2d || s.charCodeAt(a + 7) !== 0x2d) return false;
  const m = smallNumberAt(s, a + 5, a + 7, 2);
  const d = smallNumberAt(s, a + 8, a + 10, 2);
  return isYearAt(s, a, a + 4) && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

const DATE_NONE = 0;
const DATE_YYYY = 1;
const DATE_MM = 2;
const DATE_DD = 3;
const DATE_ISO = 4;
const DATE_OUT = ['', '{yyyy}', '{mm}', '{dd}', '{date}'];

/** Marks date segments in segDate[0..n): year + month (+ day) folders, ISO dates. */
function markDates(s: string, n: number): boolean {
  if (segDate.length < n) segDate = new Uint8Array(Math.max(n, segDate.length * 2));
  segDate.fill(DATE_NONE, 0, n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const a = segA[i] as number;
    const b = segB[i] as number;
    // an empty segment (a trailing '/') is no date; and charCodeAt past the end of s would be a
    // first out-of-bounds read that sends optimised normalizeRoute back to the interpreter
    if (a === b) continue;
    const c0 = s.charCodeAt(a);
    if (c0 < 0x30 || c0 > 0x39) continue;
    if (isIsoDateAt(s, a, b)) {
      segDate[i] = DATE_ISO;
      any = true;
      continue;
    }
    if (i + 1 >= n || !isYearAt(s, a, b)) continue;
    const m = smallNumberAt(s, segA[i + 1] as number, segB[i + 1] as number, 2);
    if (m < 1 || m > 12) continue;
    segDate[i] = DATE_YYYY;
    segDate[i + 1] = DATE_MM;
    any = true;
    if (i + 2 < n) {
      const d = smallNumberAt(s, segA[i + 2] as number, segB[i + 2] as number, 2);
      if (d >= 1 && d <= 31) {
        segDate[i + 2] = DATE_DD;
        i++;
      }
    }
    i++;
  }
  return any;
}

/** Singular of a collection word, simply: `entries` → entry, `addresses` → address, `orders` → order. */
export function singularize(w: string): string {
  const n = w.length;
  if (n > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (n > 4 && (w.endsWith('sses') || w.endsWith('xes') || w.endsWith('ches') || w.endsWith('shes')))
    return w.slice(0, -2);
  if (n > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is'))
    return w.slice(0, -1);
  return w;
}

/**
 * The kind a collection segment names (`bookings` → booking, `lab-results` → lab_result), or null
 * when the segment is not a collection word (too short, a version `v2`, a file `index.php`, mixed
 * with digits at the start).
 */
export function kindOfCollection(seg: string): string | null {
  if (seg.length < 3 || seg.length > 64) return null;
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(seg)) return null;
  if (/^v\d+$/i.test(seg)) return null;
  const w = seg.toLowerCase().replace(/-/g, '_');
  const parts = w.split('_');
  const last = parts[parts.length - 1] as string;
  parts[parts.length - 1] = singularize(last);
  const k = parts.join('_');
  return /^[a-z][a-z0-9_]{0,63}$/.test(k) ? k : null;
}

// ---- normalizeRoute -------------------------------------------------------------------------------

// Segment bounds of the path being normalised (module scratch: normalizeRoute is synchronous).
let segA = new Int32Array(64);
let segB = new Int32Array(64);
let segDate = new Uint8Array(64);

function matchAt(p: CompiledPattern, s: string, n: number, start: number): boolean {
  const m = p.segs.length;
  if (start < 0 || start + m > n) return false;
  if (!p.leading && start !== 0) return false;
  if (!p.trailing && start + m !== n) return false;
  for (let k = 0; k < m; k++) {
    const pm = p.segs[k] as SegMatcher;
    const a = segA[start + k] as number;
    const b = segB[start + k] as number;
    if (pm.type === SEG_LITERAL) {
      if (!eqIgnoreCaseAt(s, a, b, pm.text)) return false;
    } else if (pm.type === SEG_ID) {
      if (segDate[start + k] !== DATE_NONE || !matchIdAt(s, a, b, pm.text)) return false;
    } else if (b === a) return false;
  }
  return true;
}

/** Route template + resource for a request target (raw or redacted). Never throws. */
export function normalizeRoute(target: string, table: CompiledRouteTable = DEFAULT_COMPILED): RouteInfo {
  // Split off the query string (and a fragment, which browsers do not send but tools do).
  let qAt = target.indexOf('?');
  const hashAt = target.indexOf('#');
  if (hashAt !== -1 && qAt > hashAt) qAt = -1;
  let pathEnd = qAt !== -1 ? qAt : hashAt !== -1 ? hashAt : target.length;
  let pathStart = 0;

  // Absolute form (proxy requests): drop scheme and authority.
  if (target.charCodeAt(0) !== 0x2f) {
    if (target === '*') return { route: '*', resourceId: null, resourceKind: null, queryKeys: EMPTY };
    const scheme = target.indexOf('://');
    if (scheme > 0 && scheme < pathEnd) {
      const slash = target.indexOf('/', scheme + 3);
      if (slash === -1 || slash > pathEnd) {
        return {
          route: '/',
          resourceId: null,
          resourceKind: null,
          queryKeys: queryKeysOf(target, qAt, hashAt),
        };
      }
      pathStart = slash;
    } else if (qAt === -1 && target.indexOf('/') === -1 && target.indexOf(':') > 0) {
      // CONNECT host:port
      return { route: '{authority}', resourceId: null, resourceKind: null, queryKeys: EMPTY };
    }
  }
  if (pathEnd < pathStart) pathEnd = pathStart;

  // The path we work on: s[from..to). Percent-encoded paths are decoded segment by segment first
  // (decodeSegment never yields a '/', so the segments stay the same).
  let s = target;
  let from = pathStart;
  let to = pathEnd;
  const pct = target.indexOf('%', pathStart);
  if (pct !== -1 && pct < pathEnd) {
    s = target.slice(pathStart, pathEnd).split('/').map(decodeSegment).join('/');
    from = 0;
    to = s.length;
  }

  // Segment bounds, after the leading '/' (a relative target keeps its first segment).
  let n = 0;
  let p = s.charCodeAt(from) === 0x2f ? from + 1 : from;
  for (;;) {
    let e = s.indexOf('/', p);
    if (e === -1 || e > to) e = to;
    if (n === segA.length) {
      const a2 = new Int32Array(n * 2);
      a2.set(segA);
      segA = a2;
      const b2 = new Int32Array(n * 2);
      b2.set(segB);
      segB = b2;
    }
    segA[n] = p;
    segB[n] = e;
    n++;
    if (e >= to) break;
    p = e + 1;
  }

  markDates(s, n);

  // Best pattern match: deepest resource segment, then table order.
  let best: CompiledPattern | null = null;
  let bestStart = 0;
  let bestRes = -1;
  const first = table.anchorFirst;
  if (first !== 0) {
    for (let i = 0; i < n; i++) {
      const a = segA[i] as number;
      const b = segB[i] as number;
      if (b === a) continue;
      const bit = (s.charCodeAt(a) | 0x20) & 31;
      if ((first & (1 << bit)) === 0) continue;
      const list = table.anchorsByFirst[bit];
      if (list === undefined) continue;
      for (const anchor of list) {
        if (!eqIgnoreCaseAt(s, a, b, anchor.text)) continue;
        for (const { pattern, offset } of anchor.entries) {
          const start = i - offset;
          if (!matchAt(pattern, s, n, start)) continue;
          const res = start + (pattern.resourceAt === -1 ? pattern.segs.length - 1 : pattern.resourceAt);
          if (best === null || res > bestRes || (res === bestRes && pattern.index < best.index)) {
            best = pattern;
            bestStart = start;
            bestRes = res;
          }
        }
      }
    }
  }

  // No pattern: a file in a recording / export folder at any depth is that kind's resource.
  let fileKind: string | null = null;
  let fileAt = -1;
  if (best === null && table.fileCollections.size > 0 && n >= 2) {
    const la = segA[n - 1] as number;
    const lb = segB[n - 1] as number;
    if (lb > la && segDate[n - 1] === DATE_NONE) {
      for (let i = n - 2; i >= 0 && fileKind === null; i--) {
        const a = segA[i] as number;
        const b = segB[i] as number;
        if (b - a < 3 || b - a > 32) continue;
        const k = table.fileCollections.get(s.slice(a, b).toLowerCase());
        if (k !== undefined) {
          fileKind = k;
          fileAt = n - 1;
        }
      }
    }
  }

  // Route: the path with replaced segments; spans between replacements are copied as they are.
  let resourceId: string | null = null;
  let genericAt = -1;
  let route = '';
  let last = from;
  const bestEnd = best === null ? -1 : bestStart + best.segs.length;
  const fixed = best !== null || fileKind !== null;
  for (let i = 0; i < n; i++) {
    const a = segA[i] as number;
    const b = segB[i] as number;
    if (b === a) continue;
    if (i === fileAt) {
      resourceId = s.slice(a, b);
      route += s.slice(last, a) + '{file}';
      last = b;
      continue;
    }
    if (best !== null && i >= bestStart && i < bestEnd) {
      const pm = best.segs[i - bestStart] as SegMatcher;
      if (pm.type === SEG_ID) {
        resourceId = s.slice(a, b - pm.text.length);
        route += s.slice(last, a) + pm.out;
        last = b;
        continue;
      }
      if (pm.type === SEG_FILE) {
        resourceId = s.slice(a, b);
        route += s.slice(last, a) + pm.out;
        last = b;
        continue;
      }
      if (pm.type === SEG_NAMED) {
        route += s.slice(last, a) + pm.out;
        last = b;
        continue;
      }
      if (pm.type === SEG_LITERAL) continue;
    }
    // generic templating
    const dm = segDate[i] as number;
    if (dm !== DATE_NONE) {
      route += s.slice(last, a) + (DATE_OUT[dm] as string);
      last = b;
      continue;
    }
    const c0 = s.charCodeAt(a);
    if (c0 === 0x74 /* t */) {
      const ke = tokenKindEnd(s, a, b);
      if (ke !== -1) {
        route += s.slice(last, a) + '{' + s.slice(a + 4, ke) + '}';
        last = b;
        continue;
      }
    }
    if (isIdLikeAt(s, a, b)) {
      if (!fixed) {
        resourceId = s.slice(a, b);
        genericAt = i;
      }
      route += s.slice(last, a) + '{id}';
      last = b;
      continue;
    }
    // 123.json, 42.pdf, <uuid>.mp4, <hex>.pdf: an id + a short extension starting with a letter
    // (not a version: 1.0)
    const dot = s.indexOf('.', a);
    if (dot > a && dot < b - 1 && dot - a <= 128 && b - dot <= 6) {
      const e0 = s.charCodeAt(dot + 1) | 0x20;
      if (e0 >= 0x61 && e0 <= 0x7a && isIdLikeAt(s, a, dot)) {
        if (!fixed) {
          resourceId = s.slice(a, dot);
          // content-addressed static assets (`<hash>.js`, `<id>.png`) are not records
          genericAt = STATIC_EXT.has(s.slice(dot + 1, b).toLowerCase()) ? -1 : i;
        }
        route += s.slice(last, a) + '{id}';
        last = dot;
      }
    }
  }
  route = last === from ? (from === 0 && to === s.length ? s : s.slice(from, to)) : route + s.slice(last, to);

  let resourceKind: string | null = best !== null ? best.kind : fileKind;
  if (genericAt !== -1 && table.deriveKinds) resourceKind = genericKind(s, genericAt);
  let queryKeys: readonly string[] = EMPTY;
  if (qAt !== -1) {
    queryKeys = queryKeysOf(target, qAt, hashAt);
    if (!fixed && table.queryIds.size > 0) {
      const q = findQueryId(target, qAt + 1, hashAt > qAt ? hashAt : target.length, table.queryIds);
      if (q !== null) {
        route += '?' + q.key + '={id}';
        resourceId = q.value;
        resourceKind = q.kind;
      }
    }
  }
  if (route.length > MAX_ROUTE_CHARS) route = route.slice(0, MAX_ROUTE_CHARS) + '…';
  return { route, resourceId, resourceKind, queryKeys };
}

/** Extensions of static assets: a generated name with one of these is no record (no kind). */
const STATIC_EXT: ReadonlySet<string> = new Set([
  'js',
  'mjs',
  'css',
  'map',
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'avif',
  'ico',
  'bmp',
  'woff',
  'woff2',
  'ttf',
  'otf',
  'eot',
]);

/** Kind of the generic id at segment i: its collection (the literal segment before it), else GENERIC_KIND. */
function genericKind(s: string, i: number): string {
  if (i === 0) return GENERIC_KIND;
  const a = segA[i - 1] as number;
  const b = segB[i - 1] as number;
  if (segDate[i - 1] !== DATE_NONE || b === a) return GENERIC_KIND;
  return kindOfCollection(s.slice(a, b)) ?? GENERIC_KIND;
}

function queryKeysOf(target: string, qAt: number, hashAt: number): readonly string[] {
  if (qAt === -1) return EMPTY;
  const end = hashAt > qAt ? hashAt : target.length;
  let keys: string[] | undefined;
  let p = qAt + 1;
  while (p < end) {
    let amp = target.indexOf('&', p);
    if (amp === -1 || amp > end) amp = end;
    let eq = target.indexOf('=', p);
    if (eq === -1 || eq > amp) eq = amp;
    if (eq > p) {
      const k = target.slice(p, eq);
      if (keys === undefined) keys = [k];
      else if (keys.length < MAX_QUERY_KEYS && !keys.includes(k)) keys.push(k);
    }
    p = amp + 1;
  }
  return keys ?? EMPTY;
}

function findQueryId(
  target: string,
  from: number,
  end: number,
  ids: ReadonlyMap<string, string>,
): { key: string; value: string; kind: string } | null {
  let p = from;
  while (p < end) {
    let amp = target.indexOf('&', p);
    if (amp === -1 || amp > end) amp = end;
    const eq = target.indexOf('=', p);
    if (eq !== -1 && eq < amp) {
      const key = target.slice(p, eq);
      const kind = ids.get(key);
      if (kind !== undefined) {
        const value = target.slice(eq + 1, amp);
        if (value.length <= 20 && allDigits(value, 0, value.length)) return { key, value, kind };
        if (tokenKindEnd(value, 0, value.length) !== -1) return { key, value, kind };
      }
    }
    p = amp + 1;
  }
  return null;
}
