import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_TEMPLATE_CHARS, summarizeSql } from './sql.js';

/** Asserts none of the secrets appears in the template. */
function noLeak(sql: string, secrets: string[]): string {
  const s = summarizeSql(sql);
  for (const x of secrets)
    assert.ok(!s.template.includes(x), `template leaks ${JSON.stringify(x)}: ${s.template}`);
  return s.template;
}

test('operation, tables, template, resource id, literals on a plain SELECT', () => {
  assert.deepEqual(summarizeSql("SELECT * FROM foo WHERE id=1 AND name = 'Ann';"), {
    operation: 'SELECT',
    tables: ['foo'],
    template: 'SELECT * FROM foo WHERE id=? AND name = ?;',
    resourceId: '1',
    literals: ['1', 'Ann'],
  });
});

test('operations', () => {
  const cases: Array<[string, string | null]> = [
    ['insert into t values (1)', 'INSERT'],
    ['  update t set a=1', 'UPDATE'],
    ['DELETE FROM t', 'DELETE'],
    ['REPLACE INTO t VALUES (1)', 'REPLACE'],
    ['CALL proc(1)', 'CALL'],
    ['SET NAMES utf8', 'SET'],
    ['show databases', 'SHOW'],
    ['use db1', 'USE'],
    ['BEGIN', 'BEGIN'],
    ['commit', 'COMMIT'],
    ['(SELECT 1) UNION (SELECT 2)', 'SELECT'],
    ['/* hint */ SELECT 1', 'SELECT'],
    ['-- c\nSELECT 1', 'SELECT'],
    ['/*!40101 SET NAMES utf8 */', 'SET'],
    ['WITH x AS (SELECT * FROM a) SELECT * FROM x', 'SELECT'],
    ['WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x) DELETE FROM t USING x', 'DELETE'],
    ['WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x', 'INSERT'],
    ["'just a string'", null],
    ['', null],
    ['42', null],
  ];
  for (const [sql, op] of cases) assert.equal(summarizeSql(sql).operation, op, sql);
});

test('tables: keywords, quoting, db.table, lists, aliases, dedupe, sort, cap', () => {
  const t = (sql: string) => summarizeSql(sql).tables;
  assert.deepEqual(t('SELECT a FROM t1, t2 AS b, `db`.`T3` c WHERE x = 1'), ['db.t3', 't1', 't2']);
  assert.deepEqual(
    t('SELECT * FROM visits v JOIN patients p ON p.id = v.patient_id LEFT JOIN x USING (id)'),
    ['patients', 'visits', 'x'],
  );
  assert.deepEqual(t('INSERT IGNORE INTO db3.Vendor (a) VALUES (1)'), ['db3.vendor']);
  assert.deepEqual(t('UPDATE LOW_PRIORITY a, b SET a.x = b.x'), ['a', 'b']);
  assert.deepEqual(t('update db2.t n inner join db1.gonzo a using(gonzo) set n.c = a.c'), [
    'db1.gonzo',
    'db2.t',
  ]);
  assert.deepEqual(t('CREATE TABLE IF NOT EXISTS audit (a int)'), ['audit']);
  assert.deepEqual(t('DROP TABLE `x`'), ['x']);
  assert.deepEqual(t('SELECT * FROM "public"."patients"'), ['public.patients']);
  assert.deepEqual(t('SHOW INDEX FROM `db_facturacion`.`facturas`'), ['db_facturacion.facturas']);
  assert.deepEqual(t('SELECT * FROM a JOIN a ON 1 JOIN A ON 1'), ['a']);
  assert.deepEqual(t('SELECT EXTRACT(YEAR FROM created), TRIM(LEADING 0 FROM x) FROM v'), ['v']);
  assert.deepEqual(t('SELECT a IS DISTINCT FROM b FROM v'), ['v']);
  assert.deepEqual(t('SELECT 1 FROM DUAL'), []);
  assert.deepEqual(t('SELECT * FROM (SELECT * FROM inner_t) d'), ['inner_t']);
  assert.deepEqual(t('INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2'), ['t']);
  assert.deepEqual(t('SELECT a INTO @v FROM t'), ['t']);
  assert.deepEqual(t('SELECT * FROM t FOR UPDATE'), ['t']);
  const many = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const capped = t(`SELECT * FROM ${many.join(', ')}`);
  assert.equal(capped.length, 16);
  assert.deepEqual(capped, many.slice(0, 16));
});

test('template: quotes with escapes never leak, and the raw values are in literals', () => {
  const s = summarizeSql(
    `SELECT * FROM p WHERE a = 'O\\'Brien' AND b = 'it''s' AND c = "double" AND d = 'x\\\\'`,
  );
  assert.equal(s.template, 'SELECT * FROM p WHERE a = ? AND b = ? AND c = ? AND d = ?');
  assert.deepEqual(s.literals, ["O'Brien", "it's", 'double', 'x\\']);
  // PostgreSQL dollar quotes and E'' strings
  const pg = summarizeSql(
    "SELECT $$john@example.com$$, $fn$ body 'x' $fn$, E'O\\'Neil', e'x', N'nat', X'0A', B'101', _utf8mb4'u' FROM t",
  );
  assert.equal(pg.template, 'SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM t');
  assert.deepEqual(pg.literals, ['john@example.com', " body 'x' ", "O'Neil", 'x', 'nat', '0A', '101', 'u']);
  // numbers, hex, bit, exponent, negative
  assert.equal(
    summarizeSql('SELECT 1, 1.5, .5, 1e10, 2.5E-3, 0x1F, -7, t1.c2 FROM t2').template,
    'SELECT ?, ?, ?, ?, ?, ?, -?, t1.c2 FROM t2',
  );
  // placeholders and variables are kept
  assert.equal(
    summarizeSql('SELECT @@version, @v FROM t WHERE a = ? AND b = $1 AND c = :name AND d::text = $2')
      .template,
    'SELECT @@version, @v FROM t WHERE a = ? AND b = $1 AND c = :name AND d::text = $2',
  );
});

test('template: PHI shapes inside literals all become ?', () => {
  const secrets = ['john.doe@example.com', '123-45-6789', 'Jane Roe', 'Roe', '555-0100', 'MRN0042'];
  noLeak(
    "INSERT INTO patients (email, ssn, name, phone, mrn) VALUES ('john.doe@example.com', '123-45-6789', 'Jane Roe', '555-0100', 'MRN0042')",
    secrets,
  );
  noLeak('SELECT * FROM patients WHERE email = \'john.doe@example.com\' OR ssn = "123-45-6789"', secrets);
  noLeak('SELECT * FROM patients WHERE name = ‘Jane Roe’ OR name = “Jane Roe”', secrets);
  noLeak("UPDATE patients SET name = E'Jane Roe' WHERE mrn = $q$MRN0042$q$", secrets);
});

test('template: comments removed, whitespace collapsed', () => {
  assert.equal(
    summarizeSql(
      "SELECT a -- patient John Smith\n  FROM t # ssn 123-45-6789\n /* Jane Roe */ WHERE\t\tb = 'x'\n\n",
    ).template,
    'SELECT a FROM t WHERE b = ?',
  );
  // unterminated block comment: the rest is gone
  assert.equal(summarizeSql('SELECT a FROM t /* john@example.com').template, 'SELECT a FROM t');
});

test('template: IN lists and VALUES lists collapse', () => {
  assert.equal(
    summarizeSql('select id from p where p.id in (85875,326904,290144) and s IN (?, ?)').template,
    'select id from p where p.id in (?+) and s IN (?+)',
  );
  assert.equal(
    summarizeSql("INSERT INTO t (a, b) VALUES ('', 'Exact'), (NULL, -3), (DEFAULT, 'x')").template,
    'INSERT INTO t (a, b) VALUES (?+)',
  );
  // a subquery is not a literal list
  assert.equal(
    summarizeSql('SELECT * FROM a WHERE id IN (SELECT id FROM b WHERE c = 1)').template,
    'SELECT * FROM a WHERE id IN (SELECT id FROM b WHERE c = ?)',
  );
  // a VALUES list with an expression keeps its shape, literals still hidden
  assert.equal(summarizeSql("INSERT INTO t VALUES (NOW(), 'x')").template, 'INSERT INTO t VALUES (NOW(), ?)');
});

test('multi-statement', () => {
  const s = summarizeSql("SET @a = 'x'; SELECT * FROM t1 WHERE id = 5; DELETE FROM t2 WHERE b = 'y'");
  assert.equal(s.operation, 'SET');
  assert.deepEqual(s.tables, ['t1', 't2']);
  assert.equal(s.template, 'SET @a = ?; SELECT * FROM t1 WHERE id = ?; DELETE FROM t2 WHERE b = ?');
  assert.equal(s.resourceId, '5');
});

test('unterminated strings: the rest is a literal, nothing leaks', () => {
  for (const [sql, secret] of [
    ["SELECT * FROM t WHERE a = 'john@example.com AND b = 1", 'john@example.com'],
    ['SELECT * FROM t WHERE a = "Jane Roe', 'Jane Roe'],
    ["SELECT * FROM t WHERE a = 'ends with backslash \\", 'backslash'],
    ['SELECT * FROM t WHERE a = $$ssn 123-45-6789', '123-45-6789'],
    ['SELECT * FROM t WHERE a = `Jane Roe', 'Jane Roe'],
    ["SELECT * FROM t WHERE a = E'Jane Roe", 'Jane Roe'],
  ] as const) {
    const tpl = noLeak(sql, [secret]);
    assert.ok(tpl.endsWith('?'), tpl);
  }
});

test('resource id: id, ID, *_id, *Id compared with = to a simple literal', () => {
  const r = (sql: string) => summarizeSql(sql).resourceId;
  assert.equal(r('SELECT * FROM foo WHERE id=1'), '1');
  assert.equal(r('SELECT * FROM foo WHERE ID = 1234'), '1234');
  assert.equal(r("select * from o where order_id='55'"), '55');
  assert.equal(r('select * from o where o.patientId = 77'), '77');
  assert.equal(r('select * from o where `patient_id` = "a1b2-c3"'), 'a1b2-c3');
  assert.equal(r('select * from o where paid = 1'), null);
  assert.equal(r('select * from o where id > 1'), null);
  assert.equal(r('select * from o where id <= 1'), null);
  assert.equal(r('select * from o where id = ?'), null);
  assert.equal(r("select * from o where user_id = 'john@example.com'"), null);
  assert.equal(r("select * from o where user_id = 'a b'"), null);
  assert.equal(r('select * from o where status = 1 and visit_id = 9 and id = 3'), '9');
});

test('100 KB statement: linear, capped template, literals capped', () => {
  const values = Array.from({ length: 10_000 }, (_, i) => `(${i}, 'name${i}')`).join(', ');
  const sql = `INSERT INTO big (id, name) VALUES ${values}`;
  assert.ok(sql.length > 100_000);
  const t0 = performance.now();
  const s = summarizeSql(sql);
  const ms = performance.now() - t0;
  // A guard against quadratic work (seconds to minutes on 100 KB), not a speed test: loaded
  // machines are slow too.
  assert.ok(ms < 10_000, `took ${ms} ms: quadratic?`);
  assert.equal(s.template, 'INSERT INTO big (id, name) VALUES (?+)');
  assert.equal(s.literals.length, 1024);
  // a long statement without lists is cut at the cap, never mid-literal
  const long = `SELECT ${Array.from({ length: 20_000 }, (_, i) => `c${i} + 'secret${i}'`).join(', ')} FROM t`;
  const l = summarizeSql(long);
  assert.equal(l.template.length, MAX_TEMPLATE_CHARS);
  assert.ok(!l.template.includes('secret'));
  // hostile inputs stay linear
  for (const h of [
    "'".repeat(100_000),
    '/*'.repeat(50_000),
    '$'.repeat(100_000),
    '-'.repeat(100_000),
    '('.repeat(100_000),
  ]) {
    const t1 = performance.now();
    summarizeSql(h);
    assert.ok(performance.now() - t1 < 500, 'linear');
  }
});

test('property: never throws, template never longer than the cap, quoted secrets never survive', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = summarizeSql(s);
      assert.ok(r.template.length <= MAX_TEMPLATE_CHARS);
      assert.ok(r.tables.length <= 16);
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      summarizeSql(s);
    }),
    { numRuns: 1000 },
  );
  // A secret in a well-formed string literal anywhere in a statement never reaches the template.
  const secret = 'SECRETVALUE';
  fc.assert(
    fc.property(
      fc.array(
        fc.constantFrom('SELECT', '*', 'FROM', 't', 'WHERE', 'a', '=', '(', ')', ',', 'IN', '1', ';', '.'),
        {
          maxLength: 12,
        },
      ),
      fc.array(fc.constantFrom('x', "''", '\\\\', "\\'", ' ', ',', ')', '--', '/*'), { maxLength: 6 }),
      fc.constantFrom('', 'E', 'N', '_utf8'),
      (before, inner, prefix) => {
        // every unit of `inner` is complete inside a '...' string (doubled quote, escapes)
        const body = `${inner.join('')}${secret}${inner.join('')}`;
        const sql = `${before.join(' ')} ${prefix}'${body}' ${before.join(' ')}`;
        const tpl = summarizeSql(sql).template;
        assert.ok(!tpl.includes(secret), `${sql} → ${tpl}`);
      },
    ),
    { numRuns: 1000 },
  );
});
