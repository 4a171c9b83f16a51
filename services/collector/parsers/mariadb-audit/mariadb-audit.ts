// MariaDB Audit Plugin (server_audit) log, one event per line:
//
//   [timestamp],[serverhost],[username],[host],[connectionid],[queryid],[operation],[database],[object],[retcode]
//   20231124 10:23:45,db1,alice,10.0.0.7,42,1337,QUERY,ehr,'SELECT * FROM patients WHERE id=7',0
//   20231124 10:23:45,db1,alice,10.0.0.7,42,1337,READ,ehr,patients,
//
// or, with server_audit_output_type=syslog, behind the syslog header (the syslog time replaces
// the plugin's; syslog_info is empty by default):
//
//   Nov 24 10:23:45 db1 mysql-server_auditing:  db1,alice,10.0.0.7,42,1337,QUERY,ehr,'SELECT 1',0
//
// What the plugin writes (MariaDB knowledge base, "Audit Plugin - Log Format"), and what this
// parser does with it:
// - timestamp `YYYYMMDD HH:MM:SS` (local time: `timezone` option); syslog `Mon dd HH:MM:SS` has no
//   year: the `year` option (default: the current UTC year when the parser is created) — or an
//   ISO time stamp (rsyslog high-precision format) which carries its own.
// - operation CONNECT / FAILED_CONNECT / DISCONNECT / CHANGEUSER → dbOperation CONNECT /
//   CONNECT (authenticated false) / DISCONNECT / CHANGE USER; retcode ≠ 0 → attrs.error_code
//   (1045 = access denied) and authenticated false on a connect.
// - QUERY (and QUERY_DDL / QUERY_DML / QUERY_DCL / QUERY_DML_NO_SELECT): object is the statement
//   in single quotes with `\'`, `\\`, `\n`, `\r`, `\t` escapes; it may contain commas. It becomes
//   `sql` (unescaped); a statement cut short without its closing quote (query log limit) is
//   kept as is with attrs.truncated.
// - READ / WRITE / CREATE / ALTER / DROP / RENAME (table events, empty retcode): object is the
//   table → tables = [database.table] (RENAME `a|b`: both); dbOperation = the operation.
// - username → dbUser, host → clientIp, connectionid → sessionId, queryid → attrs.query_id
//   (ties table events to their QUERY), serverhost → attrs.server_host, database → attrs.database.
// - Rejected: blank lines (`empty_line`), lines without a recognisable time stamp
//   (`no_timestamp`) or invalid ones (ParseBadTimestamp), fewer than the ten fields
//   (`too_few_fields`), a connection or query id that is not a number (`bad_fields`), lines over
//   maxRecordChars (`record_too_long`).

import { ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import {
  type DbTimeOptions,
  rejectText,
  resolveDbTimeOptions,
  scanCompactTime,
  scanIsoTime,
  scanSyslogTime,
} from '../lib/db-time.js';
import {
  type AccessRecord,
  emptyRecord,
  type InputLine,
  type LogFormat,
  type RecordParser,
  type RecordResult,
} from '../types.js';

export interface MariadbAuditOptions extends DbTimeOptions {
  /** Year of syslog time stamps (which have none); default: the current UTC year. */
  year: number;
}

export const MARIADB_AUDIT_REJECT_REASONS = [
  'empty_line',
  'no_timestamp',
  'too_few_fields',
  'bad_fields',
  'record_too_long',
] as const;

type LineResult = { ok: true; record: AccessRecord } | { ok: false; reason: string; badTime?: string };

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Index of the `: ` ending a syslog tag (`host ident[pid]:`) after `from`, or -1. */
function syslogBody(text: string, from: number): number {
  // host
  let i = from;
  const n = text.length;
  while (i < n && text.charCodeAt(i) === 0x20) i++;
  while (i < n && text.charCodeAt(i) !== 0x20) i++;
  while (i < n && text.charCodeAt(i) === 0x20) i++;
  // tag up to ':'
  const t0 = i;
  while (i < n && i - t0 < 128) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) break;
    if (c === 0x20) return -1;
    i++;
  }
  if (text.charCodeAt(i) !== 0x3a || i === t0) return -1;
  i++;
  while (i < n && text.charCodeAt(i) === 0x20) i++;
  return i;
}

/** Connection and query ids: digits (empty is tolerated). */
function isCounter(s: string): boolean {
  if (s.length > 20) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function unescapeAudit(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const e = s[++i];
      out += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
    } else {
      out += c;
    }
  }
  return out;
}

const CONNECT_OPS: Record<string, string> = {
  CONNECT: 'CONNECT',
  FAILED_CONNECT: 'CONNECT',
  DISCONNECT: 'DISCONNECT',
  CHANGEUSER: 'CHANGE USER',
};

const KNOWN_OPS = new Set([
  'CONNECT',
  'DISCONNECT',
  'CHANGE USER',
  'READ',
  'WRITE',
  'CREATE',
  'ALTER',
  'DROP',
  'RENAME',
]);

const TABLE_OPS = new Set(['READ', 'WRITE', 'CREATE', 'ALTER', 'DROP', 'RENAME']);

export function parseMariadbAuditLine(
  text: string,
  offsetMin: number,
  year: number,
  maxChars: number,
): LineResult {
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (text.trim() === '') return { ok: false, reason: 'empty_line' };
  if (text.length > maxChars) return { ok: false, reason: 'record_too_long' };
  let ts: number;
  let p: number;
  const c0 = text.charCodeAt(0);
  if (isDigit(c0) && isDigit(text.charCodeAt(7)) && text.charCodeAt(8) === 0x20) {
    const t = scanCompactTime(text, 0, offsetMin);
    if (t.end === -1) return { ok: false, reason: 'no_timestamp' };
    if (Number.isNaN(t.ms)) return { ok: false, reason: 'bad', badTime: text.slice(0, 17) };
    if (text.charCodeAt(t.end) !== 0x2c) return { ok: false, reason: 'too_few_fields' };
    ts = t.ms;
    p = t.end + 1;
  } else if (isDigit(c0) && text.charCodeAt(4) === 0x2d && text.charCodeAt(10) === 0x54) {
    // RFC 3339 syslog header (rsyslog high precision): always with `T`
    const t = scanIsoTime(text, 0, offsetMin);
    if (t.end === -1) return { ok: false, reason: 'no_timestamp' };
    if (Number.isNaN(t.ms)) return { ok: false, reason: 'bad', badTime: text.slice(0, 32) };
    ts = t.ms;
    p = syslogBody(text, t.end);
    if (p === -1) return { ok: false, reason: 'too_few_fields' };
  } else {
    const t = scanSyslogTime(text, 0, year, offsetMin);
    if (t.end === -1) return { ok: false, reason: 'no_timestamp' };
    if (Number.isNaN(t.ms)) return { ok: false, reason: 'bad', badTime: text.slice(0, 15) };
    ts = t.ms;
    p = syslogBody(text, t.end);
    if (p === -1) return { ok: false, reason: 'too_few_fields' };
  }
  // serverhost, username, host, connectionid, queryid, operation, database
  const f: string[] = [];
  for (let k = 0; k < 7; k++) {
    const comma = text.indexOf(',', p);
    if (comma === -1) return { ok: false, reason: 'too_few_fields' };
    f.push(text.slice(p, comma));
    p = comma + 1;
  }
  // object, retcode
  let object: string;
  let retcode: string | null = null;
  let truncated = false;
  if (text.charCodeAt(p) === 0x27) {
    let j = p + 1;
    let close = -1;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 0x5c) {
        j += 2;
        continue;
      }
      if (c === 0x27) {
        close = j;
        break;
      }
      j++;
    }
    if (close === -1) {
      object = unescapeAudit(text.slice(p + 1));
      truncated = true;
    } else {
      object = unescapeAudit(text.slice(p + 1, close));
      if (text.charCodeAt(close + 1) === 0x2c) retcode = text.slice(close + 2);
    }
  } else {
    const comma = text.lastIndexOf(',');
    if (comma < p) return { ok: false, reason: 'too_few_fields' };
    object = text.slice(p, comma);
    retcode = text.slice(comma + 1);
  }
  const [serverHost, user, host, connId, queryId, opRaw, database] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!isCounter(connId) || !isCounter(queryId)) return { ok: false, reason: 'bad_fields' };
  const op = opRaw.trim().toUpperCase();
  const rec = emptyRecord(ts, 'db');
  const attrs: Record<string, string> = {};
  rec.dbUser = user !== '' ? user : null;
  rec.clientIp = host !== '' ? host : null;
  rec.sessionId = connId !== '' ? connId : null;
  if (queryId !== '') attrs['query_id'] = queryId;
  if (serverHost !== '') attrs['server_host'] = serverHost;
  if (database !== '') attrs['database'] = database;
  const rc = retcode === null ? '' : retcode.trim();
  if (rc !== '' && rc !== '0') attrs['error_code'] = rc;
  const connectOp = CONNECT_OPS[op];
  if (connectOp !== undefined) {
    rec.dbOperation = connectOp;
    if (op === 'FAILED_CONNECT') {
      rec.authenticated = false;
      attrs['error'] = 'failed_connect';
    } else if (op === 'CONNECT' || op === 'CHANGEUSER') {
      rec.authenticated = attrs['error_code'] === undefined;
    }
  } else if (op === 'QUERY' || op.startsWith('QUERY_')) {
    rec.sql = object;
    if (op !== 'QUERY') attrs['audit_operation'] = op;
    if (truncated) attrs['truncated'] = 'true';
  } else if (TABLE_OPS.has(op)) {
    rec.dbOperation = op;
    const names = object.split('|').filter((s) => s !== '');
    rec.tables = names.map((t) =>
      (t.includes('.') || database === '' ? t : `${database}.${t}`).toLowerCase(),
    );
  } else {
    rec.dbOperation = op.slice(0, 64) || null;
    if (object !== '') attrs['object'] = object.slice(0, 256);
  }
  rec.attrs = attrs;
  return { ok: true, record: rec };
}

class MariadbAuditParser implements RecordParser {
  constructor(
    private readonly offsetMin: number,
    private readonly year: number,
    private readonly maxChars: number,
  ) {}

  push(line: InputLine): RecordResult[] {
    const position = String(line.offset);
    const r = parseMariadbAuditLine(line.text, this.offsetMin, this.year, this.maxChars);
    if (r.ok) return [{ ok: true, record: r.record, position }];
    const error =
      r.badTime !== undefined ? ParseBadTimestamp(r.badTime) : ParseMalformedLine('mariadb-audit', r.reason);
    return [{ ok: false, error, position, text: rejectText(line.text) }];
  }

  end(): RecordResult[] {
    return [];
  }
}

function sniff(lines: readonly string[]): number {
  let total = 0;
  let ok = 0;
  const year = new Date().getUTCFullYear();
  for (const l of lines) {
    if (l.trim() === '') continue;
    total++;
    const r = parseMariadbAuditLine(l, 0, year, 1 << 20);
    // the operation field must be one the plugin writes
    if (r.ok && (r.record.sql !== null || KNOWN_OPS.has(r.record.dbOperation ?? ''))) ok++;
  }
  return total === 0 ? 0 : ok / total;
}

export const mariadbAuditFormat: LogFormat<MariadbAuditOptions> = {
  id: 'mariadb-audit',
  description:
    'MariaDB Audit Plugin (server_audit) log, file or syslog output: connects, queries and table reads/writes',
  create(options?: Partial<MariadbAuditOptions>): RecordParser {
    const year = options?.year ?? new Date().getUTCFullYear();
    const yearOk = typeof year === 'number' && Number.isInteger(year) && year >= 1970 && year <= 9999;
    const o = resolveDbTimeOptions(
      'mariadb-audit',
      options,
      yearOk ? [] : ['year must be an integer 1970..9999'],
    );
    return new MariadbAuditParser(o.offsetMin, year, o.maxRecordChars);
  },
  sniff,
};
