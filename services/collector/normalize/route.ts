// Request target → route template + resource.
//
//   /wp-json/wc/v3/orders/1234?context=view  →  route /wp-json/wc/v3/orders/{id}, resource 1234 (order)
//   /index.php?p=123                         →  route /index.php?p={id},           resource 123 (post)
//   /wp-content/uploads/recordings/s-1.mp4   →  route /wp-content/uploads/recordings/{file}, resource s-1.mp4
//
// Generic rules apply to every path: segments that are numbers, UUIDs, long hex strings become `{id}`
// (`123.json` becomes `{id}.json`), redaction tokens (`tok_email_…`) become `{email}`, and the query
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

export interface RouteTableDef {
  paths: readonly RoutePatternDef[];
  queryIds: readonly QueryIdDef[];
}

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
    { path: '**/exports/{file}', kind: 'export' },
  ],
  queryIds: [
    { key: 'p', kind: 'post' },
    { key: 'post', kind: 'post' },
    { key: 'page_id', kind: 'page' },
    { key: 'order_id', kind: 'order' },
    { key: 'attachment_id', kind: 'attachment' },
  ],
};

// ---- compiled table -----------------------------------------------------------------------------

enum Seg {
  Literal = 0,
  Any = 1, // *
  Id = 2, // {id} (+ suffix)
  File = 3, // {file}
  Named = 4, // {version}
}

interface SegMatcher {
  type: Seg;
  /** Literal (lowercased) or the id suffix (`.json`). */
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

export interface CompiledRouteTable {
  /** Patterns by the lowercased first literal of their fixed part. */
  readonly anchors: ReadonlyMap<string, ReadonlyArray<{ pattern: CompiledPattern; offset: number }>>;
  readonly queryIds: ReadonlyMap<string, string>;
  readonly size: number;
}

/** Validates and indexes a route table; throws ConfigInvalid naming the bad pattern. */
export function compileRouteTable(def: RouteTableDef): CompiledRouteTable {
  const anchors = new Map<string, Array<{ pattern: CompiledPattern; offset: number }>>();
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
      if (s === '*') segs.push({ type: Seg.Any, text: '', out: '' });
      else if (s.startsWith('{id}')) {
        segs.push({ type: Seg.Id, text: s.slice(4).toLowerCase(), out: s });
        if (resourceAt !== -1) throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: two resources`);
        resourceAt = segs.length - 1;
      } else if (s === '{file}') {
        segs.push({ type: Seg.File, text: '', out: s });
        if (resourceAt !== -1) throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: two resources`);
        resourceAt = segs.length - 1;
      } else if (/^\{[a-z_]+\}$/.test(s)) segs.push({ type: Seg.Named, text: '', out: s });
      else if (s.includes('{') || s.includes('*')) {
        throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: bad segment ${JSON.stringify(s)}`);
      } else {
        segs.push({ type: Seg.Literal, text: s.toLowerCase(), out: s });
        if (anchorAt === -1) anchorAt = segs.length - 1;
      }
    }
    if (anchorAt === -1)
      throw ConfigInvalid(`route pattern ${JSON.stringify(p.path)}: needs one literal segment`);
    const pattern: CompiledPattern = { index, kind: p.kind, leading, trailing, segs, resourceAt };
    const key = (segs[anchorAt] as SegMatcher).text;
    let list = anchors.get(key);
    if (list === undefined) {
      list = [];
      anchors.set(key, list);
    }
    list.push({ pattern, offset: anchorAt });
  });
  const queryIds = new Map<string, string>();
  for (const q of def.queryIds) {
    if (typeof q.key !== 'string' || q.key === '' || typeof q.kind !== 'string' || q.kind === '') {
      throw ConfigInvalid(`query id ${JSON.stringify(q)}: key and kind are required`);
    }
    if (!queryIds.has(q.key)) queryIds.set(q.key, q.kind);
  }
  return { anchors, queryIds, size: def.paths.length };
}

const DEFAULT_COMPILED = compileRouteTable(DEFAULT_ROUTE_TABLE);
const EMPTY: readonly string[] = Object.freeze([]);
const MAX_ROUTE_CHARS = 1024;
const MAX_QUERY_KEYS = 64;

// ---- segment classification --------------------------------------------------------------------------

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

/** Number (≤ 20 digits), UUID, or hex string of 16+ chars. */
export function isIdLike(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  if (n <= 20 && allDigits(s, 0, n)) return true;
  if (n === 36) {
    for (let i = 0; i < 36; i++) {
      const c = s.charCodeAt(i);
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (c !== 0x2d) return false;
      } else if (!isHexChar(c)) return false;
    }
    return true;
  }
  if (n >= 16 && n <= 128) {
    for (let i = 0; i < n; i++) if (!isHexChar(s.charCodeAt(i))) return false;
    return true;
  }
  return false;
}

/** `tok_<kind>_<16 hex>` as written by redact.ts → `kind`, else null. */
export function tokenKind(s: string): string | null {
  if (s.length < 22 || !s.startsWith('tok_')) return null;
  const us = s.length - 17;
  if (s.charCodeAt(us) !== 0x5f) return null;
  for (let i = us + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return null;
  }
  if (us <= 4) return null;
  for (let i = 4; i < us; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return null;
  }
  return s.slice(4, us);
}

function eqIgnoreCase(seg: string, lower: string): boolean {
  if (seg.length !== lower.length) return false;
  for (let i = 0; i < seg.length; i++) {
    let c = seg.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
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

/** `{id}` matcher: id-like or a redaction token, with an optional literal suffix. */
function matchIdSeg(seg: string, suffix: string): string | null {
  let body = seg;
  if (suffix !== '') {
    if (seg.length <= suffix.length) return null;
    const tail = seg.slice(seg.length - suffix.length);
    if (!eqIgnoreCase(tail, suffix)) return null;
    body = seg.slice(0, seg.length - suffix.length);
  }
  return isIdLike(body) || tokenKind(body) !== null ? body : null;
}

// ---- normalizeRoute -------------------------------------------------------------------------------

interface Match {
  pattern: CompiledPattern;
  start: number; // index in segs (path segments) of pattern.segs[0]
  resourceEnd: number; // index of the resource segment (for "deepest wins")
}

function matchAt(p: CompiledPattern, segs: string[], start: number): boolean {
  const m = p.segs.length;
  if (start < 0 || start + m > segs.length) return false;
  if (!p.leading && start !== 0) return false;
  if (!p.trailing && start + m !== segs.length) return false;
  for (let k = 0; k < m; k++) {
    const pm = p.segs[k] as SegMatcher;
    const s = segs[start + k] as string;
    switch (pm.type) {
      case Seg.Literal:
        if (!eqIgnoreCase(s, pm.text)) return false;
        break;
      case Seg.Id:
        if (matchIdSeg(s, pm.text) === null) return false;
        break;
      default:
        if (s === '') return false;
    }
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

  const rawPath = pathStart === 0 && pathEnd === target.length ? target : target.slice(pathStart, pathEnd);
  // Segments after the leading '/' (a relative target keeps its first segment).
  const segs = (rawPath.charCodeAt(0) === 0x2f ? rawPath.slice(1) : rawPath).split('/');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as string;
    if (s.indexOf('%') !== -1) segs[i] = decodeSegment(s);
  }

  // Best pattern match: deepest resource segment, then table order.
  let best: Match | null = null;
  if (table.size > 0) {
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i] as string;
      let cands = table.anchors.get(s);
      if (cands === undefined && hasUpper(s)) cands = table.anchors.get(s.toLowerCase());
      if (cands === undefined) continue;
      for (const { pattern, offset } of cands) {
        const start = i - offset;
        if (!matchAt(pattern, segs, start)) continue;
        const resourceEnd =
          start + (pattern.resourceAt === -1 ? pattern.segs.length - 1 : pattern.resourceAt);
        if (
          best === null ||
          resourceEnd > best.resourceEnd ||
          (resourceEnd === best.resourceEnd && pattern.index < best.pattern.index)
        ) {
          best = { pattern, start, resourceEnd };
        }
      }
    }
  }

  let resourceId: string | null = null;
  let resourceKind: string | null = null;
  let route = '';
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as string;
    let out: string | undefined;
    if (best !== null && i >= best.start && i < best.start + best.pattern.segs.length) {
      const pm = best.pattern.segs[i - best.start] as SegMatcher;
      if (pm.type === Seg.Id) {
        resourceId = matchIdSeg(s, pm.text);
        out = pm.out;
      } else if (pm.type === Seg.File) {
        resourceId = s;
        out = pm.out;
      } else if (pm.type === Seg.Named) {
        out = pm.out;
      }
    }
    if (out === undefined) out = genericSegment(s);
    if (out === '{id}' && best === null) resourceId = s;
    else if (out.startsWith('{id}.') && best === null) resourceId = s.slice(0, s.indexOf('.'));
    route += '/' + out;
  }
  if (rawPath.charCodeAt(0) !== 0x2f) route = route.slice(1);
  if (best !== null) resourceKind = best.pattern.kind;

  let queryKeys: readonly string[] = EMPTY;
  if (qAt !== -1) {
    queryKeys = queryKeysOf(target, qAt, hashAt);
    if (best === null && table.queryIds.size > 0) {
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

function genericSegment(s: string): string {
  if (s.length === 0) return s;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x74 /* t */ && s.startsWith('tok_')) {
    const k = tokenKind(s);
    if (k !== null) return '{' + k + '}';
  }
  if (isIdLike(s)) return '{id}';
  // 123.json, 42.pdf: number + short extension
  if (c0 >= 0x30 && c0 <= 0x39) {
    const dot = s.indexOf('.');
    if (dot > 0 && dot <= 20 && s.length - dot <= 6 && allDigits(s, 0, dot)) return '{id}' + s.slice(dot);
  }
  return s;
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
        if (allDigits(value, 0, value.length) && value.length <= 20) return { key, value, kind };
        if (tokenKind(value) !== null) return { key, value, kind };
      }
    }
    p = amp + 1;
  }
  return null;
}
