// AccessRecord → AccessEvent (schemas/avro/access-event.avsc): the only place a parsed record
// becomes the shared contract (recordToAccessEvent); toAccessEvent is the adapter for the nginx /
// Apache combined parser's ParsedHttpLine. Everything that leaves here is redacted:
//  - web / api / storage: the request target is redacted (redact.ts) before route.ts sees it, so
//    route, resource_id and findings (`phi_in_url:<kind>`) come from the redacted target;
//  - db: the SQL is summarised (sql.ts, db.ts): route `<OPERATION> <tables>`, attrs.sql = the
//    literal-free template, PHI in literals → `phi_in_sql:<kind>`; the connection id goes to
//    attrs.connection_id (it is not a session token);
//  - the referer is reduced to its host (`attrs.referer_host`); the full referer is never kept;
//  - user / db user that are a PHI item (an e-mail address as login) become their token; PHI items
//    in the user agent and in record attrs are replaced by tokens;
//  - headers and cookies are read for the principal and never copied.
//
// Principal (options.ts, from collector.normalize):
//  - session_hash = redactor.token('session', raw): the first configured session cookie (`*` =
//    prefix), else session header, else the record's session id (not for db);
//  - api_key_id: record.apiKey, else the configured headers, else the configured query parameters.
//    A key *id* (AWS `AKIA…`/`ASIA…`, a numeric integration id) not from a header is kept; anything
//    else (WooCommerce `ck_…`, Shopify `shpat_…`, `Authorization: Bearer …`, any header value) is
//    redactor.token('api_key', raw), raw being the value exactly as logged. Query values are also
//    tokenised in the target by redactTarget, and the route drops the query: a key never leaves.
//  - client_ip: net.ts resolveClientIp over the trusted proxies (default: loopback, RFC 1918, CGNAT,
//    link-local, ULA — the old "private peer" heuristic).
//  - authenticated = record.authenticated ?? ((user || session || API key || authenticated signal)
//    and the status is not an unauthorized one (401));
//  - emergency_access: a truthy emergency header (1/true/yes/on), an emergency query parameter
//    (present, not 0/false/no/off), a route under an emergency prefix, or an emergency user.
//
// event_id = first 32 hex of sha256(source + '\n' + position): a replay gives the same ids.
//
// A target's redaction + route and a user agent's redaction are memoised per redactor and route
// table (memo.ts): pure functions of the string, repeated on most lines of a real log.

import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { eventId } from '#shared/event-id.js';
import { flatCopy } from '#shared/flat-copy.js';
import type { ParsedHttpLine } from '../parsers/lib/combined-line.js';
import type { AccessRecord } from '../parsers/types.js';
import { summarizeDb } from './db.js';
import { StringMemo } from './memo.js';
import { resolveClientIp, splitForwardedFor } from './net.js';
import { compileNormalizeOptions, findCookie, type NormalizeOptions } from './options.js';
import type { Redactor } from './redact.js';
import {
  BUCKET_LISTING_KIND,
  type CompiledRouteTable,
  isBucketListing,
  normalizeRoute,
  type RouteInfo,
  safeDecode,
} from './route.js';

export interface NormalizeContext {
  /** Which log: file path or stream name. Part of event_id. */
  source: string;
  tenant: string;
  /** Position of the record in `source` (byte offset, `offset:index`). Part of event_id. */
  position: string;
  /** What event_id hashes with the position instead of `source`: a file's generation (collector). */
  idSource?: string | undefined;
  redactor: Redactor;
  /** Route table (compileRouteTable); the built-in one when absent. */
  routes?: CompiledRouteTable | undefined;
  /** compileNormalizeOptions(cfg.collector.normalize), compiled once. */
  options: NormalizeOptions;
}

export interface ToAccessEventContext {
  /** Which log: file path or stream name. Part of event_id. */
  source: string;
  tenant: string;
  /** Byte offset or line number of the line in `source`. Part of event_id. */
  position: number | bigint | string;
  redactor: Redactor;
  /** Route table (compileRouteTable); the built-in one when absent. */
  routes?: CompiledRouteTable;
  /** Compiled collector.normalize; the defaults when absent. */
  options?: NormalizeOptions;
}

/** Route used when the request line could not be split into method, target, protocol. */
export const UNPARSED_ROUTE = '{unparsed}';

let defaultOptions: NormalizeOptions | undefined;
/** compileNormalizeOptions() with the config defaults, compiled on first use. */
export function defaultNormalizeOptions(): NormalizeOptions {
  defaultOptions ??= compileNormalizeOptions();
  return defaultOptions;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Adapter for the combined-format parser: the line as an AccessRecord, then recordToAccessEvent. */
export function toAccessEvent(parsed: ParsedHttpLine, ctx: ToAccessEventContext): AccessEvent {
  const record: AccessRecord = {
    tsMs: parsed.tsMs,
    sourceKind: 'web',
    clientIp: parsed.clientIp,
    forwardedFor: parsed.forwardedFor,
    user: parsed.remoteUser,
    dbUser: null,
    userAgent: parsed.userAgent,
    referer: parsed.referer,
    method: parsed.method,
    target: parsed.target,
    sql: null,
    dbOperation: null,
    tables: [],
    status: parsed.status,
    bytesOut: parsed.bytes,
    rowsOut: null,
    durationMs: null,
    headers: NO_HEADERS,
    cookies: NO_HEADERS,
    sessionId: null,
    apiKey: null,
    authenticated: null,
    attrs: {},
  };
  return recordToAccessEvent(record, {
    source: ctx.source,
    tenant: ctx.tenant,
    position: String(ctx.position),
    redactor: ctx.redactor,
    routes: ctx.routes,
    options: ctx.options ?? defaultNormalizeOptions(),
  });
}

// ---- memoised per-string steps ----

/** A request target redacted (redact.ts), then templated (route.ts) from the redacted form. */
interface TargetInfo extends RouteInfo {
  /** `phi_in_url:<kind>` (frozen, shared: copy before handing out). */
  findings: readonly string[];
}

function targetInfo(target: string, redactor: Redactor, routes: CompiledRouteTable | undefined): TargetInfo {
  const red = redactor.redactTarget(target);
  const r = normalizeRoute(red.target, routes);
  // Flat copies (memo.ts flatCopy): events carry these strings to scan's string table and the engine.
  return {
    route: flatCopy(r.route),
    resourceId: r.resourceId === null ? null : flatCopy(r.resourceId),
    resourceKind: r.resourceKind,
    queryKeys: r.queryKeys,
    findings: red.findings,
  };
}

interface Memos {
  target(raw: string): TargetInfo;
  userAgent(raw: string): string;
  /** A user name redacted (redactText): a log's few users repeat on most lines that have one. */
  user(raw: string): string;
}

// Targets up to 256 characters (the sample's 99th percentile is 162), user agents up to 512 (its
// longest is 294): a few MB at the very most per redactor and route table.
const TARGET_MEMO_SLOTS = 8192;
const TARGET_MEMO_KEY_CHARS = 256;
const UA_MEMO_SLOTS = 2048;
const UA_MEMO_KEY_CHARS = 512;
const USER_MEMO_SLOTS = 1024;
const USER_MEMO_KEY_CHARS = 256;

// Per redactor (weakly: tests make many), then per route table (undefined = the built-in one).
const memosByRedactor = new WeakMap<Redactor, Map<CompiledRouteTable | undefined, Memos>>();
// The pair the last event used: one comparison instead of two map lookups per event.
let lastRedactor: Redactor | undefined;
let lastRoutes: CompiledRouteTable | undefined;
let lastMemos: Memos | undefined;

function memosFor(redactor: Redactor, routes: CompiledRouteTable | undefined): Memos {
  if (lastMemos !== undefined && redactor === lastRedactor && routes === lastRoutes) return lastMemos;
  let byRoutes = memosByRedactor.get(redactor);
  if (byRoutes === undefined) {
    byRoutes = new Map();
    memosByRedactor.set(redactor, byRoutes);
  }
  let memos = byRoutes.get(routes);
  if (memos === undefined) {
    const targets = new StringMemo<TargetInfo>(TARGET_MEMO_SLOTS, TARGET_MEMO_KEY_CHARS);
    const agents = new StringMemo<string>(UA_MEMO_SLOTS, UA_MEMO_KEY_CHARS);
    const computeTarget = (t: string) => targetInfo(t, redactor, routes);
    const users = new StringMemo<string>(USER_MEMO_SLOTS, USER_MEMO_KEY_CHARS);
    const computeAgent = (ua: string) => flatCopy(redactor.redactText(ua).text);
    const computeUser = (u: string) => flatCopy(redactor.redactText(u).text);
    memos = {
      target: (t) => targets.get(t, computeTarget),
      userAgent: (ua) => agents.get(ua, computeAgent),
      user: (u) => users.get(u, computeUser),
    };
    byRoutes.set(routes, memos);
  }
  lastRedactor = redactor;
  lastRoutes = routes;
  lastMemos = memos;
  return memos;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

const FALSY = new Set(['0', 'false', 'no', 'off']);
const TRUTHY = new Set(['1', 'true', 'yes', 'on', 'y']);

/** AWS access key ids (`AKIA…`, `ASIA…`, …) and numeric integration ids: ids, not secrets. */
export function isApiKeyId(v: string): boolean {
  if (/^\d{1,12}$/.test(v)) return true;
  return /^(?:AKIA|ASIA|AIDA|AROA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{12,124}$/.test(v);
}

function nonEmpty(v: string | null | undefined): v is string {
  return v !== null && v !== undefined && v !== '' && v !== '-';
}

/** Form-decoded value of the first query parameter named `key` (lowercase compare) in a raw target; '' when bare. */
function queryValue(target: string, key: string): string | null {
  const q = target.indexOf('?');
  if (q === -1) return null;
  let end = target.indexOf('#', q);
  if (end === -1) end = target.length;
  let p = q + 1;
  while (p < end) {
    let amp = target.indexOf('&', p);
    if (amp === -1 || amp > end) amp = end;
    const eq = target.indexOf('=', p);
    const kEnd = eq === -1 || eq > amp ? amp : eq;
    const k = target.slice(p, kEnd);
    if (k.length === key.length || k.indexOf('%') !== -1) {
      if (safeDecode(k).toLowerCase() === key) {
        if (kEnd === amp) return '';
        const v = target.slice(eq + 1, amp);
        return safeDecode(v.indexOf('+') === -1 ? v : v.replaceAll('+', ' '));
      }
    }
    p = amp + 1;
  }
  return null;
}

/** s starts with the lowercase prefix p, ASCII case-insensitively (no allocation). */
function startsWithIgnoreCase(s: string, p: string): boolean {
  if (s.length < p.length) return false;
  for (let i = 0; i < p.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== p.charCodeAt(i)) return false;
  }
  return true;
}

/** The one AccessRecord → AccessEvent mapping (see the header). */
export function recordToAccessEvent(record: AccessRecord, ctx: NormalizeContext): AccessEvent {
  const { redactor, options: o } = ctx;
  const isDb = record.sourceKind === 'db';
  let route = UNPARSED_ROUTE;
  let resourceId: string | null = null;
  let resourceKind: string | null = null;
  let findings: string[] = [];
  let dbOperation: string | null = null;
  let queryKeys: readonly string[] = [];
  const attrs: Record<string, string> = {};
  for (const k in record.attrs) attrs[k] = redactor.redactText(record.attrs[k] as string, k).text;

  if (isDb) {
    const d = summarizeDb(record, redactor, o);
    route = d.route;
    dbOperation = d.operation;
    resourceId = d.resourceId;
    resourceKind = d.resourceKind;
    findings = d.findings;
    if (d.template !== null) attrs['sql'] = d.template;
    if (nonEmpty(record.sessionId)) attrs['connection_id'] = redactor.redactText(record.sessionId).text;
  } else if (record.target !== null) {
    const t = memosFor(redactor, ctx.routes).target(record.target);
    route = t.route;
    resourceId = t.resourceId;
    resourceKind = t.resourceKind;
    queryKeys = t.queryKeys;
    if (t.findings.length > 0) findings = t.findings.slice();
    // An object-store listing names its bucket's keys: a kind of its own (anonymous listings are a leak).
    if (
      resourceKind === null &&
      record.sourceKind === 'storage' &&
      isBucketListing(record.attrs['operation'] ?? record.method)
    )
      resourceKind = BUCKET_LISTING_KIND;
  } else if (record.sourceKind !== 'web' && nonEmpty(record.method)) {
    route = record.method;
  }

  // ---- principal ----
  const rawUser = nonEmpty(record.user) ? record.user : null;
  const userId = rawUser === null ? null : memosFor(redactor, ctx.routes).user(rawUser);
  const dbUser = nonEmpty(record.dbUser) ? redactor.redactText(record.dbUser).text : null;
  const headers = record.headers;
  // Web logs usually carry neither: skip the name lists then.
  const hasHeaders = headers !== NO_HEADERS && hasKeys(headers);
  const hasCookies = record.cookies !== NO_HEADERS && hasKeys(record.cookies);

  let sessionRaw: string | null = null;
  const sc = hasCookies ? findCookie(o.sessionCookies, record.cookies) : null;
  if (sc !== null) sessionRaw = sc[1];
  else if (hasHeaders || nonEmpty(record.sessionId)) {
    for (const h of o.sessionHeaders) {
      const v = headers[h];
      if (nonEmpty(v)) {
        sessionRaw = v;
        break;
      }
    }
    if (sessionRaw === null && !isDb && nonEmpty(record.sessionId)) sessionRaw = record.sessionId;
  }
  const sessionHash = sessionRaw === null ? null : redactor.token('session', sessionRaw);

  let apiKeyId: string | null = null;
  if (nonEmpty(record.apiKey)) {
    apiKeyId = isApiKeyId(record.apiKey) ? record.apiKey : redactor.token('api_key', record.apiKey);
  } else if (hasHeaders) {
    for (const h of o.apiKeyHeaders) {
      const v = headers[h];
      if (nonEmpty(v)) {
        apiKeyId = redactor.token('api_key', v);
        break;
      }
    }
  }

  let emergency = false;
  if (queryKeys.length > 0 && record.target !== null) {
    for (const k of queryKeys) {
      const lk = k.toLowerCase();
      if (apiKeyId === null && o.apiKeyQueryParams.has(lk)) {
        const v = queryValue(record.target, lk);
        if (nonEmpty(v)) apiKeyId = isApiKeyId(v) ? v : redactor.token('api_key', v);
      } else if (!emergency && o.emergency.queryParams.has(lk)) {
        const v = queryValue(record.target, lk);
        if (v !== null && !FALSY.has(v.trim().toLowerCase())) emergency = true;
      }
    }
  }
  if (!emergency && hasHeaders) {
    for (const h of o.emergency.headers) {
      const v = headers[h];
      if (v !== undefined && TRUTHY.has(v.trim().toLowerCase())) {
        emergency = true;
        break;
      }
    }
  }
  if (!emergency && o.emergency.routePrefixes.length > 0 && route.charCodeAt(0) === 0x2f) {
    for (const p of o.emergency.routePrefixes) {
      if (startsWithIgnoreCase(route, p)) {
        emergency = true;
        break;
      }
    }
  }
  if (!emergency && o.emergency.users.size > 0) {
    for (const u of [rawUser, record.dbUser])
      if (nonEmpty(u) && o.emergency.users.has(u.toLowerCase())) emergency = true;
  }

  let authenticated = record.authenticated;
  if (authenticated === null) {
    let signal = userId !== null || sessionHash !== null || apiKeyId !== null;
    if (!signal && hasCookies) signal = findCookie(o.authenticated.cookies, record.cookies) !== null;
    if (!signal && hasHeaders)
      for (const h of o.authenticated.headers) if (nonEmpty(headers[h])) signal = true;
    authenticated =
      signal && !(record.status !== null && o.authenticated.unauthorizedStatuses.has(record.status));
  }

  let forwardedFor = record.forwardedFor;
  if (forwardedFor.length === 0 && hasHeaders) {
    const xff = headers['x-forwarded-for'];
    if (xff !== undefined && xff !== '') forwardedFor = splitForwardedFor(xff);
  }
  const host = hasHeaders && o.archiveAttrs !== false ? headers['host'] : undefined;
  if (host !== undefined && attrs['host'] === undefined) attrs['host'] = redactor.redactText(host).text;
  if (record.referer !== null && o.archiveAttrs !== false) {
    const rh = refererHost(record.referer);
    if (rh !== null) attrs['referer_host'] = rh;
  }
  const ua = record.userAgent === null ? null : memosFor(redactor, ctx.routes).userAgent(record.userAgent);
  return {
    event_id: o.eventIds === false ? '' : eventId(ctx.idSource ?? ctx.source, ctx.position),
    ts: record.tsMs,
    source_kind: record.sourceKind,
    source: ctx.source,
    tenant: ctx.tenant,
    user_id: userId,
    session_hash: sessionHash,
    api_key_id: apiKeyId,
    client_ip: resolveClientIp(record.clientIp, forwardedFor, o.trustedProxies),
    user_agent: ua,
    db_user: dbUser,
    authenticated,
    emergency_access: emergency,
    http_method: isDb ? null : record.method,
    db_operation: dbOperation,
    route,
    resource_id: resourceId,
    resource_kind: resourceKind,
    status: record.status,
    bytes_out: record.bytesOut,
    rows_out: record.rowsOut,
    duration_ms: record.durationMs,
    findings,
    attrs,
  };
}

// The principal key (Kafka key) is defined once, in #shared/principal.ts.
export { principalKey } from '#shared/principal.js';

/** Host of an absolute referer (`https://shop.example/x?y` → `shop.example`), lowercased, no port. */
export function refererHost(referer: string): string | null {
  const s = referer.indexOf('://');
  if (s <= 0 || s > 32) return null;
  let e = s + 3;
  const n = referer.length;
  let at = -1;
  while (e < n) {
    const c = referer.charCodeAt(e);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    if (c === 0x40) at = e; // userinfo@host: drop userinfo
    e++;
  }
  let hs = at === -1 ? s + 3 : at + 1;
  let he = e;
  if (referer.charCodeAt(hs) === 0x5b) {
    // [IPv6]:port
    const rb = referer.indexOf(']', hs);
    if (rb === -1 || rb > he) return null;
    hs++;
    he = rb;
  } else {
    const colon = referer.indexOf(':', hs);
    if (colon !== -1 && colon < he) he = colon;
  }
  if (he <= hs || he - hs > 253) return null;
  // Usually the host is already lowercase and valid: then it is the slice itself, without the
  // toLowerCase call (a runtime call) and the second pass.
  let plain = true;
  for (let i = hs; i < he && plain; i++) plain = isHostChar(referer.charCodeAt(i));
  if (plain) return referer.slice(hs, he);
  const host = referer.slice(hs, he).toLowerCase();
  for (let i = 0; i < host.length; i++) if (!isHostChar(host.charCodeAt(i))) return null;
  return host;
}

/** Lowercase letters, digits, `.`, `-`, `:`, `_`. */
function isHostChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2e ||
    c === 0x2d ||
    c === 0x3a ||
    c === 0x5f
  );
}

/** The client address (net.ts resolveClientIp) with the configured or default trusted proxies. */
export function clientIpOf(
  p: Pick<ParsedHttpLine, 'clientIp' | 'forwardedFor'>,
  options: NormalizeOptions = defaultNormalizeOptions(),
): string {
  return resolveClientIp(p.clientIp, p.forwardedFor, options.trustedProxies) ?? p.clientIp;
}

/** Loopback, RFC 1918, link-local, CGNAT, IPv6 ULA/link-local/loopback. Shape-based, no allocation. */
export function isPrivateIp(ip: string): boolean {
  if (ip.indexOf(':') !== -1) {
    const lower = ip.charCodeAt(0) | 0x20;
    if (ip === '::1') return true;
    if (ip.startsWith('::ffff:')) return isPrivateIp(ip.slice(7));
    // fc00::/7 (fc, fd), fe80::/10
    if (lower === 0x66) {
      const c1 = ip.charCodeAt(1) | 0x20;
      if (c1 === 0x63 || c1 === 0x64) return true;
      if (c1 === 0x65) {
        const c2 = ip.charCodeAt(2) | 0x20;
        return c2 === 0x38 || c2 === 0x39 || c2 === 0x61 || c2 === 0x62;
      }
    }
    return false;
  }
  const d1 = ip.indexOf('.');
  if (d1 <= 0) return false;
  const a = Number(ip.slice(0, d1));
  const d2 = ip.indexOf('.', d1 + 1);
  const b = d2 === -1 ? Number.NaN : Number(ip.slice(d1 + 1, d2));
  if (a === 10 || a === 127) return true;
  if (a === 172) return b >= 16 && b <= 31;
  if (a === 192) return b === 168;
  if (a === 169) return b === 254;
  if (a === 100) return b >= 64 && b <= 127;
  return false;
}
