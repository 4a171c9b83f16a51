import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigInvalid, ParseBadTimestamp } from '#shared/errors.js';
import { neverThrows, sniffsLow } from '../../../../test/support/db-parser-checks.js';
import { type Run, run } from '../../../../test/support/line-accounting.js';
import { readRealLines, realLogPath, sharedDir } from '../../../../test/support/real-logs.js';
import { summarizeSql } from '../../normalize/sql.js';
import type { AccessRecord } from '../types.js';
import { mysqlGeneralFormat } from './mysql-general.js';

// Line accounting: test/support/line-accounting.ts

function parse(text: string, options?: Parameters<typeof mysqlGeneralFormat.create>[0]): Run {
  return run(mysqlGeneralFormat.create(options), text.split('\n'));
}

function reasons(r: Run): string[] {
  return r.rejected.map((x) => x.error.message.replace(/^malformed mysql-general line: /, ''));
}

// ---- crafted lines -----------------------------------------------------------------------------------

test('5.0/5.1 lines: time carried to untimed lines, continuation lines, session user and database', () => {
  const r = parse(
    [
      '051007 21:55:24\t     42 Connect     alice@10.0.0.5 on ehr',
      '\t\t                 42 Query       SELECT name ',
      '                         FROM patients',
      "                         WHERE ssn = '123-45-6789'",
      '\t\t                 42 Init DB     billing',
      '100211  0:55:24      42 Query       SELECT 1',
      '\t\t                 42 Prepare     SELECT * FROM t WHERE id = ?',
      '\t\t                 42 Execute     SELECT * FROM t WHERE id = 5',
      '\t\t                 42 Field List  invoices ',
      '\t\t                 42 Quit       ',
      '\t\t                 42 Query       SELECT 2',
    ].join('\n'),
  );
  assert.equal(r.rejected.length, 0);
  const [connect, query, use, q2, prep, exec, fl, quit, after] = r.records as AccessRecord[];
  assert.equal(connect?.tsMs, Date.UTC(2005, 9, 7, 21, 55, 24));
  assert.equal(connect?.dbOperation, 'CONNECT');
  assert.equal(connect?.dbUser, 'alice');
  assert.equal(connect?.clientIp, '10.0.0.5');
  assert.equal(connect?.authenticated, true);
  assert.equal(connect?.attrs['database'], 'ehr');
  assert.equal(query?.tsMs, Date.UTC(2005, 9, 7, 21, 55, 24));
  assert.equal(
    query?.sql,
    "SELECT name \n                         FROM patients\n                         WHERE ssn = '123-45-6789'",
  );
  assert.equal(query?.dbUser, 'alice');
  assert.equal(query?.clientIp, '10.0.0.5');
  assert.equal(query?.sessionId, '42');
  assert.equal(query?.attrs['database'], 'ehr');
  assert.equal(use?.dbOperation, 'USE');
  assert.equal(q2?.tsMs, Date.UTC(2010, 1, 11, 0, 55, 24));
  assert.equal(q2?.attrs['database'], 'billing');
  assert.equal(prep?.attrs['command'], 'Prepare');
  assert.equal(exec?.sql, 'SELECT * FROM t WHERE id = 5');
  assert.equal(fl?.dbOperation, 'FIELD LIST');
  assert.deepEqual(fl?.tables, ['invoices']);
  assert.equal(quit?.dbOperation, 'QUIT');
  // after Quit the thread's user is forgotten
  assert.equal(after?.dbUser, null);
  assert.deepEqual(r.lines, { parsed: 11, skipped: 0, rejected: 0 });
});

test('5.7 lines: ISO Z and +08:00 offsets, banners, connect variants', () => {
  const r = parse(
    [
      '/usr/sbin/mysqld, Version: 5.7.12-0ubuntu1-log ((Ubuntu)). started with:',
      'Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock',
      'Time                 Id Command    Argument',
      '2016-06-07T19:07:02.558338Z    3 Connect\tphpmyadmin@localhost on  using Socket',
      '2018-09-07T18:45:40.098124+08:00\t257426 Connect\tmysqlha_common@127.0.0.1 on  using TCP/IP',
      "2018-09-07T18:45:40.098769+08:00\t257426 Query\tshow global status like 'Threads_connected'",
      "2018-09-07T18:45:41.000000+08:00\t7 Connect\tAccess denied for user 'mallory'@'10.6.6.6' (using password: YES)",
      '2018-09-07T18:45:41.000000+08:00\t8 Connect\tnobody@localhost as anonymous on test',
      '2018-09-07T18:45:41.000000+08:00\t257426 Quit\t',
      '/usr/sbin/mysqld, Version: 5.7.12-0ubuntu1-log ((Ubuntu)). started with:',
      'Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock',
      'Time                 Id Command    Argument',
      '2018-09-07T18:46:00.000000+08:00\t1 Connect\troot@localhost on  using Socket',
    ].join('\n'),
  );
  assert.deepEqual(
    r.skipped.map((s) => s.kind),
    ['banner', 'banner', 'banner', 'banner', 'banner', 'banner'],
  );
  assert.equal(r.records.length, 7);
  assert.equal(r.records[5]?.sql, null);
  const [a, b, c, d, e, f] = r.records as AccessRecord[];
  assert.equal(a?.tsMs, Date.UTC(2016, 5, 7, 19, 7, 2, 558));
  assert.equal(a?.attrs['connection_type'], 'Socket');
  assert.equal(a?.attrs['database'], undefined);
  assert.equal(b?.tsMs, Date.UTC(2018, 8, 7, 10, 45, 40, 98));
  assert.equal(b?.clientIp, '127.0.0.1');
  assert.equal(c?.dbUser, 'mysqlha_common');
  assert.equal(c?.sql, "show global status like 'Threads_connected'");
  assert.equal(d?.dbOperation, 'CONNECT');
  assert.equal(d?.authenticated, false);
  assert.equal(d?.dbUser, 'mallory');
  assert.equal(d?.clientIp, '10.6.6.6');
  assert.equal(d?.attrs['error'], 'access_denied');
  assert.equal(e?.dbUser, 'nobody');
  assert.equal(e?.attrs['database'], 'test');
  assert.equal(f?.dbOperation, 'QUIT');
  assert.equal(f?.tsMs, Date.UTC(2018, 8, 7, 10, 45, 41));
});

test('timezone option for zone-less times', () => {
  const r = parse('051007 21:55:24\t     42 Query       SELECT 1', { timezone: '+02:00' });
  assert.equal(r.records[0]?.tsMs, Date.UTC(2005, 9, 7, 19, 55, 24));
  assert.throws(() => mysqlGeneralFormat.create({ timezone: 'CET' }), { code: ConfigInvalid.code });
});

test('rejects: no_timestamp (unless undatedTimeMs), orphan_line, bad time, record_too_long', () => {
  const undated = '\t\t12345 Connect\tnobody@localhost on db\n\t\t12345 Query\tBEGIN';
  assert.deepEqual(reasons(parse(undated)), ['no_timestamp', 'no_timestamp']);
  const dated = parse(undated, { undatedTimeMs: 1_000 });
  assert.deepEqual(
    dated.records.map((x) => [x.tsMs, x.dbUser]),
    [
      [1_000, 'nobody'],
      [1_000, 'nobody'],
    ],
  );
  const orphan = parse('  FROM t WHERE a = 1\n  AND b = 2\n051007 21:55:24\t     42 Query       SELECT 1');
  assert.deepEqual(reasons(orphan), ['orphan_line']);
  assert.deepEqual(orphan.lines, { parsed: 1, skipped: 0, rejected: 2 });
  const bad = parse('051307 21:55:24\t     42 Query       SELECT 1');
  assert.equal(bad.rejected[0]?.error.code, ParseBadTimestamp.code);
  const long = [
    '051007 21:55:24\t     42 Query       INSERT INTO t VALUES',
    ...Array.from({ length: 100 }, (_, i) => `  ('${'x'.repeat(30)}${i}'),`),
    '\t\t     42 Quit',
  ];
  const t = run(mysqlGeneralFormat.create({ maxRecordChars: 1024 }), long);
  assert.deepEqual(reasons(t), ['record_too_long']);
  assert.equal(t.records[0]?.dbOperation, 'QUIT');
  assert.deepEqual(t.lines, { parsed: 1, skipped: 0, rejected: 101 });
});

test('property: never throws on arbitrary lines and line sequences', () => {
  const fragments = fc.constantFrom(
    '051007 21:55:24\t     42 Connect     root@localhost on db1',
    '051007 21:55:24\t     42 Connect',
    '991399 99:99:99\t     42 Query       x',
    '\t\t 42 Query       SELECT',
    '\t\t 42 Quit',
    "\t\t 1 Connect\tAccess denied for user '",
    "\t\t 1 Connect\tAccess denied for user 'a'@'",
    '2016-06-07T19:07:02.558338Z    3 Init DB\t',
    '2016-06-07T19:07:02.558338+99:99    3 Query\tSELECT 1',
    '2016-13-07T19:07:02Z 1 Query x',
    '   FROM t',
    '',
    'Tcp port: 1',
  );
  neverThrows(mysqlGeneralFormat, fragments, { options: { maxRecordChars: 1024 }, maxLines: 40 });
});

// ---- sniff -------------------------------------------------------------------------------------------

test('sniff: low on other formats', () => {
  sniffsLow(mysqlGeneralFormat, 'mysql-general');
});

// ---- real logs ---------------------------------------------------------------------------------------

/**
 * Rejects a person would also reject. genlog004 is four undated lines (no time stamp anywhere in
 * the file): when they happened is unknown, so each is rejected `no_timestamp` (they parse with
 * undatedTimeMs, checked below).
 */
const EXPECTED: Record<string, { parsed: number; skipped: number; rejected: Record<string, number> }> = {
  'genlog001.txt': { parsed: 7, skipped: 0, rejected: {} },
  'genlog002.txt': { parsed: 2, skipped: 0, rejected: {} },
  'genlog003.txt': { parsed: 7, skipped: 0, rejected: {} },
  'genlog004.txt': { parsed: 0, skipped: 0, rejected: { no_timestamp: 4 } },
  'genlog005.txt': { parsed: 13, skipped: 3, rejected: {} },
  'pt-1573-general-log-system.log': { parsed: 5, skipped: 3, rejected: {} },
};

const dir = realLogPath('mysql-percona-toolkit');
const skip = dir === null && `not found under ${sharedDir()}/data/real (set LEAKWATCH_SHARED_DIR)`;

function real(name: string, options?: Parameters<typeof mysqlGeneralFormat.create>[0]): Run {
  return run(mysqlGeneralFormat.create(options), readRealLines(join(dir as string, name)));
}

test('real general logs: parsed + skipped + rejected account for every line; sniff', { skip }, () => {
  for (const name of Object.keys(EXPECTED)) {
    const lines = readRealLines(join(dir as string, name));
    const r = real(name);
    const rej: Record<string, number> = {};
    for (const x of reasons(r)) rej[x] = (rej[x] ?? 0) + 1;
    console.log(
      `# ${name}: ${lines.length} lines; ${r.records.length} parsed (${r.lines.parsed} lines), ${r.skipped.length} skipped (${r.lines.skipped} lines), ${r.rejected.length} rejected (${r.lines.rejected} lines) ${JSON.stringify(rej)}`,
    );
    assert.deepEqual(
      { parsed: r.records.length, skipped: r.skipped.length, rejected: rej },
      EXPECTED[name],
      name,
    );
    const s = mysqlGeneralFormat.sniff(lines.slice(0, 20));
    assert.ok(s >= 0.8, `sniff ${name}: ${s}`);
  }
});

test('real general logs: values', { skip }, () => {
  const g1 = real('genlog001.txt').records;
  assert.deepEqual(
    g1.map((x) => [x.tsMs, x.sessionId, x.dbOperation, x.dbUser, x.attrs['database'] ?? null]),
    [
      [Date.UTC(2005, 9, 7, 21, 55, 24), '42', 'CONNECT', 'root', 'db1'],
      [Date.UTC(2005, 9, 7, 21, 55, 24), '42', null, 'root', 'db1'],
      [Date.UTC(2005, 9, 7, 21, 55, 24), '42', 'QUIT', 'root', 'db1'],
      [Date.UTC(2006, 11, 26, 15, 42, 36), '11', 'CONNECT', 'root', null],
      [Date.UTC(2006, 11, 26, 15, 42, 36), '11', 'USE', 'root', 'my_webstats'],
      [Date.UTC(2006, 11, 26, 15, 42, 36), '11', null, 'root', 'my_webstats'],
      [Date.UTC(2006, 11, 26, 16, 44, 48), '11', 'QUIT', 'root', 'my_webstats'],
    ],
  );
  assert.equal(g1[1]?.sql?.split('\n').length, 4);

  const g2 = real('genlog002.txt').records;
  assert.equal(g2[0]?.tsMs, Date.UTC(2010, 1, 11, 0, 55, 24));
  assert.equal(g2[1]?.tsMs, Date.UTC(2010, 1, 11, 0, 55, 24));
  assert.equal(g2[1]?.sessionId, '51');
  assert.equal(g2[1]?.sql?.split('\n').length, 13);
  const s = summarizeSql(g2[1]?.sql as string);
  assert.deepEqual(s.tables, ['auction_search']);
  assert.ok(s.template.includes('auction_id IN (?+)'), s.template);
  assert.equal(summarizeSql(g2[0]?.sql as string).resourceId, '3015563');

  const g5 = real('genlog005.txt').records;
  assert.equal(g5[0]?.tsMs, Date.UTC(2016, 5, 7, 19, 7, 2, 558));
  assert.equal(g5[0]?.dbUser, 'phpmyadmin');
  assert.equal(g5[2]?.dbUser, 'root');
  assert.equal(g5[2]?.sql, "SET CHARACTER SET 'utf8mb4'");

  const pt = real('pt-1573-general-log-system.log').records;
  assert.deepEqual(
    pt.map((x) => [x.tsMs, x.dbUser, x.clientIp, x.dbOperation]),
    [
      [Date.UTC(2018, 8, 7, 10, 45, 40, 98), 'mysqlha_common', '127.0.0.1', 'CONNECT'],
      [Date.UTC(2018, 8, 7, 10, 45, 40, 98), 'mysqlha_common', '127.0.0.1', null],
      [Date.UTC(2018, 8, 7, 10, 45, 40, 98), 'mysqlha_common', '127.0.0.1', null],
      [Date.UTC(2018, 8, 7, 10, 45, 40, 98), 'mysqlha_common', '127.0.0.1', null],
      [Date.UTC(2018, 8, 7, 10, 45, 40, 101), 'mysqlha_common', '127.0.0.1', 'QUIT'],
    ],
  );

  const g4 = real('genlog004.txt', { undatedTimeMs: Date.UTC(2020, 0, 1) }).records;
  assert.deepEqual(
    g4.map((x) => [x.dbOperation, x.dbUser, x.clientIp, x.authenticated, x.sql]),
    [
      ['CONNECT', 'nobody', 'localhost', false, null],
      ['CONNECT', 'nobody', 'localhost', true, null],
      [null, null, null, null, 'BEGIN'],
      ['CONNECT', 'payments_r', '1.2.3.4', true, null],
    ],
  );
  assert.equal(g4[3]?.attrs['database'], 'sar');
});
