// What a PostgreSQL log message means for data access, whichever envelope carried it (stderr,
// syslog, csvlog, jsonlog, Cloud SQL, CloudNativePG). postgres.ts turns lines into PgEvents;
// this module turns one PgEvent into a record, a skip or a reject.
//
// Messages that are accesses (kept raw, normalisation redacts and summarises):
// - `statement: SQL` (log_statement), `duration: 1.2 ms  statement: SQL`
//   (log_min_duration_statement), `[duration: N ms  ]execute <name>: SQL` (extended protocol);
//   a following `DETAIL:  parameters: $1 = '...'` goes to attrs.parameters, raw: bind values are
//   PHI, normalisation must redact them.
// - `AUDIT: SESSION|OBJECT,id,subid,CLASS,COMMAND,objtype,objname,statement,parameter[,rows]`
//   (pgAudit, at any level): command → dbOperation, object name → tables, statement → sql
//   (null when `<previously logged>`), rows → rowsOut.
// - `connection authorized: user=u database=d` → CONNECT (authenticated), `replication
//   connection authorized` likewise; `disconnection: session time: H:MM:SS.fff user=u
//   database=d host=h port=p` → DISCONNECT, durationMs = session time.
// - ERROR / FATAL / PANIC: a record with attrs.severity, attrs.error_code (SQLSTATE when the log
//   has it), attrs.error_message (raw: may quote values, normalisation must redact), sql = the
//   STATEMENT / csvlog `query`, status null. Authentication failures (`password authentication
//   failed for user "x"`, `no pg_hba.conf entry for host "h", user "u", database "d"`, `role "x"
//   does not exist`) are CONNECT with authenticated = false and the user/host/db they name.
// Skipped, with a kind: checkpoint, autovacuum (vacuum/analyze reports), connection_received (its
// host is remembered for the pid by the caller), connection_authenticated, temp_file, parse /
// bind (the execute line that follows carries the statement), plan (auto_explain), duration (a
// bare log_duration line not attached to its statement), server (other LOG messages: startup,
// shutdown, listening on...), warning / notice / info / debug (non-audit client messages).

import { type LeakwatchError, ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import { type AccessRecord, emptyRecord } from '../types.js';
import { splitCsv } from './csv.js';

/** One PostgreSQL log message with what its envelope said about it. Empty values are null. */
export interface PgEvent {
  /** Epoch ms, NaN when the envelope gave no usable time. */
  tsMs: number;
  /** The time as written (for ParseBadTimestamp), '' when there was none. */
  tsText: string;
  severity: string;
  sqlState: string | null;
  message: string;
  user: string | null;
  database: string | null;
  pid: string | null;
  sessionId: string | null;
  /** Client host as logged: address or name, `[local]` for a Unix socket; no port. */
  host: string | null;
  app: string | null;
  commandTag: string | null;
  /** The statement of an error (STATEMENT line, csvlog `query`, jsonlog `statement`). */
  query: string | null;
  /** DETAIL text (csvlog `detail`, or the DETAIL line). */
  detail: string | null;
  /** Duration from a following bare `duration:` line (log_duration), when attached. */
  lateDurationMs: number | null;
}

export function newEvent(): PgEvent {
  return {
    tsMs: Number.NaN,
    tsText: '',
    severity: 'LOG',
    sqlState: null,
    message: '',
    user: null,
    database: null,
    pid: null,
    sessionId: null,
    host: null,
    app: null,
    commandTag: null,
    query: null,
    detail: null,
    lateDurationMs: null,
  };
}

export type Interpretation =
  | { t: 'record'; record: AccessRecord; statement: boolean }
  | { t: 'skip'; kind: string }
  | { t: 'reject'; error: LeakwatchError };

/** Stable reject reasons (second argument of ParseMalformedLine('postgres', reason)). */
export const REJECT_REASONS = [
  'no_prefix',
  'no_timestamp',
  'record_too_long',
  'csv_unterminated',
  'csv_too_few_fields',
  'bad_json',
  'unknown_json',
  'malformed_audit',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export function malformed(reason: RejectReason): LeakwatchError {
  return ParseMalformedLine('postgres', reason, { details: { reason } });
}

/** `[unknown]` and '' (what PostgreSQL prints before authentication) → null. */
export function clean(v: string | null | undefined): string | null {
  if (v === null || v === undefined || v === '' || v === '[unknown]') return null;
  return v;
}

/** `duration: 12.345 ms` at the start of s → ms and the index after `ms`, or null. */
export function parseDurationPrefix(s: string): { ms: number; end: number } | null {
  if (!s.startsWith('duration: ')) return null;
  let i = 10;
  const s0 = i;
  while (i < s.length && i - s0 < 24) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2e)) break;
    i++;
  }
  if (i === s0 || !s.startsWith(' ms', i)) return null;
  const ms = Number(s.slice(s0, i));
  if (!Number.isFinite(ms)) return null;
  return { ms, end: i + 3 };
}

/** True for a bare log_duration message: `duration: 1.234 ms` and nothing else. */
export function isBareDuration(message: string): number | null {
  const d = parseDurationPrefix(message);
  return d !== null && d.end === message.length ? d.ms : null;
}

/** `key=value` (space separated, value up to the next space) in s, or null. */
function keyValue(s: string, key: string): string | null {
  let at = s.indexOf(` ${key}=`);
  if (at === -1) {
    if (!s.startsWith(`${key}=`)) return null;
    at = -1;
  }
  const start = at + key.length + 2;
  let end = s.indexOf(' ', start);
  if (end === -1) end = s.length;
  return s.slice(start, end);
}

/** `word "value"` in s → value, or null. */
function quotedAfter(s: string, word: string): string | null {
  const at = s.indexOf(`${word} "`);
  if (at === -1) return null;
  const start = at + word.length + 2;
  const end = s.indexOf('"', start);
  return end === -1 ? null : s.slice(start, end);
}

/** `H:MM:SS.fff` → ms, or null. */
function sessionTimeMs(s: string): number | null {
  const c1 = s.indexOf(':');
  const c2 = c1 === -1 ? -1 : s.indexOf(':', c1 + 1);
  if (c1 <= 0 || c2 === -1 || c2 - c1 !== 3) return null;
  const h = Number(s.slice(0, c1));
  const m = Number(s.slice(c1 + 1, c2));
  const sec = Number(s.slice(c2 + 1));
  if (!Number.isFinite(h) || !Number.isFinite(m) || !Number.isFinite(sec)) return null;
  return Math.round(((h * 60 + m) * 60 + sec) * 1000);
}

function base(ev: PgEvent): AccessRecord {
  const r = emptyRecord(ev.tsMs, 'db');
  r.dbUser = clean(ev.user);
  const host = clean(ev.host);
  if (host === '[local]') r.attrs['client'] = 'local';
  else r.clientIp = host;
  r.sessionId = clean(ev.sessionId) ?? clean(ev.pid);
  const db = clean(ev.database);
  if (db !== null) r.attrs['database'] = db;
  if (ev.pid !== null) r.attrs['pid'] = ev.pid;
  const app = clean(ev.app);
  if (app !== null) r.attrs['application'] = app;
  if (ev.commandTag !== null && ev.commandTag !== '') r.attrs['command_tag'] = ev.commandTag;
  if (ev.severity !== 'LOG') r.attrs['severity'] = ev.severity;
  if (ev.sqlState !== null && ev.sqlState !== '00000') r.attrs['error_code'] = ev.sqlState;
  return r;
}

function parameters(ev: PgEvent, r: AccessRecord): void {
  if (ev.detail?.startsWith('parameters: ')) r.attrs['parameters'] = ev.detail.slice(12);
}

function timed(ev: PgEvent, r: AccessRecord, statement: boolean): Interpretation {
  if (Number.isNaN(ev.tsMs)) {
    return {
      t: 'reject',
      error: ev.tsText === '' ? malformed('no_timestamp') : ParseBadTimestamp(ev.tsText.slice(0, 40)),
    };
  }
  return { t: 'record', record: r, statement };
}

const AUTH_FAILED = ' authentication failed for user "';

/** Interprets one complete event. Never throws. */
export function interpret(ev: PgEvent): Interpretation {
  const msg = ev.message;
  const sev = ev.severity;
  if (msg.startsWith('AUDIT: ')) return audit(ev);
  if (sev === 'ERROR' || sev === 'FATAL' || sev === 'PANIC') {
    const r = base(ev);
    r.sql = ev.query;
    r.attrs['error_message'] = msg;
    if (
      msg.indexOf(AUTH_FAILED) !== -1 ||
      msg.startsWith('no pg_hba.conf entry for ') ||
      msg.startsWith('pg_hba.conf rejects connection for ') ||
      (msg.startsWith('role "') && msg.endsWith('" does not exist'))
    ) {
      r.dbOperation = 'CONNECT';
      r.authenticated = false;
      const u = quotedAfter(msg, 'user') ?? quotedAfter(msg, 'role');
      if (r.dbUser === null && u !== null) r.dbUser = u;
      const h = quotedAfter(msg, 'host');
      if (r.clientIp === null && h !== null && h !== '[local]') r.clientIp = h;
      const d = quotedAfter(msg, 'database');
      if (d !== null && r.attrs['database'] === undefined) r.attrs['database'] = d;
    }
    return timed(ev, r, false);
  }
  if (sev === 'DETAIL' || sev === 'HINT' || sev === 'QUERY' || sev === 'CONTEXT' || sev === 'LOCATION')
    return { t: 'skip', kind: 'orphan_detail' };
  if (sev === 'STATEMENT') return { t: 'skip', kind: 'orphan_detail' };

  let rest = msg;
  let durationMs: number | null = null;
  const d = parseDurationPrefix(msg);
  if (d !== null) {
    durationMs = d.ms;
    if (d.end === msg.length) return { t: 'skip', kind: 'duration' };
    rest = msg.slice(msg.startsWith('  ', d.end) ? d.end + 2 : d.end + 1);
  }
  if (rest.startsWith('statement: ')) {
    // An empty query string (psql `;`, pg_isready-style probes): nothing was accessed.
    if (rest.length === 11) return { t: 'skip', kind: 'empty_statement' };
    const r = base(ev);
    r.sql = rest.slice(11);
    r.durationMs = durationMs ?? ev.lateDurationMs;
    parameters(ev, r);
    return timed(ev, r, durationMs === null);
  }
  if (rest.startsWith('execute ')) {
    const colon = rest.indexOf(': ', 8);
    const r = base(ev);
    if (colon !== -1 && colon < 200) {
      r.attrs['statement_name'] = rest.slice(8, colon);
      r.sql = rest.slice(colon + 2);
    } else {
      r.sql = rest.slice(8);
    }
    r.durationMs = durationMs ?? ev.lateDurationMs;
    parameters(ev, r);
    return timed(ev, r, durationMs === null);
  }
  if (rest.startsWith('parse ')) return { t: 'skip', kind: 'parse' };
  if (rest.startsWith('bind ')) return { t: 'skip', kind: 'bind' };
  if (durationMs !== null) return { t: 'skip', kind: rest.startsWith('plan:') ? 'plan' : 'duration' };

  if (msg.startsWith('connection authorized: ') || msg.startsWith('replication connection authorized: ')) {
    const r = base(ev);
    r.dbOperation = 'CONNECT';
    r.authenticated = true;
    const u = keyValue(msg, 'user');
    if (r.dbUser === null && u !== null) r.dbUser = clean(u);
    const db = keyValue(msg, 'database');
    if (db !== null && r.attrs['database'] === undefined) r.attrs['database'] = db;
    const app = keyValue(msg, 'application_name');
    if (app !== null && r.attrs['application'] === undefined) r.attrs['application'] = app;
    if (msg.charCodeAt(0) === 0x72) r.attrs['replication'] = 'true';
    return timed(ev, r, false);
  }
  if (msg.startsWith('disconnection: ')) {
    const r = base(ev);
    r.dbOperation = 'DISCONNECT';
    const st = msg.startsWith('disconnection: session time: ')
      ? msg.slice(29, msg.indexOf(' ', 29) >>> 0)
      : '';
    r.durationMs = sessionTimeMs(st);
    const u = keyValue(msg, 'user');
    if (r.dbUser === null && u !== null) r.dbUser = clean(u);
    const db = keyValue(msg, 'database');
    if (db !== null && r.attrs['database'] === undefined) r.attrs['database'] = db;
    const h = keyValue(msg, 'host');
    if (r.clientIp === null && r.attrs['client'] === undefined && h !== null) {
      if (h === '[local]') r.attrs['client'] = 'local';
      else r.clientIp = h;
    }
    return timed(ev, r, false);
  }
  if (msg.startsWith('connection received: ')) return { t: 'skip', kind: 'connection_received' };
  if (msg.startsWith('connection authenticated: ')) return { t: 'skip', kind: 'connection_authenticated' };
  if (msg.startsWith('checkpoint') || msg.startsWith('restartpoint'))
    return { t: 'skip', kind: 'checkpoint' };
  if (msg.startsWith('automatic vacuum') || msg.startsWith('automatic aggressive vacuum'))
    return { t: 'skip', kind: 'autovacuum' };
  if (msg.startsWith('automatic analyze')) return { t: 'skip', kind: 'autovacuum' };
  if (msg.startsWith('temporary file: ')) return { t: 'skip', kind: 'temp_file' };
  if (sev === 'LOG') return { t: 'skip', kind: 'server' };
  return { t: 'skip', kind: sev.toLowerCase() };
}

const NOT_LOGGED = new Set(['<not logged>', '<previously logged>', '<none>', '']);

function audit(ev: PgEvent): Interpretation {
  const f = splitCsv(ev.message.slice(7));
  if (f.length < 8) return { t: 'reject', error: malformed('malformed_audit') };
  const [type, sid, subid, cls, command, objType, objName, statement] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (type !== 'SESSION' && type !== 'OBJECT') return { t: 'reject', error: malformed('malformed_audit') };
  const r = base(ev);
  r.dbOperation = command === '' ? null : command;
  if (objName !== '') r.tables = [objName];
  r.sql = NOT_LOGGED.has(statement) ? null : statement;
  r.attrs['audit_type'] = type;
  r.attrs['audit_class'] = cls;
  r.attrs['audit_statement_id'] = sid;
  r.attrs['audit_substatement_id'] = subid;
  if (objType !== '') r.attrs['object_type'] = objType;
  const param = f[8];
  if (param !== undefined && !NOT_LOGGED.has(param)) r.attrs['parameters'] = param;
  const rows = f[9];
  if (rows !== undefined && rows !== '' && rows.length < 20) {
    const n = Number(rows);
    if (Number.isInteger(n) && n >= 0) r.rowsOut = n;
  }
  return timed(ev, r, false);
}
