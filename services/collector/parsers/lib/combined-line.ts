// Parser for the nginx `combined` log format, which is also Apache's `combined` (and, without the
// last two fields, `common`):
//
//   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
//
// A hand-written single pass over the line with charCodeAt: no regular expressions, no split(),
// so the cost is linear in the line length whatever the line contains.
//
// Result shape: parseNginxCombined() never throws. It returns a discriminated union
// `{ ok: true, value }` | `{ ok: false, error }`, where `error` is a LeakwatchError built with
// ParseMalformedLine('nginx', reason) or ParseBadTimestamp(text). Rejects are rare, so the error
// (and its stack) is only built on that path; callers dead-letter with `reason = error.code`.
//
// What real logs contain, and what this parser does with it:
// - IPv6 or hostnames (Apache HostnameLookups) for the client: kept as written.
// - Address lists before the ident field, written by formats that log X-Forwarded-For
//   (`10.0.0.2, 10.0.0.1, 127.0.0.1 - - [...]`, `"1.2.3.4, 5.6.7.8" 10.2.1.185 - - [...]`):
//   the last address is `clientIp` (the peer nginx logged), the ones before it are
//   `forwardedFor`, in order. Tokens that are not IP addresses (a leading `$host`, `unknown`)
//   are dropped.
// - `-` for the remote user, bytes, referer and user agent: null (bytes: 0).
// - Escaped quotes (`\"`, Apache and old nginx) and `\\` inside quoted fields are unescaped;
//   `\xHH` escapes (nginx >= 1.1.6 writes `"` as `\x22`, binary as `\xHH`) are kept as written.
//   A `"` that is not followed by a space or the end of the line is taken as part of the value
//   (old nginx did not escape quotes).
// - Empty (`""`) or garbage requests (TLS/RDP handshakes on the HTTP port, status 400): the line
//   is accepted, `request` holds what was logged, `method`/`target`/`protocol` are null.
// - `HTTP/2.0`, `HTTP/1.0`, HTTP/0.9 (`GET /` without a protocol): protocol as written or null.
// - Trailing fields after the user agent (`"$http_x_forwarded_for"`, `$request_time`, a
//   trailing space): quoted or space-separated values in `extra`, unescaped like the rest.
// - Apache `common` lines (no referer / user agent): accepted, both null.
// - A last quoted field whose closing quote is missing (a truncated user agent): kept as is.
// - CRLF or a trailing `\n`: ignored.
// - `$time_local` (`17/May/2015:10:05:03 +0000`, optionally with `.mmm` after the seconds) is
//   converted to epoch ms with its zone offset, by arithmetic (no Date.parse).

import { type LeakwatchError, ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import { isBlank } from '../types.js';
import { DAYS_IN_MONTH, d2, daysFromCivil } from './civil-time.js';
import { looksLikeIp } from './network.js';

export interface ParsedHttpLine {
  /** The peer address nginx logged ($remote_addr / Apache %h): an IP, or a host name. */
  clientIp: string;
  /** Addresses logged before the peer (an X-Forwarded-For list), left to right. Often empty. */
  forwardedFor: readonly string[];
  /** $remote_user; null when `-`. */
  remoteUser: string | null;
  /** $time_local as epoch milliseconds (UTC). */
  tsMs: number;
  /** The request line as logged (escaped quotes unescaped); '' for `""`. */
  request: string;
  /** Request method (`GET`), null when the request line is not `METHOD target [protocol]`. */
  method: string | null;
  /** Raw request target (path + query, as sent, percent-encoding untouched); null as above. */
  target: string | null;
  /** `HTTP/1.1`, `HTTP/2.0`...; null for HTTP/0.9-style or unparsed requests. */
  protocol: string | null;
  /** HTTP status; null when logged as `-`. */
  status: number | null;
  /** $body_bytes_sent / %b; `-` is 0. */
  bytes: number;
  /** $http_referer; null when `-` or absent. */
  referer: string | null;
  /** $http_user_agent; null when `-` or absent. */
  userAgent: string | null;
  /** Fields after the user agent, quotes removed. Often empty. */
  extra: readonly string[];
}

export type ParseResult = { ok: true; value: ParsedHttpLine } | { ok: false; error: LeakwatchError };

/** Stable reject reasons, the second argument of ParseMalformedLine('nginx', reason). */
export const REJECT_REASONS = [
  'empty_line',
  'no_client_address',
  'no_timestamp',
  'no_request',
  'unterminated_request',
  'no_status',
  'no_bytes',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

const EMPTY: readonly string[] = Object.freeze([]);

const SP = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BSLASH = 0x5c;
const DASH = 0x2d;
const COMMA = 0x2c;
const D0 = 0x30;
const D9 = 0x39;

function reject(reason: RejectReason, format: string): ParseResult {
  return { ok: false, error: ParseMalformedLine(format, reason) };
}

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

/**
 * Parses one line (without or with its trailing `\n` / `\r\n`). Never throws.
 * `format` names the format in reject messages (`apache` when the Apache parser delegates here).
 */
export function parseNginxCombined(input: string, format = 'nginx'): ParseResult {
  let end = input.length;
  // Strip line terminators and trailing blanks (Dreamhost writes a trailing space on every line).
  while (end > 0) {
    const c = input.charCodeAt(end - 1);
    if (c === 0x0a || c === 0x0d || c === SP || c === TAB) end--;
    else break;
  }
  const line = end === input.length ? input : input.slice(0, end);
  if (end === 0) return reject('empty_line', format);

  // ---- [$time_local]: the first ` [` followed by `dd/` ------------------------------------------
  let lb = -1;
  for (let i = line.indexOf('['); i !== -1; i = line.indexOf('[', i + 1)) {
    if (
      i > 0 &&
      line.charCodeAt(i - 1) === SP &&
      isDigit(line.charCodeAt(i + 1)) &&
      isDigit(line.charCodeAt(i + 2)) &&
      line.charCodeAt(i + 3) === 0x2f
    ) {
      lb = i;
      break;
    }
  }
  if (lb === -1) return reject('no_timestamp', format);
  const rb = line.indexOf(']', lb + 1);
  if (rb === -1) return reject('no_timestamp', format);
  const tsMs = parseTimeLocal(line, lb + 1, rb);
  if (Number.isNaN(tsMs))
    return { ok: false, error: ParseBadTimestamp(line.slice(lb + 1, Math.min(rb, lb + 40))) };

  // ---- address list, ident, remote user: everything before ` [` -----------------------------------
  const headEnd = lb - 1; // index of the space before '['
  // The ident field is `-` in every real log; find ` - ` (the first one: addresses never contain it).
  let identAt = line.indexOf(' - ');
  let addrEnd: number;
  let userStart: number;
  if (identAt !== -1 && identAt < headEnd) {
    addrEnd = identAt;
    userStart = identAt + 3;
  } else {
    // Non-dash ident: `addr ident user`.
    const userSp = line.lastIndexOf(' ', headEnd - 1);
    identAt = userSp > 0 ? line.lastIndexOf(' ', userSp - 1) : -1;
    if (userSp <= 0 || identAt <= 0) return reject('no_client_address', format);
    addrEnd = identAt;
    userStart = userSp + 1;
  }
  let remoteUser: string | null = null;
  if (userStart < headEnd) {
    // (`1.2.3.4 - [`, with the user missing, leaves userStart past headEnd: no user.)
    const u = line.slice(userStart, headEnd);
    if (u !== '-') remoteUser = u;
  }

  let clientIp = '';
  let forwardedFor: readonly string[] = EMPTY;
  // Fast path: a single address (no comma, space or quote).
  let simple = addrEnd > 0;
  for (let i = 0; i < addrEnd; i++) {
    const c = line.charCodeAt(i);
    if (c === SP || c === COMMA || c === QUOTE || c === TAB) {
      simple = false;
      break;
    }
  }
  if (simple) {
    clientIp = line.slice(0, addrEnd);
  } else {
    const tokens = splitAddressList(line, addrEnd);
    const last = tokens.pop();
    if (last === undefined) return reject('no_client_address', format);
    clientIp = last;
    const fwd = tokens.filter(looksLikeIp);
    if (fwd.length > 0) forwardedFor = fwd;
  }
  if (clientIp === '') return reject('no_client_address', format);

  // ---- "$request" -----------------------------------------------------------------------------
  let p = rb + 1;
  if (line.charCodeAt(p) !== SP || line.charCodeAt(p + 1) !== QUOTE) return reject('no_request', format);
  const reqStart = p + 2;
  // The closing quote is the first unescaped `"` followed by ` <status>`. Native indexOf finds
  // the candidates; only a backslash before the candidate needs the character loop (escapes).
  let reqEnd = -1;
  let reqEscaped = false;
  let reqSlow = false;
  // The first backslash of the line, searched once: real lines rarely have one, and then no
  // quoted field below needs its own search to the end of the line (firstBackslash).
  const bs0 = line.indexOf('\\');
  const reqBs = firstBackslash(line, bs0, reqStart);
  for (let q = line.indexOf('"', reqStart); q !== -1; q = line.indexOf('"', q + 1)) {
    if (reqBs !== -1 && reqBs < q) {
      reqSlow = true;
      break;
    }
    if (line.charCodeAt(q + 1) === SP) {
      const n = line.charCodeAt(q + 2);
      if (isDigit(n) || n === DASH) {
        reqEnd = q;
        break;
      }
    }
  }
  if (reqSlow) {
    for (let i = reqStart; i < end; i++) {
      const c = line.charCodeAt(i);
      if (c === BSLASH) {
        reqEscaped = true;
        i++;
        continue;
      }
      if (c === QUOTE && line.charCodeAt(i + 1) === SP) {
        const n = line.charCodeAt(i + 2);
        if (isDigit(n) || n === DASH) {
          reqEnd = i;
          break;
        }
      }
    }
  }
  if (reqEnd === -1) return reject('unterminated_request', format);
  const request = reqEscaped ? unescapeQuoted(line, reqStart, reqEnd) : line.slice(reqStart, reqEnd);

  let method: string | null = null;
  let target: string | null = null;
  let protocol: string | null = null;
  // The parts are cut from the line itself, src[r0, r1), unless the request needed unescaping:
  // the line is a flat string, `request` a view of it, and characters read through a view cost more.
  // (Past r1 the line has the closing quote, which no check below accepts: the same results.)
  const src = reqEscaped ? request : line;
  const r0 = reqEscaped ? 0 : reqStart;
  const r1 = reqEscaped ? request.length : reqEnd;
  let sp1 = src.indexOf(' ', r0);
  if (sp1 >= r1) sp1 = -1;
  if (sp1 > r0 && sp1 - r0 <= 32 && isMethodToken(src, sp1, r0)) {
    // The last space, by hand: lastIndexOf and startsWith are runtime calls,
    // and the protocol is a few characters from the end.
    let sp2 = r1 - 1;
    while (sp2 > sp1 && src.charCodeAt(sp2) !== SP) sp2--;
    if (sp2 > sp1 && isHttpSlash(src, sp2 + 1)) {
      target = src.slice(sp1 + 1, sp2);
      protocol = src.slice(sp2 + 1, r1);
    } else {
      target = src.slice(sp1 + 1, r1);
    }
    if (target.length === 0) target = null;
    else method = methodOf(src, sp1, r0);
    if (method === null) protocol = null;
  }

  // ---- $status $body_bytes_sent ---------------------------------------------------------------------
  p = reqEnd + 2;
  let status: number | null = null;
  if (line.charCodeAt(p) === DASH) {
    p++;
  } else {
    let v = 0;
    const s0 = p;
    while (p < end && isDigit(line.charCodeAt(p))) v = v * 10 + (line.charCodeAt(p++) - D0);
    if (p === s0 || p - s0 > 3) return reject('no_status', format);
    status = v;
  }
  if (line.charCodeAt(p) !== SP) return reject('no_bytes', format);
  p++;
  let bytes = 0;
  if (line.charCodeAt(p) === DASH) {
    p++;
  } else {
    const b0 = p;
    while (p < end && isDigit(line.charCodeAt(p))) bytes = bytes * 10 + (line.charCodeAt(p++) - D0);
    if (p === b0 || p - b0 > 15) return reject('no_bytes', format);
  }
  if (p < end && line.charCodeAt(p) !== SP) return reject('no_bytes', format);

  // ---- "$http_referer" "$http_user_agent" [extra...] ------------------------------------------------
  let referer: string | null = null;
  let userAgent: string | null = null;
  let extra: readonly string[] = EMPTY;
  let field = 0;
  let extraList: string[] | undefined;
  while (p < end) {
    // skip blanks
    let c = line.charCodeAt(p);
    while (p < end && (c === SP || c === TAB)) c = line.charCodeAt(++p);
    if (p >= end) break;
    let value: string;
    if (c === QUOTE) {
      const s = p + 1;
      let q = -1;
      let escaped = false;
      // As for the request: indexOf, and the character loop only when a backslash comes first
      // (or when there is no closing quote and a backslash: the value is unescaped then too).
      const bs = firstBackslash(line, bs0, s);
      let slow = false;
      for (let k = line.indexOf('"', s); k !== -1; k = line.indexOf('"', k + 1)) {
        if (bs !== -1 && bs < k) {
          slow = true;
          break;
        }
        const n = k + 1 < end ? line.charCodeAt(k + 1) : SP;
        if (n === SP || n === TAB) {
          q = k;
          break;
        }
      }
      if (q === -1 && bs !== -1) slow = true;
      if (slow) {
        for (let i = s; i < end; i++) {
          const ch = line.charCodeAt(i);
          if (ch === BSLASH) {
            escaped = true;
            i++;
            continue;
          }
          if (ch === QUOTE) {
            const n = i + 1 < end ? line.charCodeAt(i + 1) : SP;
            if (n === SP || n === TAB) {
              q = i;
              break;
            }
          }
        }
      }
      // A quoted field cut off at the end of the line (the closing quote lost, seen in real
      // logs on the user agent) keeps what is there.
      if (q === -1) q = end;
      value = escaped ? unescapeQuoted(line, s, q) : line.slice(s, q);
      p = q + 1;
    } else {
      const s = p;
      while (p < end) {
        const ch = line.charCodeAt(p);
        if (ch === SP || ch === TAB) break;
        p++;
      }
      value = line.slice(s, p);
    }
    if (field === 0) referer = value === '-' || value === '' ? null : value;
    else if (field === 1) userAgent = value === '-' || value === '' ? null : value;
    else {
      if (extraList === undefined) extraList = [];
      extraList.push(value);
    }
    field++;
  }
  if (extraList !== undefined) extra = extraList;

  return {
    ok: true,
    value: {
      clientIp,
      forwardedFor,
      remoteUser,
      tsMs,
      request,
      method,
      target,
      protocol,
      status,
      bytes,
      referer,
      userAgent,
      extra,
    },
  };
}

// The usual methods, as shared constants (see methodOf).
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/**
 * The method token s[start, sp1): one of METHODS when it is one (compared by hand: no new string per
 * line, and a flat one, which the string tables and maps downstream hash once and compare fast),
 * else the slice.
 */
export function methodOf(s: string, sp1: number, start = 0): string {
  const n = sp1 - start;
  for (let j = 0; j < METHODS.length; j++) {
    const m = METHODS[j] as string;
    if (m.length !== n) continue;
    let i = 0;
    while (i < n && s.charCodeAt(start + i) === m.charCodeAt(i)) i++;
    if (i === n) return m;
  }
  return s.slice(start, sp1);
}

/**
 * The target of a request line whose method token ends at sp1 (`METHOD target [HTTP/x]`), or
 * null when it is empty. The last space is found by hand: lastIndexOf and startsWith are runtime
 * calls on a sliced string, and the protocol is a few characters from the end.
 */
export function targetAfter(request: string, sp1: number): string | null {
  let sp2 = request.length - 1;
  while (sp2 > sp1 && request.charCodeAt(sp2) !== SP) sp2--;
  const t = sp2 > sp1 && isHttpSlash(request, sp2 + 1) ? request.slice(sp1 + 1, sp2) : request.slice(sp1 + 1);
  return t.length === 0 ? null : t;
}

/** line.indexOf('\\', from), given bs0 = line.indexOf('\\'). */
function firstBackslash(line: string, bs0: number, from: number): number {
  return bs0 === -1 || bs0 >= from ? bs0 : line.indexOf('\\', from);
}

/** `HTTP/` at s[i..]. */
function isHttpSlash(s: string, i: number): boolean {
  return (
    s.charCodeAt(i) === 0x48 &&
    s.charCodeAt(i + 1) === 0x54 &&
    s.charCodeAt(i + 2) === 0x54 &&
    s.charCodeAt(i + 3) === 0x50 &&
    s.charCodeAt(i + 4) === 0x2f
  );
}

/** Method token s[start, end): RFC 9110 tchar, restricted to letters, digits, `-` and `_` (enough for real methods). */
export function isMethodToken(s: string, end: number, start = 0): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= D0 && c <= D9) ||
      c === DASH ||
      c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Value between from (inclusive) and to (exclusive) with `\"` → `"` and `\\` → `\`; other escapes kept. */
export function unescapeQuoted(s: string, from: number, to: number): string {
  let out = '';
  let last = from;
  for (let i = from; i < to; i++) {
    if (s.charCodeAt(i) !== BSLASH || i + 1 >= to) continue;
    const n = s.charCodeAt(i + 1);
    if (n === QUOTE || n === BSLASH) {
      out += s.slice(last, i);
      last = i + 1; // keep the escaped char
      i++;
    } else {
      i++; // `\xHH` and friends: kept as written
    }
  }
  return last === from ? s.slice(from, to) : out + s.slice(last, to);
}

/** Splits `a, b c "d, e"` (commas, blanks and quotes are separators) into tokens. */
function splitAddressList(s: string, end: number): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : SP;
    if (c === SP || c === COMMA || c === QUOTE || c === TAB) {
      if (start !== -1) {
        out.push(s.slice(start, i));
        start = -1;
      }
    } else if (start === -1) {
      start = i;
    }
  }
  return out;
}

// ---- $time_local ----------------------------------------------------------------------------------

function monthIndex(s: string, i: number): number {
  // Case-insensitive three-letter English month; returns 1..12 or -1.
  const k =
    ((s.charCodeAt(i) | 0x20) << 16) | ((s.charCodeAt(i + 1) | 0x20) << 8) | (s.charCodeAt(i + 2) | 0x20);
  switch (k) {
    case 0x6a616e:
      return 1; // jan
    case 0x666562:
      return 2; // feb
    case 0x6d6172:
      return 3; // mar
    case 0x617072:
      return 4; // apr
    case 0x6d6179:
      return 5; // may
    case 0x6a756e:
      return 6; // jun
    case 0x6a756c:
      return 7; // jul
    case 0x617567:
      return 8; // aug
    case 0x736570:
      return 9; // sep
    case 0x6f6374:
      return 10; // oct
    case 0x6e6f76:
      return 11; // nov
    case 0x646563:
      return 12; // dec
    default:
      return -1;
  }
}

/**
 * `dd/Mon/yyyy:HH:MM:SS[.fff] ±hhmm` between from (inclusive) and to (exclusive) → epoch ms,
 * or NaN when it is not a valid time.
 */
export function parseTimeLocal(s: string, from: number, to: number): number {
  const len = to - from;
  if (len < 26) return Number.NaN;
  const i = from;
  const day = d2(s, i);
  const month = monthIndex(s, i + 3);
  const y1 = d2(s, i + 7);
  const y2 = d2(s, i + 9);
  const hh = d2(s, i + 12);
  const mm = d2(s, i + 15);
  const ss = d2(s, i + 18);
  if (
    s.charCodeAt(i + 2) !== 0x2f ||
    s.charCodeAt(i + 6) !== 0x2f ||
    s.charCodeAt(i + 11) !== 0x3a ||
    s.charCodeAt(i + 14) !== 0x3a ||
    s.charCodeAt(i + 17) !== 0x3a ||
    day < 1 ||
    month < 0 ||
    y1 < 0 ||
    y2 < 0 ||
    hh < 0 ||
    hh > 23 ||
    mm < 0 ||
    mm > 59 ||
    ss < 0 ||
    ss > 60
  ) {
    return Number.NaN;
  }
  const year = y1 * 100 + y2;
  const dim = DAYS_IN_MONTH[month] ?? 0;
  if (day > dim) return Number.NaN;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)))
    return Number.NaN;
  let j = i + 20;
  let ms = 0;
  if (s.charCodeAt(j) === 0x2e) {
    // fractional seconds: keep milliseconds
    j++;
    let scale = 100;
    const f0 = j;
    while (j < to && isDigit(s.charCodeAt(j))) {
      ms += (s.charCodeAt(j) - D0) * scale;
      scale /= 10;
      j++;
    }
    if (j === f0 || j - f0 > 9) return Number.NaN;
    ms = Math.floor(ms);
  }
  if (s.charCodeAt(j) !== SP || to - j !== 6) return Number.NaN;
  const sign = s.charCodeAt(j + 1);
  const zh = d2(s, j + 2);
  const zm = d2(s, j + 4);
  if ((sign !== 0x2b && sign !== DASH) || zh < 0 || zh > 23 || zm < 0 || zm > 59) return Number.NaN;
  const offsetMin = (sign === DASH ? -1 : 1) * (zh * 60 + zm);
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hh) * 60 + mm) * 60000 + ss * 1000 + ms - offsetMin * 60000;
}

/**
 * Sniff shared by nginx and apache: the fraction of non-blank lines parseNginxCombined accepts,
 * weighted by shape. nginx: combined 0.9, `common` (no referer/agent: an Apache default) 0.6;
 * apache: both 0.85. So combined logs go to nginx, common logs to apache, both high.
 */
export function sniffCombined(lines: readonly string[], who: 'nginx' | 'apache'): number {
  let n = 0;
  let score = 0;
  for (const line of lines) {
    if (isBlank(line)) continue;
    n++;
    const r = parseNginxCombined(line, who);
    if (!r.ok) continue;
    const combined = r.value.extra.length > 0 || line.trimEnd().endsWith('"');
    score += who === 'apache' ? 0.85 : combined ? 0.9 : 0.6;
  }
  return n === 0 ? 0 : score / n;
}
