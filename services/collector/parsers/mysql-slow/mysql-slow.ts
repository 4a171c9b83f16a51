// MySQL / MariaDB / Percona Server slow query log (with long_query_time=0 it logs every
// statement). One entry = `#` header lines, optional `use db;` and `SET timestamp=N;` lines,
// then the statement (MySQL always appends `;`), possibly over many lines:
//
//   # Time: 2016-07-20T18:13:25.698433Z            (5.7+: ISO, `Z` or an offset)
//   # Time: 071218 11:48:27                        (5.0-5.6: YYMMDD, local time: `timezone` option)
//   # User@Host: priv_user[user] @ host [ip]  Id: 3
//   # Query_time: 0.003464  Lock_time: 0.000324 Rows_sent: 1000  Rows_examined: 2000
//   SET timestamp=1469038405;
//   SELECT * FROM db_facturacion.facturas LIMIT 0, 1000;
//
// What real logs contain, and what this parser does with it:
// - Percona / MariaDB extra header lines (`# Thread_id: 10  Schema: foo`, `# Schema: maindb
//   Last_errno: 0  Killed: 0`, `# Bytes_sent: 545 ...`, `# QC_Hit: No ...`, `#   InnoDB_...`,
//   `# No InnoDB statistics...`, `# Log_slow_rate_type...`): read as `Name: value` pairs;
//   Bytes_sent → bytesOut, Thread_id / Id → sessionId, Schema → attrs.database,
//   Rows_examined / Rows_affected → attrs, Last_errno ≠ 0 → attrs.error_code; the rest ignored.
//   `Rows_examined:40` (no blank after the colon) is read too.
// - `# Time: ... # User@Host: ...` on one line (old Percona): both read.
// - `# User: user[user] @ [1.2.3.4]` (a Percona variant without `Host`): read like User@Host.
// - `# Time:` is written only when the second changes, so entries without one take the last
//   time seen; `SET timestamp=N;` (also `SET insert_id=5,timestamp=N;`) is the statement's start
//   time and wins over `# Time:` (whose fraction is kept when it is the same second).
//   A log that never dates its entries (slow009, slow052) gives nothing to date them by: they
//   are rejected `no_timestamp`, unless the `undatedTimeMs` option supplies a time.
// - `use db;` is written when the database changes (server-wide, not per thread): kept as the
//   current database for the entries that follow.
// - A `#` line inside a statement is a SQL comment unless the statement already ended with `;`
//   (pt-query-digest's rule); `# Time:` and `# User@Host:` always start a new entry.
// - `# administrator command: Quit;` (Percona) is the entry's statement: dbOperation `QUIT`.
// - Server banners (`/usr/sbin/mysqld, Version: ... started with:`, `Tcp port: ...`,
//   `Time   Id Command   Argument`): Skipped `banner`, one per line. Blank lines between
//   entries: Skipped `blank`.
// - Header lines followed by no statement: rejected `no_statement`. Statement lines before any
//   header (a file cut mid-entry): rejected `no_header`. An entry longer than maxRecordChars
//   (1 MiB): rejected `record_too_long`, its lines consumed up to the next entry.
// The statement is raw (`sql`, the trailing `;` MySQL added removed); normalisation summarises it.

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

export type MysqlSlowOptions = DbTimeOptions;

export const MYSQL_SLOW_REJECT_REASONS = [
  'no_timestamp',
  'no_statement',
  'no_header',
  'record_too_long',
] as const;

interface Entry {
  offset: number;
  lines: number;
  chars: number;
  raw: string[];
  rawChars: number;
  tooLong: boolean;
  headerless: boolean;
  hasTime: boolean;
  hasUser: boolean;
  hasThread: boolean;
  hasQueryTime: boolean;
  badTime: string | null;
  timeMs: number;
  setTs: number | null;
  dbUser: string | null;
  clientIp: string | null;
  host: string | null;
  sessionId: string | null;
  schema: string | null;
  attrs: Record<string, string>;
  rowsSent: number | null;
  bytesSent: number;
  durationMs: number | null;
  admin: string | null;
  sql: string[];
  inStatement: boolean;
  stmtEnded: boolean;
}

function newEntry(offset: number): Entry {
  return {
    offset,
    lines: 0,
    chars: 0,
    raw: [],
    rawChars: 0,
    tooLong: false,
    headerless: false,
    hasTime: false,
    hasUser: false,
    hasThread: false,
    hasQueryTime: false,
    badTime: null,
    timeMs: Number.NaN,
    setTs: null,
    dbUser: null,
    clientIp: null,
    host: null,
    sessionId: null,
    schema: null,
    attrs: {},
    rowsSent: null,
    bytesSent: 0,
    durationMs: null,
    admin: null,
    sql: [],
    inStatement: false,
    stmtEnded: false,
  };
}

function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c === 0x20 || c === 0x09 || c === 0x0d) e--;
    else break;
  }
  return e === s.length ? s : s.slice(0, e);
}

/** Splits `# A: 1  B: 2 C:3` into pairs; `from` is past the `#`. */
function forEachPair(text: string, from: number, fn: (key: string, value: string) => void): void {
  const toks: string[] = [];
  let i = from;
  const n = text.length;
  while (i < n && toks.length < 64) {
    while (i < n && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
    const s = i;
    while (i < n && text.charCodeAt(i) !== 0x20 && text.charCodeAt(i) !== 0x09) i++;
    if (i > s) toks.push(text.slice(s, i));
  }
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k] as string;
    const c = t.indexOf(':');
    if (c <= 0) continue;
    const key = t.slice(0, c);
    let value = t.slice(c + 1);
    if (value === '') {
      const nx = toks[k + 1];
      if (nx !== undefined && !nx.endsWith(':')) {
        value = nx;
        k++;
      }
    }
    fn(key, value);
  }
}

function nonNegInt(v: string): number | null {
  if (v.length === 0 || v.length > 15) return null;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
  }
  return Number(v);
}

function seconds(v: string): number | null {
  if (v.length === 0 || v.length > 24) return null;
  const x = Number(v);
  return Number.isFinite(x) && x >= 0 ? x : null;
}

function applyPair(e: Entry, key: string, value: string): void {
  switch (key) {
    case 'Query_time': {
      const s = seconds(value);
      if (s !== null) e.durationMs = Math.round(s * 1e6) / 1e3;
      e.hasQueryTime = true;
      break;
    }
    case 'Lock_time': {
      const s = seconds(value);
      if (s !== null) e.attrs['lock_time_ms'] = String(Math.round(s * 1e6) / 1e3);
      break;
    }
    case 'Rows_sent':
      e.rowsSent = nonNegInt(value);
      break;
    case 'Rows_examined':
      if (nonNegInt(value) !== null) e.attrs['rows_examined'] = value;
      break;
    case 'Rows_affected':
      if (nonNegInt(value) !== null) e.attrs['rows_affected'] = value;
      break;
    case 'Bytes_sent':
      e.bytesSent = nonNegInt(value) ?? 0;
      break;
    case 'Thread_id':
    case 'Id':
      if (value !== '') e.sessionId = value;
      if (key === 'Thread_id') e.hasThread = true;
      break;
    case 'Schema':
      if (value !== '') e.schema = value;
      break;
    case 'Last_errno':
      if (value !== '0' && value !== '') e.attrs['error_code'] = value;
      break;
    case 'Killed':
      if (value !== '0' && value !== '') e.attrs['killed'] = value;
      break;
    default:
      break;
  }
}

/** `# User@Host: priv[user] @ host [ip]  Id: 3` / `# User: user[user] @ [ip]`; `from` is after the colon. */
function applyUser(e: Entry, text: string, from: number): void {
  e.hasUser = true;
  const lb = text.indexOf('[', from);
  const rb = lb === -1 ? -1 : text.indexOf(']', lb + 1);
  if (lb === -1 || rb === -1) return;
  const priv = text.slice(from, lb).trim();
  const user = text.slice(lb + 1, rb).trim();
  e.dbUser = user !== '' ? user : priv !== '' ? priv : null;
  const at = text.indexOf('@', rb + 1);
  if (at === -1) return;
  const ilb = text.indexOf('[', at + 1);
  const irb = ilb === -1 ? -1 : text.indexOf(']', ilb + 1);
  const host = text.slice(at + 1, ilb === -1 ? text.length : ilb).trim();
  const ip = ilb === -1 || irb === -1 ? '' : text.slice(ilb + 1, irb).trim();
  if (host !== '') e.host = host;
  e.clientIp = ip !== '' ? ip : host !== '' ? host : null;
  if (irb !== -1) forEachPair(text, irb + 1, (k, v) => applyPair(e, k, v));
}

type HeaderKind = 'time' | 'user' | 'thread' | 'query_time' | 'admin' | 'other';

function headerKind(text: string): HeaderKind {
  if (text.startsWith('# Time: ')) return 'time';
  if (text.startsWith('# User@Host: ') || text.startsWith('# User: ')) return 'user';
  if (text.startsWith('# Thread_id: ')) return 'thread';
  if (text.startsWith('# Query_time: ')) return 'query_time';
  if (text.startsWith('# administrator command: ')) return 'admin';
  return 'other';
}

/** A header line that starts a new entry even after a statement without its `;`. */
function isStrongHeader(text: string): boolean {
  return text.startsWith('# Time: ') || text.startsWith('# User@Host: ');
}

/** `SET timestamp=N;`, `SET insert_id=5,timestamp=N;`: the timestamp, or null when not such a line. */
function setTimestamp(text: string): number | null {
  if (text.length > 200 || !text.endsWith(';')) return null;
  if (!(text.startsWith('SET ') || text.startsWith('set '))) return null;
  let ts: number | null = null;
  for (const part of text.slice(4, -1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const name = part.slice(0, eq).trim().toLowerCase();
    const v = nonNegInt(part.slice(eq + 1).trim());
    if (v === null) return null;
    if (name === 'timestamp') ts = v;
  }
  return ts;
}

/** `use db;` → db, else null. */
function useDb(text: string): string | null {
  if (text.length > 200 || !text.endsWith(';')) return null;
  if (!(text.startsWith('use ') || text.startsWith('USE ') || text.startsWith('Use '))) return null;
  let db = text.slice(4, -1).trim();
  if (db.startsWith('`') && db.endsWith('`') && db.length >= 2) db = db.slice(1, -1);
  if (db === '' || db.includes(' ')) return null;
  return db;
}

class MysqlSlowParser implements RecordParser {
  private entry: Entry | null = null;
  private lastTimeMs = Number.NaN;
  private currentDb: string | null = null;
  constructor(
    private readonly offsetMin: number,
    private readonly undatedTimeMs: number | null,
    private readonly maxChars: number,
  ) {}

  push(line: InputLine): RecordResult[] {
    const text = trimEnd(line.text);
    const out: RecordResult[] = [];
    let e = this.entry;

    if (e?.inStatement) {
      // pt-query-digest's rule: `;` at the end of a line then a `#` line separates entries.
      const isHeader = text.startsWith('#');
      if ((isHeader && (e.stmtEnded || isStrongHeader(text))) || (e.stmtEnded && isMysqlBanner(text))) {
        out.push(this.finish(e));
        e = null;
      } else {
        this.addLine(e, text);
        if (!e.tooLong) e.sql.push(text);
        if (text.length > 0) e.stmtEnded = text.endsWith(';');
        return out;
      }
    }

    if (e === null) {
      if (text.length === 0) {
        out.push({ ok: 'skip', kind: 'blank', position: String(line.offset), lines: 1 });
        return out;
      }
      if (isMysqlBanner(text)) {
        out.push({ ok: 'skip', kind: 'banner', position: String(line.offset), lines: 1 });
        return out;
      }
      e = newEntry(line.offset);
      if (!text.startsWith('#')) e.headerless = true;
      this.entry = e;
    } else if (text.startsWith('#')) {
      // header state: does this header line start the next entry?
      const k = headerKind(text);
      const breaks =
        (k === 'time' && (e.hasTime || e.hasUser || e.hasThread || e.hasQueryTime)) ||
        (k === 'user' && (e.hasUser || e.hasThread || e.hasQueryTime)) ||
        (k === 'thread' && (e.hasThread || e.hasQueryTime)) ||
        (k === 'query_time' && e.hasQueryTime);
      if (breaks) {
        out.push(this.finish(e));
        e = newEntry(line.offset);
        this.entry = e;
      }
    } else if (isMysqlBanner(text)) {
      out.push(this.finish(e));
      out.push({ ok: 'skip', kind: 'banner', position: String(line.offset), lines: 1 });
      return out;
    }

    this.addLine(e, text);
    if (text.startsWith('#')) {
      this.applyHeader(e, text);
      return out;
    }
    if (text.length === 0) return out;
    const db = useDb(text);
    if (db !== null) {
      e.schema = db;
      this.currentDb = db;
      return out;
    }
    const ts = setTimestamp(text);
    if (ts !== null) {
      e.setTs = ts;
      return out;
    }
    e.inStatement = true;
    if (!e.tooLong) e.sql.push(text);
    e.stmtEnded = text.endsWith(';');
    return out;
  }

  end(): RecordResult[] {
    const e = this.entry;
    if (e === null) return [];
    return [this.finish(e)];
  }

  private addLine(e: Entry, text: string): void {
    e.lines++;
    e.chars += text.length + 1;
    if (e.rawChars < REJECT_TEXT_CHARS) {
      e.raw.push(text);
      e.rawChars += text.length + 1;
    }
    if (!e.tooLong && e.chars > this.maxChars) {
      e.tooLong = true;
      e.sql = [];
    }
  }

  private applyHeader(e: Entry, text: string): void {
    const k = headerKind(text);
    if (k === 'time') {
      e.hasTime = true;
      let i = 8;
      while (text.charCodeAt(i) === 0x20) i++;
      const iso = text.charCodeAt(i + 4) === 0x2d;
      const t = iso ? scanIsoTime(text, i, this.offsetMin) : scanShortTime(text, i, this.offsetMin);
      if (Number.isNaN(t.ms)) {
        e.badTime = text.slice(i, i + 40);
      } else {
        e.timeMs = t.ms;
        this.lastTimeMs = t.ms;
      }
      const u = text.indexOf('# User@Host: ', 8);
      if (u !== -1) applyUser(e, text, u + 13);
      return;
    }
    if (k === 'user') {
      applyUser(e, text, text.startsWith('# User@Host: ') ? 13 : 8);
      return;
    }
    if (k === 'admin') {
      let cmd = text.slice(25).trim();
      if (cmd.endsWith(';')) cmd = cmd.slice(0, -1);
      e.admin = cmd.toUpperCase().slice(0, 64);
      e.inStatement = true;
      e.stmtEnded = true;
      return;
    }
    forEachPair(text, 1, (key, value) => applyPair(e, key, value));
  }

  private finish(e: Entry): RecordResult {
    this.entry = null;
    const position = String(e.offset);
    const reject = (reason: string): RecordResult => ({
      ok: false,
      error: ParseMalformedLine('mysql-slow', reason),
      position,
      text: rejectText(e.raw.join('\n')),
    });
    if (e.tooLong) return reject('record_too_long');
    if (e.headerless) return reject('no_header');
    if (e.sql.length === 0 && e.admin === null) return reject('no_statement');
    if (e.badTime !== null)
      return { ok: false, error: ParseBadTimestamp(e.badTime), position, text: rejectText(e.raw.join('\n')) };
    let ts: number;
    if (e.setTs !== null) {
      ts = !Number.isNaN(e.timeMs) && Math.floor(e.timeMs / 1000) === e.setTs ? e.timeMs : e.setTs * 1000;
      this.lastTimeMs = ts;
    } else if (!Number.isNaN(e.timeMs)) {
      ts = e.timeMs;
    } else if (!Number.isNaN(this.lastTimeMs)) {
      ts = this.lastTimeMs;
    } else if (this.undatedTimeMs !== null) {
      ts = this.undatedTimeMs;
    } else {
      return reject('no_timestamp');
    }
    const rec = emptyRecord(ts, 'db');
    rec.dbUser = e.dbUser;
    rec.clientIp = e.clientIp;
    rec.sessionId = e.sessionId;
    rec.rowsOut = e.rowsSent;
    rec.durationMs = e.durationMs;
    rec.bytesOut = e.bytesSent;
    if (e.admin !== null) {
      rec.dbOperation = e.admin;
    } else {
      let sql = e.sql.join('\n');
      sql = trimEnd(sql);
      if (sql.endsWith(';')) sql = trimEnd(sql.slice(0, -1));
      rec.sql = sql;
    }
    const attrs = e.attrs;
    const db = e.schema ?? this.currentDb;
    if (db !== null) attrs['database'] = db;
    if (e.host !== null && e.host !== e.clientIp) attrs['host'] = e.host;
    rec.attrs = attrs;
    return { ok: true, record: rec, position };
  }
}

function sniff(lines: readonly string[]): number {
  let queryTime = 0;
  let other = 0;
  for (const l of lines) {
    if (l.startsWith('# Query_time: ')) queryTime++;
    else if (l.startsWith('# Time: ') || l.startsWith('# User@Host: ') || l.startsWith('# User: ')) other++;
  }
  if (queryTime > 0) return other > 0 ? 0.95 : 0.9;
  return other > 0 ? 0.6 : 0;
}

export const mysqlSlowFormat: LogFormat<MysqlSlowOptions> = {
  id: 'mysql-slow',
  description:
    'MySQL / MariaDB / Percona slow query log (long_query_time=0): one record per statement, with user, host, rows, bytes, duration',
  create(options?: Partial<MysqlSlowOptions>): RecordParser {
    const o = resolveDbTimeOptions('mysql-slow', options);
    return new MysqlSlowParser(o.offsetMin, o.undatedTimeMs, o.maxRecordChars);
  },
  sniff,
};
