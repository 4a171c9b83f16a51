import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigInvalid, ParseBadTimestamp } from '#shared/errors.js';
import { neverThrows, sniffsLow } from '../../../../test/support/db-parser-checks.js';
import { type Run, run } from '../../../../test/support/line-accounting.js';
import { readRealLines, realLogPath } from '../../../../test/support/real-logs.js';
import { summarizeSql } from '../../normalize/sql.js';
import type { AccessRecord } from '../types.js';
import { mariadbAuditFormat } from './mariadb-audit.js';

// Line accounting: test/support/line-accounting.ts

function parse(text: string, options?: Parameters<typeof mariadbAuditFormat.create>[0]): Run {
  return run(mariadbAuditFormat.create({ year: 2023, ...options }), text.split('\n'));
}

function reasons(r: Run): string[] {
  return r.rejected.map((x) => x.error.message.replace(/^malformed mariadb-audit line: /, ''));
}

// Lines as the MariaDB Audit Plugin writes them (knowledge base, "MariaDB Audit Plugin - Log
// Format": `[timestamp],[serverhost],[username],[host],[connectionid],[queryid],[operation],
// [database],[object],[retcode]`; table events have an empty retcode; syslog output drops the
// timestamp field behind the syslog header). There is no real file of this format in the shared
// folder: these are crafted from the documented layout and its examples.
const FILE_LINES = [
  '20231124 10:23:45,db1.example,alice,10.0.0.7,42,0,CONNECT,ehr,,0',
  "20231124 10:23:46,db1.example,alice,10.0.0.7,42,1337,QUERY,ehr,'SELECT * FROM patients WHERE last_name = \\'O\\\\\\'Brien, Pat\\' AND patient_id=7',0",
  '20231124 10:23:46,db1.example,alice,10.0.0.7,42,1337,READ,ehr,patients,',
  "20231124 10:23:47,db1.example,alice,10.0.0.7,42,1338,QUERY,ehr,'UPDATE visits SET note=\\'line1\\\\nline2\\' WHERE id=3',0",
  '20231124 10:23:47,db1.example,alice,10.0.0.7,42,1338,WRITE,ehr,visits,',
  '20231124 10:23:48,db1.example,mallory,10.6.6.6,43,0,FAILED_CONNECT,,,1045',
  "20231124 10:23:49,db1.example,alice,10.0.0.7,42,1339,QUERY,ehr,'SELECT * FROM nope',1146",
  '20231124 10:23:50,db1.example,alice,10.0.0.7,42,1340,RENAME,ehr,ehr.visits|ehr.visits_old,',
  '20231124 10:23:51,db1.example,alice,10.0.0.7,42,0,DISCONNECT,ehr,,0',
];

test('file output: connect, query with escapes and commas, table events, failed connect, disconnect', () => {
  const r = parse(FILE_LINES.join('\n'));
  assert.equal(r.rejected.length, 0);
  const [c, q, read, u, write, failed, err, rename, d] = r.records as AccessRecord[];
  assert.equal(c?.tsMs, Date.UTC(2023, 10, 24, 10, 23, 45));
  assert.equal(c?.sourceKind, 'db');
  assert.equal(c?.dbOperation, 'CONNECT');
  assert.equal(c?.authenticated, true);
  assert.equal(c?.dbUser, 'alice');
  assert.equal(c?.clientIp, '10.0.0.7');
  assert.equal(c?.sessionId, '42');
  assert.deepEqual(c?.attrs, { query_id: '0', server_host: 'db1.example', database: 'ehr' });
  assert.equal(q?.sql, "SELECT * FROM patients WHERE last_name = 'O\\'Brien, Pat' AND patient_id=7");
  assert.equal(q?.dbOperation, null);
  assert.equal(summarizeSql(q?.sql as string).resourceId, '7');
  assert.ok(!summarizeSql(q?.sql as string).template.includes('Brien'));
  assert.equal(read?.dbOperation, 'READ');
  assert.deepEqual(read?.tables, ['ehr.patients']);
  assert.equal(read?.attrs['query_id'], '1337');
  assert.equal(u?.sql, "UPDATE visits SET note='line1\\nline2' WHERE id=3");
  assert.deepEqual(write?.tables, ['ehr.visits']);
  assert.equal(failed?.dbOperation, 'CONNECT');
  assert.equal(failed?.authenticated, false);
  assert.equal(failed?.attrs['error_code'], '1045');
  assert.equal(err?.attrs['error_code'], '1146');
  assert.deepEqual(rename?.tables, ['ehr.visits', 'ehr.visits_old']);
  assert.equal(d?.dbOperation, 'DISCONNECT');
});

test('syslog output: BSD and ISO headers, year and timezone options', () => {
  const r = parse(
    [
      "Nov 24 10:23:45 db1 mysql-server_auditing:  db1.example,alice,10.0.0.7,42,1338,QUERY,ehr,'SELECT 1',0",
      'Nov  4 09:03:05 db1 mysql-server_auditing[812]: db1.example,bob,10.0.0.8,44,1339,READ,ehr,patients,',
      '2023-11-24T10:23:45.123456+01:00 db1 mysql-server_auditing: db1.example,alice,10.0.0.7,42,1340,CONNECT,ehr,,0',
    ].join('\n'),
    { timezone: '-05:00' },
  );
  assert.equal(r.rejected.length, 0);
  const [a, b, c] = r.records as AccessRecord[];
  assert.equal(a?.tsMs, Date.UTC(2023, 10, 24, 15, 23, 45));
  assert.equal(a?.sql, 'SELECT 1');
  assert.equal(a?.attrs['server_host'], 'db1.example');
  assert.equal(b?.tsMs, Date.UTC(2023, 10, 4, 14, 3, 5));
  assert.equal(b?.dbUser, 'bob');
  assert.deepEqual(b?.tables, ['ehr.patients']);
  assert.equal(c?.tsMs, Date.UTC(2023, 10, 24, 9, 23, 45, 123));
  assert.throws(() => mariadbAuditFormat.create({ year: 20.5 }), { code: ConfigInvalid.code });
  assert.throws(() => mariadbAuditFormat.create({ timezone: 'x' }), { code: ConfigInvalid.code });
});

test('a statement cut short without its closing quote is kept, marked truncated', () => {
  const r = parse(
    "20231124 10:23:46,db1,alice,10.0.0.7,42,1337,QUERY,ehr,'SELECT * FROM patients WHERE name = \\'Jane",
  );
  assert.equal(r.records[0]?.sql, "SELECT * FROM patients WHERE name = 'Jane");
  assert.equal(r.records[0]?.attrs['truncated'], 'true');
  assert.ok(!summarizeSql(r.records[0]?.sql as string).template.includes('Jane'));
});

test('rejects: empty_line, no_timestamp, bad timestamp, too_few_fields, record_too_long', () => {
  assert.deepEqual(reasons(parse('')), ['empty_line']);
  assert.deepEqual(reasons(parse('hello,world')), ['no_timestamp']);
  assert.equal(
    parse('20231324 10:23:45,db1,a,h,1,0,CONNECT,,,0').rejected[0]?.error.code,
    ParseBadTimestamp.code,
  );
  assert.deepEqual(reasons(parse('20231124 10:23:45,db1,a,h')), ['too_few_fields']);
  assert.deepEqual(reasons(parse('Nov 24 10:23:45 db1 no-tag-here')), ['too_few_fields']);
  assert.deepEqual(reasons(parse('20231124 10:23:45,db1,a,h,x,0,CONNECT,,,0')), ['bad_fields']);
  const long = `20231124 10:23:46,db1,alice,h,42,1,QUERY,ehr,'${'x'.repeat(5000)}',0`;
  const t = run(mariadbAuditFormat.create({ maxRecordChars: 1024 }), [long, FILE_LINES[0] as string]);
  assert.deepEqual(reasons(t), ['record_too_long']);
  assert.ok((t.rejected[0]?.text.length ?? 0) <= 8192);
  assert.equal(t.records.length, 1);
});

test('property: never throws on arbitrary lines and line sequences', () => {
  const fragments = fc.constantFrom(
    ...FILE_LINES,
    'Nov 24 10:23:45 h t: ,,,,,,,',
    "20231124 10:23:45,,,,,,,,'",
    '20231124 10:23:45,',
  );
  neverThrows(mariadbAuditFormat, fragments, { options: { year: 2023 }, maxLines: 30, maxChars: 120 });
});

test('sniff: high on file and syslog lines, low on other formats', () => {
  assert.ok(mariadbAuditFormat.sniff(FILE_LINES) >= 0.8);
  assert.ok(
    mariadbAuditFormat.sniff([
      "Nov 24 10:23:45 db1 mysql-server_auditing:  db1,alice,10.0.0.7,42,1338,QUERY,ehr,'SELECT 1',0",
      'Nov 24 10:23:45 db1 mysql-server_auditing:  db1,alice,10.0.0.7,42,1338,READ,ehr,patients,',
    ]) >= 0.8,
  );
  sniffsLow(mariadbAuditFormat, 'mariadb-audit');
});

test('real logs: there is no real MariaDB audit file; MySQL and pgAudit CSV ones are not taken for it', () => {
  for (const rel of [
    'mysql-percona-toolkit/genlog001.txt',
    'mysql-percona-toolkit/genlog005.txt',
    'mysql-percona-toolkit/slowlogs/slow002.txt',
    'mysql-enterprise-audit-elastic-beats/mysql_audit_test.log',
    'pgaudit-pgaudit/postgresql-2015-08-12_161343.csv',
  ]) {
    const p = realLogPath(rel);
    if (p === null) continue;
    const s = mariadbAuditFormat.sniff(readRealLines(p).slice(0, 20));
    assert.ok(s < 0.3, `${rel}: ${s}`);
  }
});
