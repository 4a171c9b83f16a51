// Parser for generic API access events (`api-json`): WooCommerce / Shopify / Magento REST calls
// and webhook deliveries, one JSON object per line, as written by an API gateway or a shop plugin.
//
// The documented shape (every field optional except `ts` and either `method`+`path` or `topic`):
//
//   {"ts": "2024-03-01T10:15:00.123Z" | 1709288100123 | 1709288100,   // ISO 8601, epoch s / ms / µs / ns
//    "method": "GET", "path": "/wp-json/wc/v3/orders/123",             // path may carry its own ?query
//    "query": "status=processing&per_page=100" | {"status": "processing", "per_page": 100},
//    "status": 200, "bytes": 48213, "rows": 100,                       // rows = records returned
//    "duration_ms": 84,
//    "client_ip": "203.0.113.7", "forwarded_for": "198.51.100.2, 10.0.0.5" | ["198.51.100.2"],
//    "user": "pharmacy-admin", "user_id": 17,
//    "api_key_id": "key_8812", "consumer_key": "ck_<40 hex>",          // see apiKey below
//    "session_id": "…", "user_agent": "…", "referer": "…",
//    "platform": "woocommerce" | "shopify" | "magento" | "custom", "shop": "pharmacy.example",
//    "topic": "orders/create", "webhook_id": 42, "delivery_url": "https://crm.example/hooks/wc",
//    "request_id": "…", "host": "shop.example", "headers": {"X-Shopify-Topic": "…", …},
//    "emergency_access": false, "authenticated": true}
//
// Aliases accepted (first present wins, in this order):
// - ts: ts, timestamp, @timestamp, time, datetime, date. An ISO time without a zone is read as UTC.
//   Epoch numbers (or digit strings) are told apart by magnitude: < 1e11 seconds, < 1e14 ms,
//   < 1e17 µs, else ns.
// - method: method, http_method, request_method, verb.
// - path: path, request_path (Magento), endpoint, uri, request_uri, url, request_url. An absolute
//   URL is reduced to path + query, its host going to headers.host.
// - query: a string (a leading `?` is dropped) or an object (`k=v&…`, percent-encoded, arrays as
//   repeated keys) appended to the path with `?` or `&`.
// - status: status, status_code, response_code (WooCommerce delivery logs), http_status.
// - bytes: bytes, bytes_out, bytes_sent, response_size, response_bytes, body_bytes_sent; for a
//   webhook delivery also payload_size, request_size, body_size (the payload is what leaves).
// - rows: rows, rows_out, records, record_count, count, result_count, items_count.
// - duration: duration_ms, latency_ms, response_time_ms, elapsed_ms (ms); duration, request_time,
//   duration_s (seconds: WooCommerce's webhook delivery log writes seconds).
// - client_ip: client_ip, remote_ip (Magento), ip, client_address, source_ip, remote_addr.
// - forwarded_for: forwarded_for, x_forwarded_for, header x-forwarded-for.
// - user: user (a string, or an object's login/username/email/id), username, user_name,
//   user_login, admin_user, customer_email, email; else user_id. user_id, customer_id (Magento),
//   admin_id, uid also go to attrs.user_id.
// - apiKey: api_key_id, key_id, access_key_id, consumer_key (WooCommerce), api_key,
//   integration_id (Magento), api_client_id / app_id (Shopify). WooCommerce consumer keys
//   (`ck_` + 40 hex) are secrets, not ids: they are passed RAW in apiKey like everything else, and
//   normalisation hashes secrets (it keeps ids). Parsers never hash.
// - session_id, session, sid; user_agent, ua, http_user_agent, header user-agent; referer,
//   referrer, header referer; request_id, header x-request-id.
// - headers / request_headers: an object; names lowercased, string and number values kept raw.
//   Shopify `X-Shopify-Topic`, `X-Shopify-Shop-Domain`, `X-Shopify-Webhook-Id`, `X-Shopify-Event-Id`
//   and WooCommerce `X-WC-Webhook-Topic`, `X-WC-Webhook-Source`, `X-WC-Webhook-ID`,
//   `X-WC-Webhook-Delivery-ID` fill topic, shop, webhook_id and delivery_id when the top level
//   does not have them.
// - platform (else inferred: X-Shopify-* headers or `/admin/api/` → shopify; X-WC-* headers,
//   consumer_key or `/wp-json/wc/` → woocommerce; `/rest/V1/` or `/rest/<store>/V1/` → magento),
//   shop / shop_domain / store / store_id / site, topic / webhook_topic, webhook_id, delivery_url /
//   webhook_url: attrs.platform, attrs.shop, attrs.topic, attrs.webhook_id, attrs.delivery_host.
// - emergency_access / break_glass (bool or "true"/"false"): attrs.emergency_access.
//   authenticated (bool): authenticated; absent → null (normalisation decides).
// - error_code / error: attrs.error_code (strings only).
//
// Webhook deliveries (a topic is present): data leaving the shop for the delivery URL. method is
// POST unless logged; target is the logged path, else the delivery URL's path + query, else
// `/webhooks/<topic>`; bytes and rows are the payload delivered; attrs.direction = `outgoing`.
//
// sourceKind is always `api`. Rejects: `bad_json`, `not_object`, `no_timestamp`, `no_request`
// (neither method+path nor topic), ParseBadTimestamp, ParseLineTooLong (> maxLineChars, default
// 1 Mi). Blank lines: Skipped `blank`. Garbled optional fields (a status of "abc") are dropped, not
// rejected. Never throws; JSON.parse only, no regular expressions on input.

import { ParseBadTimestamp, ParseLineTooLong, ParseMalformedLine } from '#shared/errors.js';
import { parseIsoTimestamp } from '../lib/iso-time.js';
import {
  cut,
  isObject,
  type JsonObject,
  maxLineCharsOption,
  own,
  perLineParser,
  tryJson,
} from '../lib/json-lines.js';
import {
  emptyRecord,
  isBlank,
  type LogFormat,
  type RecordParser,
  type RecordResult,
  shareOfLines,
} from '../types.js';

export interface ApiJsonOptions {
  /** Lines longer than this (UTF-16 code units) are rejected unparsed. Default 1 Mi. */
  maxLineChars: number;
}

export const API_JSON_REJECT_REASONS = ['bad_json', 'not_object', 'no_timestamp', 'no_request'] as const;
type Reason = (typeof API_JSON_REJECT_REASONS)[number];

const DEFAULT_MAX = 1024 * 1024;
const MAX_HEADERS = 128;

function first(o: JsonObject, keys: readonly string[]): unknown {
  for (const k of keys) {
    const v = own(o, k);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** A string, or a finite number / boolean as a string; else null. */
function str(v: unknown): string | null {
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'boolean') return String(v);
  return null;
}

/** A finite non-negative number (or a decimal string of one); else null. */
function nonNeg(v: unknown): number | null {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && v.length > 0 && v.length <= 24) n = Number(v);
  else return null;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 1 || v === '1') return true;
  if (v === 'false' || v === 0 || v === '0') return false;
  return null;
}

/** Epoch number in s / ms / µs / ns (by magnitude) → ms; NaN when out of range. */
export function epochToMs(n: number): number {
  if (!Number.isFinite(n) || n < 0) return Number.NaN;
  let ms: number;
  if (n < 1e11) ms = n * 1000;
  else if (n < 1e14) ms = n;
  else if (n < 1e17) ms = n / 1000;
  else ms = n / 1e6;
  return ms > 253402300799999 ? Number.NaN : Math.floor(ms);
}

function tsOf(v: unknown): number {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v !== 'string') return Number.NaN;
  let digits = v.length > 0 && v.length <= 20;
  let dot = 0;
  for (let i = 0; digits && i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x2e && dot === 0 && i > 0) dot++;
    else if (c < 0x30 || c > 0x39) digits = false;
  }
  return digits ? epochToMs(Number(v)) : parseIsoTimestamp(v);
}

function pctEncode(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const keep =
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x30 && b <= 0x39) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e;
    out += keep ? String.fromCharCode(b) : (b < 16 ? '%0' : '%') + b.toString(16).toUpperCase();
  }
  return out;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** `query` as a string: a string minus a leading `?`, or an object encoded `k=v&k=v2`. */
export function queryString(q: unknown): string | null {
  if (typeof q === 'string') {
    const s = q.charCodeAt(0) === 0x3f ? q.slice(1) : q;
    return s.length > 0 ? s : null;
  }
  if (!isObject(q)) return null;
  const parts: string[] = [];
  for (const k of Object.keys(q)) {
    const v = q[k];
    if (Array.isArray(v)) for (const item of v) parts.push(`${pctEncode(k)}=${pctEncode(scalarText(item))}`);
    else parts.push(`${pctEncode(k)}=${pctEncode(scalarText(v))}`);
  }
  return parts.length > 0 ? parts.join('&') : null;
}

/** `https://host:port/p?q#f` → {host, rest: '/p?q'}; a relative path → {host: null, rest}. */
export function splitUrl(u: string): { host: string | null; rest: string } {
  const scheme = u.indexOf('://');
  if (scheme <= 0 || scheme > 10) return { host: null, rest: u };
  const hs = scheme + 3;
  let he = hs;
  while (he < u.length) {
    const c = u.charCodeAt(he);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    he++;
  }
  let rest = u.slice(he);
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  if (rest.length === 0 || rest.charCodeAt(0) !== 0x2f) rest = '/' + rest;
  let host = u.slice(hs, he);
  const at = host.lastIndexOf('@');
  if (at !== -1) host = host.slice(at + 1);
  return { host: host.length > 0 ? host : null, rest };
}

const K = {
  ts: ['ts', 'timestamp', '@timestamp', 'time', 'datetime', 'date'],
  method: ['method', 'http_method', 'request_method', 'verb'],
  path: ['path', 'request_path', 'endpoint', 'uri', 'request_uri', 'url', 'request_url'],
  status: ['status', 'status_code', 'response_code', 'http_status'],
  bytes: ['bytes', 'bytes_out', 'bytes_sent', 'response_size', 'response_bytes', 'body_bytes_sent'],
  payload: ['payload_size', 'request_size', 'body_size'],
  rows: ['rows', 'rows_out', 'records', 'record_count', 'count', 'result_count', 'items_count'],
  durMs: ['duration_ms', 'latency_ms', 'response_time_ms', 'elapsed_ms'],
  durS: ['duration', 'request_time', 'duration_s'],
  ip: ['client_ip', 'remote_ip', 'ip', 'client_address', 'source_ip', 'remote_addr'],
  fwd: ['forwarded_for', 'x_forwarded_for'],
  user: ['user', 'username', 'user_name', 'user_login', 'admin_user', 'customer_email', 'email'],
  userId: ['user_id', 'customer_id', 'admin_id', 'uid'],
  apiKey: [
    'api_key_id',
    'key_id',
    'access_key_id',
    'consumer_key',
    'api_key',
    'integration_id',
    'api_client_id',
    'app_id',
  ],
  session: ['session_id', 'session', 'sid'],
  ua: ['user_agent', 'ua', 'http_user_agent'],
  referer: ['referer', 'referrer'],
  shop: ['shop', 'shop_domain', 'store', 'store_id', 'site'],
  topic: ['topic', 'webhook_topic'],
  deliveryUrl: ['delivery_url', 'webhook_url'],
  emergency: ['emergency_access', 'break_glass'],
  error: ['error_code', 'error'],
} as const;

function reject(reason: Reason, position: string, text: string): RecordResult {
  return { ok: false, error: ParseMalformedLine('api-json', reason), position, text: cut(text) };
}

function userOf(v: unknown): string | null {
  if (isObject(v)) return str(first(v, ['login', 'username', 'email', 'name', 'id']));
  return str(v);
}

function inferPlatform(
  path: string | null,
  headers: Record<string, string>,
  consumerKey: boolean,
): string | null {
  let shopify = false;
  let woo = false;
  for (const h of Object.keys(headers)) {
    if (h.startsWith('x-shopify-')) shopify = true;
    else if (h.startsWith('x-wc-')) woo = true;
  }
  if (shopify) return 'shopify';
  if (woo || consumerKey) return 'woocommerce';
  if (path === null) return null;
  if (path.includes('/wp-json/wc/')) return 'woocommerce';
  if (path.includes('/admin/api/')) return 'shopify';
  if (path.startsWith('/rest/V1/') || path.startsWith('/index.php/rest/')) return 'magento';
  if (path.startsWith('/rest/')) {
    const s = path.indexOf('/', 6);
    if (s !== -1 && path.startsWith('/V1/', s)) return 'magento';
  }
  return null;
}

/** One API event line → a result. Never throws. */
export function parseApiJsonLine(text: string, position: string, maxLineChars = DEFAULT_MAX): RecordResult {
  if (isBlank(text)) return { ok: 'skip', kind: 'blank', position, lines: 1 };
  if (text.length > maxLineChars) {
    return { ok: false, error: ParseLineTooLong(maxLineChars), position, text: cut(text) };
  }
  const o = tryJson(text);
  if (o === undefined) return reject('bad_json', position, text);
  if (!isObject(o)) return reject('not_object', position, text);

  // Headers first: Shopify / WooCommerce put topic, shop and ids there.
  const headers: Record<string, string> = {};
  const hv = first(o, ['headers', 'request_headers']);
  if (isObject(hv)) {
    let n = 0;
    for (const name of Object.keys(hv)) {
      if (n >= MAX_HEADERS) break;
      const v = str(hv[name]);
      if (v === null || typeof hv[name] === 'boolean') continue;
      headers[name.toLowerCase()] = v;
      n++;
    }
  }
  const h = (name: string): string | null =>
    Object.hasOwn(headers, name) ? (headers[name] as string) : null;

  const tsRaw = first(o, K.ts);
  if (tsRaw === undefined) return reject('no_timestamp', position, text);
  const tsMs = tsOf(tsRaw);
  if (Number.isNaN(tsMs)) {
    return {
      ok: false,
      error: ParseBadTimestamp(scalarText(tsRaw).slice(0, 40)),
      position,
      text: cut(text),
    };
  }

  const topic = str(first(o, K.topic)) ?? h('x-shopify-topic') ?? h('x-wc-webhook-topic');
  let method = str(first(o, K.method));
  let path = str(first(o, K.path));
  if (path === null && topic === null) return reject('no_request', position, text);
  if (method === null && topic === null) return reject('no_request', position, text);

  const attrs: Record<string, string> = {};
  if (path !== null) {
    const u = splitUrl(path);
    path = u.rest;
    if (u.host !== null && h('host') === null) headers['host'] = u.host;
  }
  const host = str(own(o, 'host'));
  if (host !== null && h('host') === null) headers['host'] = host;

  const webhook = topic !== null;
  const deliveryUrl = str(first(o, K.deliveryUrl)) ?? (webhook ? str(own(o, 'request_url')) : null);
  if (webhook) {
    attrs['topic'] = topic;
    attrs['direction'] = 'outgoing';
    if (method === null) method = 'POST';
    if (deliveryUrl !== null) {
      const u = splitUrl(deliveryUrl);
      if (u.host !== null) attrs['delivery_host'] = u.host;
      if (path === null) path = u.rest;
    }
    if (path === null) path = `/webhooks/${topic}`;
  }
  let target = path as string;
  const q = queryString(own(o, 'query'));
  if (q !== null) target += (target.includes('?') ? '&' : '?') + q;

  const status = nonNeg(first(o, K.status));
  const bytes = nonNeg(first(o, webhook ? [...K.payload, ...K.bytes] : K.bytes));
  const rows = nonNeg(first(o, K.rows));
  let durationMs = nonNeg(first(o, K.durMs));
  if (durationMs === null) {
    const s = nonNeg(first(o, K.durS));
    if (s !== null) durationMs = Math.round(s * 1e6) / 1000; // to the microsecond
  }

  const forwardedFor: string[] = [];
  const fwd = first(o, K.fwd) ?? h('x-forwarded-for') ?? undefined;
  if (typeof fwd === 'string') {
    for (const part of fwd.split(',', 64)) {
      const t = part.trim();
      if (t.length > 0) forwardedFor.push(t);
    }
  } else if (Array.isArray(fwd)) {
    for (const a of fwd.slice(0, 64)) if (typeof a === 'string' && a.length > 0) forwardedFor.push(a);
  }

  const userIdRaw = first(o, K.userId);
  const userId = isObject(userIdRaw) ? null : str(userIdRaw);
  if (userId !== null) attrs['user_id'] = userId;
  const user = userOf(first(o, K.user)) ?? userId;
  const consumerKey = str(own(o, 'consumer_key'));
  const apiKey = str(first(o, K.apiKey));

  const platform = str(own(o, 'platform')) ?? inferPlatform(path, headers, consumerKey !== null);
  if (platform !== null) attrs['platform'] = platform;
  const shop = str(first(o, K.shop)) ?? h('x-shopify-shop-domain') ?? h('x-wc-webhook-source');
  if (shop !== null) attrs['shop'] = shop;
  const webhookId = str(own(o, 'webhook_id')) ?? h('x-shopify-webhook-id') ?? h('x-wc-webhook-id');
  if (webhookId !== null) attrs['webhook_id'] = webhookId;
  const deliveryId = str(own(o, 'delivery_id')) ?? h('x-wc-webhook-delivery-id') ?? h('x-shopify-event-id');
  if (deliveryId !== null) attrs['delivery_id'] = deliveryId;
  const requestId = str(own(o, 'request_id')) ?? h('x-request-id');
  if (requestId !== null) attrs['request_id'] = requestId;
  const emergency = bool(first(o, K.emergency));
  if (emergency !== null) attrs['emergency_access'] = String(emergency);
  const err = first(o, K.error);
  if (typeof err === 'string' && err.length > 0) attrs['error_code'] = err;

  const rec = emptyRecord(tsMs, 'api');
  rec.clientIp = str(first(o, K.ip));
  rec.forwardedFor = forwardedFor;
  rec.user = user;
  rec.userAgent = str(first(o, K.ua)) ?? h('user-agent');
  rec.referer = str(first(o, K.referer)) ?? h('referer');
  rec.method = method;
  rec.target = target;
  rec.status = status !== null && Number.isInteger(status) && status >= 100 && status <= 999 ? status : null;
  rec.bytesOut = bytes === null ? 0 : Math.round(bytes);
  rec.rowsOut = rows === null ? null : Math.round(rows);
  rec.durationMs = durationMs;
  rec.headers = headers;
  rec.sessionId = str(first(o, K.session));
  rec.apiKey = apiKey;
  rec.authenticated = bool(own(o, 'authenticated'));
  rec.attrs = attrs;
  return { ok: true, record: rec, position };
}

const API_ISH = [
  'rows',
  'rows_out',
  'records',
  'record_count',
  'result_count',
  'count',
  'api_key_id',
  'key_id',
  'consumer_key',
  'api_client_id',
  'integration_id',
  'topic',
  'webhook_id',
  'platform',
  'shop',
  'shop_domain',
  'customer_id',
];

/** True when a headers object carries Shopify / WooCommerce webhook headers. */
function platformHeaders(o: JsonObject): { any: boolean; topic: boolean } {
  const hv = first(o, ['headers', 'request_headers']);
  const r = { any: false, topic: false };
  if (!isObject(hv)) return r;
  let n = 0;
  for (const name of Object.keys(hv)) {
    if (++n > MAX_HEADERS) break;
    const l = name.toLowerCase();
    if (l.startsWith('x-shopify-') || l.startsWith('x-wc-')) r.any = true;
    if (l === 'x-shopify-topic' || l === 'x-wc-webhook-topic') r.topic = true;
  }
  return r;
}

/**
 * One line is an API event when it is a JSON object with a time, a method and a path
 * (path / request_path / endpoint / url / request_url) and at least one API-only key (rows,
 * api_key_id, consumer_key, topic, platform...) or Shopify / WooCommerce headers; or a webhook
 * delivery (a topic, top level or in headers, with a path, delivery_url or webhook_id). Plain
 * nginx JSON access logs (`request`, `uri`, `remote_addr`) and CloudTrail have none of these.
 */
function sniffLine(line: string): boolean {
  if (line.length > DEFAULT_MAX) return false;
  const o = tryJson(line);
  if (!isObject(o)) return false;
  if (first(o, K.ts) === undefined) return false;
  const ph = platformHeaders(o);
  let apiIsh = ph.any;
  for (const k of API_ISH) {
    if (apiIsh) break;
    if (Object.hasOwn(o, k)) apiIsh = true;
  }
  const hasPath = first(o, ['path', 'request_path', 'endpoint', 'url', 'request_url']) !== undefined;
  const hasMethod = first(o, K.method) !== undefined;
  if (hasPath && hasMethod && apiIsh) return true;
  const topic = ph.topic || first(o, K.topic) !== undefined;
  return topic && (hasPath || first(o, K.deliveryUrl) !== undefined || Object.hasOwn(o, 'webhook_id'));
}

export const apiJsonFormat: LogFormat<ApiJsonOptions> = {
  id: 'api-json',
  description:
    'API access events (WooCommerce / Shopify / Magento REST and webhook deliveries), one JSON object per line',
  create(options?: Partial<ApiJsonOptions>): RecordParser {
    const max = maxLineCharsOption(options, 'api-json', DEFAULT_MAX);
    return perLineParser((line) => parseApiJsonLine(line.text, String(line.offset), max));
  },
  sniff(lines: readonly string[]): number {
    return shareOfLines(lines, sniffLine);
  },
};
