// MySQL / MariaDB general query log: one record per command the server received.
//
//   051007 21:55:24	     42 Connect     root@localhost on db1          (<= 5.6: YYMMDD, local time)
//   		         42 Query       SELECT foo                       (same second: no time written)
//                            FROM tbl                                (continuation of the statement)
//   2016-06-07T19:07:02.558338Z    3 Query	SELECT 1                  (>= 5.7: ISO, `Z` or `+08:00`)
//
// What real logs contain, and what this parser does with it:
// - A command line is [time] blanks, thread id, blanks, a command name the server defines
//   (Connect, Query, Init DB, Quit, Prepare, Execute, Field List...), then the argument. Any
//   other line continues the previous record's argument (a multi-line statement); a
//   continuation before any command line (a file cut mid-statement) is rejected `orphan_line`.
// - Lines without a time take the last time seen (the server writes it only when the second
//   changes). Time stamps without a zone (<= 5.6) are in the `timezone` option's zone.
//   A log with no time stamp at all before a record (genlog004, which is only undated lines):
//   nothing says when it happened, so the record is rejected `no_timestamp` unless the
//   `undatedTimeMs` option supplies a time (the file's mtime, say). Inventing one silently
//   would put the events on a wrong day, and the event time drives every detection window.
// - Connect `user@host on db [using TCP/IP]` → dbOperation CONNECT, dbUser, clientIp,
//   attrs.database, attrs.connection_type, authenticated true; `Access denied for user
//   'u'@'h' (using password: YES)` → CONNECT with authenticated false and
//   attrs.error = access_denied. Old `user@host as anonymous on db` is read too.
// - The thread's user, host and database (from Connect and Init DB) are remembered per thread
//   id and put on its later records (a Query line does not name its user); Quit forgets them.
//   At most 65,536 threads are remembered (the table is cleared beyond that).
// - Query / Prepare / Execute → sql (raw, trailing blanks removed); Init DB → dbOperation USE
//   and attrs.database; Quit → QUIT; any other command → dbOperation = the command, upper-cased
//   (Field List also names its table in `tables`).
// - Server banners (`... Version: ... started with:`, `Tcp port:`, `Time  Id Command  Argument`):
//   Skipped `banner`, also mid-file after a restart (they end the record before them). Blank lines between records: part of the record before (a statement may
//   hold blank lines); before any record: Skipped `blank`.
// - A record longer than maxRecordChars (1 MiB) is rejected `record_too_long`; the following
//   continuation lines are consumed with it.

import { ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import {
  type DbTimeOptions,
  REJECT_TEXT_CHARS,
  rejectText,
  resolveDbTimeOptions,
  scanIsoTime,
  scanShortTime,
} from '../lib/db-time.js';
import { isMysqlBanner } from '../lib/mysql-banner.js';
import {
  emptyRecord,
  type InputLine,
  type LogFormat,
  type RecordParser,
  type RecordResult,
} from '../types.js';

export type MysqlGeneralOptions = DbTimeOptions;

export const MYSQL_GENERAL_REJECT_REASONS = ['no_timestamp', 'orphan_line', 'record_too_long'] as const;

/** Command names the server writes (sql/sql_parse.cc command_name[]), longest first where one prefixes another. */
const COMMANDS = [
  'Binlog Dump GTID',
  'Binlog Dump',
  'Change user',
  'Close stmt',
  'Connect Out',
  'Connect',
  'Create DB',
  'Daemon',
  'Debug',
  'Delayed insert',
  'Drop DB',
  'Error',
  'Execute',
  'Fetch',
  'Field List',
  'Init DB',
  'Kill',
  'Long Data',
  'Ping',
  'Prepare',
  'Processlist',
  'Query',
  'Quit',
  'Refresh',
  'Register Slave',
  'Reset connection',
  'Reset stmt',
  'Set option',
  'Shutdown',
  'Sleep',
  'Statistics',
  'Table Dump',
  'Time',
  'Bulk_execute',
  'Slave_worker',
  'Slave_IO',
  'Slave_SQL',
];

interface CommandLine {
  /** Epoch ms, NaN when the line has no time, null-ish when the time is invalid (see bad). */
  tsMs: number;
  bad: string | null;
  thread: string;
  command: string;
  arg: string;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Reads `blanks id blanks Command [blank arg]` at i; null when the line is not that. */
function readCommand(text: string, i: number): { thread: string; command: string; arg: string } | null {
  const n = text.length;
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  const t0 = i;
  while (i < n && isDigit(text.charCodeAt(i)) && i - t0 < 20) i++;
  if (i === t0 || i >= n || !isBlank(text.charCodeAt(i))) return null;
  const thread = text.slice(t0, i);
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  for (const c of COMMANDS) {
    if (text.startsWith(c, i)) {
      const e = i + c.length;
      if (e === n || isBlank(text.charCodeAt(e))) {
        let a = e;
        while (a < n && isBlank(text.charCodeAt(a))) a++;
        return { thread, command: c, arg: text.slice(a) };
      }
    }
  }
  return null;
}

/** A command line with or without its time, or null for a continuation line. */
function parseCommandLine(text: string, offsetMin: number): CommandLine | null {
  const c0 = text.charCodeAt(0);
  if (isDigit(c0)) {
    // time first: ISO (`2016-06-07T...`) or `YYMMDD H:MM:SS`
    const iso = text.charCodeAt(4) === 0x2d;
    const t = iso ? scanIsoTime(text, 0, offsetMin) : scanShortTime(text, 0, offsetMin);
    if (t.end > 0) {
      const cmd = readCommand(text, t.end);
      if (cmd === null) return null;
      const bad = Number.isNaN(t.ms) ? text.slice(0, Math.min(t.end, 40)) : null;
      return { tsMs: t.ms, bad, ...cmd };
    }
    // a digit-leading line without a valid time shape: a continuation
    return null;
  }
  if (!isBlank(c0)) return null;
  const cmd = readCommand(text, 0);
  if (cmd === null) return null;
  return { tsMs: Number.NaN, bad: null, ...cmd };
}

interface Session {
  user: string | null;
  host: string | null;
  db: string | null;
}

interface Pending {
  offset: number;
  lines: number;
  chars: number;
  raw: string[];
  rawChars: number;
  tooLong: boolean;
  orphan: boolean;
  cmd: CommandLine | null;
  argLines: string[];
  tsMs: number;
}

function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) e--;
    else break;
  }
  return e === s.length ? s : s.slice(0, e);
}

const MAX_SESSIONS = 65536;

/** `user@host on db using TCP/IP` / `user@host as anonymous on db`. */
function parseConnect(arg: string): {
  user: string | null;
  host: string | null;
  db: string | null;
  via: string | null;
} {
  const sp = arg.indexOf(' ');
  const who = sp === -1 ? arg : arg.slice(0, sp);
  const at = who.lastIndexOf('@');
  const user = at === -1 ? who : who.slice(0, at);
  const host = at === -1 ? null : who.slice(at + 1);
  let db: string | null = null;
  let via: string | null = null;
  const on = arg.indexOf(' on ');
  if (on !== -1) {
    let rest = arg.slice(on + 4);
    const using = rest.indexOf(' using ');
    if (using !== -1) {
      via = rest.slice(using + 7).trim() || null;
      rest = rest.slice(0, using);
    } else if (rest.startsWith(' using ')) {
      via = rest.slice(7).trim() || null;
      rest = '';
    }
    rest = rest.trim();
    if (rest.startsWith('using ')) {
      via = rest.slice(6).trim() || null;
      rest = '';
    }
    if (rest !== '' && !rest.includes(' ')) db = rest;
  }
  return { user: user === '' ? null : user, host: host === '' ? null : host, db, via };
}

/** `Access denied for user 'u'@'h' (using password: NO)` → [user, host]. */
function parseAccessDenied(arg: string): [string | null, string | null] | null {
  if (!arg.startsWith('Access denied for user ')) return null;
  const s = arg.slice(23);
  const q1 = s.indexOf("'");
  const q2 = q1 === -1 ? -1 : s.indexOf("'", q1 + 1);
  if (q1 !== 0 || q2 === -1) return [null, null];
  const user = s.slice(1, q2);
  let host: string | null = null;
  if (s.charCodeAt(q2 + 1) === 0x40 && s.charCodeAt(q2 + 2) === 0x27) {
    const q4 = s.indexOf("'", q2 + 3);
    if (q4 !== -1) host = s.slice(q2 + 3, q4);
  }
  return [user === '' ? null : user, host];
}

class MysqlGeneralParser implements RecordParser {
  private pending: Pending | null = null;
  private lastTimeMs = Number.NaN;
  private readonly sessions = new Map<string, Session>();
  constructor(
    private readonly offsetMin: number,
    private readonly undatedTimeMs: number | null,
    private readonly maxChars: number,
  ) {}

  push(line: InputLine): RecordResult[] {
    const text = line.text.endsWith('\r') ? line.text.slice(0, -1) : line.text;
    const out: RecordResult[] = [];
    const cmd = text.length > 0 ? parseCommandLine(text, this.offsetMin) : null;
    if (cmd === null && isMysqlBanner(text)) {
      // a server (re)start: ends the record before it, even mid-file
      if (this.pending !== null) out.push(this.finish(this.pending));
      out.push({ ok: 'skip', kind: 'banner', position: String(line.offset), lines: 1 });
      return out;
    }
    if (cmd === null) {
      const p = this.pending;
      if (p !== null) {
        this.addLine(p, text);
        if (!p.tooLong) p.argLines.push(text);
        return out;
      }
      if (text.trim().length === 0) {
        out.push({ ok: 'skip', kind: 'blank', position: String(line.offset), lines: 1 });
        return out;
      }
      // Continuation with nothing to continue: collect the orphan lines into one reject.
      const o = this.newPending(line.offset, null);
      o.orphan = true;
      this.addLine(o, text);
      this.pending = o;
      return out;
    }
    if (this.pending !== null) out.push(this.finish(this.pending));
    if (!Number.isNaN(cmd.tsMs)) this.lastTimeMs = cmd.tsMs;
    const p = this.newPending(line.offset, cmd);
    this.addLine(p, text);
    if (!p.tooLong) p.argLines.push(cmd.arg);
    this.pending = p;
    return out;
  }

  end(): RecordResult[] {
    const p = this.pending;
    return p === null ? [] : [this.finish(p)];
  }

  private newPending(offset: number, cmd: CommandLine | null): Pending {
    return {
      offset,
      lines: 0,
      chars: 0,
      raw: [],
      rawChars: 0,
      tooLong: false,
      orphan: false,
      cmd,
      argLines: [],
      tsMs: cmd === null || Number.isNaN(cmd.tsMs) ? this.lastTimeMs : cmd.tsMs,
    };
  }

  private addLine(p: Pending, text: string): void {
    p.lines++;
    p.chars += text.length + 1;
    if (p.rawChars < REJECT_TEXT_CHARS) {
      p.raw.push(text);
      p.rawChars += text.length + 1;
    }
    if (!p.tooLong && p.chars > this.maxChars) {
      p.tooLong = true;
      p.argLines = [];
    }
  }

  private session(thread: string): Session {
    let s = this.sessions.get(thread);
    if (s === undefined) {
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.clear();
      s = { user: null, host: null, db: null };
      this.sessions.set(thread, s);
    }
    return s;
  }

  private finish(p: Pending): RecordResult {
    this.pending = null;
    const position = String(p.offset);
    const reject = (reason: string): RecordResult => ({
      ok: false,
      error: ParseMalformedLine('mysql-general', reason),
      position,
      text: rejectText(p.raw.join('\n')),
    });
    const cmd = p.cmd;
    if (p.orphan || cmd === null) return reject('orphan_line');
    if (p.tooLong) return reject('record_too_long');
    if (cmd.bad !== null)
      return { ok: false, error: ParseBadTimestamp(cmd.bad), position, text: rejectText(p.raw.join('\n')) };
    let ts = p.tsMs;
    if (Number.isNaN(ts)) {
      if (this.undatedTimeMs === null) return reject('no_timestamp');
      ts = this.undatedTimeMs;
    }
    const rec = emptyRecord(ts, 'db');
    rec.sessionId = cmd.thread;
    const attrs: Record<string, string> = {};
    const arg = trimEnd(p.argLines.join('\n'));
    const command = cmd.command;
    let s = this.sessions.get(cmd.thread);
    switch (command) {
      case 'Connect': {
        rec.dbOperation = 'CONNECT';
        const denied = parseAccessDenied(arg);
        if (denied !== null) {
          rec.dbUser = denied[0];
          rec.clientIp = denied[1];
          rec.authenticated = false;
          attrs['error'] = 'access_denied';
          this.sessions.delete(cmd.thread);
          s = undefined;
        } else {
          const c = parseConnect(arg);
          s = this.session(cmd.thread);
          s.user = c.user;
          s.host = c.host;
          s.db = c.db;
          rec.authenticated = true;
          if (c.via !== null) attrs['connection_type'] = c.via;
        }
        break;
      }
      case 'Init DB':
        rec.dbOperation = 'USE';
        if (arg !== '') {
          s = this.session(cmd.thread);
          s.db = arg;
        }
        break;
      case 'Quit':
        rec.dbOperation = 'QUIT';
        this.sessions.delete(cmd.thread);
        break;
      case 'Query':
      case 'Prepare':
      case 'Execute':
        rec.sql = arg;
        if (command !== 'Query') attrs['command'] = command;
        break;
      case 'Field List': {
        rec.dbOperation = 'FIELD LIST';
        const t = arg.split(/[ \t]/, 1)[0] ?? '';
        if (t !== '') rec.tables = [t.toLowerCase()];
        break;
      }
      default:
        rec.dbOperation = command.toUpperCase();
        break;
    }
    if (s !== undefined) {
      if (rec.dbUser === null) rec.dbUser = s.user;
      if (rec.clientIp === null) rec.clientIp = s.host;
      if (s.db !== null) attrs['database'] = s.db;
    }
    rec.attrs = attrs;
    return { ok: true, record: rec, position };
  }
}

function sniff(lines: readonly string[]): number {
  let timed = 0;
  let untimed = 0;
  for (const l of lines) {
    if (l.startsWith('# Query_time: ') || l.startsWith('# User@Host: ')) return 0;
    const c = l.length > 0 ? parseCommandLine(l, 0) : null;
    if (c === null) continue;
    if (Number.isNaN(c.tsMs) && c.bad === null) untimed++;
    else timed++;
  }
  if (timed > 0) return 0.9;
  return untimed > 0 ? 0.8 : 0;
}

export const mysqlGeneralFormat: LogFormat<MysqlGeneralOptions> = {
  id: 'mysql-general',
  description:
    'MySQL / MariaDB general query log (5.0-5.6 and 5.7+ time stamps): one record per command (Connect, Query, Init DB, Quit...)',
  create(options?: Partial<MysqlGeneralOptions>): RecordParser {
    const o = resolveDbTimeOptions('mysql-general', options);
    return new MysqlGeneralParser(o.offsetMin, o.undatedTimeMs, o.maxRecordChars);
  },
  sniff,
};
