import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigInvalid, ParseBadTimestamp } from '#shared/errors.js';
import { neverThrows, sniffsLow } from '../../../../test/support/db-parser-checks.js';
import { type Run, run } from '../../../../test/support/line-accounting.js';
import { readRealLines, realLogPath, sharedDir } from '../../../../test/support/real-logs.js';
import { summarizeSql } from '../../normalize/sql.js';
import type { AccessRecord } from '../types.js';
import { mysqlSlowFormat } from './mysql-slow.js';

// Line accounting: test/support/line-accounting.ts

function parse(text: string, options?: Parameters<typeof mysqlSlowFormat.create>[0]): Run {
  return run(mysqlSlowFormat.create(options), text.split('\n'));
}

function reasons(r: Run): string[] {
  return r.rejected.map((x) => x.error.message.replace(/^malformed mysql-slow line: /, ''));
}

// ---- crafted entries ---------------------------------------------------------------------------------

test('a MySQL 5.7 entry', () => {
  const r = parse(
    [
      '# Time: 2016-07-20T18:13:25.698433Z',
      '# User@Host: app[app] @ web1 [10.0.0.5]  Id:     3',
      '# Query_time: 0.003464  Lock_time: 0.000324 Rows_sent: 1000  Rows_examined: 2000',
      'use ehr;',
      'SET timestamp=1469038405;',
      "SELECT * FROM patients WHERE email = 'a@b.c'",
      '  AND id = 7;',
    ].join('\n'),
  );
  assert.equal(r.records.length, 1);
  const rec = r.records[0] as AccessRecord;
  assert.equal(rec.tsMs, Date.UTC(2016, 6, 20, 18, 13, 25, 698));
  assert.equal(rec.sourceKind, 'db');
  assert.equal(rec.dbUser, 'app');
  assert.equal(rec.clientIp, '10.0.0.5');
  assert.equal(rec.sessionId, '3');
  assert.equal(rec.rowsOut, 1000);
  assert.equal(rec.durationMs, 3.464);
  assert.equal(rec.sql, "SELECT * FROM patients WHERE email = 'a@b.c'\n  AND id = 7");
  assert.deepEqual(rec.attrs, {
    database: 'ehr',
    host: 'web1',
    rows_examined: '2000',
    lock_time_ms: '0.324',
  });
});

test('SET timestamp is the event time; # Time is carried to entries without one', () => {
  const r = parse(
    [
      '# Time: 071218 11:48:27',
      '# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0',
      'SELECT 1;',
      '# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0',
      'SET insert_id=34484549,timestamp=1197996507;',
      'INSERT INTO t VALUES (1);',
      '# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0',
      'SELECT 2;',
    ].join('\n'),
  );
  assert.deepEqual(
    r.records.map((x) => x.tsMs),
    [Date.UTC(2007, 11, 18, 11, 48, 27), 1197996507000, 1197996507000],
  );
  // the timezone option applies to the zone-less 5.0 time
  const z = parse('# Time: 071218 11:48:27\n# Query_time: 1\nSELECT 1;', { timezone: '-05:00' });
  assert.equal(z.records[0]?.tsMs, Date.UTC(2007, 11, 18, 16, 48, 27));
});

test('Percona headers, # Time + # User@Host on one line, # User: variant, Bytes_sent', () => {
  const r = parse(
    [
      '# Time: 071218 11:48:27 # User@Host: [SQL_SLAVE] @  []',
      '# Thread_id: 10  Schema: foo',
      '# Query_time: 0.726052  Lock_time: 0.000091  Rows_sent: 0  Rows_examined:40 ',
      '# QC_Hit: No  Full_scan: Yes  Full_join: No  Tmp_table: No  Tmp_table_on_disk: No',
      '#   InnoDB_IO_r_ops: 0  InnoDB_IO_r_bytes: 0  InnoDB_IO_r_wait: 0.000000',
      '# No InnoDB statistics available for this query',
      'SELECT col FROM foo_tbl;',
      '# User: user[user] @ [1.2.3.4]',
      '# Thread_id: 1 Schema: db',
      '# Schema: maindb  Last_errno: 1146  Killed: 0',
      '# Query_time: 0.000899 Lock_time: 0.000000 Rows_sent: 5 Rows_examined: 0',
      '# Bytes_sent: 545  Tmp_tables: 0',
      'SELECT 1 FROM foo;',
    ].join('\n'),
  );
  assert.equal(r.records.length, 2);
  const [a, b] = r.records as [AccessRecord, AccessRecord];
  assert.equal(a.dbUser, 'SQL_SLAVE');
  assert.equal(a.clientIp, null);
  assert.equal(a.sessionId, '10');
  assert.equal(a.attrs['database'], 'foo');
  assert.equal(a.attrs['rows_examined'], '40');
  assert.equal(b.dbUser, 'user');
  assert.equal(b.clientIp, '1.2.3.4');
  assert.equal(b.sessionId, '1');
  assert.equal(b.attrs['database'], 'maindb');
  assert.equal(b.attrs['error_code'], '1146');
  assert.equal(b.bytesOut, 545);
  assert.equal(b.rowsOut, 5);
  assert.equal(b.tsMs, Date.UTC(2007, 11, 18, 11, 48, 27));
});

test('statement boundaries: # comment inside a statement, administrator command, banners mid-file', () => {
  const r = parse(
    [
      '/usr/sbin/mysqld, Version: 5.7.12-log ((Ubuntu)). started with:',
      'Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock',
      'Time                 Id Command    Argument',
      '# Time: 2016-07-20T18:13:25Z',
      '# User@Host: root[root] @ localhost []  Id: 4',
      '# Query_time: 0.1  Lock_time: 0 Rows_sent: 1  Rows_examined: 1',
      'SELECT a',
      '# a comment the client sent',
      'FROM t;',
      '# User@Host: root[root] @ localhost []  Id: 4',
      '# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0',
      '# administrator command: Quit;',
      '/usr/sbin/mysqld, Version: 5.7.12-log ((Ubuntu)). started with:',
      '',
      '# User@Host: root[root] @ localhost []  Id: 5',
      '# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0',
      'SELECT b FROM t;',
    ].join('\n'),
  );
  assert.deepEqual(
    r.skipped.map((s) => s.kind),
    ['banner', 'banner', 'banner', 'banner', 'blank'],
  );
  assert.equal(r.records.length, 3);
  assert.equal(r.records[0]?.sql, 'SELECT a\n# a comment the client sent\nFROM t');
  assert.equal(r.records[1]?.sql, null);
  assert.equal(r.records[1]?.dbOperation, 'QUIT');
  assert.equal(r.records[1]?.clientIp, 'localhost');
  assert.equal(r.records[2]?.sessionId, '5');
  assert.deepEqual(r.lines, { parsed: 12, skipped: 5, rejected: 0 });
});

test('rejects: no_timestamp (unless undatedTimeMs), no_statement, no_header, bad time, record_too_long', () => {
  const undated = '# User@Host: root[root] @ localhost []\n# Query_time: 1  Lock_time: 0\nselect 1;';
  assert.deepEqual(reasons(parse(undated)), ['no_timestamp']);
  const fixed = parse(undated, { undatedTimeMs: 1_700_000_000_000 });
  assert.equal(fixed.records[0]?.tsMs, 1_700_000_000_000);

  assert.deepEqual(
    reasons(
      parse(
        '# Time: 2016-07-20T18:13:25Z\n# Query_time: 1\n# Time: 2016-07-20T18:13:26Z\n# Query_time: 1\nSELECT 1;',
      ),
    ),
    ['no_statement'],
  );
  const headerless = parse('FROM t WHERE x = 1;\n# Time: 2016-07-20T18:13:26Z\n# Query_time: 1\nSELECT 1;');
  assert.deepEqual(reasons(headerless), ['no_header']);
  assert.equal(headerless.records.length, 1);

  const bad = parse('# Time: 071318 11:48:27\n# Query_time: 1\nSELECT 1;');
  assert.equal(bad.rejected[0]?.error.code, ParseBadTimestamp.code);

  // A statement longer than the cap is rejected whole and the parser picks up the next entry.
  const long = [
    '# Time: 2016-07-20T18:13:25Z',
    '# Query_time: 1',
    'INSERT INTO t VALUES',
    ...Array.from({ length: 200 }, (_, i) => `('${'x'.repeat(20)}${i}'),`),
    "('end');",
    '# Time: 2016-07-20T18:13:26Z',
    '# Query_time: 1',
    'SELECT 1;',
  ];
  const t = run(mysqlSlowFormat.create({ maxRecordChars: 2048 }), long);
  assert.deepEqual(reasons(t), ['record_too_long']);
  assert.ok((t.rejected[0]?.text.length ?? 0) <= 8192);
  assert.equal(t.records.length, 1);
  assert.equal(t.records[0]?.sql, 'SELECT 1');
  assert.deepEqual(t.lines, { parsed: 3, skipped: 0, rejected: long.length - 3 });
});

test('options are validated', () => {
  assert.throws(() => mysqlSlowFormat.create({ timezone: 'Europe/Paris' }), { code: ConfigInvalid.code });
  assert.throws(() => mysqlSlowFormat.create({ maxRecordChars: 10 }), { code: ConfigInvalid.code });
  assert.throws(() => mysqlSlowFormat.create({ undatedTimeMs: Number.NaN }), { code: ConfigInvalid.code });
});

test('property: never throws on arbitrary lines and line sequences', () => {
  const fragments = fc.constantFrom(
    '# Time: 071218 11:48:27',
    '# Time: 2016-07-20T18:13:25.698433Z',
    '# Time: 99',
    '# User@Host: a[b] @ h [1.2.3.4]  Id: 1',
    '# User@Host: [',
    '# User: ] @ [',
    '# Query_time: x Lock_time: Rows_sent: -1 Rows_examined:',
    '# Thread_id: 1  Schema:',
    '# administrator command: Quit;',
    'SET timestamp=99999999999999999999;',
    'SET timestamp=;',
    'use `db`;',
    'use ;',
    'SELECT 1;',
    'SELECT',
    '',
    ';',
    'Tcp port: 1',
  );
  neverThrows(mysqlSlowFormat, fragments, { options: { maxRecordChars: 1024 }, maxLines: 40 });
});

// ---- sniff -------------------------------------------------------------------------------------------

test('sniff: low on other formats', () => {
  sniffsLow(mysqlSlowFormat, 'mysql-slow');
});

// ---- real logs ---------------------------------------------------------------------------------------

/**
 * Rejects a person would also reject, per file. slow009 (10,000 one-line entries, `# User:`
 * variant) and slow052 have neither `# Time:` nor `SET timestamp`: nothing in the file says when
 * any statement ran, so every entry is rejected `no_timestamp` (they all parse with undatedTimeMs,
 * checked below).
 */
const EXPECTED: Record<string, { parsed: number; skipped: number; rejected: Record<string, number> }> = {
  'mysql5.7.log': { parsed: 2, skipped: 6, rejected: {} },
  'slow002.txt': { parsed: 8, skipped: 0, rejected: {} },
  'slow006.txt': { parsed: 6, skipped: 0, rejected: {} },
  'slow009.txt': { parsed: 0, skipped: 0, rejected: { no_timestamp: 2001 } },
  'slow027.txt': { parsed: 1, skipped: 0, rejected: {} },
  'slow034.txt': { parsed: 9, skipped: 0, rejected: {} },
  'slow052.txt': { parsed: 0, skipped: 0, rejected: { no_timestamp: 200 } },
  'slow053.txt': { parsed: 10, skipped: 0, rejected: {} },
  'slow059.txt': { parsed: 3, skipped: 0, rejected: {} },
};

const dir = realLogPath('mysql-percona-toolkit/slowlogs');
const skip = dir === null && `not found under ${sharedDir()}/data/real (set LEAKWATCH_SHARED_DIR)`;

function real(name: string, options?: Parameters<typeof mysqlSlowFormat.create>[0]): Run {
  return run(mysqlSlowFormat.create(options), readRealLines(join(dir as string, name)));
}

test('real slow logs: parsed + skipped + rejected account for every line; sniff', { skip }, () => {
  const files = readdirSync(dir as string).sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
  for (const name of files) {
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
    for (const rec of r.records) {
      assert.ok(Number.isFinite(rec.tsMs) && rec.tsMs > Date.UTC(2000, 0, 1));
      assert.ok(rec.sql !== null || rec.dbOperation !== null);
    }
    const s = mysqlSlowFormat.sniff(lines.slice(0, 20));
    assert.ok(s >= 0.8, `sniff ${name}: ${s}`);
  }
});

test('real slow logs: values', { skip }, () => {
  const m = real('mysql5.7.log').records[0] as AccessRecord;
  assert.equal(m.tsMs, Date.UTC(2016, 6, 20, 18, 13, 25, 698));
  assert.equal(m.dbUser, 'root');
  assert.equal(m.clientIp, '127.0.0.1');
  assert.equal(m.sessionId, '3');
  assert.equal(m.rowsOut, 1000);
  assert.equal(m.durationMs, 3.464);
  assert.equal(m.attrs['rows_examined'], '2000');
  assert.equal(m.sql, 'SELECT * FROM db_facturacion.facturas LIMIT 0, 1000');

  const p = real('slow059.txt').records;
  assert.deepEqual(
    p.map((x) => [x.tsMs, x.dbUser, x.sessionId, x.bytesOut, x.rowsOut, x.attrs['database']]),
    [
      [1385600731000, 'user1', '69194', 545, 1, 'maindb'],
      [1385600731000, 'user1', '69195', 545, 1, 'maindb'],
      [1385600731000, 'user1', '69195', 481, 5, 'maindb'],
    ],
  );

  const s2 = real('slow002.txt').records;
  assert.equal(s2[0]?.tsMs, Date.UTC(2007, 11, 18, 11, 48, 27));
  assert.equal(s2[0]?.sql, 'BEGIN');
  assert.equal(s2[1]?.tsMs, 1197996507000);
  assert.equal(s2[1]?.attrs['database'], 'db1');
  assert.equal(s2[1]?.attrs['rows_examined'], '62951');
  assert.equal(s2[1]?.sql?.split('\n').length, 3);

  const s27 = real('slow027.txt').records[0] as AccessRecord;
  assert.equal(s27.tsMs, 1233570292000);
  assert.equal(s27.clientIp, '192.168.18.142');
  assert.equal(s27.attrs['host'], 'web03');
  assert.equal(s27.attrs['database'], 'db1');
  assert.equal(s27.durationMs, 413146.036);
  assert.ok((s27.sql?.length ?? 0) > 50_000);
  const sum = summarizeSql(s27.sql as string);
  assert.deepEqual(sum.tables, ['products']);
  assert.ok(sum.template.includes('in (?+)'), sum.template);

  // slow034: entries without `# Time:` take the last one; `use db2;` switches the database
  const s34 = real('slow034.txt').records;
  assert.equal(s34[2]?.tsMs, Date.UTC(2009, 7, 5, 11, 0, 27));
  assert.equal(s34[3]?.tsMs, Date.UTC(2009, 7, 5, 12, 0, 27));
  assert.equal(s34[4]?.attrs['database'], 'db2');
  assert.equal(s34[6]?.rowsOut, 0);

  // slow053: the ID walk, one second apart
  const walk = real('slow053.txt').records;
  assert.deepEqual(
    walk.map((x) => (x.tsMs - Date.UTC(2011, 1, 8, 12, 0, 0)) / 1000),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(
    walk.map((x) => summarizeSql(x.sql as string).resourceId),
    ['1', '2', '3', '4', '5', '11', '11', '12', null, null],
  );
  assert.deepEqual(
    walk.map((x) => summarizeSql(x.sql as string).template),
    [
      ...Array(5).fill('SELECT * FROM foo WHERE id=?'),
      ...Array(3).fill('SELECT * FROM bar WHERE id=?'),
      ...Array(2).fill('SELECT * FROM blah WHERE id IS NOT NULL'),
    ],
  );

  // slow009: undated; with undatedTimeMs every entry parses
  const s9 = real('slow009.txt', { undatedTimeMs: Date.UTC(2010, 0, 1) });
  assert.equal(s9.records.length, 2001);
  assert.equal(s9.rejected.length, 0);
  const last = s9.records[2000] as AccessRecord;
  assert.deepEqual(
    [last.dbUser, last.clientIp, last.sessionId, last.attrs['database'], last.sql],
    ['user', '1.2.3.4', '2001', 'db', 'SELECT 2001 FROM foo'],
  );
});
