// MySQL Enterprise Audit log, JSON format (audit_log_format=JSON): one object per event,
//
//   { "timestamp": "2020-10-19 19:31:57", "id": 0, "class": "table_access", "event": "insert",
//     "connection_id": 16, "account": { "user": "u2", "host": "hades.home" },
//     "login": { "user": "u2", "os": "", "ip": "192.168.2.5", "proxy": "" },
//     "table_access_data": { "db": "audit_test", "table": "t", "query": "INSERT ...", "sql_command": "insert" } },
//
// What real logs contain, and what this parser does with it:
// - The server writes a JSON array: `[` on the first line, then objects separated by `,`, `]` at
//   the end; shippers (and the Elastic fixture) keep one object per line with a trailing `,`.
//   Objects may also be pretty-printed over several lines. The parser follows `{`/`}` depth
//   outside strings, so it takes any of these; several objects on one line get positions
//   `offset`, `offset:1`, `offset:2`... Lines holding only `[`, `]`, `,` are Skipped `separator`.
// - `timestamp` is UTC per the MySQL manual (`timezone` option to override).
// - class `audit` (startup, shutdown, noaudit): Skipped `server_event`.
// - class `connection`: connect / change_user / disconnect → dbOperation CONNECT / CHANGE USER /
//   DISCONNECT; connection_data.status ≠ 0 → attrs.error_code and authenticated false;
//   connection_data.db → attrs.database; connection_type → attrs.connection_type.
// - class `general`: general_data.query → sql; sql_command (`select`, `create_user`) →
//   dbOperation (`SELECT`, `CREATE USER`); command `Init DB` → `USE`; status ≠ 0 → error_code.
// - class `table_access` (read/insert/update/delete): tables = [db.table], attrs.database,
//   sql = query, dbOperation from sql_command. MySQL writes one table_access event per table and
//   then a general event for the same statement: both are kept (attrs.audit_class tells them
//   apart, attrs.audit_id + sessionId tie them).
// - Any other class (`command`, `query`, `stored_program` in newer servers): kept with what is
//   common (time, user, ip, connection), attrs.audit_class / attrs.event.
// - login.user → dbUser (else account.user); login.ip → clientIp (else account.host);
//   login.os / login.proxy → attrs.os_user / attrs.proxy_user; connection_id → sessionId.
// - Rejected: text that is not JSON at depth 0 (`not_json`), an object JSON.parse refuses
//   (`bad_json`), one without a valid timestamp (ParseBadTimestamp), an unterminated object at
//   the end (`truncated_record`), one over maxRecordChars (`record_too_long`: dropped, and the
//   parser resynchronises on the next line starting with `{`).
// The XML audit formats are not handled.

import { ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import { type DbTimeOptions, rejectText, resolveDbTimeOptions, scanIsoTime } from '../lib/db-time.js';
import {
  emptyRecord,
  type InputLine,
  type LogFormat,
  type RecordParser,
  type RecordResult,
} from '../types.js';

export type MysqlAuditOptions = DbTimeOptions;

export const MYSQL_AUDIT_REJECT_REASONS = [
  'not_json',
  'bad_json',
  'not_an_object',
  'truncated_record',
  'record_too_long',
] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function obj(v: Json | undefined): { [k: string]: Json } | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
}

function str(v: Json | undefined): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function nonEmpty(v: Json | undefined): string | null {
  const s = str(v);
  return s === null || s === '' ? null : s;
}

/** `create_user` → `CREATE USER`. */
function opName(s: string): string {
  return s.replace(/_/g, ' ').toUpperCase().slice(0, 64);
}

class MysqlAuditParser implements RecordParser {
  private depth = 0;
  private inString = false;
  private escape = false;
  private parts: string[] = [];
  private chars = 0;
  private tooLong = false;
  private startOffset = 0;
  private startIndex = 0;
  private startLines = 0;
  private resync = false;
  constructor(
    private readonly offsetMin: number,
    private readonly maxChars: number,
  ) {}

  push(line: InputLine): RecordResult[] {
    const text = line.text;
    const out: RecordResult[] = [];
    const n = text.length;
    if (this.resync) {
      let f = 0;
      while (f < n && (text.charCodeAt(f) === 0x20 || text.charCodeAt(f) === 0x09)) f++;
      if (text.charCodeAt(f) !== 0x7b) {
        this.chars += n + 1;
        return out;
      }
      this.resync = false;
      this.depth = 0;
      this.inString = false;
      this.escape = false;
    }
    if (this.depth > 0) this.startLines++;
    let started = 0; // objects started on this line
    let produced = false;
    let segStart = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (this.depth === 0) {
        if (c === 0x7b) {
          this.depth = 1;
          this.inString = false;
          this.escape = false;
          this.parts = [];
          this.chars = 0;
          this.tooLong = false;
          this.startOffset = line.offset;
          this.startIndex = started++;
          this.startLines = 1;
          segStart = i;
          continue;
        }
        if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x2c || c === 0x5b || c === 0x5d) continue;
        // anything else outside an object: the rest of the line is not JSON
        out.push({
          ok: false,
          error: ParseMalformedLine('mysql-audit', 'not_json'),
          position: started === 0 ? String(line.offset) : `${line.offset}:${started}`,
          text: rejectText(text.slice(i)),
        });
        produced = true;
        return out;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 0x5c) this.escape = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          this.append(text.slice(segStart, i + 1));
          out.push(this.finish());
          produced = true;
          segStart = -1;
        }
      }
    }
    if (this.depth > 0) {
      // object continues on the next line
      if (segStart === -1) segStart = 0;
      this.append(`${text.slice(segStart)}\n`);
      if (this.tooLong) {
        out.push(this.reject('record_too_long', this.startOffset, this.startIndex, ''));
        this.depth = 0;
        this.resync = true;
        this.parts = [];
      }
      return out;
    }
    if (!produced) {
      out.push({
        ok: 'skip',
        kind: text.trim() === '' ? 'blank' : 'separator',
        position: String(line.offset),
        lines: 1,
      });
    }
    return out;
  }

  end(): RecordResult[] {
    if (this.depth > 0 && !this.resync) {
      this.depth = 0;
      return [this.reject('truncated_record', this.startOffset, this.startIndex, this.parts.join(''))];
    }
    return [];
  }

  private append(s: string): void {
    this.chars += s.length;
    if (this.chars > this.maxChars) {
      this.tooLong = true;
      this.parts = [];
      return;
    }
    this.parts.push(s);
  }

  private reject(reason: string, offset: number, index: number, text: string): RecordResult {
    return {
      ok: false,
      error: ParseMalformedLine('mysql-audit', reason),
      position: index === 0 ? String(offset) : `${offset}:${index}`,
      text: rejectText(text),
    };
  }

  private finish(): RecordResult {
    const offset = this.startOffset;
    const index = this.startIndex;
    const position = index === 0 ? String(offset) : `${offset}:${index}`;
    if (this.tooLong) return this.reject('record_too_long', offset, index, '');
    const raw = this.parts.join('');
    this.parts = [];
    let v: Json;
    try {
      v = JSON.parse(raw) as Json;
    } catch {
      return this.reject('bad_json', offset, index, raw);
    }
    const o = obj(v);
    if (o === null) return this.reject('not_an_object', offset, index, raw);
    const tsText = str(o['timestamp']) ?? '';
    const t = scanIsoTime(tsText, 0, this.offsetMin);
    if (Number.isNaN(t.ms) || t.end !== tsText.length)
      return { ok: false, error: ParseBadTimestamp(tsText.slice(0, 40)), position, text: rejectText(raw) };
    const cls = str(o['class']) ?? '';
    const event = str(o['event']) ?? '';
    if (cls === 'audit') return { ok: 'skip', kind: 'server_event', position, lines: this.startLines };

    const rec = emptyRecord(t.ms, 'db');
    const attrs: Record<string, string> = { audit_class: cls.slice(0, 64), event: event.slice(0, 64) };
    const account = obj(o['account']);
    const login = obj(o['login']);
    const accUser = nonEmpty(account?.['user']);
    const accHost = nonEmpty(account?.['host']);
    rec.dbUser = nonEmpty(login?.['user']) ?? accUser;
    rec.clientIp = nonEmpty(login?.['ip']) ?? accHost;
    const os = nonEmpty(login?.['os']);
    if (os !== null) attrs['os_user'] = os;
    const proxy = nonEmpty(login?.['proxy']);
    if (proxy !== null) attrs['proxy_user'] = proxy;
    if (accUser !== null && accUser !== rec.dbUser) attrs['account'] = `${accUser}@${accHost ?? ''}`;
    rec.sessionId = str(o['connection_id']);
    const id = str(o['id']);
    if (id !== null) attrs['audit_id'] = id;
    const setStatus = (s: Json | undefined) => {
      const code = str(s);
      if (code !== null && code !== '0') attrs['error_code'] = code;
    };

    if (cls === 'connection') {
      const cd = obj(o['connection_data']);
      rec.dbOperation =
        event === 'connect'
          ? 'CONNECT'
          : event === 'disconnect'
            ? 'DISCONNECT'
            : event === 'change_user'
              ? 'CHANGE USER'
              : opName(event);
      setStatus(cd?.['status']);
      if (event === 'connect' || event === 'change_user')
        rec.authenticated = attrs['error_code'] === undefined;
      const db = nonEmpty(cd?.['db']);
      if (db !== null) attrs['database'] = db;
      const ct = nonEmpty(cd?.['connection_type']);
      if (ct !== null) attrs['connection_type'] = ct;
    } else if (cls === 'general') {
      const gd = obj(o['general_data']);
      const command = str(gd?.['command']) ?? '';
      const sqlCommand = nonEmpty(gd?.['sql_command']);
      rec.sql = str(gd?.['query']);
      if (command === 'Init DB') rec.dbOperation = 'USE';
      else if (command === 'Query' && sqlCommand !== null) rec.dbOperation = opName(sqlCommand);
      else if (command !== '') rec.dbOperation = opName(command);
      if (command !== 'Query' && command !== '') attrs['command'] = command.slice(0, 64);
      setStatus(gd?.['status']);
    } else if (cls === 'table_access') {
      const td = obj(o['table_access_data']);
      const db = nonEmpty(td?.['db']);
      const table = nonEmpty(td?.['table']);
      if (table !== null) rec.tables = [(db !== null ? `${db}.${table}` : table).toLowerCase()];
      if (db !== null) attrs['database'] = db;
      rec.sql = str(td?.['query']);
      const sqlCommand = nonEmpty(td?.['sql_command']);
      rec.dbOperation = sqlCommand !== null ? opName(sqlCommand) : event !== '' ? opName(event) : null;
    } else {
      // newer classes: take a query / status if the event's data object has one
      for (const [k, val] of Object.entries(o)) {
        if (!k.endsWith('_data')) continue;
        const d = obj(val);
        if (d === null) continue;
        const q = str(d['query']);
        if (q !== null && rec.sql === null) rec.sql = q;
        const sc = nonEmpty(d['sql_command']);
        if (sc !== null && rec.dbOperation === null) rec.dbOperation = opName(sc);
        setStatus(d['status']);
      }
    }
    rec.attrs = attrs;
    return { ok: true, record: rec, position };
  }
}

function sniff(lines: readonly string[]): number {
  const all = lines.join('\n');
  let hits = 0;
  if (all.includes('"class"')) hits++;
  if (all.includes('"connection_id"')) hits++;
  if (all.includes('"timestamp"')) hits++;
  if (all.includes('"account"') || all.includes('"login"')) hits++;
  const first = (lines.find((l) => l.trim() !== '') ?? '').trimStart();
  const jsonish = first.startsWith('{') || first.startsWith('[');
  if (!jsonish) return 0;
  return hits >= 4 ? 0.95 : hits === 3 ? 0.7 : hits === 2 ? 0.3 : 0;
}

export const mysqlAuditFormat: LogFormat<MysqlAuditOptions> = {
  id: 'mysql-audit',
  description:
    'MySQL Enterprise Audit log, JSON format (one object per line or a JSON array): connections, statements, table access',
  create(options?: Partial<MysqlAuditOptions>): RecordParser {
    const o = resolveDbTimeOptions('mysql-audit', options);
    return new MysqlAuditParser(o.offsetMin, o.maxRecordChars);
  },
  sniff,
};
