// Parser for PostgreSQL server logs, in every shape they reach us:
//
// 1. stderr with a log_line_prefix (`2020-03-11 20:40:43 CET:192.168.1.201(50906):gilles@pgbench:
//    [12795]:LOG:  duration: 0.860 ms  statement: SELECT ...`). The prefix is an option; without
//    it the common ones are tried line by line (PG default `%m [%p] `, Debian `%m [%p] %q%u@%d `,
//    RDS `%t:%r:%u@%d:[%p]:`, pgBadger's, Cloud SQL's... see COMMON_PREFIXES) and the last that
//    matched is tried first. A message continues on lines starting with a tab (PostgreSQL inserts
//    one after every newline of a message); lines without a prefix are appended to the current
//    record too. DETAIL / HINT / CONTEXT / QUERY / STATEMENT / LOCATION lines with the prefix and
//    the same pid belong to the message before them (STATEMENT → the error's sql, DETAIL
//    `parameters:` → attrs.parameters). A bare `duration: N ms` (log_duration) is attached to the
//    statement just before it when the pid matches, else Skipped `duration`.
// 2. The same through syslog: `Feb 11 13:15:39 host postgres[10819]: [7-1] <prefix> LOG:  ...`,
//    `[7-2] #011...` for the next line of message 7 (rsyslog writes a tab as `#011`), `[7-2]`
//    without `#011` for the rest of a line PostgreSQL split at 900 bytes (joined without a
//    newline). Other programs' lines (`systemd[1]: ...`) are Skipped `syslog_other`. Time: the
//    prefix's %t/%m when it has one (it has the year and zone); else the syslog stamp, in the
//    `timezone` option (default UTC) and the `year` option. Without `year`, the current year,
//    or the previous one when that would put the line more than a week in the future (what
//    rsyslog and Logstash do); a month going backwards by more than six (Dec → Jan) moves to the
//    next year.
// 3. csvlog: one record per CSV row, quoted fields spanning lines (PG 9.0-13: 23 fields, 14+: 26).
// 4. jsonlog (PG 15+): `{"timestamp":"2022-...","user":..,"dbname":..,"pid":..,"error_severity":..,
//    "message":..}`, one object per line.
// 5. Envelopes, one JSON object per line: GCP Cloud SQL LogEntry (`textPayload` is a stderr line
//    whose prefix has no time: the entry's `timestamp` is used; a message's later lines are
//    entries of their own whose payload starts with a tab) and CloudNativePG (`logger:
//    "postgres"`, `record`: csvlog fields by name; `msg` a stderr line before the collector
//    starts; other loggers are the operator / instance manager → Skipped `operator`).
//
// The variant is told per line from its content (`{` → JSON envelope, else stderr / syslog),
// except csvlog, chosen when the first non-blank line is a csvlog row (a time then `,`).
// What each message means (statement, pgAudit, connection, error...) is message.ts.
//
// Never throws on input. Records are capped at MAX_RECORD characters: a longer one is Rejected
// `record_too_long` and its remaining lines are dropped until the next record starts, so memory
// stays bounded. `connection received: host=h` lines are Skipped, but their host is remembered
// for the pid (bounded map) and given to that session's later records when the prefix has no
// %h/%r (Cloud SQL, CloudNativePG records carry it anyway).

import { ConfigInvalid } from '#shared/errors.js';
import type { InputLine, LogFormat, RecordParser, RecordResult } from '../types.js';
import { CSVLOG_MIN_FIELDS, CsvRecordReader } from './csv.js';
import { clean, interpret, isBareDuration, malformed, newEvent, type PgEvent } from './message.js';
import {
  COMMON_PREFIXES,
  compilePrefix,
  emptyFields,
  matchSeverity,
  type PrefixFields,
  type PrefixMatcher,
  type SeverityMatch,
} from './prefix.js';
import {
  parseEpochSeconds,
  parseIsoStamp,
  parsePgStamp,
  parseSyslogStamp,
  resolveZone,
  stampLength,
  syslogMonth,
  type ZoneResolver,
} from './time.js';

export interface PostgresOptions {
  /** log_line_prefix of stderr / syslog lines; default: detect among COMMON_PREFIXES. */
  logLinePrefix: string;
  /**
   * Zone for times that carry none (syslog stamps) or an ambiguous abbreviation (`CST`, `IST`):
   * an IANA name (`Europe/Paris`), an abbreviation (`CET`) or an offset (`+01:00`). Default UTC.
   */
  timezone: string;
  /** Year of the first syslog stamp (syslog stamps have none). */
  year: number;
}

/** Largest record kept, in characters (about 1 MB of ASCII). */
export const MAX_RECORD = 1 << 20;

const MAX_REMEMBERED_HOSTS = 10000;

const SECONDARY = new Set(['DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'LOCATION', 'STATEMENT']);

/** A result with the physical lines its record spans (the public push() drops the count). */
export interface CountedResult {
  result: RecordResult;
  lines: number;
}

interface Pending {
  ev: PgEvent;
  position: string;
  lines: number;
  size: number;
  /** Where continuation lines go. */
  target: 'message' | 'query' | 'detail' | 'none';
  tooLong: boolean;
  /** Lines of this record may follow (stderr / syslog / Cloud SQL); false for csv/json records. */
  continuable: boolean;
  syslogPid: string | null;
}

interface SyslogHeader {
  tsMs: number;
  tsText: string;
  pid: string;
  /** `[n-m]` sequence numbers, or -1 when absent. */
  seqLine: number;
  seqPart: number;
  contentStart: number;
}

export class PostgresParser implements RecordParser {
  private readonly matchers: PrefixMatcher[];
  private readonly explicitPrefix: boolean;
  private readonly zone: ZoneResolver | null;
  private readonly fixedYear: number | null;
  private locked = 0;
  private mode: 'unknown' | 'lines' | 'csv' = 'unknown';
  private pending: Pending | null = null;
  private readonly csv = new CsvRecordReader();
  private csvStart = '';
  private csvLines = 0;
  private csvResync = false;
  private readonly hosts = new Map<string, string>();
  private readonly fields: PrefixFields = emptyFields();
  private syslogYear: number | null = null;
  private syslogLastMonth = 0;

  constructor(
    matchers: PrefixMatcher[],
    explicitPrefix: boolean,
    zone: ZoneResolver | null,
    year: number | null,
  ) {
    this.matchers = matchers;
    this.explicitPrefix = explicitPrefix;
    this.zone = zone;
    this.fixedYear = year;
  }

  push(line: InputLine): RecordResult[] {
    return this.pushCounted(line).map((c) => c.result);
  }

  end(): RecordResult[] {
    return this.endCounted().map((c) => c.result);
  }

  /** As end(), with line counts. */
  endCounted(): CountedResult[] {
    const out: CountedResult[] = [];
    this.flush(out);
    if (this.csvResync) {
      this.csvResync = false;
      this.emitReject(out, this.csvStart, this.csvLines, 'record_too_long');
    } else if (this.csv.open) {
      // A quoted field never closed: the last record is cut off.
      this.csv.reset();
      this.emitReject(out, this.csvStart, this.csvLines, 'csv_unterminated');
    }
    return out;
  }

  /** As push(), with the physical lines each result spans. */
  pushCounted(line: InputLine): CountedResult[] {
    const out: CountedResult[] = [];
    let text = line.text;
    if (text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1);
    const position = String(line.offset);
    if (this.mode === 'unknown') {
      if (text.trim() === '') {
        out.push({ result: { ok: 'skip', kind: 'blank', position, lines: 1 }, lines: 1 });
        return out;
      }
      this.mode = this.looksLikeCsv(text) ? 'csv' : 'lines';
    }
    if (this.mode === 'csv') {
      this.csvLine(text, position, out);
      return out;
    }
    if (text.length > MAX_RECORD) {
      this.flush(out);
      this.emitReject(out, position, 1, 'record_too_long');
      return out;
    }
    if (text.charCodeAt(0) === 0x7b) this.jsonLine(text, position, out);
    else this.stderrLine(text, position, Number.NaN, '', out);
    return out;
  }

  // ---- csvlog ----------------------------------------------------------------------------------

  private looksLikeCsv(text: string): boolean {
    const n = stampLength(text, 0, 'optional');
    if (n < 0 || text.charCodeAt(n) !== 0x2c) return false;
    if (this.explicitPrefix && this.matchPrefix(text) !== null) return false;
    return true;
  }

  private csvLine(text: string, position: string, out: CountedResult[]): void {
    if (!this.csv.open) {
      if (this.csvResync) {
        const n = stampLength(text, 0, 'optional');
        if (n < 0 || text.charCodeAt(n) !== 0x2c) {
          // Still inside the too-long record: dropped, counted with it.
          this.csvLines++;
          return;
        }
        this.csvResync = false;
        this.emitReject(out, this.csvStart, this.csvLines, 'record_too_long');
      }
      if (text === '') {
        this.flush(out);
        out.push({ result: { ok: 'skip', kind: 'blank', position, lines: 1 }, lines: 1 });
        return;
      }
      this.csvStart = position;
      this.csvLines = 0;
    }
    this.csvLines++;
    const fields = this.csv.push(text);
    if (fields === null) {
      if (this.csv.size > MAX_RECORD) {
        // Reported when the next record starts (or at the end), with every line it spans.
        this.csv.reset();
        this.csvResync = true;
        this.flush(out);
      }
      return;
    }
    if (fields.length < CSVLOG_MIN_FIELDS) {
      this.flush(out);
      this.emitReject(out, this.csvStart, this.csvLines, 'csv_too_few_fields');
      return;
    }
    const f = (i: number): string | null => {
      const v = fields[i];
      return v === undefined || v === '' ? null : v;
    };
    const ev = newEvent();
    const ts = fields[0] ?? '';
    ev.tsText = ts;
    ev.tsMs = parsePgStamp(ts, this.zone);
    ev.user = f(1);
    ev.database = f(2);
    ev.pid = f(3);
    ev.host = stripCsvPort(f(4));
    ev.sessionId = f(5);
    ev.commandTag = f(7);
    ev.severity = fields[11] ?? 'LOG';
    ev.sqlState = f(12);
    ev.message = fields[13] ?? '';
    ev.detail = f(14);
    ev.query = f(19);
    ev.app = f(22);
    this.event(ev, this.csvStart, this.csvLines, out, false);
  }

  // ---- JSON envelopes and jsonlog -----------------------------------------------------------------

  private jsonLine(text: string, position: string, out: CountedResult[]): void {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      if (this.pending?.continuable) {
        this.appendContinuation(text, true);
        return;
      }
      this.flush(out);
      this.emitReject(out, position, 1, 'bad_json');
      return;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      this.flush(out);
      this.emitReject(out, position, 1, 'bad_json');
      return;
    }
    const j = o as Record<string, unknown>;
    // Cloud SQL (and any GCP LogEntry around a stderr line).
    if (typeof j['textPayload'] === 'string') {
      const ts = str(j['timestamp']) ?? '';
      this.stderrLine(j['textPayload'], position, parseIsoStamp(ts), ts, out);
      return;
    }
    // CloudNativePG.
    const rec = j['record'];
    if (typeof rec === 'object' && rec !== null && !Array.isArray(rec)) {
      if (j['logger'] !== 'postgres') {
        this.flush(out);
        out.push({ result: { ok: 'skip', kind: 'operator', position, lines: 1 }, lines: 1 });
        return;
      }
      const r = rec as Record<string, unknown>;
      const ev = newEvent();
      ev.tsText = str(r['log_time']) ?? '';
      ev.tsMs = parsePgStamp(ev.tsText, this.zone);
      ev.user = str(r['user_name']);
      ev.database = str(r['database_name']);
      ev.pid = str(r['process_id']);
      ev.host = stripCsvPort(str(r['connection_from']));
      ev.sessionId = str(r['session_id']);
      ev.commandTag = str(r['command_tag']);
      ev.severity = str(r['error_severity']) ?? 'LOG';
      ev.sqlState = str(r['sql_state_code']);
      ev.message = str(r['message']) ?? '';
      ev.detail = str(r['detail']);
      ev.query = str(r['query']);
      ev.app = str(r['application_name']);
      this.event(ev, position, 1, out, false);
      return;
    }
    // A zap-style line of the CloudNativePG operator / instance manager (`level`, `ts`, `msg`,
    // with or without a `logger`), or the postgres logger's raw stderr line.
    if (
      typeof j['msg'] === 'string' &&
      j['error_severity'] === undefined &&
      (typeof j['logger'] === 'string' || (typeof j['level'] === 'string' && j['ts'] !== undefined))
    ) {
      if (j['logger'] === 'postgres') {
        const ts = typeof j['ts'] === 'number' ? j['ts'] * 1000 : Number.NaN;
        this.stderrLine(j['msg'], position, Math.floor(ts), String(j['ts'] ?? ''), out);
        return;
      }
      this.flush(out);
      out.push({ result: { ok: 'skip', kind: 'operator', position, lines: 1 }, lines: 1 });
      return;
    }
    // jsonlog (PG 15+).
    if (typeof j['error_severity'] === 'string' && typeof j['message'] === 'string') {
      const ev = newEvent();
      ev.tsText = str(j['timestamp']) ?? '';
      ev.tsMs = parsePgStamp(ev.tsText, this.zone);
      if (Number.isNaN(ev.tsMs)) ev.tsMs = parseIsoStamp(ev.tsText);
      ev.user = str(j['user']);
      ev.database = str(j['dbname']);
      ev.pid = str(j['pid']);
      ev.host = str(j['remote_host']);
      ev.sessionId = str(j['session_id']);
      ev.commandTag = str(j['ps']);
      ev.severity = j['error_severity'];
      ev.sqlState = str(j['state_code']);
      ev.message = j['message'];
      ev.detail = str(j['detail']);
      ev.query = str(j['statement']);
      ev.app = str(j['application_name']);
      this.event(ev, position, 1, out, false);
      return;
    }
    this.flush(out);
    this.emitReject(out, position, 1, 'unknown_json');
  }

  // ---- stderr and syslog ----------------------------------------------------------------------------

  private matchPrefix(text: string): SeverityMatch | null {
    const n = this.matchers.length;
    for (let k = 0; k < n; k++) {
      const idx = (this.locked + k) % n;
      const m = this.matchers[idx] as PrefixMatcher;
      for (const v of m.variants) {
        const end = v(text, this.fields);
        if (end < 0) continue;
        const sev = matchSeverity(text, end);
        if (sev !== null) {
          this.locked = idx;
          return sev;
        }
      }
    }
    return null;
  }

  private stderrLine(
    raw: string,
    position: string,
    envTs: number,
    envTsText: string,
    out: CountedResult[],
  ): void {
    let text = raw;
    const p = this.pending;
    // A continuation line: PostgreSQL puts a tab after every newline of a message.
    if (text.charCodeAt(0) === 0x09) {
      if (p?.continuable) {
        this.appendContinuation(text, true);
        return;
      }
      this.flush(out);
      out.push({ result: { ok: 'skip', kind: 'orphan_continuation', position, lines: 1 }, lines: 1 });
      return;
    }
    const sys = parseSyslogHeader(text);
    let tsMs = envTs;
    let tsText = envTsText;
    if (sys !== null) {
      text = text.slice(sys.contentStart);
      if (text.indexOf('#011') !== -1) text = text.replaceAll('#011', '\t');
      tsText = sys.tsText;
      tsMs = this.syslogTime(sys);
      if (sys.seqPart > 1) {
        if (p === null || !p.continuable || p.syslogPid !== sys.pid) {
          this.flush(out);
          out.push({ result: { ok: 'skip', kind: 'orphan_continuation', position, lines: 1 }, lines: 1 });
          return;
        }
        if (text.charCodeAt(0) === 0x09) {
          this.appendContinuation(text, true);
          return;
        }
        if (this.matchPrefix(text) === null) {
          // The rest of a line PostgreSQL split for syslog: no newline in between.
          this.appendContinuation(text, false);
          return;
        }
      }
    }
    const sev = this.matchPrefix(text);
    if (sev === null) {
      if (sys !== null && sys.seqLine < 0) {
        if (p?.continuable && p.syslogPid === sys.pid) {
          this.appendContinuation(text, true);
          return;
        }
        this.flush(out);
        out.push({ result: { ok: 'skip', kind: 'syslog_other', position, lines: 1 }, lines: 1 });
        return;
      }
      if (text.trim() === '') {
        if (p?.continuable) {
          this.appendContinuation(text, true);
          return;
        }
        this.flush(out);
        out.push({ result: { ok: 'skip', kind: 'blank', position, lines: 1 }, lines: 1 });
        return;
      }
      if (p?.continuable) {
        this.appendContinuation(text, true);
        return;
      }
      this.flush(out);
      this.emitReject(out, position, 1, 'no_prefix');
      return;
    }
    const f = this.fields;
    const pid = f.pid ?? sys?.pid ?? null;
    const message = text.slice(sev.messageStart);
    // Lines that belong to the message before them.
    if (p?.continuable && (pid === null || p.ev.pid === null || pid === p.ev.pid)) {
      if (SECONDARY.has(sev.severity)) {
        p.lines++;
        p.size += message.length;
        if (p.tooLong) return;
        if (sev.severity === 'STATEMENT') {
          p.ev.query = message;
          p.target = 'query';
        } else if (sev.severity === 'DETAIL' && p.ev.detail === null) {
          p.ev.detail = message;
          p.target = 'detail';
        } else {
          p.target = 'none';
        }
        this.checkSize(p);
        return;
      }
    }
    const ev = newEvent();
    if (f.ts !== null) {
      ev.tsText = f.ts;
      ev.tsMs = f.tsKind === 'n' ? parseEpochSeconds(f.ts) : parsePgStamp(f.ts, this.zone);
    } else {
      ev.tsText = tsText;
      ev.tsMs = tsMs;
    }
    ev.severity = sev.severity;
    ev.sqlState = sev.sqlState ?? f.sqlState;
    ev.message = message;
    ev.user = f.user;
    ev.database = f.database;
    ev.pid = pid;
    ev.sessionId = f.sessionId;
    ev.host = f.host;
    ev.app = f.app;
    ev.commandTag = f.commandTag;
    this.event(ev, position, 1, out, true, sys?.pid ?? null);
  }

  private syslogTime(sys: SyslogHeader): number {
    if (!Number.isNaN(sys.tsMs)) return sys.tsMs; // an ISO stamp, year and zone included
    const month = syslogMonth(sys.tsText);
    if (this.syslogYear === null) {
      if (this.fixedYear !== null) this.syslogYear = this.fixedYear;
      else {
        const now = Date.now();
        const y = new Date(now).getUTCFullYear();
        const t = parseSyslogStamp(sys.tsText, y, this.zone ?? utc);
        this.syslogYear = t > now + 7 * 86400000 ? y - 1 : y;
      }
    } else if (month < this.syslogLastMonth - 6) {
      this.syslogYear++;
    }
    this.syslogLastMonth = month;
    return parseSyslogStamp(sys.tsText, this.syslogYear, this.zone ?? utc);
  }

  // ---- records ----------------------------------------------------------------------------------------

  /**
   * A new event: completes the pending one and becomes pending (a later line may add to it:
   * continuation lines when `continuable`, a bare log_duration line from the same pid).
   */
  private event(
    ev: PgEvent,
    position: string,
    lines: number,
    out: CountedResult[],
    continuable: boolean,
    syslogPid: string | null = null,
  ): void {
    const p = this.pending;
    const msg = ev.message;
    if (
      p !== null &&
      !p.tooLong &&
      ev.severity === 'LOG' &&
      p.ev.lateDurationMs === null &&
      p.ev.pid !== null &&
      ev.pid === p.ev.pid &&
      isPlainStatement(p.ev.message)
    ) {
      const ms = isBareDuration(msg);
      if (ms !== null) {
        p.ev.lateDurationMs = ms;
        p.lines += lines;
        p.target = 'none';
        return;
      }
    }
    this.flush(out);
    if (msg.startsWith('connection received: ') && ev.pid !== null) {
      const host = keyAfter(msg, 'host=');
      if (host !== null) {
        if (this.hosts.size >= MAX_REMEMBERED_HOSTS) {
          const first = this.hosts.keys().next();
          if (first.done !== true) this.hosts.delete(first.value);
        }
        this.hosts.set(ev.pid, host);
      }
    } else if (ev.host === null && ev.pid !== null) {
      const h = this.hosts.get(ev.pid);
      if (h !== undefined) ev.host = h;
    }
    if (msg.startsWith('disconnection: ') && ev.pid !== null) this.hosts.delete(ev.pid);
    this.pending = {
      ev,
      position,
      lines,
      size: msg.length,
      target: 'message',
      tooLong: false,
      continuable,
      syslogPid,
    };
    this.checkSize(this.pending);
  }

  private appendContinuation(text: string, newline: boolean): void {
    const p = this.pending as Pending;
    p.lines++;
    p.size += text.length + 1;
    if (p.tooLong) return;
    // PostgreSQL put one tab after each newline of the message: dropped, the text is as sent.
    const add = newline ? `\n${text.charCodeAt(0) === 0x09 ? text.slice(1) : text}` : text;
    if (p.target === 'message') p.ev.message += add;
    else if (p.target === 'query') p.ev.query = (p.ev.query ?? '') + add;
    else if (p.target === 'detail') p.ev.detail = (p.ev.detail ?? '') + add;
    this.checkSize(p);
  }

  private checkSize(p: Pending): void {
    if (p.size > MAX_RECORD && !p.tooLong) {
      p.tooLong = true;
      p.target = 'none';
      p.ev.message = '';
      p.ev.query = null;
      p.ev.detail = null;
    }
  }

  private flush(out: CountedResult[]): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    if (p.tooLong) {
      this.emitReject(out, p.position, p.lines, 'record_too_long');
      return;
    }
    const r = interpret(p.ev);
    if (r.t === 'record')
      out.push({ result: { ok: true, record: r.record, position: p.position }, lines: p.lines });
    else if (r.t === 'skip')
      out.push({
        result: { ok: 'skip', kind: r.kind, position: p.position, lines: p.lines },
        lines: p.lines,
      });
    else
      out.push({
        result: { ok: false, error: r.error, position: p.position, text: previewOf(p.ev) },
        lines: p.lines,
      });
  }

  private emitReject(
    out: CountedResult[],
    position: string,
    lines: number,
    reason: Parameters<typeof malformed>[0],
  ): void {
    out.push({ result: { ok: false, error: malformed(reason), position, text: '' }, lines });
  }
}

const utc: ZoneResolver = () => 0;

/** Raw text of a rejected event, capped (it is scrubbed before it is dead-lettered). */
function previewOf(ev: PgEvent): string {
  const s = `${ev.tsText} ${ev.severity}:  ${ev.message}`;
  return s.length > 4096 ? s.slice(0, 4096) : s;
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** `host=value` in a message → value, or null. */
function keyAfter(s: string, key: string): string | null {
  const at = s.indexOf(key);
  if (at === -1) return null;
  const start = at + key.length;
  let end = s.indexOf(' ', start);
  if (end === -1) end = s.length;
  return end > start ? s.slice(start, end) : null;
}

/** csvlog `connection_from` is `host:port` (or `[local]`): the port goes. */
function stripCsvPort(v: string | null): string | null {
  if (v === null || v === '[local]') return clean(v);
  const c = v.lastIndexOf(':');
  if (c <= 0) return v;
  for (let i = c + 1; i < v.length; i++) {
    const d = v.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return v;
  }
  return c + 1 < v.length ? v.slice(0, c) : v;
}

/** `statement: ...` / `execute x: ...` without a duration: a bare duration line may follow. */
function isPlainStatement(message: string): boolean {
  return message.startsWith('statement: ') || message.startsWith('execute ');
}

/**
 * `Mmm dd HH:MM:SS host ident[pid]: [n-m] ` or `<ISO time> host ident[pid]: ...` at line[0], or
 * null. Bounded scans only.
 */
export function parseSyslogHeader(line: string): SyslogHeader | null {
  let i: number;
  let tsMs = Number.NaN;
  let tsText: string;
  if (syslogMonth(line) > 0) {
    i = 15;
    tsText = line.slice(0, 15);
  } else {
    // RFC 3339 stamp (rsyslog high-precision format).
    const sp = line.indexOf(' ');
    if (sp < 20 || sp > 40 || line.charCodeAt(10) !== 0x54) return null;
    tsText = line.slice(0, sp);
    tsMs = parseIsoStamp(tsText);
    if (Number.isNaN(tsMs)) return null;
    i = sp;
  }
  if (line.charCodeAt(i) !== 0x20) return null;
  // host
  const h = i + 1;
  let j = h;
  while (j < line.length && j - h < 256 && line.charCodeAt(j) !== 0x20) j++;
  if (j === h || line.charCodeAt(j) !== 0x20) return null;
  // ident[pid]:
  const id0 = j + 1;
  let k = id0;
  while (k < line.length && k - id0 < 64) {
    const c = line.charCodeAt(k);
    if (c === 0x5b || c === 0x20 || c === 0x3a) break;
    k++;
  }
  if (k === id0 || line.charCodeAt(k) !== 0x5b) return null;
  const p0 = k + 1;
  let q = p0;
  while (q < line.length && q - p0 < 12 && line.charCodeAt(q) >= 0x30 && line.charCodeAt(q) <= 0x39) q++;
  if (q === p0 || line.charCodeAt(q) !== 0x5d || line.charCodeAt(q + 1) !== 0x3a) return null;
  const pid = line.slice(p0, q);
  let c = q + 2;
  if (line.charCodeAt(c) === 0x20) c++;
  let seqLine = -1;
  let seqPart = -1;
  if (line.charCodeAt(c) === 0x5b) {
    let a = c + 1;
    let n = 0;
    while (a < line.length && a - c < 12 && line.charCodeAt(a) >= 0x30 && line.charCodeAt(a) <= 0x39)
      n = n * 10 + (line.charCodeAt(a++) - 0x30);
    if (a > c + 1 && line.charCodeAt(a) === 0x2d) {
      let b = a + 1;
      let m = 0;
      while (b < line.length && b - a < 12 && line.charCodeAt(b) >= 0x30 && line.charCodeAt(b) <= 0x39)
        m = m * 10 + (line.charCodeAt(b++) - 0x30);
      if (b > a + 1 && line.charCodeAt(b) === 0x5d) {
        seqLine = n;
        seqPart = m;
        c = b + 1;
        if (line.charCodeAt(c) === 0x20) c++;
      }
    }
  }
  return { tsMs, tsText, pid, seqLine, seqPart, contentStart: c };
}

function validate(options: Partial<PostgresOptions> | undefined): {
  matchers: PrefixMatcher[];
  explicit: boolean;
  zone: ZoneResolver | null;
  year: number | null;
} {
  const problems: string[] = [];
  const matchers: PrefixMatcher[] = [];
  const explicit = options?.logLinePrefix !== undefined;
  if (explicit) {
    const p = options?.logLinePrefix;
    if (typeof p !== 'string') problems.push('postgres logLinePrefix must be a string');
    else {
      const m = compilePrefix(p);
      if (typeof m === 'string') problems.push(`postgres ${m}`);
      else matchers.push(m);
    }
  }
  for (const p of COMMON_PREFIXES) {
    if (explicit && p === options?.logLinePrefix) continue;
    const m = compilePrefix(p);
    if (typeof m !== 'string') matchers.push(m);
  }
  let zone: ZoneResolver | null = null;
  if (options?.timezone !== undefined) {
    if (typeof options.timezone !== 'string') problems.push('postgres timezone must be a string');
    else {
      zone = resolveZone(options.timezone);
      if (zone === null)
        problems.push(`postgres timezone ${JSON.stringify(options.timezone)} is not a known zone or offset`);
    }
  }
  let year: number | null = null;
  if (options?.year !== undefined) {
    if (
      typeof options.year !== 'number' ||
      !Number.isInteger(options.year) ||
      options.year < 1970 ||
      options.year > 9999
    )
      problems.push('postgres year must be an integer between 1970 and 9999');
    else year = options.year;
  }
  if (problems.length > 0) throw ConfigInvalid(problems.join('; '), { details: { problems } });
  return { matchers, explicit, zone, year };
}

let defaultMatchers: PrefixMatcher[] | undefined;

/** Confidence that these lines are PostgreSQL logs: the share of non-neutral lines the parser accepts. */
function sniff(lines: readonly string[]): number {
  defaultMatchers ??= validate(undefined).matchers;
  const p = new PostgresParser(defaultMatchers, false, null, 2000);
  const counted: CountedResult[] = [];
  let offset = 0;
  for (const text of lines.slice(0, 20)) {
    counted.push(...p.pushCounted({ offset, text }));
    offset += text.length + 1;
  }
  counted.push(...p.endCounted());
  let good = 0;
  let total = 0;
  for (const { result, lines: n } of counted) {
    if (result.ok === 'skip' && (result.kind === 'blank' || result.kind === 'operator')) continue;
    // The sample may end inside a csvlog record.
    if (result.ok === false && result.error.message.endsWith('csv_unterminated')) continue;
    total += n;
    if (result.ok === true) good += n;
    else if (result.ok === 'skip' && !WEAK_SKIPS.has(result.kind)) good += n;
    else if (result.ok === false && result.error.code === 'LW_ERR_PARSE_BAD_TIMESTAMP') good += n / 2;
  }
  return total === 0 ? 0 : good / total;
}

const WEAK_SKIPS = new Set(['orphan_continuation', 'orphan_detail', 'syslog_other']);

export const postgresFormat: LogFormat<PostgresOptions> = {
  id: 'postgres',
  description:
    'PostgreSQL server log: stderr with log_line_prefix (detected or given), syslog, csvlog, jsonlog, Cloud SQL and CloudNativePG JSON; pgAudit records',
  create(options?: Partial<PostgresOptions>): RecordParser {
    const v = validate(options);
    return new PostgresParser(v.matchers, v.explicit, v.zone, v.year);
  },
  sniff,
};
