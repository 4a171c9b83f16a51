// Pieces shared by the web-server parsers (nginx.ts, apache.ts, json-access.ts):
//
// - time stamps: see web-time.ts;
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
import {
  isMethodToken,
  methodOf,
  type ParsedHttpLine,
  parseTimeLocal,
  targetAfter,
  unescapeQuoted,
} from './combined-line.js';
import { looksLikeIp } from './network.js';
import {
  epochToMs,
  parseBracketedTimeLocal,
  parseDecimal,
  parseIso8601,
  parseStrftime,
  type TimeProgram,
} from './web-time.js';

export const EMPTY_LIST: readonly string[] = Object.freeze([]) as readonly string[];
export const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze({});

const SP = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BSLASH = 0x5c;
const DASH = 0x2d;
const COLON = 0x3a;
const D0 = 0x30;
const D9 = 0x39;

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

// ---- request line, forwarded-for --------------------------------------------------------------------

/** Method of a `METHOD target [HTTP/x]` request line, or null. */
export function requestMethod(request: string): string | null {
  const sp1 = methodEnd(request);
  return sp1 === -1 || targetAfter(request, sp1) === null ? null : methodOf(request, sp1);
}

/** Target of a `METHOD target [HTTP/x]` request line (as in combined-line.ts), or null. */
export function requestTarget(request: string): string | null {
  const sp1 = methodEnd(request);
  return sp1 === -1 ? null : targetAfter(request, sp1);
}

/** End of the method token of a request line (its first space), or -1 when it has none. */
function methodEnd(request: string): number {
  const sp1 = request.indexOf(' ');
  return sp1 <= 0 || sp1 > 32 || !isMethodToken(request, sp1) ? -1 : sp1;
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
      // requestTarget and requestMethod in one split of the line
      const sp1 = methodEnd(req);
      if (sp1 !== -1) {
        const t = targetAfter(req, sp1);
        if (target === null) target = t;
        if (method === null && t !== null) method = methodOf(req, sp1);
      }
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
    // Every field with the same properties in the same order (not a spread of the spec, whose
    // optional members vary): matchLayout and applyField read them on every value of every line,
    // and one hidden class keeps those reads monomorphic.
    fields.push({
      kind: p.spec.kind,
      name: p.spec.name,
      time: p.spec.time,
      sample: p.spec.sample,
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
  // Jump from quote to quote with the native search (a JS loop over every character was most of
  // the parse of a custom nginx format); a quote after an odd run of backslashes is escaped, which
  // is what stepping over each `\` and the character after it from `from` decides.
  for (let i = line.indexOf('"', from); i !== -1 && i < end; i = line.indexOf('"', i + 1)) {
    let slashes = 0;
    while (i - slashes > from && line.charCodeAt(i - slashes - 1) === BSLASH) slashes++;
    if (slashes % 2 === 1) continue;
    if (i + alen > end || !line.startsWith(after, i)) continue;
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
    if (f.kind === F.TIME_LOCAL && !f.quoted && vEnd - pos > 1 && Number.isNaN(d.tsMs)) {
      // applyField's TIME_LOCAL case, read from the line (flat) instead of from a slice of it
      // (characters read through a slice cost more); `-` and '' (absent) still go to applyField.
      const t = parseTimeLocal(line, pos, vEnd);
      if (Number.isNaN(t)) return ParseBadTimestamp(line.slice(pos, Math.min(vEnd, pos + 40)));
      d.tsMs = t;
    } else {
      if (f.quoted) {
        value = line.slice(pos, vEnd);
        if (value.indexOf('\\') !== -1) value = unescapeQuoted(value, 0, value.length);
      } else {
        value = line.slice(pos, vEnd);
      }
      const r = applyField(d, f, value);
      if (r !== null) return typeof r === 'string' ? ParseMalformedLine(format, r) : r;
    }
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
