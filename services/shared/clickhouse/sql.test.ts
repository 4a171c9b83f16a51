import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateTime, ident, join, literal, sql, table, uint } from './sql.js';

test('strings are quoted and escaped', () => {
  assert.equal(literal("O'Brien \\ x"), "'O\\'Brien \\\\ x'");
  assert.equal(sql`SELECT ${"a'); DROP TABLE x; --"}`.text, "SELECT 'a\\'); DROP TABLE x; --'");
});

test('numbers must be finite; arrays and null are literals', () => {
  assert.equal(literal(42), '42');
  assert.throws(() => literal(Number.NaN), { code: 'LW_ERR_CLICKHOUSE_BAD_VALUE' });
  assert.throws(() => literal(Infinity), { code: 'LW_ERR_CLICKHOUSE_BAD_VALUE' });
  assert.equal(literal(['a', 1]), "['a', 1]");
  assert.equal(literal(null), 'NULL');
  assert.throws(() => literal({}), { code: 'LW_ERR_CLICKHOUSE_BAD_VALUE' });
});

test('identifiers come from a pattern, never from input', () => {
  assert.equal(table('leakwatch', 'alerts').text, 'leakwatch.alerts');
  assert.throws(() => ident('alerts; DROP'), { code: 'LW_ERR_CLICKHOUSE_BAD_VALUE' });
  assert.throws(() => ident(''), { code: 'LW_ERR_CLICKHOUSE_BAD_VALUE' });
});

test('fragments nest; dateTime sends whole seconds', () => {
  const where = join([sql`a = ${1}`, sql`b = ${'x'}`], ' AND ');
  assert.equal(
    sql`SELECT * FROM t WHERE ${where} AND ts >= ${dateTime(1714564800123)}`.text,
    "SELECT * FROM t WHERE a = 1 AND b = 'x' AND ts >= toDateTime(1714564800)",
  );
  assert.throws(() => uint(-1), { code: 'LW_ERR_CLICKHOUSE_BAD_VALUE' });
  assert.throws(() => uint(1.5), { code: 'LW_ERR_CLICKHOUSE_BAD_VALUE' });
});
