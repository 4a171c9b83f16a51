// Test support for the database parsers (mysql-general, mysql-slow, mysql-audit, mariadb-audit):
// the robustness property each runs, and sample lines of other formats that their sniff must not
// take for their own. Line accounting: line-accounting.ts.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RecordParser } from '../../services/collector/parsers/types.js';
import { run } from './line-accounting.js';

/** Sample lines of each format, a few sets each: every set must sniff low for the other formats. */
export const SNIFF_SAMPLES: ReadonlyArray<readonly [format: string, lines: readonly string[]]> = [
  [
    'nginx',
    [
      '93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3"',
    ],
  ],
  [
    'postgres',
    [
      '2020-03-11 20:40:43 CET::@:[12760]:LOG:  starting PostgreSQL 12.2 on x86_64-pc-linux-gnu, 64-bit',
      '2020-03-11 20:40:44 CET:127.0.0.1(5432):postgres@pgbench:[12801]:LOG:  duration: 0.046 ms  statement: SELECT abalance FROM pgbench_accounts WHERE aid = 1;',
    ],
  ],
  [
    'postgres',
    [
      '2020-03-11 20:40:44 CET:127.0.0.1(5432):postgres@pgbench:[12801]:LOG:  duration: 0.046 ms  statement: SELECT 1;',
    ],
  ],
  [
    'postgres',
    [
      '2020-03-11 20:40:43 CET::@:[12760]:LOG:  starting PostgreSQL 12.2 (Ubuntu 12.2-2.pgdg18.04+1) on x86_64-pc-linux-gnu, compiled by gcc (Ubuntu 7.4.0-1ubuntu1~18.04.1) 7.4.0, 64-bit',
      '2020-03-11 20:40:44 CET:127.0.0.1(5432):postgres@pgbench:[12801]:LOG:  duration: 0.046 ms  statement: SELECT a, b, c, d, e, f, g, h FROM t;',
    ],
  ],
  [
    'cloudtrail',
    [
      '{"Records":[{"eventVersion":"1.05","eventTime":"2018-11-28T22:31:59Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"ecs-tasks.amazonaws.com"}]}',
    ],
  ],
  [
    'cloudtrail',
    [
      '{"Records":[{"eventVersion":"1.05","userIdentity":{"type":"AWSService","invokedBy":"ecs-tasks.amazonaws.com"},"eventTime":"2018-11-28T22:31:59Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"ecs-tasks.amazonaws.com"}]}',
    ],
  ],
  [
    'mysql-slow',
    [
      '# Time: 2016-07-20T18:13:25.698433Z',
      '# User@Host: root[root] @ localhost [127.0.0.1]  Id:     3',
      '# Query_time: 0.003464  Lock_time: 0.000324 Rows_sent: 1000  Rows_examined: 2000',
      'SET timestamp=1469038405;',
      'SELECT * FROM db_facturacion.facturas LIMIT 0, 1000;',
    ],
  ],
  [
    'mysql-slow',
    ['# Time: 2016-07-20T18:13:25.698433Z', '# Query_time: 0.003464  Lock_time: 0.000324', 'SELECT 1;'],
  ],
  [
    'mysql-slow',
    [
      '# Time: 071218 11:48:27',
      '# Query_time: 0.003464  Lock_time: 0.000324',
      "INSERT INTO t VALUES ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');",
    ],
  ],
  [
    'mysql-general',
    [
      '051007 21:55:24\t     42 Connect     root@localhost on db1',
      '\t\t                 42 Query       SELECT foo ',
      '                         FROM tbl',
      '2016-06-07T19:07:02.558581Z    4 Connect\troot@localhost on  using Socket',
    ],
  ],
  ['mysql-general', ['2016-06-07T19:07:02.558338Z    3 Connect\tphpmyadmin@localhost on  using Socket']],
  [
    'mysql-general',
    [
      '051007 21:55:24\t     42 Connect     root@localhost on db1',
      '2016-06-07T19:07:02.558338Z    3 Query\tSELECT a, b, c, d, e, f, g, h, i FROM t',
    ],
  ],
  [
    'mysql-audit',
    [
      '{ "timestamp": "2020-10-19 19:25:51", "id": 1, "class": "general", "event": "status", "connection_id": 13, "account": { "user": "root", "host": "localhost" }, "login": { "user": "root", "os": "", "ip": "", "proxy": "" }, "general_data": { "command": "Query", "sql_command": "select", "query": "select 1", "status": 0 } },',
    ],
  ],
  [
    'mysql-audit',
    [
      '{ "timestamp": "2020-10-19 19:25:51", "id": 1, "class": "general", "event": "status", "connection_id": 13, "account": { "user": "root", "host": "localhost" }, "login": { "user": "root", "os": "", "ip": "", "proxy": "" } },',
    ],
  ],
  [
    'mariadb-audit',
    [
      '20231124 10:23:45,db1,alice,10.0.0.7,42,0,CONNECT,ehr,,0',
      "20231124 10:23:46,db1,alice,10.0.0.7,42,1337,QUERY,ehr,'SELECT * FROM patients',0",
      'Nov 24 10:23:45 db1 mysql-server_auditing:  db1,alice,10.0.0.7,42,1338,READ,ehr,patients,',
    ],
  ],
  ['mariadb-audit', ["20231124 10:23:46,db1,alice,10.0.0.7,42,1337,QUERY,ehr,'SELECT * FROM patients',0"]],
];

/** `format` sniffs every other format's sample sets below 0.3, and no lines as 0. */
export function sniffsLow(format: { sniff(lines: readonly string[]): number }, id: string): void {
  for (const [name, lines] of SNIFF_SAMPLES) {
    if (name === id) continue;
    const s = format.sniff(lines);
    assert.ok(s < 0.3, `${name}: ${s}`);
  }
  assert.equal(format.sniff([]), 0);
}

/**
 * The format's parser never throws: not on arbitrary lines (up to `maxChars`, default 80) mixed
 * with fragments of the format, `maxLines` at a time, parsed with `options` (and every record it
 * keeps has a finite time); nor on arbitrary binary text, parsed with the default options.
 */
export function neverThrows<O>(
  format: { create(options?: O): RecordParser },
  fragments: fc.Arbitrary<string>,
  o: { options: O; maxLines: number; maxChars?: number },
): void {
  const line = fc.string({ maxLength: o.maxChars ?? 80 });
  fc.assert(
    fc.property(fc.array(fc.oneof(line, fragments), { maxLength: o.maxLines }), (lines) => {
      const r = run(format.create(o.options), lines);
      for (const rec of r.records) assert.ok(Number.isFinite(rec.tsMs));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      run(format.create(), s.split('\n'));
    }),
    { numRuns: 1000 },
  );
}
