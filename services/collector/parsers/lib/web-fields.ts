// Pieces shared by the web-server parsers (nginx.ts, apache.ts, json-access.ts):
//
// - time stamps: `$time_local` / Apache `%t` (from combined-line.ts), ISO 8601 with a zone
//   (`$time_iso8601`, JSON logs), epoch seconds / ms / us / ns (`$msec`, Caddy `ts`, Traefik),
//   Apache `%{strftime}t` programs;
// - request lines (`GET /x?y=1 HTTP/1.1` → method, target) and X-Forwarded-For lists;
// - RecordDraft: the per-parser scratch record that field values are poured into, then frozen into
//   an AccessRecord (one object per record: headers/cookies/lists are shared frozen empties when
//   the line carries none);
// - Layout: a compiled nginx `log_format` / Apache `LogFormat` (a leading literal, then fields,
//   each followed by the literal that ends it) and the line matcher for it. A field value ends
//   where its following literal begins, as in nginx itself. A field between double quotes is
//   scanned with `\` escapes honoured (`\"` and `\\` are unescaped, `\xHH` is kept as written);
//   a field whose value contains its own terminator (`$time_local` followed by a space) skips
//   that many occurrences, counted on a sample value at compile time. Matching is indexOf /
//   charCodeAt only: linear in the line length, no regular expression on input.
//
// Nothing here throws on input. Compile-time problems are collected as strings for the caller's
// ConfigInvalid error.

import { ConfigInvalid, LeakwatchError, ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import {
  type AccessRecord,
  type InputLine,
  isBlank,
  type RecordParser,
  type RecordResult,
} from '../types.js';
import { civilToMs, d2 } from './civil-time.js';
import { isMethodToken, type ParsedHttpLine, parseTimeLocal, unescapeQuoted } from './combined-line.js';
import { looksLikeIp } from './network.js';

export const EMPTY_LIST: readonly string[] = Object.freeze([]) as readonly string[];
export const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze({});

const SP = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BSLASH = 0x5c;
const DASH = 0x2d;
const PLUS = 0x2b;
const COLON = 0x3a;
const DOT = 0x2e;
const D0 = 0x30;
const D9 = 0x39;

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

export { civilToMs };

// ---- time stamps ------------------------------------------------------------------------------------

export { parseTimeLocal };

/** Apache `%t`: `[dd/Mon/yyyy:HH:MM:SS ±hhmm]` (brackets included) → epoch ms, NaN when invalid. */
export function parseBracketedTimeLocal(s: string): number {
  if (s.charCodeAt(0) !== 0x5b || s.charCodeAt(s.length - 1) !== 0x5d) return Number.NaN;
  return parseTimeLocal(s, 1, s.length - 1);
}

/**
 * ISO 8601 / RFC 3339 date-time with a zone: `2015-05-17T10:05:03+00:00`, `...03.123456Z`,
 * `...03+0530`, `...03+05`; `T` or a space between date and time. No zone → NaN (the zone of a
 * zone-less stamp is unknown and guessing it shifts every event by hours).
 */
export function parseIso8601(s: string, from = 0, to = s.length): number {
  if (to - from < 17) return Number.NaN;
  const i = from;
  const y1 = d2(s, i);
  const y2 = d2(s, i + 2);
  const mo = d2(s, i + 5);
  const dd = d2(s, i + 8);
  const sep = s.charCodeAt(i + 10);
  const hh = d2(s, i + 11);
  const mi = d2(s, i + 14);
  if (
    y1 < 0 ||
    y2 < 0 ||
    s.charCodeAt(i + 4) !== DASH ||
    s.charCodeAt(i + 7) !== DASH ||
    (sep !== 0x54 && sep !== 0x74 && sep !== SP) ||
    s.charCodeAt(i + 13) !== COLON ||
    mo < 0 ||
    dd < 0 ||
    hh < 0 ||
    mi < 0
  )
    return Number.NaN;
  let j = i + 16;
  let ss = 0;
  let ms = 0;
  if (s.charCodeAt(j) === COLON) {
    ss = d2(s, j + 1);
    if (ss < 0) return Number.NaN;
    j += 3;
    const c = s.charCodeAt(j);
    if (c === DOT || c === 0x2c) {
      j++;
      const f0 = j;
      let scale = 100;
      while (j < to && isDigit(s.charCodeAt(j))) {
        ms += (s.charCodeAt(j) - D0) * scale;
        scale /= 10;
        j++;
      }
      if (j === f0 || j - f0 > 9) return Number.NaN;
      ms = Math.floor(ms);
    }
  }
  let off = 0;
  const z = s.charCodeAt(j);
  if ((z === 0x5a || z === 0x7a) && j + 1 === to) {
    off = 0;
  } else if (z === PLUS || z === DASH) {
    const zh = d2(s, j + 1);
    let zm = 0;
    const rest = to - j - 3;
    if (rest === 0) zm = 0;
    else if (rest === 3 && s.charCodeAt(j + 3) === COLON) zm = d2(s, j + 4);
    else if (rest === 2) zm = d2(s, j + 3);
    else return Number.NaN;
    if (zh < 0 || zh > 23 || zm < 0 || zm > 59) return Number.NaN;
    off = (z === DASH ? -1 : 1) * (zh * 60 + zm);
  } else {
    return Number.NaN;
  }
  return civilToMs(y1 * 100 + y2, mo, dd, hh, mi, ss, ms, off);
}

/**
 * An epoch number whose unit is told by its magnitude: seconds (< 1e11, i.e. before year 5138),
 * milliseconds (< 1e14), microseconds (< 1e17), else nanoseconds → epoch ms (floored). NaN when
 * not finite or negative.
 */
export function epochToMs(n: number): number {
  if (!Number.isFinite(n) || n < 0) return Number.NaN;
  if (n < 1e11) return Math.floor(n * 1000);
  if (n < 1e14) return Math.floor(n);
  if (n < 1e17) return Math.floor(n / 1000);
  return Math.floor(n / 1e6);
}

/** `digits[.digits]` between from and to as a number; NaN otherwise (no sign, no exponent). */
export function parseDecimal(s: string, from = 0, to = s.length): number {
  if (to <= from || to - from > 40) return Number.NaN;
  let v = 0;
  let i = from;
  const i0 = i;
  while (i < to && isDigit(s.charCodeAt(i))) v = v * 10 + (s.charCodeAt(i++) - D0);
  if (i === i0) return Number.NaN;
  if (i === to) return v;
  if (s.charCodeAt(i) !== DOT) return Number.NaN;
  i++;
  let scale = 0.1;
  const f0 = i;
  while (i < to && isDigit(s.charCodeAt(i))) {
    v += (s.charCodeAt(i++) - D0) * scale;
    scale /= 10;
  }
  if (i !== to || i === f0) return Number.NaN;
  return v;
}

/** A time stamp written as text in any of the shapes above (JSON logs): ISO, time_local, epoch. */
export function parseAnyTimestamp(s: string): number {
  const n = s.length;
  if (n === 0) return Number.NaN;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x5b) return parseBracketedTimeLocal(s);
  if (n >= 17 && s.charCodeAt(4) === DASH) return parseIso8601(s, 0, n);
  if (n >= 26 && s.charCodeAt(2) === 0x2f) return parseTimeLocal(s, 0, n);
  return epochToMs(parseDecimal(s, 0, n));
}

// ---- Apache %{strftime}t -------------------------------------------------------------------------------

/** A compiled strftime format: literal strings and directive letters (char codes) in order. */
export interface TimeProgram {
  tokens: ReadonlyArray<string | number>;
  /** The format rendered for 2000-01-10 10:00:00 +0000: used to count separators inside values. */
  sample: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Compiles a strftime format (Apache `%{...}t`). Supported: %Y %y %m %d %e %H %M %S %b %h %B %a
 * %A %z %Z %T %F %D %R %s %% %n %t. Adds to problems what it cannot use: an unknown directive,
 * or a format without a zone (%z, %Z or %s): a zone-less local time cannot be placed in UTC.
 */
export function compileStrftime(fmt: string, where: string, problems: string[]): TimeProgram {
  const tokens: Array<string | number> = [];
  let sample = '';
  let lit = '';
  const expand: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M' };
  const samples: Record<string, string> = {
    Y: '2000',
    y: '00',
    m: '01',
    d: '10',
    e: '10',
    H: '10',
    M: '00',
    S: '00',
    b: 'Jan',
    h: 'Jan',
    B: 'January',
    a: 'Mon',
    A: 'Monday',
    z: '+0000',
    Z: 'UTC',
    s: '947498400',
  };
  let src = fmt;
  for (const [k, v] of Object.entries(expand)) src = src.split(`%${k}`).join(v);
  let zone = false;
  let date = 0;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i] as string;
    if (ch !== '%') {
      lit += ch;
      sample += ch;
      continue;
    }
    const d = src[++i];
    if (d === undefined) {
      problems.push(`${where}: a lone % at the end of the time format`);
      break;
    }
    if (d === '%') {
      lit += '%';
      sample += '%';
      continue;
    }
    if (d === 'n' || d === 't') {
      lit += d === 'n' ? '\n' : '\t';
      sample += d === 'n' ? '\n' : '\t';
      continue;
    }
    const smp = samples[d];
    if (smp === undefined) {
      problems.push(`${where}: time directive %${d} is not supported`);
      continue;
    }
    if (lit !== '') tokens.push(lit);
    lit = '';
    tokens.push(d.charCodeAt(0));
    sample += smp;
    if (d === 'z' || d === 'Z' || d === 's') zone = true;
    if ('YymdebhBHM'.includes(d)) date++;
    if (d === 's') date = 99;
  }
  if (lit !== '') tokens.push(lit);
  if (!zone)
    problems.push(
      `${where}: the time format has no zone (%z): add %z to the LogFormat, a zone-less local time cannot be placed in UTC`,
    );
  else if (date < 5) problems.push(`${where}: the time format lacks year, month, day, hour or minute`);
  return { tokens, sample };
}

function monthFromLetters(s: string, from: number): number {
  const k = s.slice(from, from + 3).toLowerCase();
  return MONTHS.indexOf(k) + 1;
}

/** Runs a TimeProgram over s → epoch ms, NaN when the text does not fit it. */
export function parseStrftime(p: TimeProgram, s: string): number {
  let i = 0;
  const n = s.length;
  let year = -1;
  let month = -1;
  let day = -1;
  let hh = 0;
  let mm = 0;
  let ss = 0;
  let off = Number.NaN;
  let epoch = Number.NaN;
  for (const t of p.tokens) {
    if (typeof t === 'string') {
      if (!s.startsWith(t, i)) return Number.NaN;
      i += t.length;
      continue;
    }
    switch (t) {
      case 0x59: {
        // Y
        const a = d2(s, i);
        const b = d2(s, i + 2);
        if (a < 0 || b < 0) return Number.NaN;
        year = a * 100 + b;
        i += 4;
        break;
      }
      case 0x79: {
        // y
        const a = d2(s, i);
        if (a < 0) return Number.NaN;
        year = a < 69 ? 2000 + a : 1900 + a;
        i += 2;
        break;
      }
      case 0x65: {
        // e: space-padded day
        const v = s.charCodeAt(i) === SP ? d2(`0${s[i + 1] ?? ''}`, 0) : d2(s, i);
        if (v < 0) return Number.NaN;
        day = v;
        i += 2;
        break;
      }
      case 0x6d:
      case 0x64:
      case 0x48:
      case 0x4d:
      case 0x53: {
        const v = d2(s, i);
        if (v < 0) return Number.NaN;
        if (t === 0x6d) month = v;
        else if (t === 0x64) day = v;
        else if (t === 0x48) hh = v;
        else if (t === 0x4d) mm = v;
        else ss = v;
        i += 2;
        break;
      }
      case 0x62:
      case 0x68:
      case 0x42:
      case 0x61:
      case 0x41: {
        const i0 = i;
        while (i < n && (s.charCodeAt(i) | 0x20) >= 0x61 && (s.charCodeAt(i) | 0x20) <= 0x7a) i++;
        if (i - i0 < 3) return Number.NaN;
        if (t === 0x62 || t === 0x68 || t === 0x42) {
          month = monthFromLetters(s, i0);
          if (month === 0) return Number.NaN;
        }
        break;
      }
      case 0x7a: {
        // z: ±hhmm or ±hh:mm
        const sign = s.charCodeAt(i);
        const zh = d2(s, i + 1);
        let k = i + 3;
        if (s.charCodeAt(k) === COLON) k++;
        const zm = d2(s, k);
        if ((sign !== PLUS && sign !== DASH) || zh < 0 || zh > 23 || zm < 0 || zm > 59) return Number.NaN;
        off = (sign === DASH ? -1 : 1) * (zh * 60 + zm);
        i = k + 2;
        break;
      }
      case 0x5a: {
        // Z: only zone names that mean UTC
        const i0 = i;
        while (i < n && (s.charCodeAt(i) | 0x20) >= 0x61 && (s.charCodeAt(i) | 0x20) <= 0x7a) i++;
        const name = s.slice(i0, i).toUpperCase();
        if (name !== 'UTC' && name !== 'GMT' && name !== 'Z') return Number.NaN;
        off = 0;
        break;
      }
      case 0x73: {
        const i0 = i;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        if (i === i0 || i - i0 > 12) return Number.NaN;
        epoch = Number(s.slice(i0, i)) * 1000;
        break;
      }
      default:
        return Number.NaN;
    }
  }
  if (i !== n) return Number.NaN;
  if (!Number.isNaN(epoch)) return epoch;
  if (Number.isNaN(off) || year < 0) return Number.NaN;
  return civilToMs(year, month, day, hh, mm, ss, 0, off);
}

// ---- request line, forwarded-for --------------------------------------------------------------------

/** Method of a `METHOD target [HTTP/x]` request line, or null. */
export function requestMethod(request: string): string | null {
  const sp1 = request.indexOf(' ');
  if (sp1 <= 0 || sp1 > 32 || !isMethodToken(request, sp1)) return null;
  return requestTarget(request) === null ? null : request.slice(0, sp1);
}

/** Target of a `METHOD target [HTTP/x]` request line (as in combined-line.ts), or null. */
export function requestTarget(request: string): string | null {
  const sp1 = request.indexOf(' ');
  if (sp1 <= 0 || sp1 > 32 || !isMethodToken(request, sp1)) return null;
  const sp2 = request.lastIndexOf(' ');
  const t =
    sp2 > sp1 && request.startsWith('HTTP/', sp2 + 1) ? request.slice(sp1 + 1, sp2) : request.slice(sp1 + 1);
  return t.length === 0 ? null : t;
}

/** `1.2.3.4, 10.0.0.1` → the addresses, left to right; tokens that are not IP addresses are dropped. */
export function splitForwardedFor(v: string): readonly string[] {
  let out: string[] | undefined;
  let start = -1;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : SP;
    if (c === SP || c === 0x2c || c === TAB || c === QUOTE) {
      if (start !== -1) {
        const tok = v.slice(start, i);
        if (looksLikeIp(tok)) {
          if (out === undefined) out = [];
          out.push(tok);
        }
        start = -1;
      }
    } else if (start === -1) start = i;
  }
  return out ?? EMPTY_LIST;
}

// ---- AccessRecord from the combined fast path -----------------------------------------------------

/** ParsedHttpLine (combined-line.ts) → AccessRecord; `extra` is ignored unless xffExtra >= 0. */
export function recordFromHttpLine(v: ParsedHttpLine, xffExtra = -1): AccessRecord {
  let forwardedFor = v.forwardedFor;
  let headers = EMPTY_MAP;
  if (xffExtra >= 0) {
    const x = v.extra[xffExtra];
    if (x !== undefined && x !== '-' && x !== '') {
      headers = { 'x-forwarded-for': x };
      const list = splitForwardedFor(x);
      if (list.length > 0) forwardedFor = forwardedFor.length > 0 ? [...list, ...forwardedFor] : list;
    }
  }
  return {
    tsMs: v.tsMs,
    sourceKind: 'web',
    clientIp: v.clientIp,
    forwardedFor,
    user: v.remoteUser,
    dbUser: null,
    userAgent: v.userAgent,
    referer: v.referer,
    method: v.method,
    target: v.target,
    sql: null,
    dbOperation: null,
    tables: EMPTY_LIST,
    status: v.status,
    bytesOut: v.bytes,
    rowsOut: null,
    durationMs: null,
    headers,
    cookies: EMPTY_MAP,
    sessionId: null,
    apiKey: null,
    authenticated: null,
    attrs: {},
  };
}

// ---- field kinds and the record draft ------------------------------------------------------------------

/** What a log field means. Numbers so the per-value dispatch is a switch on small ints. */
export const F = {
  CLIENT_IP: 1, // $remote_addr, %a
  CLIENT_HOST: 2, // %h: the client IP unless HostnameLookups; used when there is no %a
  USER: 3,
  TIME_LOCAL: 4, // 17/May/2015:10:05:03 +0000
  TIME_BRACKETED: 5, // [17/May/2015:10:05:03 +0000] (Apache %t)
  TIME_ISO: 6,
  TIME_EPOCH_S: 7, // $msec, %{sec}t, %{msec}t... the unit is in the magnitude
  TIME_STRFTIME: 8,
  TIME_FRAC_MS: 9, // %{msec_frac}t
  TIME_FRAC_US: 10, // %{usec_frac}t
  REQUEST: 11,
  METHOD: 12,
  TARGET: 13, // $request_uri
  PATH: 14, // $uri, %U
  QUERY: 15, // $args, %q (a leading ? is dropped)
  PROTOCOL: 16,
  STATUS: 17,
  STATUS_ORIGINAL: 18, // Apache %s when %>s is also there
  BODY_BYTES: 19,
  TOTAL_BYTES: 20,
  DURATION_S: 21,
  DURATION_MS: 22,
  DURATION_US: 23,
  UPSTREAM_TIME: 24,
  REFERER: 25,
  USER_AGENT: 26,
  XFF: 27,
  HEADER: 28,
  COOKIE: 29,
  ATTR: 30,
  IGNORE: 31,
} as const;
export type FieldKind = (typeof F)[keyof typeof F];

const NUMERIC_KINDS: ReadonlySet<number> = new Set([
  F.STATUS,
  F.STATUS_ORIGINAL,
  F.BODY_BYTES,
  F.TOTAL_BYTES,
  F.DURATION_S,
  F.DURATION_MS,
  F.DURATION_US,
]);

export function isTimeKind(k: number): boolean {
  return k >= F.TIME_LOCAL && k <= F.TIME_STRFTIME;
}

/** Reused per parser: values of one record, reset before each line. */
export class RecordDraft {
  tsMs = Number.NaN;
  fracMs = 0;
  clientIp: string | null = null;
  clientHost: string | null = null;
  user: string | null = null;
  request: string | null = null;
  method: string | null = null;
  target: string | null = null;
  path: string | null = null;
  query: string | null = null;
  status: number | null = null;
  statusOriginal: number | null = null;
  bodyBytes = -1;
  totalBytes = -1;
  durationMs: number | null = null;
  upstreamMs: number | null = null;
  userAgent: string | null = null;
  referer: string | null = null;
  xff: string | null = null;
  sessionId: string | null = null;
  apiKey: string | null = null;
  headers: Record<string, string> | null = null;
  cookies: Record<string, string> | null = null;
  attrs: Record<string, string> | null = null;

  reset(): void {
    this.tsMs = Number.NaN;
    this.fracMs = 0;
    this.clientIp = null;
    this.clientHost = null;
    this.user = null;
    this.request = null;
    this.method = null;
    this.target = null;
    this.path = null;
    this.query = null;
    this.status = null;
    this.statusOriginal = null;
    this.bodyBytes = -1;
    this.totalBytes = -1;
    this.durationMs = null;
    this.upstreamMs = null;
    this.userAgent = null;
    this.referer = null;
    this.xff = null;
    this.sessionId = null;
    this.apiKey = null;
    this.headers = null;
    this.cookies = null;
    this.attrs = null;
  }

  header(name: string, value: string): void {
    if (name === '__proto__') return;
    if (this.headers === null) this.headers = {};
    this.headers[name] = value;
  }
  cookie(name: string, value: string): void {
    if (name === '__proto__') return;
    if (this.cookies === null) this.cookies = {};
    this.cookies[name] = value;
  }
  attr(name: string, value: string): void {
    if (name === '__proto__') return;
    if (this.attrs === null) this.attrs = {};
    this.attrs[name] = value;
  }

  build(): AccessRecord {
    const req = this.request;
    let method = this.method;
    let target = this.target;
    if (req !== null && (method === null || target === null)) {
      if (target === null) target = requestTarget(req);
      if (method === null) method = requestMethod(req);
    }
    if (target === null && this.path !== null)
      target = this.query !== null && this.query !== '' ? `${this.path}?${this.query}` : this.path;
    let forwardedFor = EMPTY_LIST;
    if (this.xff !== null) {
      forwardedFor = splitForwardedFor(this.xff);
      this.header('x-forwarded-for', this.xff);
    }
    if (this.status === null && this.statusOriginal !== null) this.status = this.statusOriginal;
    else if (this.statusOriginal !== null && this.statusOriginal !== this.status)
      this.attr('original_status', String(this.statusOriginal));
    return {
      tsMs: this.tsMs + this.fracMs,
      sourceKind: 'web',
      clientIp: this.clientIp ?? this.clientHost,
      forwardedFor,
      user: this.user,
      dbUser: null,
      userAgent: this.userAgent,
      referer: this.referer,
      method,
      target,
      sql: null,
      dbOperation: null,
      tables: EMPTY_LIST,
      status: this.status,
      bytesOut: this.bodyBytes >= 0 ? this.bodyBytes : Math.max(this.totalBytes, 0),
      rowsOut: null,
      durationMs: this.durationMs ?? this.upstreamMs,
      headers: this.headers ?? EMPTY_MAP,
      cookies: this.cookies ?? EMPTY_MAP,
      sessionId: this.sessionId,
      apiKey: this.apiKey,
      authenticated: null,
      attrs: this.attrs ?? {},
    };
  }
}

/** Non-negative integer of at most maxDigits digits, or -1. */
export function parseUint(s: string, maxDigits: number): number {
  const n = s.length;
  if (n === 0 || n > maxDigits) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - D0);
  }
  return v;
}

/** First number of an `$upstream_response_time`-like list (`0.004, 0.002 : 0.001`), or NaN. */
function firstDecimal(v: string): number {
  let e = 0;
  while (e < v.length) {
    const c = v.charCodeAt(e);
    if (c === SP || c === 0x2c || c === COLON) break;
    e++;
  }
  return parseDecimal(v, 0, e);
}

/** A field spec: its kind and, for headers/cookies/attrs, the name; for strftime times, the program. */
export interface FieldSpec {
  kind: FieldKind;
  /** Header name (lowercase), cookie name, attrs key; '' otherwise. */
  name: string;
  time?: TimeProgram;
  /** A sample value, to count occurrences of the following literal inside real values. */
  sample?: string;
}

/**
 * Pours one raw field value into the draft. Returns a reject reason, or null. `-` is "absent".
 * `value` is already unescaped.
 */
export function applyField(d: RecordDraft, f: FieldSpec, value: string): LeakwatchError | string | null {
  if (value === '-' || value === '') {
    if (f.kind === F.REQUEST && value === '') d.request = '';
    return null;
  }
  switch (f.kind) {
    case F.CLIENT_IP:
      d.clientIp = value;
      return null;
    case F.CLIENT_HOST:
      d.clientHost = value;
      return null;
    case F.USER:
      d.user = value;
      return null;
    case F.TIME_LOCAL:
    case F.TIME_BRACKETED:
    case F.TIME_ISO:
    case F.TIME_EPOCH_S:
    case F.TIME_STRFTIME: {
      if (!Number.isNaN(d.tsMs)) return null; // the first time field wins
      const t =
        f.kind === F.TIME_LOCAL
          ? parseTimeLocal(value, 0, value.length)
          : f.kind === F.TIME_BRACKETED
            ? parseBracketedTimeLocal(value)
            : f.kind === F.TIME_ISO
              ? parseIso8601(value)
              : f.kind === F.TIME_EPOCH_S
                ? epochToMs(parseDecimal(value))
                : f.time === undefined
                  ? Number.NaN
                  : parseStrftime(f.time, value);
      if (Number.isNaN(t)) return ParseBadTimestamp(value.slice(0, 40));
      d.tsMs = t;
      return null;
    }
    case F.TIME_FRAC_MS:
    case F.TIME_FRAC_US: {
      const v = parseUint(value, 6);
      if (v >= 0) d.fracMs = f.kind === F.TIME_FRAC_MS ? v : Math.floor(v / 1000);
      return null;
    }
    case F.REQUEST:
      d.request = value;
      return null;
    case F.METHOD:
      d.method = value;
      return null;
    case F.TARGET:
      d.target = value;
      return null;
    case F.PATH:
      d.path = value;
      return null;
    case F.QUERY:
      d.query = value.charCodeAt(0) === 0x3f ? value.slice(1) : value;
      return null;
    case F.PROTOCOL:
      d.attr('protocol', value);
      return null;
    case F.STATUS:
    case F.STATUS_ORIGINAL: {
      const v = parseUint(value, 3);
      if (v < 0) return 'bad_status';
      if (f.kind === F.STATUS) d.status = v;
      else d.statusOriginal = v;
      return null;
    }
    case F.BODY_BYTES:
    case F.TOTAL_BYTES: {
      const v = parseUint(value, 15);
      if (v < 0) return 'bad_bytes';
      if (f.kind === F.BODY_BYTES) d.bodyBytes = v;
      else d.totalBytes = v;
      return null;
    }
    case F.DURATION_S:
    case F.DURATION_MS:
    case F.DURATION_US: {
      const v = parseDecimal(value);
      if (!Number.isNaN(v))
        d.durationMs = f.kind === F.DURATION_S ? v * 1000 : f.kind === F.DURATION_MS ? v : v / 1000;
      return null;
    }
    case F.UPSTREAM_TIME: {
      d.attr(f.name, value);
      const v = firstDecimal(value);
      if (!Number.isNaN(v)) d.upstreamMs = v * 1000;
      return null;
    }
    case F.REFERER:
      d.referer = value;
      return null;
    case F.USER_AGENT:
      d.userAgent = value;
      return null;
    case F.XFF:
      d.xff = value;
      return null;
    case F.HEADER:
      d.header(f.name, value);
      return null;
    case F.COOKIE:
      d.cookie(f.name, value);
      return null;
    case F.ATTR:
      d.attr(f.name, value);
      return null;
    default:
      return null;
  }
}

// ---- layouts: compiled log_format / LogFormat strings --------------------------------------------------

export interface LayoutField extends FieldSpec {
  /** The literal that ends the value ('' for the last field without a trailing literal). */
  after: string;
  /** Between double quotes: scanned with `\` escapes honoured, then unescaped. */
  quoted: boolean;
  /** Occurrences of `after` inside a value to step over. */
  skip: number;
  /** The next field is a number: a quoted value only ends at `after` followed by a digit or `-`. */
  nextNumeric: boolean;
  /** The line may end inside this field: what is there is its value, the fields after it are absent. */
  tailOptional: boolean;
}

export interface Layout {
  lead: string;
  fields: readonly LayoutField[];
  /** kind:name:after of every field; two layouts with equal signatures parse the same. */
  signature: string;
}

function countOccurrences(hay: string, needle: string): number {
  if (needle === '') return 0;
  let n = 0;
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}

function onlyQuotesAndBlanks(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== QUOTE && c !== SP && c !== TAB) return false;
  }
  return true;
}

/**
 * Builds a Layout from a leading literal and (field, following literal) pairs, adding problems
 * for fields with no separator between them and for a missing time field.
 */
export function buildLayout(
  lead: string,
  parts: ReadonlyArray<{ spec: FieldSpec; label: string; after: string }>,
  problems: string[],
): Layout {
  const fields: LayoutField[] = [];
  let hasTime = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as (typeof parts)[number];
    const before = i === 0 ? lead : (parts[i - 1] as (typeof parts)[number]).after;
    let after = p.after;
    if (i === parts.length - 1) after = after.trimEnd(); // lines are matched with trailing blanks stripped
    if (after === '' && i < parts.length - 1) {
      const next = parts[i + 1] as (typeof parts)[number];
      problems.push(`${p.label} and ${next.label} have no separator between them`);
    }
    if (isTimeKind(p.spec.kind)) hasTime = true;
    const quoted = before.endsWith('"') && after.startsWith('"');
    const next = parts[i + 1];
    fields.push({
      ...p.spec,
      after,
      quoted,
      skip: p.spec.sample === undefined ? 0 : countOccurrences(p.spec.sample, after),
      nextNumeric: next !== undefined && NUMERIC_KINDS.has(next.spec.kind),
      tailOptional: false,
    });
  }
  // A line may stop early only inside the trailing run of quoted fields separated by blanks
  // (Apache `common` lines under `combined`, a user agent whose closing quote was cut off).
  for (let i = fields.length - 1; i >= 0; i--) {
    const f = fields[i] as LayoutField;
    if (!onlyQuotesAndBlanks(f.after)) break;
    const laterAllQuoted = fields.slice(i + 1).every((g) => g.quoted);
    if (!laterAllQuoted) break;
    if (!f.quoted && !NUMERIC_KINDS.has(f.kind) && i < fields.length - 1) break;
    f.tailOptional = true;
  }
  if (parts.length > 0 && !hasTime) problems.push('no time field: every record needs its time');
  if (parts.length === 0) problems.push('no fields');
  const signature = `${lead}\u0000${fields.map((f) => `${f.kind}:${f.name}:${f.after}`).join('\u0000')}`;
  return { lead, fields, signature };
}

/** Index of `after` closing a quoted value that starts at from, honouring `\` escapes; -1 if none. */
function findQuotedEnd(line: string, from: number, end: number, f: LayoutField, last: boolean): number {
  const after = f.after;
  const alen = after.length;
  let skip = f.skip;
  for (let i = from; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === BSLASH) {
      i++;
      continue;
    }
    if (c !== QUOTE || i + alen > end || !line.startsWith(after, i)) continue;
    const k = i + alen;
    if (last) {
      // The closing quote of the last field is followed by the end of the line or a blank (extras).
      if (k < end && line.charCodeAt(k) !== SP && line.charCodeAt(k) !== TAB) continue;
    } else if (f.nextNumeric) {
      const n = line.charCodeAt(k);
      if (!(isDigit(n) || n === DASH)) continue;
    }
    if (skip > 0) {
      skip--;
      continue;
    }
    return i;
  }
  return -1;
}

function findPlainEnd(line: string, from: number, end: number, f: LayoutField): number {
  let skip = f.skip;
  let i = line.indexOf(f.after, from);
  while (i !== -1 && i + f.after.length <= end) {
    if (skip === 0) return i;
    skip--;
    i = line.indexOf(f.after, i + 1);
  }
  return -1;
}

/**
 * Matches one line against a layout into the draft (reset first). Returns null on success, else
 * the error to reject with. Never throws.
 */
export function matchLayout(
  layout: Layout,
  d: RecordDraft,
  line: string,
  format: string,
): LeakwatchError | null {
  d.reset();
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c === 0x0a || c === 0x0d || c === SP || c === TAB) end--;
    else break;
  }
  if (end < layout.lead.length || !line.startsWith(layout.lead, 0))
    return ParseMalformedLine(format, 'format_mismatch');
  let pos = layout.lead.length;
  const fields = layout.fields;
  const nf = fields.length;
  for (let fi = 0; fi < nf; fi++) {
    const f = fields[fi] as LayoutField;
    let value: string;
    let vEnd: number;
    let stop = false;
    if (f.after === '') {
      vEnd = end;
    } else {
      vEnd = f.quoted ? findQuotedEnd(line, pos, end, f, fi === nf - 1) : findPlainEnd(line, pos, end, f);
      if (vEnd === -1) {
        if (!f.tailOptional) return ParseMalformedLine(format, 'format_mismatch');
        vEnd = end;
        // `"-"` then the end of the line: drop the closing quote.
        if (
          f.quoted &&
          vEnd > pos &&
          line.charCodeAt(vEnd - 1) === QUOTE &&
          line.charCodeAt(vEnd - 2) !== BSLASH
        )
          vEnd--;
        stop = true;
      }
    }
    if (f.quoted) {
      value = line.slice(pos, vEnd);
      if (value.indexOf('\\') !== -1) value = unescapeQuoted(value, 0, value.length);
    } else {
      value = line.slice(pos, vEnd);
    }
    const r = applyField(d, f, value);
    if (r !== null) return typeof r === 'string' ? ParseMalformedLine(format, r) : r;
    if (stop) break;
    pos = vEnd + f.after.length;
    if (pos > end) break;
  }
  if (Number.isNaN(d.tsMs)) return ParseMalformedLine(format, 'no_timestamp');
  return null;
}

// ---- RecordParser plumbing ------------------------------------------------------------------------------

export { isBlank };

/**
 * A RecordParser for one-line records: blank lines are Skipped `blank`, the rest go to parseLine,
 * which returns the record or the error to reject the line with.
 */
export function lineParser(parseLine: (text: string) => AccessRecord | LeakwatchError): RecordParser {
  return {
    push(line: InputLine): RecordResult[] {
      const position = String(line.offset);
      if (isBlank(line.text)) return [{ ok: 'skip', kind: 'blank', position, lines: 1 }];
      const r = parseLine(line.text);
      if (r instanceof LeakwatchError) return [{ ok: false, error: r, position, text: line.text }];
      return [{ ok: true, record: r, position }];
    },
    end(): RecordResult[] {
      return [];
    },
  };
}

/** Options object check shared by the formats: every key must be known. */
export function unknownOptionProblems(options: object | undefined, known: readonly string[]): string[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== 'object') return ['options must be an object'];
  const out: string[] = [];
  for (const k of Object.keys(options)) if (!known.includes(k)) out.push(`unknown option "${k}"`);
  return out;
}

/**
 * create()'s option check shared by nginx and apache: `logFormat` (default `combined`) is the only
 * option; it is compiled by `compile`. Throws ConfigInvalid listing every problem.
 */
export function compileLogFormatOption(
  options: { logFormat?: unknown } | undefined,
  who: 'nginx' | 'apache',
  compile: (input: string) => { layout: Layout; problems: string[] },
): Layout {
  const problems = unknownOptionProblems(options, ['logFormat']);
  const raw = options?.logFormat ?? 'combined';
  if (typeof raw !== 'string') problems.push('logFormat must be a string');
  const { layout, problems: p2 } = compile(typeof raw === 'string' ? raw : '');
  problems.push(...p2);
  if (problems.length > 0) throw ConfigInvalid(`${who} logFormat: ${problems.join('; ')}`);
  return layout;
}

/** The general path of nginx and apache: a compiled layout matched field by field. */
export function layoutParser(layout: Layout, who: 'nginx' | 'apache'): RecordParser {
  const draft = new RecordDraft();
  return lineParser((text) => matchLayout(layout, draft, text, who) ?? draft.build());
}
