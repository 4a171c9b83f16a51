// The `json` format: web access logs written one JSON object per line: nginx `log_format ...
// escape=json '{...}'`, Caddy, Traefik, IIS logs converted to JSON, Fluent Bit / Vector output,
// GCP HTTP(S) load balancer `httpRequest` entries.
//
// Option `fields` maps AccessRecord fields to dotted paths in the object (`request.headers.User-Agent`,
// `[n]` indexes arrays: `request.headers.User-Agent[0]`). Fields: ts, clientIp, user, method, target,
// path, query, request (a whole `GET /x HTTP/1.1` line), status, bytesOut, durationMs, userAgent,
// referer, forwardedFor, sessionId, apiKey, host (→ attrs.host), headers.NAME, cookies.NAME.
// Option `durationUnit` (s | ms | us | ns, default ms) is the unit of a mapped durationMs.
// A field that is not mapped is looked for under the common key names (see AUTO below), so with
// no options at all nginx-JSON, Caddy, Traefik, Fluent Bit, IIS-JSON and GCP lines parse.
//
// What real logs contain, and what this parser does with it:
// - Time: ISO 8601 with a zone (`2019-01-01T10:00:00.123+05:30`, `...Z`, Traefik's nanosecond
//   StartUTC), epoch numbers or numeric strings in s / ms / us / ns (told by magnitude: Caddy `ts`
//   1646861401.524, nginx `$msec`), nginx `$time_local`. IIS `date` + `time` (UTC) are joined.
//   An ISO time without a zone is a bad timestamp (its zone is unknown).
// - Caddy header values are arrays (`"User-Agent": ["curl/8"]`): joined with `, `. Caddy's
//   `request.headers`, Traefik's `request_<Header>` keys and nginx-JSON `http_<name>` keys fill
//   `headers` (lowercase names); `cookie_<name>` keys fill `cookies`.
// - Durations: nginx request_time (s), Caddy duration (s), Traefik Duration (ns), IIS time-taken
//   (ms), duration_ms; a string with a unit suffix (`"0.005s"`, GCP latency) uses that unit.
// - Status / bytes as numbers or numeric strings; `-` or "" or null is absent.
// - A line that is not a JSON object: rejected `not_json_object`; no time: `no_timestamp`; a time
//   that does not parse: ParseBadTimestamp. Blank lines are Skipped `blank`.
// - sniff: JSON lines with a time and at least three HTTP-ish fields (method / request, target,
//   status, client address, user agent, bytes) score high; other JSON (CloudTrail, PostgreSQL
//   JSON, MySQL audit) scores 0.
//
// create() throws ConfigInvalid listing every problem: an unknown option, an unknown field, a bad
// path, a bad durationUnit.

import { ConfigInvalid, type LeakwatchError, ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import {
  isBlank,
  lineParser,
  parseUint,
  RecordDraft,
  requestMethod,
  unknownOptionProblems,
} from '../lib/web-fields.js';
import { epochToMs, parseAnyTimestamp, parseDecimal } from '../lib/web-time.js';
import type { AccessRecord, LogFormat } from '../types.js';

export type DurationUnit = 's' | 'ms' | 'us' | 'ns';

export interface JsonAccessOptions {
  /** AccessRecord field → dotted path in the JSON object. */
  fields: Record<string, string>;
  /** Unit of the value mapped to durationMs (default ms). */
  durationUnit: DurationUnit;
}

type Path = ReadonlyArray<string | number>;
interface Candidate {
  path: Path;
  /** Duration unit for durationMs candidates. */
  unit: DurationUnit;
}

const SCALAR_FIELDS = [
  'ts',
  'clientIp',
  'user',
  'method',
  'target',
  'path',
  'query',
  'request',
  'status',
  'bytesOut',
  'durationMs',
  'userAgent',
  'referer',
  'forwardedFor',
  'sessionId',
  'apiKey',
  'host',
] as const;
type ScalarField = (typeof SCALAR_FIELDS)[number];

/** Parses `a.b[0].c` into segments; null when malformed. */
export function parsePath(p: string): Path | null {
  if (p.length === 0) return null;
  const out: Array<string | number> = [];
  for (const seg of p.split('.')) {
    let s = seg;
    const b = s.indexOf('[');
    const name = b === -1 ? s : s.slice(0, b);
    if (name.includes(']')) return null;
    if (name !== '') out.push(name);
    else if (b === -1) return null; // empty segment (`a..b`)
    s = b === -1 ? '' : s.slice(b);
    while (s.length > 0) {
      const close = s.indexOf(']');
      if (s[0] !== '[' || close < 2) return null;
      const idx = parseUint(s.slice(1, close), 6);
      if (idx < 0) return null;
      out.push(idx);
      s = s.slice(close + 1);
    }
  }
  return out.length === 0 ? null : out;
}

function cands(unit: DurationUnit, ...paths: string[]): Candidate[] {
  return paths.map((p) => ({ path: parsePath(p) as Path, unit }));
}

/** The key names looked for when a field is not mapped, in order of preference. */
const AUTO: Record<ScalarField, Candidate[]> = {
  ts: cands(
    'ms',
    'time',
    'timestamp',
    '@timestamp',
    'ts',
    'time_local',
    'time_iso8601',
    'msec',
    'datetime',
    'date',
    'StartUTC',
    'start_time',
  ),
  clientIp: cands(
    'ms',
    'remote_addr',
    'client_ip',
    'request.remote_ip',
    'request.client_ip',
    'httpRequest.remoteIp',
    'ClientHost',
    'remote_ip',
    'clientip',
    'ip',
    'c-ip',
    'remote',
    'client',
  ),
  user: cands('ms', 'remote_user', 'user', 'user_id', 'username', 'cs-username', 'ClientUsername'),
  method: cands(
    'ms',
    'request_method',
    'method',
    'request.method',
    'httpRequest.requestMethod',
    'RequestMethod',
    'cs-method',
    'http_method',
    'verb',
  ),
  target: cands(
    'ms',
    'request_uri',
    'uri',
    'request.uri',
    'RequestPath',
    'httpRequest.requestUrl',
    'url',
    'target',
  ),
  path: cands('ms', 'path', 'uri_path', 'cs-uri-stem'),
  query: cands('ms', 'args', 'query_string', 'query', 'cs-uri-query'),
  request: cands('ms', 'request'),
  status: cands(
    'ms',
    'status',
    'status_code',
    'response.status',
    'httpRequest.status',
    'DownstreamStatus',
    'sc-status',
    'code',
    'response_status',
  ),
  bytesOut: cands(
    'ms',
    'body_bytes_sent',
    'bytes_sent',
    'size',
    'bytes',
    'response.size',
    'httpRequest.responseSize',
    'DownstreamContentSize',
    'sc-bytes',
    'bytes_out',
  ),
  durationMs: [
    ...cands('s', 'request_time'),
    ...cands('ms', 'duration_ms'),
    ...cands('s', 'duration'),
    ...cands('ns', 'Duration'),
    ...cands('ms', 'time-taken', 'time_taken', 'response_time_ms'),
    ...cands('s', 'upstream_response_time', 'httpRequest.latency'),
  ],
  userAgent: cands(
    'ms',
    'http_user_agent',
    'user_agent',
    'userAgent',
    'agent',
    'request.headers.User-Agent',
    'httpRequest.userAgent',
    'request_User-Agent',
    'cs(User-Agent)',
  ),
  referer: cands(
    'ms',
    'http_referer',
    'referer',
    'referrer',
    'request.headers.Referer',
    'httpRequest.referer',
    'request_Referer',
    'cs(Referer)',
  ),
  forwardedFor: cands(
    'ms',
    'http_x_forwarded_for',
    'x_forwarded_for',
    'xff',
    'request.headers.X-Forwarded-For',
    'request_X-Forwarded-For',
  ),
  sessionId: [],
  apiKey: [],
  host: cands('ms', 'host', 'request.host', 'server_name', 'RequestHost', 'cs-host', 'vhost'),
};

/** Keys that are mapped to their own fields, so not copied into headers by the auto rules. */
const HEADER_FIELDS = new Set(['user-agent', 'referer', 'x-forwarded-for']);

function hasOwn(o: object, k: string): boolean {
  return Object.hasOwn(o, k);
}

function get(obj: Record<string, unknown>, path: Path): unknown {
  if (path.length === 1) {
    const k = path[0] as string;
    return hasOwn(obj, k) ? obj[k] : undefined;
  }
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof k === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[k];
    } else {
      if (Array.isArray(cur) || !hasOwn(cur, k)) return undefined;
      cur = (cur as Record<string, unknown>)[k];
    }
  }
  return cur;
}

/** A JSON value as log text: strings as is, numbers/booleans printed, arrays of scalars joined; `-`/"" → null. */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v === '' || v === '-' ? null : v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    let out: string | null = null;
    for (const e of v) {
      const t = typeof e === 'string' || typeof e === 'number' ? text(e) : null;
      if (t !== null) out = out === null ? t : `${out}, ${t}`;
    }
    return out;
  }
  return null;
}

function first(obj: Record<string, unknown>, cs: readonly Candidate[]): unknown {
  for (const c of cs) {
    const v = get(obj, c.path);
    if (v !== undefined && v !== null && v !== '' && v !== '-') return v;
  }
  return undefined;
}

const UNIT_MS: Record<DurationUnit, number> = { s: 1000, ms: 1, us: 0.001, ns: 0.000001 };

function durationMs(v: unknown, unit: DurationUnit): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * UNIT_MS[unit] : null;
  if (typeof v !== 'string') return null;
  let end = v.length;
  let u = unit;
  // unit suffix: 0.005s, 12ms, 300us, 300µs, 1500ns
  if (v.endsWith('ms')) {
    u = 'ms';
    end -= 2;
  } else if (v.endsWith('us') || v.endsWith('µs')) {
    u = 'us';
    end -= 2;
  } else if (v.endsWith('ns')) {
    u = 'ns';
    end -= 2;
  } else if (v.endsWith('s')) {
    u = 's';
    end -= 1;
  }
  const n = parseDecimal(v, 0, end);
  return Number.isNaN(n) ? null : n * UNIT_MS[u];
}

function timestamp(v: unknown): number {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v === 'string') return parseAnyTimestamp(v);
  return Number.NaN;
}

interface Compiled {
  scalar: Record<ScalarField, readonly Candidate[]>;
  headers: Array<[string, Path]>;
  cookies: Array<[string, Path]>;
  /** No header/cookie mapping given for this kind: copy them by the auto rules. */
  autoHeaders: boolean;
}

function compile(options: Partial<JsonAccessOptions> | undefined): Compiled {
  const problems = unknownOptionProblems(options, ['fields', 'durationUnit']);
  const unit = options?.durationUnit ?? 'ms';
  if (!(unit in UNIT_MS)) problems.push(`durationUnit must be s, ms, us or ns, not ${JSON.stringify(unit)}`);
  const scalar = { ...AUTO } as Record<ScalarField, readonly Candidate[]>;
  const headers: Array<[string, Path]> = [];
  const cookies: Array<[string, Path]> = [];
  const fields = options?.fields ?? {};
  if (typeof fields !== 'object' || fields === null) problems.push('fields must be an object');
  else {
    for (const [k, p] of Object.entries(fields)) {
      const path = typeof p === 'string' ? parsePath(p) : null;
      if (path === null) problems.push(`fields.${k}: ${JSON.stringify(p)} is not a path like a.b[0].c`);
      if (k.startsWith('headers.') && k.length > 8) {
        if (path) headers.push([k.slice(8).toLowerCase(), path]);
      } else if (k.startsWith('cookies.') && k.length > 8) {
        if (path) cookies.push([k.slice(8), path]);
      } else if ((SCALAR_FIELDS as readonly string[]).includes(k)) {
        if (path)
          scalar[k as ScalarField] = [{ path, unit: k === 'durationMs' ? (unit as DurationUnit) : 'ms' }];
      } else {
        problems.push(
          `fields.${k}: unknown field (known: ${SCALAR_FIELDS.join(', ')}, headers.NAME, cookies.NAME)`,
        );
      }
    }
  }
  if (problems.length > 0) throw ConfigInvalid(`json: ${problems.join('; ')}`);
  return { scalar, headers, cookies, autoHeaders: headers.length === 0 && cookies.length === 0 };
}

/** Parses the text into an object, or null (no throw). Only lines starting with `{` reach JSON.parse. */
function parseObject(line: string): Record<string, unknown> | null {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++;
  if (line.charCodeAt(i) !== 0x7b) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** IIS-style separate `date` (YYYY-MM-DD) and `time` (HH:MM:SS[.f]) in UTC. */
function iisDateTime(o: Record<string, unknown>): number {
  const d = o['date'];
  const t = o['time'];
  if (typeof d !== 'string' || typeof t !== 'string' || d.length !== 10 || t.length < 8) return Number.NaN;
  return parseAnyTimestamp(`${d}T${t}Z`);
}

function parseLine(c: Compiled, d: RecordDraft, line: string): AccessRecord | LeakwatchError {
  const o = parseObject(line);
  if (o === null) return ParseMalformedLine('json', 'not_json_object');
  d.reset();
  const s = c.scalar;
  // time: the first candidate that parses
  let badTs: unknown;
  for (const cand of s.ts) {
    const v = get(o, cand.path);
    if (v === undefined || v === null || v === '' || v === '-') continue;
    const t = timestamp(v);
    if (!Number.isNaN(t)) {
      d.tsMs = t;
      break;
    }
    badTs ??= v;
  }
  if (Number.isNaN(d.tsMs)) {
    const t = iisDateTime(o);
    if (!Number.isNaN(t)) d.tsMs = t;
    else if (badTs !== undefined) return ParseBadTimestamp(String(text(badTs) ?? typeof badTs).slice(0, 40));
    else return ParseMalformedLine('json', 'no_timestamp');
  }
  d.clientIp = text(first(o, s.clientIp));
  d.user = text(first(o, s.user));
  d.method = text(first(o, s.method));
  d.target = text(first(o, s.target));
  if (d.target === null) {
    d.path = text(first(o, s.path));
    d.query = text(first(o, s.query));
  }
  const req = first(o, s.request);
  if (typeof req === 'string') d.request = req;
  const st = first(o, s.status);
  if (typeof st === 'number') d.status = Number.isInteger(st) && st >= 0 && st <= 999 ? st : null;
  else if (typeof st === 'string') d.status = parseUint(st, 3) >= 0 ? parseUint(st, 3) : null;
  const b = first(o, s.bytesOut);
  if (typeof b === 'number') d.bodyBytes = Number.isFinite(b) && b >= 0 ? Math.floor(b) : -1;
  else if (typeof b === 'string') d.bodyBytes = parseUint(b, 15);
  for (const cand of s.durationMs) {
    const v = get(o, cand.path);
    if (v === undefined || v === null || v === '' || v === '-') continue;
    d.durationMs = durationMs(v, cand.unit);
    if (d.durationMs !== null) break;
  }
  d.userAgent = text(first(o, s.userAgent));
  d.referer = text(first(o, s.referer));
  d.xff = text(first(o, s.forwardedFor));
  d.sessionId = text(first(o, s.sessionId));
  d.apiKey = text(first(o, s.apiKey));
  const host = text(first(o, s.host));
  if (host !== null) d.attr('host', host);
  const rid = o['request_id'];
  if (typeof rid === 'string' && rid !== '' && rid !== '-') d.attr('request_id', rid);
  for (const [name, path] of c.headers) {
    const v = text(get(o, path));
    if (v !== null) d.header(name, v);
  }
  for (const [name, path] of c.cookies) {
    const v = text(get(o, path));
    if (v !== null) d.cookie(name, v);
  }
  if (c.autoHeaders) autoHeaders(o, d);
  return d.build();
}

/** Caddy `request.headers`, Traefik `request_<Header>`, nginx-JSON `http_<name>` and `cookie_<name>`. */
function autoHeaders(o: Record<string, unknown>, d: RecordDraft): void {
  const req = o['request'];
  if (req !== null && typeof req === 'object' && !Array.isArray(req)) {
    const h = (req as Record<string, unknown>)['headers'];
    if (h !== null && typeof h === 'object' && !Array.isArray(h)) {
      for (const [k, v] of Object.entries(h)) {
        const name = k.toLowerCase();
        const t = text(v);
        if (t !== null && !HEADER_FIELDS.has(name)) d.header(name, t);
      }
    }
  }
  for (const k in o) {
    if (!hasOwn(o, k)) continue;
    let name: string | null = null;
    if (k.startsWith('request_') && k.length > 8 && k.charCodeAt(8) <= 0x5a && k.charCodeAt(8) >= 0x41)
      name = k.slice(8).toLowerCase(); // Traefik: request_User-Agent, request_X-Api-Key
    else if (k.startsWith('http_') && k.length > 5) name = k.slice(5).replaceAll('_', '-').toLowerCase();
    else if (k.startsWith('cookie_') && k.length > 7) {
      const t = text(o[k]);
      if (t !== null) d.cookie(k.slice(7), t);
      continue;
    }
    if (name === null || HEADER_FIELDS.has(name)) continue;
    const t = text(o[k]);
    if (t !== null) d.header(name, t);
  }
}

/** How web-access-like one JSON object is: 1 with a time and >= 3 HTTP fields, 0.4 with 2, else 0. */
function sniffObject(o: Record<string, unknown>): number {
  const s = AUTO;
  if (first(o, s.ts) === undefined && Number.isNaN(iisDateTime(o))) return 0;
  let n = 0;
  const req = first(o, s.request);
  if (first(o, s.method) !== undefined || (typeof req === 'string' && requestMethod(req) !== null)) n++;
  if (first(o, s.target) !== undefined || first(o, s.path) !== undefined) n++;
  if (first(o, s.status) !== undefined) n++;
  if (first(o, s.clientIp) !== undefined) n++;
  if (first(o, s.userAgent) !== undefined) n++;
  if (first(o, s.bytesOut) !== undefined) n++;
  return n >= 3 ? 1 : n === 2 ? 0.4 : 0;
}

export const jsonAccessFormat: LogFormat<JsonAccessOptions> = {
  id: 'json',
  description:
    'web access log as one JSON object per line (nginx escape=json, Caddy, Traefik, IIS/Fluent Bit JSON); option fields maps record fields to paths',
  create(options?: Partial<JsonAccessOptions>) {
    const c = compile(options);
    const draft = new RecordDraft();
    return lineParser((line) => parseLine(c, draft, line));
  },
  sniff(lines) {
    let n = 0;
    let score = 0;
    for (const line of lines) {
      if (isBlank(line)) continue;
      n++;
      const o = parseObject(line);
      if (o !== null) score += sniffObject(o);
    }
    return n === 0 ? 0 : (0.95 * score) / n;
  },
};
