import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LeakwatchError } from '#shared/errors.js';
import { readRealLines, realLogPath } from '../../../../test/support/real-logs.js';
import type { AccessRecord, RecordResult } from '../types.js';
import { CsvRecordReader, splitCsv } from './csv.js';
import {
  type CountedResult,
  MAX_RECORD,
  type PostgresParser,
  parseSyslogHeader,
  postgresFormat,
} from './postgres.js';
import { compilePrefix, emptyFields, matchSeverity, type PrefixMatcher } from './prefix.js';
import { parseIsoStamp, parsePgStamp, resolveZone } from './time.js';

// ---- helpers ---------------------------------------------------------------------------------------

type Opts = Parameters<typeof postgresFormat.create>[0];

function runCounted(lines: readonly string[], opts?: Opts): CountedResult[] {
  const p = postgresFormat.create(opts) as PostgresParser;
  const out: CountedResult[] = [];
  let offset = 0;
  for (const text of lines) {
    out.push(...p.pushCounted({ offset, text }));
    offset += Buffer.byteLength(text) + 1;
  }
  out.push(...p.endCounted());
  return out;
}

/** The record of the i-th counted result (fails when it is not one). */
function recAt(rs: readonly CountedResult[], i: number): AccessRecord {
  const r = rs[i]?.result;
  if (r?.ok !== true) return assert.fail(`result ${i} is not a record: ${JSON.stringify(r)}`);
  return r.record;
}

function run(lines: readonly string[], opts?: Opts): RecordResult[] {
  return runCounted(lines, opts).map((c) => c.result);
}

function records(lines: readonly string[], opts?: Opts): AccessRecord[] {
  return run(lines, opts).map((r) => {
    if (r.ok !== true) assert.fail(`not a record: ${JSON.stringify(r)}`);
    return r.record;
  });
}

function recordsOnly(lines: readonly string[], opts?: Opts): AccessRecord[] {
  return run(lines, opts).flatMap((r) => (r.ok === true ? [r.record] : []));
}

function one(lines: readonly string[], opts?: Opts): AccessRecord {
  const rs = records(lines, opts);
  assert.equal(rs.length, 1, JSON.stringify(rs));
  return rs[0] as AccessRecord;
}

function kinds(lines: readonly string[], opts?: Opts): string[] {
  return run(lines, opts).map((r) =>
    r.ok === true ? 'record' : r.ok === 'skip' ? `skip:${r.kind}` : `reject:${r.error.message}`,
  );
}

const RDS = '%t:%r:%u@%d:[%p]:';
const T = Date.UTC(2020, 2, 11, 19, 41, 42); // 2020-03-11 20:41:42 CET

// ---- log_line_prefix -----------------------------------------------------------------------------------

function matchWith(prefix: string, line: string) {
  const m = compilePrefix(prefix) as PrefixMatcher;
  assert.notEqual(typeof m, 'string');
  const f = emptyFields();
  for (const v of m.variants) {
    const end = v(line, f);
    if (end >= 0 && matchSeverity(line, end) !== null) return { end, f: { ...f } };
  }
  return null;
}

test('prefix: RDS %t:%r:%u@%d:[%p]: with host(port), [local], empty fields and IPv6', () => {
  const a = matchWith(RDS, '2020-03-11 20:40:50 CET:192.168.1.201(50906):gilles@pgbench:[12795]:FATAL:  x');
  assert.ok(a);
  assert.equal(a.f.ts, '2020-03-11 20:40:50 CET');
  assert.equal(a.f.host, '192.168.1.201');
  assert.equal(a.f.port, '50906');
  assert.equal(a.f.user, 'gilles');
  assert.equal(a.f.database, 'pgbench');
  assert.equal(a.f.pid, '12795');
  const b = matchWith(RDS, '2020-03-11 20:40:43 CET::@:[12760]:LOG:  starting PostgreSQL 12.2');
  assert.ok(b);
  assert.equal(b.f.host, null);
  assert.equal(b.f.user, null);
  assert.equal(b.f.database, null);
  const c = matchWith(RDS, '2020-03-11 20:40:44 CET:[local]:postgres@template1:[12774]:LOG:  x');
  assert.equal(c?.f.host, '[local]');
  const d = matchWith(RDS, '2020-03-11 20:40:44 CET:2001:db8::7(5432):ann@ehr:[1]:LOG:  x');
  assert.equal(d?.f.host, '2001:db8::7');
  assert.equal(d?.f.user, 'ann');
});

test('prefix: %q cuts the prefix for background processes; padding; %c %l %e %n', () => {
  const p = '%m [%p] %q%u@%d ';
  const s = matchWith(p, '2024-01-02 03:04:05.678 UTC [42] bob@ehr LOG:  statement: select 1');
  assert.equal(s?.f.user, 'bob');
  assert.equal(s?.f.database, 'ehr');
  const bg = matchWith(p, '2024-01-02 03:04:05.678 UTC [40] LOG:  checkpoint starting: time');
  assert.ok(bg);
  assert.equal(bg.f.user, null);
  // An `@` in a background message must not be read as user@db.
  const at = matchWith(p, '2024-01-02 03:04:05.678 UTC [40] LOG:  mail a@b sent');
  assert.equal(at?.f.user, null);
  const pad = matchWith('%m [%-6p] %10u ', '2024-01-02 03:04:05.678 UTC [42    ]        bob LOG:  x');
  assert.equal(pad?.f.pid, '42');
  assert.equal(pad?.f.user, 'bob');
  const more = matchWith('%n [%p-%l] %c %e ', '1704164645.678 [42-7] 65943a25.2a 42P01 ERROR:  x');
  assert.equal(more?.f.ts, '1704164645.678');
  assert.equal(more?.f.lineNum, '7');
  assert.equal(more?.f.sessionId, '65943a25.2a');
  assert.equal(more?.f.sqlState, '42P01');
  assert.equal(typeof compilePrefix('%m %z'), 'string');
  assert.equal(typeof compilePrefix('%m %'), 'string');
});

test('severity: two spaces, verbose SQLSTATE, unknown words', () => {
  assert.deepEqual(matchSeverity('LOG:  hello', 0), { severity: 'LOG', sqlState: null, messageStart: 6 });
  assert.deepEqual(matchSeverity('ERROR:  42P01: relation "x" does not exist', 0), {
    severity: 'ERROR',
    sqlState: '42P01',
    messageStart: 15,
  });
  assert.equal(matchSeverity('FOO:  x', 0), null);
  assert.equal(matchSeverity('LOG:x', 0), null);
});

// ---- stderr messages --------------------------------------------------------------------------------------

const pre = (pid = 13070, user = 'postgres', db = 'test', host = '[local]') =>
  `2020-03-11 20:41:42 CET:${host}:${user}@${db}:[${pid}]:`;

test('stderr: duration + statement, CET to UTC, [local], pid as session', () => {
  const r = one([`${pre()}LOG:  duration: 1.583 ms  statement: SELECT extname FROM pg_extension;`]);
  assert.equal(r.tsMs, T);
  assert.equal(r.sourceKind, 'db');
  assert.equal(r.dbUser, 'postgres');
  assert.equal(r.attrs['database'], 'test');
  assert.equal(r.attrs['client'], 'local');
  assert.equal(r.clientIp, null);
  assert.equal(r.sessionId, '13070');
  assert.equal(r.durationMs, 1.583);
  assert.equal(r.sql, 'SELECT extname FROM pg_extension;');
  assert.equal(r.dbOperation, null);
  assert.equal(r.status, null);
});

test('stderr: multi-line statement (tab continuation) and a line without prefix', () => {
  const r = one(
    [
      `${pre(1, 'u', 'd', '10.0.0.5(40000)')}LOG:  statement: SELECT *`,
      '\tFROM patients',
      '\tWHERE id = 7;',
      'trailing text without prefix',
    ],
    { logLinePrefix: RDS },
  );
  assert.equal(r.sql, 'SELECT *\nFROM patients\nWHERE id = 7;\ntrailing text without prefix');
  assert.equal(r.clientIp, '10.0.0.5');
});

test('stderr: execute + DETAIL parameters (kept raw for normalisation to redact)', () => {
  const r = one([
    `${pre(9)}LOG:  duration: 0.2 ms  execute S_1: SELECT * FROM patients WHERE ssn = $1`,
    `${pre(9)}DETAIL:  parameters: $1 = '123-45-6789'`,
  ]);
  assert.equal(r.sql, 'SELECT * FROM patients WHERE ssn = $1');
  assert.equal(r.attrs['statement_name'], 'S_1');
  assert.equal(r.attrs['parameters'], "$1 = '123-45-6789'");
  assert.equal(r.durationMs, 0.2);
});

test('stderr: parse/bind durations are skipped, the execute is kept', () => {
  assert.deepEqual(
    kinds([
      `${pre(9)}LOG:  duration: 0.1 ms  parse <unnamed>: SELECT 1`,
      `${pre(9)}LOG:  duration: 0.1 ms  bind <unnamed>: SELECT 1`,
      `${pre(9)}LOG:  execute <unnamed>: SELECT 1`,
      `${pre(9)}LOG:  duration: 0.1 ms  plan:`,
      '\tQuery Text: SELECT 1',
    ]),
    ['skip:parse', 'skip:bind', 'record', 'skip:plan'],
  );
});

test('stderr: log_duration line joins its statement when the pid matches, else is skipped', () => {
  const rs = run([
    `${pre(5)}LOG:  statement: SELECT 1`,
    `${pre(5)}LOG:  duration: 3.5 ms`,
    `${pre(6)}LOG:  statement: SELECT 2`,
    `${pre(7)}LOG:  duration: 1.0 ms`,
  ]);
  assert.equal(rs.length, 3);
  assert.equal(rs[0]?.ok === true && rs[0].record.durationMs, 3.5);
  assert.equal(rs[1]?.ok === true && rs[1].record.durationMs, null);
  assert.equal(rs[2]?.ok === 'skip' && rs[2].kind, 'duration');
});

test('stderr: connection authorized / disconnection / received (host remembered per pid)', () => {
  const p = '%m [%p] ';
  const rs = records(
    [
      '2024-05-01 10:00:00.010 UTC [77] LOG:  connection authorized: user=alice database=ehr application_name=psql',
      '2024-05-01 10:00:09.000 UTC [77] LOG:  disconnection: session time: 0:00:08.990 user=alice database=ehr host=10.1.2.3 port=5555',
    ],
    { logLinePrefix: p },
  );
  // Without the `connection received` line the host of the CONNECT is unknown; the
  // disconnection names it.
  assert.equal(rs[0]?.clientIp, null);
  assert.equal(rs[1]?.clientIp, '10.1.2.3');
  const withHost = recordsOnly(
    [
      '2024-05-01 10:00:00.000 UTC [77] LOG:  connection received: host=10.1.2.3 port=5555',
      '2024-05-01 10:00:00.010 UTC [77] LOG:  connection authorized: user=alice database=ehr application_name=psql',
      '2024-05-01 10:00:09.000 UTC [77] LOG:  disconnection: session time: 0:00:08.990 user=alice database=ehr host=10.1.2.3 port=5555',
    ],
    { logLinePrefix: p },
  );
  assert.equal(withHost.length, 2);
  const [c, d] = withHost as [AccessRecord, AccessRecord];
  assert.equal(c.dbOperation, 'CONNECT');
  assert.equal(c.authenticated, true);
  assert.equal(c.dbUser, 'alice');
  assert.equal(c.attrs['database'], 'ehr');
  assert.equal(c.attrs['application'], 'psql');
  assert.equal(c.clientIp, '10.1.2.3');
  assert.equal(c.tsMs, Date.UTC(2024, 4, 1, 10, 0, 0, 10));
  assert.equal(d.dbOperation, 'DISCONNECT');
  assert.equal(d.durationMs, 8990);
  assert.equal(d.clientIp, '10.1.2.3');
});

test('stderr: pgAudit SESSION and OBJECT, quoted multi-line statement, rows', () => {
  const rs = records([
    `${pre(3, 'nurse', 'ehr')}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.patients,"SELECT name, dob`,
    '\tFROM public.patients",<not logged>',
    `${pre(3, 'nurse', 'ehr')}LOG:  AUDIT: OBJECT,2,1,WRITE,UPDATE,TABLE,public.notes,<previously logged>,<previously logged>,4`,
    `${pre(3, 'nurse', 'ehr')}LOG:  AUDIT: SESSION,3,1,READ,SELECT,,,select * from t where a = $1,"42",12`,
  ]);
  const [a, b, c] = rs as [AccessRecord, AccessRecord, AccessRecord];
  assert.equal(a.dbOperation, 'SELECT');
  assert.deepEqual(a.tables, ['public.patients']);
  assert.equal(a.sql, 'SELECT name, dob\nFROM public.patients');
  assert.equal(a.attrs['audit_type'], 'SESSION');
  assert.equal(a.attrs['audit_class'], 'READ');
  assert.equal(a.attrs['parameters'], undefined);
  assert.equal(b.dbOperation, 'UPDATE');
  assert.equal(b.sql, null);
  assert.equal(b.rowsOut, 4);
  assert.equal(b.attrs['audit_type'], 'OBJECT');
  assert.equal(c.attrs['parameters'], '42');
  assert.equal(c.rowsOut, 12);
  assert.deepEqual(c.tables, []);
  assert.deepEqual(kinds([`${pre()}LOG:  AUDIT: BOGUS`]), [
    'reject:malformed postgres line: malformed_audit',
  ]);
});

test('stderr: ERROR + STATEMENT, FATAL authentication failures', () => {
  const e = one([
    '2024-05-01 10:00:00.000 UTC [8] bob@ehr ERROR:  permission denied for table patients',
    '2024-05-01 10:00:00.000 UTC [8] bob@ehr STATEMENT:  SELECT * FROM patients',
    '\tWHERE 1=1',
  ]);
  assert.equal(e.attrs['severity'], 'ERROR');
  assert.equal(e.attrs['error_message'], 'permission denied for table patients');
  assert.equal(e.sql, 'SELECT * FROM patients\nWHERE 1=1');
  assert.equal(e.dbOperation, null);
  assert.equal(e.status, null);
  const v = one(['2024-05-01 10:00:00.000 UTC [8] bob@ehr ERROR:  42P01: relation "x" does not exist']);
  assert.equal(v.attrs['error_code'], '42P01');
  const f = one([
    `${pre(12795, 'gilles', 'pgbench', '192.168.1.201(50906)')}FATAL:  password authentication failed for user "gilles"`,
  ]);
  assert.equal(f.dbOperation, 'CONNECT');
  assert.equal(f.authenticated, false);
  assert.equal(f.dbUser, 'gilles');
  assert.equal(f.clientIp, '192.168.1.201');
  const h = one([
    '2024-05-01 10:00:00.000 UTC [9] FATAL:  no pg_hba.conf entry for host "10.9.9.9", user "mallory", database "ehr", SSL off',
  ]);
  assert.equal(h.dbUser, 'mallory');
  assert.equal(h.clientIp, '10.9.9.9');
  assert.equal(h.attrs['database'], 'ehr');
  assert.equal(h.authenticated, false);
});

test('stderr: server messages are skipped with a kind; orphans; lines before any record', () => {
  assert.deepEqual(
    kinds([
      '\tcontinuation with nothing before it',
      '2024-05-01 10:00:00.000 UTC [1] LOG:  database system is ready to accept connections',
      '2024-05-01 10:00:00.000 UTC [2] LOG:  checkpoint starting: time',
      '2024-05-01 10:00:00.000 UTC [3] LOG:  automatic vacuum of table "ehr.public.notes": index scans: 0',
      '\tpages: 0 removed, 1 remain',
      '2024-05-01 10:00:00.000 UTC [4] WARNING:  there is no transaction in progress',
      '2024-05-01 10:00:00.000 UTC [4] HINT:  orphan? no: same pid, attached',
      '2024-05-01 10:00:00.000 UTC [5] LOG:  temporary file: path "base/pgsql_tmp/x", size 1',
      '2024-05-01 10:00:00.000 UTC [5] LOG:  statement: ',
    ]),
    [
      'skip:orphan_continuation',
      'skip:server',
      'skip:checkpoint',
      'skip:autovacuum',
      'skip:warning',
      'skip:temp_file',
      'skip:empty_statement',
    ],
  );
  assert.deepEqual(kinds(['garbage first line']), ['reject:malformed postgres line: no_prefix']);
  assert.deepEqual(kinds(['', '   ']), ['skip:blank', 'skip:blank']);
});

test('stderr: time zones (numeric, abbreviation, ambiguous needs the option, IANA with DST)', () => {
  const line = (ts: string) => `${ts} [1] LOG:  statement: select 1`;
  assert.equal(one([line('2024-01-15 12:00:00.000 +03')]).tsMs, Date.UTC(2024, 0, 15, 9));
  assert.equal(one([line('2024-01-15 12:00:00.000 -0330')]).tsMs, Date.UTC(2024, 0, 15, 15, 30));
  assert.equal(one([line('2024-07-15 12:00:00.000 CEST')]).tsMs, Date.UTC(2024, 6, 15, 10));
  const amb = run([line('2024-07-15 12:00:00.000 CST')]);
  assert.equal(amb[0]?.ok, false);
  assert.equal(amb[0]?.ok === false && amb[0].error.code, 'LW_ERR_PARSE_BAD_TIMESTAMP');
  // With the zone the server logs in, the instant is exact (CDT in July).
  assert.equal(
    one([line('2024-07-15 12:00:00.000 CST')], { timezone: 'America/Chicago' }).tsMs,
    Date.UTC(2024, 6, 15, 17),
  );
  assert.equal(parsePgStamp('2024-01-15 12:00:00', resolveZone('Europe/Paris')), Date.UTC(2024, 0, 15, 11));
  assert.equal(parsePgStamp('2024-07-15 12:00:00', resolveZone('Europe/Paris')), Date.UTC(2024, 6, 15, 10));
  assert.ok(Number.isNaN(parsePgStamp('2024-02-30 12:00:00 UTC', null)));
  assert.equal(parseIsoStamp('2020-05-02T13:00:20.382318Z'), Date.UTC(2020, 4, 2, 13, 0, 20, 382));
  assert.equal(parseIsoStamp('2020-05-02T13:00:20+02:00'), Date.UTC(2020, 4, 2, 11, 0, 20));
  // A prefix without a time and no envelope: rejected.
  assert.deepEqual(kinds(['[12]: [1-1] db=a,user=b LOG:  statement: select 1']), [
    'reject:malformed postgres line: no_timestamp',
  ]);
});

// ---- syslog -------------------------------------------------------------------------------------------------

test('syslog: [n-m] continuation, #011, split long line, other programs, year and zone', () => {
  const h = (seq: string, pid = 10819) => `Feb 11 13:15:40 test-pc postgres[${pid}]: [${seq}] `;
  const px = 'db=ehr,user=bob,app=psql,client=10.0.0.9 ';
  const lines = [
    `${h('7-1')}${px}LOG:  duration: 13.997 ms  statement: SELECT d.datname as "Name",`,
    `${h('7-2')}#011       d.datcollate as "Collate"`,
    `${h('7-3')}#011FROM pg_catalog.pg_database d WHERE x = 'abc`,
    `${h('7-4')}def';`,
    'Feb 11 13:15:41 test-pc systemd[1]: Started PostgreSQL RDBMS.',
    `${h('8-1', 11)}${px}LOG:  statement: select 2`,
    `${h('8-2', 12)}#011orphan from another pid`,
  ];
  const rs = runCounted(lines, { year: 2019, timezone: 'CET' });
  assert.deepEqual(
    rs.map((c) => [
      c.result.ok === true ? 'record' : c.result.ok === 'skip' ? c.result.kind : 'reject',
      c.lines,
    ]),
    [
      ['record', 4],
      ['syslog_other', 1],
      ['record', 1],
      ['orphan_continuation', 1],
    ],
  );
  const r = recAt(rs, 0);
  assert.equal(r.tsMs, Date.UTC(2019, 1, 11, 12, 15, 40));
  assert.equal(
    r.sql,
    `SELECT d.datname as "Name",\n       d.datcollate as "Collate"\nFROM pg_catalog.pg_database d WHERE x = 'abcdef';`,
  );
  assert.equal(r.dbUser, 'bob');
  assert.equal(r.clientIp, '10.0.0.9');
  assert.equal(r.attrs['application'], 'psql');
  assert.equal(r.sessionId, '10819');
  // Dec → Jan moves to the next year.
  const roll = records(
    [
      `Dec 31 23:59:59 h postgres[1]: [1-1] ${px}LOG:  statement: a`,
      `Jan  1 00:00:01 h postgres[1]: [2-1] ${px}LOG:  statement: b`,
    ],
    { year: 2019 },
  );
  assert.equal(roll[0]?.tsMs, Date.UTC(2019, 11, 31, 23, 59, 59));
  assert.equal(roll[1]?.tsMs, Date.UTC(2020, 0, 1, 0, 0, 1));
  // A prefix with its own %m wins over the syslog stamp (it has the year and the zone).
  const own = one([
    'Feb 11 13:15:40 h postgres[5]: [1-1] 2018-02-11 13:15:40.250 UTC [5] LOG:  statement: x',
  ]);
  assert.equal(own.tsMs, Date.UTC(2018, 1, 11, 13, 15, 40, 250));
  assert.equal(parseSyslogHeader('not syslog'), null);
});

// ---- csvlog --------------------------------------------------------------------------------------------------

test('csv: reader handles quotes, doubled quotes and records spanning lines', () => {
  const r = new CsvRecordReader();
  assert.equal(r.push('a,"b,c","x""y'), null);
  assert.equal(r.open, true);
  assert.deepEqual(r.push('z",,9'), ['a', 'b,c', 'x"y\nz', '', '9']);
  assert.deepEqual(splitCsv('SESSION,1,1,READ,SELECT,,,"select 1, 2",<not logged>'), [
    'SESSION',
    '1',
    '1',
    'READ',
    'SELECT',
    '',
    '',
    'select 1, 2',
    '<not logged>',
  ]);
});

test('csvlog: PG 14 row with multi-line query; too few fields; cut off at the end', () => {
  const row = [
    '2024-05-01 10:00:00.123 UTC,"alice","ehr",4242,"10.0.0.7:51000",66320000.1092,3,"SELECT",2024-05-01 09:59:00 UTC,3/9,0,LOG,00000,"duration: 2.5 ms  statement: SELECT *',
    '',
    'FROM patients",,,,,,,,,"psql","client backend",,0',
  ];
  const rs = runCounted([...row, '2024-05-01 10:00:01.000 UTC,only,a,few', row[0] as string]);
  assert.deepEqual(
    rs.map((c) => [
      c.result.ok === true ? 'record' : c.result.ok === false ? c.result.error.message : 'skip',
      c.lines,
    ]),
    [
      ['record', 3],
      ['malformed postgres line: csv_too_few_fields', 1],
      ['malformed postgres line: csv_unterminated', 1],
    ],
  );
  const r = recAt(rs, 0);
  assert.equal(r.tsMs, Date.UTC(2024, 4, 1, 10, 0, 0, 123));
  assert.equal(r.dbUser, 'alice');
  assert.equal(r.clientIp, '10.0.0.7');
  assert.equal(r.sessionId, '66320000.1092');
  assert.equal(r.sql, 'SELECT *\n\nFROM patients');
  assert.equal(r.durationMs, 2.5);
  assert.equal(r.attrs['application'], 'psql');
  assert.equal(r.attrs['command_tag'], 'SELECT');
});

// ---- jsonlog and envelopes ------------------------------------------------------------------------------------

test('jsonlog (PG 15+), from the documented keys', () => {
  const r = one([
    JSON.stringify({
      timestamp: '2022-08-10 14:37:31.263 UTC',
      user: 'alice',
      dbname: 'ehr',
      pid: 4242,
      remote_host: '192.0.2.10',
      remote_port: 52000,
      session_id: '62f3c2b3.1092',
      line_num: 4,
      ps: 'SELECT',
      session_start: '2022-08-10 14:37:07 UTC',
      vxid: '3/9',
      txid: 0,
      error_severity: 'LOG',
      message: 'duration: 0.5 ms  statement: SELECT * FROM patients',
      application_name: 'psql',
      backend_type: 'client backend',
      query_id: 0,
    }),
  ]);
  assert.equal(r.tsMs, Date.UTC(2022, 7, 10, 14, 37, 31, 263));
  assert.equal(r.dbUser, 'alice');
  assert.equal(r.attrs['database'], 'ehr');
  assert.equal(r.clientIp, '192.0.2.10');
  assert.equal(r.sessionId, '62f3c2b3.1092');
  assert.equal(r.sql, 'SELECT * FROM patients');
  assert.equal(r.durationMs, 0.5);
  const e = one([
    '{"timestamp":"2022-08-10 14:37:31.263 UTC","user":"bob","dbname":"ehr","pid":7,"error_severity":"ERROR","state_code":"42501","message":"permission denied for table patients","statement":"select * from patients"}',
  ]);
  assert.equal(e.attrs['error_code'], '42501');
  assert.equal(e.sql, 'select * from patients');
  assert.deepEqual(kinds(['{"a":1}', '{not json', '[1]']), [
    'reject:malformed postgres line: unknown_json',
    'reject:malformed postgres line: bad_json',
    'reject:malformed postgres line: no_prefix',
  ]);
});

test('Cloud SQL textPayload: entry time, tab continuation entries, host from connection received', () => {
  const entry = (ts: string, payload: string) =>
    JSON.stringify({ insertId: 'x', severity: 'INFO', textPayload: payload, timestamp: ts });
  const rs = runCounted([
    entry(
      '2020-05-02T13:00:20.382318Z',
      '[24667]: [1-1] db=[unknown],user=[unknown] LOG:  connection received: host=127.0.0.1 port=59760',
    ),
    entry('2020-05-02T13:00:20.38403Z', '[24667]: [2-1] db=test,user=alice LOG:  statement: SELECT *'),
    entry('2020-05-02T13:00:20.38404Z', '\tFROM t1'),
  ]);
  assert.deepEqual(
    rs.map((c) => c.lines),
    [1, 2],
  );
  const r = recAt(rs, 1);
  assert.equal(r.tsMs, Date.UTC(2020, 4, 2, 13, 0, 20, 384));
  assert.equal(r.sql, 'SELECT *\nFROM t1');
  assert.equal(r.clientIp, '127.0.0.1');
  assert.equal(r.dbUser, 'alice');
});

test('CloudNativePG: postgres records, raw stderr msg, operator lines skipped', () => {
  const rs = run([
    '{"level":"info","ts":1669575482.09,"logger":"postgres","msg":"record","logging_pod":"p-1","record":{"log_time":"2022-11-27 18:58:02.096 UTC","user_name":"app","database_name":"ehr","process_id":"600","connection_from":"10.42.0.9:5000","session_id":"6383b33a.258","session_line_num":"4","command_tag":"SELECT","error_severity":"LOG","sql_state_code":"00000","message":"duration: 0.097 ms  statement: select 1","application_name":"web","backend_type":"client backend","query_id":"0"}}',
    '{"level":"info","ts":1669574899.0,"logger":"postgres","msg":"2022-11-27 18:48:18.943 UTC [28] LOG:  ending log output to stderr","logging_pod":"p-1"}',
    '{"level":"info","ts":1669574901.99,"msg":"Readiness probe failing","logging_pod":"p-1","err":"instance is not ready yet"}',
    '{"level":"info","ts":1669575244.91,"logger":"wal-archive","msg":"Backup not configured, skip WAL archiving","logging_pod":"p-1"}',
  ]);
  assert.equal(rs.length, 4);
  const r = (rs[0] as { record: AccessRecord }).record;
  assert.equal(r.tsMs, Date.UTC(2022, 10, 27, 18, 58, 2, 96));
  assert.equal(r.clientIp, '10.42.0.9');
  assert.equal(r.sql, 'select 1');
  assert.deepEqual(
    rs.slice(1).map((x) => x.ok === 'skip' && x.kind),
    ['server', 'operator', 'operator'],
  );
});

// ---- size cap -----------------------------------------------------------------------------------------------

test('record_too_long: a huge multi-line statement is rejected whole and parsing resumes', () => {
  const chunk = `\t${'x'.repeat(64 * 1024)}`;
  const n = Math.ceil(MAX_RECORD / chunk.length) + 2;
  const lines = [
    '2024-05-01 10:00:00.000 UTC [1] LOG:  statement: SELECT',
    ...Array.from({ length: n }, () => chunk),
    '2024-05-01 10:00:01.000 UTC [1] LOG:  statement: SELECT 2',
  ];
  const rs = runCounted(lines);
  assert.equal(rs.length, 2);
  assert.equal(
    rs[0]?.result.ok === false && rs[0].result.error.message,
    'malformed postgres line: record_too_long',
  );
  assert.equal(rs[0]?.lines, n + 1);
  assert.equal(rs[1]?.result.ok, true);
  // One physical line over the cap.
  assert.deepEqual(kinds([`2024-05-01 10:00:00.000 UTC [1] LOG:  statement: ${'y'.repeat(MAX_RECORD)}`]), [
    'reject:malformed postgres line: record_too_long',
  ]);
  // csvlog: an unterminated quote swallowing the file is cut at the cap, then resyncs.
  const csvStart =
    '2024-05-01 10:00:00.123 UTC,"a","b",1,"[local]",1.1,1,"",2024-05-01 10:00:00 UTC,,0,LOG,00000,"';
  const csvRows = runCounted([
    `${csvStart}statement: x`,
    ...Array.from({ length: n }, () => 'y'.repeat(64 * 1024)),
    '",,,,,,,,,"psql"',
    `${csvStart}statement: ok",,,,,,,,,"psql"`,
  ]);
  assert.deepEqual(
    csvRows.map((c) => [c.result.ok, c.lines]),
    [
      [false, n + 2],
      [true, 1],
    ],
  );
});

// ---- options -------------------------------------------------------------------------------------------------

test('create() validates every option and lists all problems', () => {
  assert.throws(
    () => postgresFormat.create({ logLinePrefix: '%m %z', timezone: 'Mars/Olympus', year: 1.5 }),
    (e: unknown) =>
      e instanceof LeakwatchError &&
      e.code === 'LW_ERR_CONFIG_INVALID' &&
      /%z/.test(e.message) &&
      /Mars/.test(e.message) &&
      /year/.test(e.message),
  );
  assert.doesNotThrow(() =>
    postgresFormat.create({ logLinePrefix: '%m [%p] ', timezone: 'Europe/Paris', year: 2019 }),
  );
  assert.doesNotThrow(() => postgresFormat.create({ timezone: '+05:30' }));
});

// ---- sniff ---------------------------------------------------------------------------------------------------

test('sniff: low for other formats', () => {
  const others: string[][] = [
    [
      '93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3"',
    ],
    ['# Time: 071218 11:48:27', '# User@Host: [SQL_SLAVE] @  []', '# Query_time: 0.000012', 'SELECT 1;'],
    [
      '{"Records":[{"eventVersion":"1.05","eventTime":"2018-11-28T22:31:59Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","sourceIPAddress":"104.102.221.250","userAgent":"aws-cli"}]}',
    ],
    [
      '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"},"eventTime":"2020-09-14T00:44:20Z","eventName":"GetObject","awsRegion":"us-east-1"}',
    ],
    [
      '{"time_local":"17/May/2015:08:05:32 +0000","remote_addr":"93.180.71.3","remote_user":"-","request":"GET /downloads/product_1 HTTP/1.1","status":"304","body_bytes_sent":"0","http_referer":"-","http_user_agent":"Debian APT-HTTP/1.3"}',
    ],
    [],
  ];
  for (const lines of others) assert.ok(postgresFormat.sniff(lines) < 0.3, JSON.stringify(lines));
});

// ---- real files ------------------------------------------------------------------------------------------------

interface Tally {
  lines: number;
  parsed: number;
  skipped: number;
  rejected: number;
  kinds: Record<string, number>;
  reasons: Record<string, number>;
  records: Array<{ record: AccessRecord; position: string; lines: number }>;
  results: CountedResult[];
}

const realCache = new Map<string, string[] | null>();

/** The real file's lines (read once per test run), or null when it is not there. */
function realLines(rel: string): string[] | null {
  if (!realCache.has(rel)) {
    const path = realLogPath(rel);
    realCache.set(rel, path === null ? null : readRealLines(path));
  }
  return realCache.get(rel) ?? null;
}

function tally(rel: string, opts?: Opts): Tally | null {
  const lines = realLines(rel);
  if (lines === null) return null;
  const results = runCounted(lines, opts);
  const t: Tally = {
    lines: 0,
    parsed: 0,
    skipped: 0,
    rejected: 0,
    kinds: {},
    reasons: {},
    records: [],
    results,
  };
  for (const c of results) {
    t.lines += c.lines;
    const r = c.result;
    if (r.ok === true) {
      t.parsed++;
      t.records.push({ record: r.record, position: r.position, lines: c.lines });
    } else if (r.ok === 'skip') {
      t.skipped++;
      t.kinds[r.kind] = (t.kinds[r.kind] ?? 0) + 1;
      assert.equal(r.lines, c.lines);
    } else {
      t.rejected++;
      t.reasons[r.error.message] = (t.reasons[r.error.message] ?? 0) + 1;
    }
  }
  // Every physical line is in exactly one result: positions strictly increase (results come in
  // order), and the line counts add up to the file.
  assert.equal(t.lines, lines.length, `${rel}: lines accounted`);
  let last = -1;
  for (const c of results) {
    const pos = Number(c.result.position);
    assert.ok(pos > last, `${rel}: position ${pos} after ${last}`);
    last = pos;
  }
  return t;
}

const REAL_PG = [
  'postgresql-pgbadger/rds.log.bz2',
  'postgresql-pgbadger/pg-syslog.1.bz2',
  'postgresql-pgbadger/cnpg.log.gz',
  'postgresql-pgbadger/cloudsql.log.gz',
  'pgaudit-pgaudit/postgresql-2015-08-12_161343.csv',
] as const;

test('real: sniff >= 0.8 on the first 20 lines of every PostgreSQL file', (t) => {
  for (const rel of REAL_PG) {
    const lines = realLines(rel);
    if (lines === null) {
      t.skip(`${rel} not present`);
      continue;
    }
    const s = postgresFormat.sniff(lines.slice(0, 20));
    assert.ok(s >= 0.8, `${rel}: ${s}`);
  }
});

test('real: rds.log (stderr, %t:%r:%u@%d:[%p]:, CET) — counts, values, speed', (t) => {
  const lines = realLines('postgresql-pgbadger/rds.log.bz2');
  if (lines === null) return t.skip('rds.log.bz2 not present');
  const t0 = performance.now();
  const p = postgresFormat.create();
  let n = 0;
  let offset = 0;
  for (const text of lines) {
    n += p.push({ offset, text }).length;
    offset += text.length + 1;
  }
  n += p.end().length;
  const ms = performance.now() - t0;
  // Not a speed test (make bench measures speed): a guard against quadratic work, which on 114,604
  // lines would take minutes. ~0.6 s idle, 6 s seen on a loaded 2-core machine.
  assert.ok(ms < 60_000, `rds.log parsed in ${ms.toFixed(0)} ms: quadratic?`);
  assert.equal(n, lines.length);

  const r = tally('postgresql-pgbadger/rds.log.bz2') as Tally;
  // 114,604 lines, all single-line: 114,594 `duration: ... statement:` (3 of them with an empty
  // statement, psql probes), 2 FATAL pg_hba rejections, 8 server messages. No rejects.
  assert.deepEqual(
    { lines: r.lines, parsed: r.parsed, skipped: r.skipped, rejected: r.rejected },
    { lines: 114604, parsed: 114593, skipped: 11, rejected: 0 },
  );
  assert.deepEqual(r.kinds, { server: 8, empty_statement: 3 });
  const fatal = r.records[0]?.record as AccessRecord;
  assert.equal(fatal.tsMs, Date.UTC(2020, 2, 11, 19, 40, 50)); // 20:40:50 CET
  assert.equal(fatal.dbOperation, 'CONNECT');
  assert.equal(fatal.authenticated, false);
  assert.equal(fatal.clientIp, '192.168.1.201');
  assert.equal(fatal.dbUser, 'gilles');
  assert.equal(fatal.attrs['database'], 'pgbench');
  assert.equal(fatal.sessionId, '12795');
  const q = r.records[2]?.record as AccessRecord;
  assert.equal(q.tsMs, T);
  assert.equal(q.durationMs, 0.86);
  assert.equal(q.dbUser, 'postgres');
  assert.equal(q.attrs['database'], 'postgres');
  assert.equal(q.sql, 'SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn;');
  const last = r.records[r.records.length - 1]?.record as AccessRecord;
  assert.equal(last.tsMs, Date.UTC(2020, 2, 11, 19, 42, 47));
});

test('real: pg-syslog.1 (syslog, year 2019, CET) — counts and a multi-line statement', (t) => {
  const r = tally('postgresql-pgbadger/pg-syslog.1.bz2', { year: 2019, timezone: 'CET' });
  if (r === null) return t.skip('pg-syslog.1.bz2 not present');
  // 59,921 lines: 59,871 duration+statement records (some span [n-2..] continuation lines),
  // 6 connection authorized, 6 disconnection, 7 connection received, 6 server messages (one with
  // its [3-2] HINT line), 3 systemd lines. No rejects.
  assert.deepEqual(
    { lines: r.lines, parsed: r.parsed, skipped: r.skipped, rejected: r.rejected },
    { lines: 59921, parsed: 59883, skipped: 16, rejected: 0 },
  );
  assert.deepEqual(r.kinds, { server: 6, connection_received: 7, syslog_other: 3 });
  const connect = r.records[0]?.record as AccessRecord;
  assert.equal(connect.tsMs, Date.UTC(2019, 1, 11, 12, 15, 40)); // Feb 11 13:15:40 CET
  assert.equal(connect.dbOperation, 'CONNECT');
  assert.equal(connect.dbUser, 'postgres');
  const multi = r.records[1] as { record: AccessRecord; lines: number };
  assert.equal(multi.lines, 8);
  assert.equal(multi.record.durationMs, 13.997);
  assert.equal(multi.record.attrs['application'], 'psql');
  assert.ok(multi.record.sql?.startsWith('SELECT d.datname as "Name",\n       pg_catalog.pg_get_userbyid'));
  assert.ok(
    multi.record.sql?.endsWith(
      'E\'\\n\') AS "Access privileges"\nFROM pg_catalog.pg_database d\nORDER BY 1;',
    ),
  );
  const disc = r.records[2]?.record as AccessRecord;
  assert.equal(disc.dbOperation, 'DISCONNECT');
  assert.equal(disc.durationMs, 26);
});

test('real: cloudsql.log (Cloud SQL LogEntry) — counts and values', (t) => {
  const r = tally('postgresql-pgbadger/cloudsql.log.gz');
  if (r === null) return t.skip('cloudsql.log.gz not present');
  // 1,343 entries: 398 CONNECT, 397 DISCONNECT, 4 FATAL (3 administrator shutdowns, 1 "starting
  // up"), 1 statement; 400 connection received; 34 autovacuum/analyze reports (vacuum ones span
  // 6 entries: the report's tab lines are entries of their own); 24 checkpoints; 10 server.
  assert.deepEqual(
    { lines: r.lines, parsed: r.parsed, skipped: r.skipped, rejected: r.rejected },
    { lines: 1343, parsed: 800, skipped: 468, rejected: 0 },
  );
  assert.deepEqual(r.kinds, { connection_received: 400, autovacuum: 34, checkpoint: 24, server: 10 });
  const c = r.records[0]?.record as AccessRecord;
  assert.equal(c.tsMs, Date.UTC(2020, 4, 2, 13, 0, 20, 384));
  assert.equal(c.dbOperation, 'CONNECT');
  assert.equal(c.dbUser, 'cloudsqladmin');
  assert.equal(c.attrs['database'], 'cloudsqladmin');
  assert.equal(c.clientIp, '127.0.0.1'); // from the `connection received` entry of pid 24667
  const d = r.records[1]?.record as AccessRecord;
  assert.equal(d.dbOperation, 'DISCONNECT');
  assert.equal(d.durationMs, 8);
  const stmt = r.records.find((x) => x.record.sql !== null)?.record as AccessRecord;
  assert.equal(stmt.sql, 'SELECT *  FROM t1');
  assert.equal(stmt.attrs['database'], 'test');
  assert.equal(stmt.tsMs, Date.UTC(2020, 4, 2, 13, 43, 20, 415));
  const vacuum = r.results.find((x) => x.result.ok === 'skip' && x.result.kind === 'autovacuum');
  assert.equal(vacuum?.lines, 6);
});

test('real: cnpg.log (CloudNativePG JSON) — counts and values', (t) => {
  const r = tally('postgresql-pgbadger/cnpg.log.gz');
  if (r === null) return t.skip('cnpg.log.gz not present');
  // 2,022 lines: 1,975 postgres records, 4 raw stderr lines of the postgres logger, 43 operator /
  // instance-manager lines. The file is newest-first, so the HINT of `ending log output to stderr`
  // comes before its LOG line: Skipped orphan_detail (its LOG counts under server).
  assert.deepEqual(
    { lines: r.lines, parsed: r.parsed, skipped: r.skipped, rejected: r.rejected },
    { lines: 2022, parsed: 1176, skipped: 845, rejected: 0 },
  );
  assert.equal(r.kinds['operator'], 43);
  assert.equal(r.kinds['orphan_detail'], 1);
  const err = r.records.find((x) => x.record.attrs['error_code'] === '42703')?.record as AccessRecord;
  assert.equal(err.sql, "delete from states where names = 'America';");
  assert.equal(err.dbUser, 'postgres');
  assert.equal(err.attrs['database'], 'myapp');
  assert.equal(err.tsMs, Date.UTC(2022, 10, 27, 18, 54, 26, 572));
  const repl = r.records.find((x) => x.record.attrs['replication'] === 'true')?.record as AccessRecord;
  assert.equal(repl.dbUser, 'streaming_replica');
  assert.equal(repl.clientIp, '10.42.5.135');
  assert.equal(repl.dbOperation, 'CONNECT');
});

test('real: pgaudit csvlog — 658 lines, 222 records, pgAudit values', (t) => {
  const r = tally('pgaudit-pgaudit/postgresql-2015-08-12_161343.csv');
  if (r === null) return t.skip('pgaudit csv not present');
  // 222 CSV records over 658 lines: 182 AUDIT, 16 connection authorized, 2 ERROR; 16 connection
  // received, 5 server messages, 1 NOTICE from a RAISE in a DO block.
  assert.deepEqual(
    { lines: r.lines, parsed: r.parsed, skipped: r.skipped, rejected: r.rejected },
    { lines: 658, parsed: 200, skipped: 22, rejected: 0 },
  );
  assert.equal(r.parsed + r.skipped, 222);
  const audits = r.records.filter((x) => x.record.attrs['audit_type'] !== undefined);
  assert.equal(audits.length, 182);
  const pw = audits.find(
    (x) => x.record.attrs['audit_type'] === 'OBJECT' && x.record.sql === 'SELECT password\n  FROM account;',
  );
  assert.ok(pw);
  assert.equal(pw.record.dbOperation, 'SELECT');
  assert.deepEqual(pw.record.tables, ['public.account']);
  assert.equal(pw.record.dbUser, 'user1');
  assert.equal(pw.record.sessionId, '55cb70b8.5860');
  assert.equal(pw.record.tsMs, Date.UTC(2015, 7, 12, 16, 13, 44, 928));
  assert.equal(pw.lines, 2);
  const prev = audits.find((x) => x.record.sql === null && x.record.attrs['audit_type'] === 'OBJECT');
  assert.deepEqual(prev?.record.tables, ['public.test2']);
});

// ---- never throws ----------------------------------------------------------------------------------------------

const FRAGMENTS = [
  '2020-03-11 20:41:42 CET:[local]:postgres@test:[1]:',
  '2024-05-01 10:00:00.000 UTC [1] ',
  'Feb 11 13:15:40 h postgres[1]: [7-2] ',
  'LOG:  ',
  'ERROR:  ',
  'STATEMENT:  ',
  'DETAIL:  parameters: ',
  'duration: 1.5 ms',
  '  statement: ',
  'execute S_1: ',
  'AUDIT: SESSION,1,1,READ,SELECT,TABLE,t,"',
  'connection received: host=',
  'disconnection: session time: 0:',
  '\t',
  '#011',
  '"',
  ',',
  '{"textPayload":"',
  '{"logger":"postgres","record":{',
  '{"error_severity":"LOG","message":"',
  '2015-08-12 16:13:43.810 UTC,,,22602,,55cb70b7.584a,1,,',
  '}',
];

const pgish = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 12 })), { maxLength: 8 })
  .map((parts) => parts.join(''));
const anyLine = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 80 }), pgish);

function checkRun(lines: readonly string[], opts?: Opts): void {
  const rs = runCounted(lines, opts);
  let n = 0;
  for (const c of rs) n += c.lines;
  assert.equal(n, lines.length);
}

test('property: any line never throws', () => {
  fc.assert(
    fc.property(anyLine, (s) => {
      checkRun([s]);
      postgresFormat.sniff([s]);
    }),
    { numRuns: 1000 },
  );
});

test('property: any line sequence never throws and accounts for every line', () => {
  fc.assert(
    fc.property(fc.array(anyLine, { maxLength: 25 }), fc.boolean(), (lines, csvFirst) => {
      const all = csvFirst ? ['2015-08-12 16:13:43.810 UTC,,,1,,a.b,1,,', ...lines] : lines;
      checkRun(all);
      checkRun(all, { logLinePrefix: '%m [%p] %q%u@%d ', timezone: 'Europe/Paris' });
      postgresFormat.sniff(all);
    }),
    { numRuns: 1000 },
  );
});
