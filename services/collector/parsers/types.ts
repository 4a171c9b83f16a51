// The contract between log-format parsers and normalisation.
//
// A parser turns physical lines into AccessRecords: what the log says, raw (PHI not yet redacted,
// SQL not yet summarised). normalize/to-access-event.ts is the only place an AccessRecord becomes
// an AccessEvent: it redacts, builds the route template, hashes session tokens, picks the
// principal. Parsers never redact and never hash; they never throw on bad input either.
//
// Multi-line formats (MySQL slow log, PostgreSQL stderr continuation lines, a CloudTrail
// `{"Records":[...]}` file on one line holding many events) are why a parser is a small state
// machine fed line by line rather than a function of one line.

import type { LeakwatchError } from '#shared/errors.js';

export type SourceKind = 'web' | 'db' | 'api' | 'storage';

/** One physical line as read: its byte offset in the (decompressed) source, without the newline. */
export interface InputLine {
  offset: number;
  text: string;
  /**
   * Set when the line was longer than the reader's limit (maxLineBytes): text holds only its first
   * `limit` bytes, and the pipeline rejects it (LW_ERR_PARSE_LINE_TOO_LONG) without parsing it.
   */
  tooLong?: { bytes: number; limit: number };
}

/** What one log record says about one access, unredacted. Fields the log does not carry are null / empty. */
export interface AccessRecord {
  /** Event time, epoch ms UTC. */
  tsMs: number;
  sourceKind: SourceKind;
  /** The peer address the server logged (IPv4, IPv6 or host name as written). */
  clientIp: string | null;
  /** X-Forwarded-For addresses, left to right, when the log carries them. */
  forwardedFor: readonly string[];
  /** Authenticated user as logged: HTTP remote user, API user, IAM principal ARN, audit-log user. */
  user: string | null;
  /** Database account (`user@host` split: the user part). */
  dbUser: string | null;
  userAgent: string | null;
  referer: string | null;
  /** HTTP method, or the API action (`GetObject`, `REST.GET.OBJECT`). */
  method: string | null;
  /** Raw request target, path + query as sent (`/wp-json/wc/v3/orders/12?x=1`); for object stores `/bucket/key`. */
  target: string | null;
  /** Raw SQL statement (database logs); summarised and literal-redacted by normalisation. */
  sql: string | null;
  /** Operation when the log states it (`SELECT`, `CONNECT`, pgaudit command); else derived from `sql`. */
  dbOperation: string | null;
  /** Tables/objects when the log states them (pgaudit OBJECT, server_audit TABLE); else derived from `sql`. */
  tables: readonly string[];
  /** HTTP status; for databases and APIs without one, null (put error codes in attrs). */
  status: number | null;
  bytesOut: number;
  rowsOut: number | null;
  durationMs: number | null;
  /** Request headers the log carries, lowercase names (`x-forwarded-for`, `x-api-key`), raw values. */
  headers: Readonly<Record<string, string>>;
  /** Cookies the log carries (nginx `$cookie_NAME`), raw values. */
  cookies: Readonly<Record<string, string>>;
  /** Connection / session identifier as logged (DB thread or connection id, pid, session id), raw. */
  sessionId: string | null;
  /** API key or access key id as logged, raw (normalisation keeps ids, hashes secrets). */
  apiKey: string | null;
  /** When the log says whether the request was authenticated; null = let normalisation decide. */
  authenticated: boolean | null;
  /** Small non-PHI extras (host, request_id, database, error code, bucket...). Normalisation may still redact them. */
  attrs: Record<string, string>;
}

/** Why a record could not be used, at which position, and its raw text (scrubbed before it is dead-lettered). */
export interface Rejected {
  ok: false;
  error: LeakwatchError;
  /** Byte offset of the record's first line, or `offset:index` for the index-th event on one line. */
  position: string;
  text: string;
}

export interface Parsed {
  ok: true;
  record: AccessRecord;
  /** As in Rejected: unique and stable per record in its source (part of the event_id). */
  position: string;
}

/** A record the format defines that carries no data access (a server banner, a checkpoint, a log rotation notice). */
export interface Skipped {
  ok: 'skip';
  /** Short stable kind for the summary (`banner`, `checkpoint`, `autovacuum`). */
  kind: string;
  position: string;
  /** Physical lines the skipped record spans. */
  lines: number;
}

export type RecordResult = Parsed | Rejected | Skipped;

export interface RecordParser {
  /** Feed one physical line; returns the records it completed (none, one, or many). */
  push(line: InputLine): RecordResult[];
  /** End of input: the record still pending (multi-line formats), if any. */
  end(): RecordResult[];
}

export interface LogFormat<O = Record<string, unknown>> {
  /** Its key in formats/registry.ts (`--format`, `collector.format`). */
  id: string;
  /** One line for `--help` and the README. */
  description: string;
  /** Validates options (log_format string, field map, prefix, zone...) and throws a LeakwatchError listing every problem. */
  create(options?: Partial<O>): RecordParser;
  /**
   * How sure (0..1) the format is that these first lines (up to 20, possibly fewer) are its own.
   * `auto` picks the highest; 0 means "certainly not".
   */
  sniff(lines: readonly string[]): number;
}

/** An AccessRecord with every field at its empty value; parsers spread over it. */
export function emptyRecord(tsMs: number, sourceKind: SourceKind): AccessRecord {
  return {
    tsMs,
    sourceKind,
    clientIp: null,
    forwardedFor: [],
    user: null,
    dbUser: null,
    userAgent: null,
    referer: null,
    method: null,
    target: null,
    sql: null,
    dbOperation: null,
    tables: [],
    status: null,
    bytesOut: 0,
    rowsOut: null,
    durationMs: null,
    headers: {},
    cookies: {},
    sessionId: null,
    apiKey: null,
    authenticated: null,
    attrs: {},
  };
}

/** True for an empty line or one of blanks / CR only. */
export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

/** A sniff score: the share of the non-blank lines that `looksLikeOurs` accepts (0 without any). */
export function shareOfLines(lines: readonly string[], looksLikeOurs: (line: string) => boolean): number {
  let seen = 0;
  let hits = 0;
  for (const l of lines) {
    if (isBlank(l)) continue;
    seen++;
    if (looksLikeOurs(l)) hits++;
  }
  return seen === 0 ? 0 : hits / seen;
}
