import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ParseBadTimestamp } from '#shared/errors.js';
import { neverThrows, sniffsLow } from '../../../../test/support/db-parser-checks.js';
import { type Run, run } from '../../../../test/support/line-accounting.js';
import { readRealLines, realLogPath, sharedDir } from '../../../../test/support/real-logs.js';
import { summarizeSql } from '../../normalize/sql.js';
import type { AccessRecord } from '../types.js';
import { mysqlAuditFormat } from './mysql-audit.js';

// Line accounting: test/support/line-accounting.ts

function parse(text: string, options?: Parameters<typeof mysqlAuditFormat.create>[0]): Run {
  return run(mysqlAuditFormat.create(options), text.split('\n'));
}

function reasons(r: Run): string[] {
  return r.rejected.map((x) => x.error.message.replace(/^malformed mysql-audit line: /, ''));
}

const LOGIN =
  '"account": { "user": "u2", "host": "hades.home" }, "login": { "user": "u2", "os": "", "ip": "192.168.2.5", "proxy": "" }';
const EV = {
  connect: `{ "timestamp": "2020-10-19 19:31:25", "id": 0, "class": "connection", "event": "connect", "connection_id": 16, ${LOGIN}, "connection_data": { "connection_type": "ssl", "status": 0, "db": "ehr" } }`,
  failed: `{ "timestamp": "2020-10-19 19:31:26", "id": 0, "class": "connection", "event": "connect", "connection_id": 17, "account": { "user": "", "host": "" }, "login": { "user": "mallory", "os": "eve", "ip": "10.6.6.6", "proxy": "" }, "connection_data": { "connection_type": "tcp/ip", "status": 1045, "db": "" } }`,
  general: `{ "timestamp": "2020-10-19 19:32:05", "id": 1, "class": "general", "event": "status", "connection_id": 16, ${LOGIN}, "general_data": { "command": "Query", "sql_command": "select", "query": "select * from patients where id = 7", "status": 0 } }`,
  error: `{ "timestamp": "2020-10-19 19:28:54", "id": 0, "class": "general", "event": "status", "connection_id": 16, ${LOGIN}, "general_data": { "command": "Query", "sql_command": "create_user", "query": "CREATE USER 'x'@'y' IDENTIFIED BY <secret>", "status": 1396 } }`,
  table: `{ "timestamp": "2020-10-19 19:32:05", "id": 0, "class": "table_access", "event": "read", "connection_id": 16, ${LOGIN}, "table_access_data": { "db": "EHR", "table": "Patients", "query": "select * from patients where id = 7", "sql_command": "select" } }`,
  startup:
    '{ "timestamp": "2020-10-19 19:21:33", "id": 0, "class": "audit", "event": "startup", "connection_id": 0, "startup_data": { "server_id": 1 } }',
  disconnect: `{ "timestamp": "2020-10-19 19:32:10", "id": 0, "class": "connection", "event": "disconnect", "connection_id": 16, ${LOGIN}, "connection_data": { "connection_type": "ssl" } }`,
};

test('one object per line with trailing commas (the Elastic fixture shape)', () => {
  const r = parse(
    [EV.startup, EV.connect, EV.failed, EV.general, EV.error, EV.table, EV.disconnect]
      .map((x) => `${x},`)
      .join('\n'),
  );
  assert.deepEqual(
    r.skipped.map((s) => s.kind),
    ['server_event'],
  );
  const [c, f, g, e, t, d] = r.records as AccessRecord[];
  assert.equal(c?.tsMs, Date.UTC(2020, 9, 19, 19, 31, 25));
  assert.equal(c?.dbOperation, 'CONNECT');
  assert.equal(c?.authenticated, true);
  assert.equal(c?.dbUser, 'u2');
  assert.equal(c?.clientIp, '192.168.2.5');
  assert.equal(c?.sessionId, '16');
  assert.equal(c?.attrs['database'], 'ehr');
  assert.equal(c?.attrs['connection_type'], 'ssl');
  assert.equal(f?.authenticated, false);
  assert.equal(f?.attrs['error_code'], '1045');
  assert.equal(f?.dbUser, 'mallory');
  assert.equal(f?.attrs['os_user'], 'eve');
  assert.equal(g?.sql, 'select * from patients where id = 7');
  assert.equal(g?.dbOperation, 'SELECT');
  assert.equal(g?.attrs['error_code'], undefined);
  assert.equal(e?.dbOperation, 'CREATE USER');
  assert.equal(e?.attrs['error_code'], '1396');
  assert.deepEqual(t?.tables, ['ehr.patients']);
  assert.equal(t?.attrs['database'], 'EHR');
  assert.equal(t?.attrs['audit_class'], 'table_access');
  assert.equal(d?.dbOperation, 'DISCONNECT');
});

test('a JSON array, pretty-printed over many lines, and several objects on one line', () => {
  const pretty = JSON.stringify([JSON.parse(EV.connect), JSON.parse(EV.general)], null, 2).split('\n');
  const r = run(mysqlAuditFormat.create(), pretty);
  assert.equal(r.records.length, 2);
  assert.equal(r.records[1]?.sql, 'select * from patients where id = 7');
  assert.deepEqual(
    r.skipped.map((s) => s.kind),
    ['separator', 'separator'],
  );
  assert.equal(r.lines.parsed, pretty.length - 2);
  const one = parse(`[${EV.connect},${EV.general}, ${EV.table}]`);
  assert.deepEqual(
    one.results.map((x) => x.position),
    ['0', '0:1', '0:2'],
  );
  // `,` on its own line and a blank line between objects
  const sep = parse(`[\n${EV.connect}\n,\n\n${EV.general}\n]`);
  assert.deepEqual(
    sep.skipped.map((s) => s.kind),
    ['separator', 'separator', 'blank', 'separator'],
  );
  assert.equal(sep.records.length, 2);
});

test('rejects: not_json, bad_json, bad timestamp, truncated_record, record_too_long with resync', () => {
  assert.deepEqual(reasons(parse('hello world')), ['not_json']);
  assert.deepEqual(reasons(parse('{ "timestamp": 1, }')), ['bad_json']);
  const bad = parse('{ "timestamp": "2020-13-19 19:31:25", "class": "general" }');
  assert.equal(bad.rejected[0]?.error.code, ParseBadTimestamp.code);
  assert.equal(parse('{ "class": "general" }').rejected[0]?.error.code, ParseBadTimestamp.code);
  assert.deepEqual(reasons(parse(`${EV.connect}\n{ "timestamp": "2020-10-19 19:31:25",`)), [
    'truncated_record',
  ]);
  const big = `{ "timestamp": "2020-10-19 19:31:25", "class": "general", "general_data": {\n${Array.from({ length: 100 }, () => `"q": "${'x'.repeat(40)}",`).join('\n')}\n"z": 1 } }`;
  const t = run(mysqlAuditFormat.create({ maxRecordChars: 1024 }), `${big}\n${EV.general}`.split('\n'));
  assert.deepEqual(reasons(t), ['record_too_long']);
  assert.equal(t.records.length, 1);
  assert.equal(t.records[0]?.sql, 'select * from patients where id = 7');
  // braces and brackets inside strings do not confuse the depth count
  const tricky = parse(
    `{ "timestamp": "2020-10-19 19:31:25", "class": "general", "general_data": { "command": "Query", "query": "select '}{][' \\" }", "status": 0 } }`,
  );
  assert.equal(tricky.records[0]?.sql, `select '}{][' " }`);
});

test('property: never throws on arbitrary lines and line sequences', () => {
  const fragments = fc.constantFrom(
    EV.connect,
    `${EV.general},`,
    '[',
    ']',
    ',',
    '{',
    '}',
    '"',
    '\\',
    '{ "timestamp": "',
  );
  neverThrows(mysqlAuditFormat, fragments, { options: { maxRecordChars: 1024 }, maxLines: 30 });
  fc.assert(
    fc.property(fc.json(), (j) => {
      run(mysqlAuditFormat.create(), j.split('\n'));
    }),
    { numRuns: 1000 },
  );
});

test('sniff: high on both shapes, low on other formats', () => {
  assert.ok(mysqlAuditFormat.sniff(JSON.stringify([JSON.parse(EV.connect)], null, 2).split('\n')) >= 0.8);
  sniffsLow(mysqlAuditFormat, 'mysql-audit');
});

// ---- real log ----------------------------------------------------------------------------------------

const REL = 'mysql-enterprise-audit-elastic-beats/mysql_audit_test.log';
const path = realLogPath(REL);
const skip = path === null && `not found under ${sharedDir()}/data/real (set LEAKWATCH_SHARED_DIR)`;

test('real audit log: every line accounted for, no rejects, values; sniff', { skip }, () => {
  const lines = readRealLines(path as string);
  const r = run(mysqlAuditFormat.create(), lines);
  console.log(
    `# ${REL}: ${lines.length} lines; ${r.records.length} parsed, ${r.skipped.length} skipped (startup, shutdown), ${r.rejected.length} rejected`,
  );
  // 31 lines: startup + shutdown (class audit) skipped, 29 events; nothing a person would reject.
  assert.deepEqual([r.records.length, r.skipped.length, r.rejected.length], [29, 2, 0]);
  assert.ok(mysqlAuditFormat.sniff(lines.slice(0, 20)) >= 0.8);
  const grants = r.records.filter((x) => x.dbOperation === 'GRANT');
  assert.deepEqual(
    grants.map((x) => x.attrs['error_code'] ?? '0'),
    ['1064', '1064', '1064', '1410', '1410', '1410', '1410', '0'],
  );
  const c16 = r.records.find((x) => x.sessionId === '16' && x.dbOperation === 'CONNECT') as AccessRecord;
  assert.equal(c16.tsMs, Date.UTC(2020, 9, 19, 19, 31, 25));
  assert.equal(c16.dbUser, 'audit_test_user2');
  assert.equal(c16.clientIp, '192.168.2.5');
  assert.equal(c16.attrs['connection_type'], 'ssl');
  const ins = r.records.find((x) => x.attrs['audit_class'] === 'table_access' && x.dbOperation === 'INSERT');
  assert.deepEqual(ins?.tables, ['audit_test.audit_test_table']);
  assert.equal(ins?.sql, "INSERT INTO audit_test_table values ('John', 'Smith')");
  const tpl = summarizeSql(ins?.sql as string).template;
  assert.ok(!tpl.includes('John') && !tpl.includes('Smith'), tpl);
  const root = r.records[0] as AccessRecord;
  assert.deepEqual([root.dbUser, root.clientIp, root.sessionId], ['root', 'localhost', '13']);
  // the smart-quoted GRANT (an invalid statement the user typed) does not leak its names either
  const smart = r.records.find((x) => x.sql?.includes('‘')) as AccessRecord;
  assert.ok(!summarizeSql(smart.sql as string).template.includes('audit_test_user2'));
});
