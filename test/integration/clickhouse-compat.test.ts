// Every migration, insert, query and command of the SQL catalog runs on the ClickHouse 18.16 server here AND on the
// current engine (chDB 26.9, in-process from Python), so the SQL is known to run on both
// (notes/clickhouse-compat.md). Also checks what the archiver relies on: replayed rows collapse.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createClient } from '@clickhouse/client';
import { type ClickHouseClient, command, insertRows, queryRows } from '#shared/clickhouse/client.js';
import { alertToRow } from '#shared/clickhouse/rows.js';
import { raw, sql, table } from '#shared/clickhouse/sql.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { listAlertsQuery } from '../../services/api/queries.js';
import { SAMPLE_ALERT, sqlCatalog } from '../../services/cli/sql-catalog.js';
import { getServices, uniqueName } from '../support/services.js';

let ch: ClickHouseClient;
const db = uniqueName('compat');

before(async () => {
  const s = await getServices();
  ch = createClient({
    url: s.clickhouseUrl,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  await command(ch, `CREATE DATABASE IF NOT EXISTS ${db}`);
});
after(async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await ch.close();
});

test('the SQL catalog runs on the local ClickHouse server (18.16)', async () => {
  const version = await queryRows<{ v: string }>(ch, sql`SELECT version() AS v`);
  const cat = sqlCatalog(db);
  for (const m of cat.migrations) for (const s of m.statements) await command(ch, s);
  for (const ins of cat.inserts) {
    const [dbName, tableName] = ins.table.split('.');
    await insertRows(ch, table(dbName!, tableName!), ins.rows);
  }
  for (const q of cat.queries) {
    await assert.doesNotReject(queryRows(ch, raw(q.sql)), `${q.name} failed on ${version[0]!.v}`);
  }
  for (const c of cat.commands) {
    await assert.doesNotReject(command(ch, c.sql), `${c.name} failed on ${version[0]!.v}`);
  }
  const alerts = await queryRows(ch, listAlertsQuery(db, { limit: 10, offset: 0 }));
  assert.equal(alerts.length, 1);
  const byResource = await queryRows<{ n: string }>(
    ch,
    sql`SELECT count() AS n FROM ${table(db, 'access_by_resource')} WHERE resource_kind = 'order' AND resource_id = '1234'`,
  );
  assert.equal(byResource[0]!.n, '1', 'the materialized view fills access_by_resource');
});

test('replayed and updated alert rows read back as one row, the newest version', async () => {
  const t = table(db, 'alerts');
  const newer = {
    ...SAMPLE_ALERT,
    last_seen: SAMPLE_ALERT.last_seen + 5000,
    explanation: { ...SAMPLE_ALERT.explanation, observed: 80 },
  };
  await insertRows(ch, t, [alertToRow(SAMPLE_ALERT)]);
  await insertRows(ch, t, [alertToRow(newer)]);
  await insertRows(ch, t, [alertToRow(SAMPLE_ALERT)]); // a late replay of the older version
  const rows = await queryRows<{ observed: number; last_seen_ms: string }>(
    ch,
    listAlertsQuery(db, { limit: 10, offset: 0 }),
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.observed, 80);
  assert.equal(Number(rows[0]!.last_seen_ms), newer.last_seen);
});

test('the SQL catalog runs on the current ClickHouse engine (chDB)', (t) => {
  let python = process.env['LEAKWATCH_CHDB_PYTHON'];
  if (!python) {
    const r = spawnSync('bash', [join(PACKAGE_ROOT, 'test/support/chdb-env.sh')], { encoding: 'utf8' });
    assert.equal(r.status, 0, `chdb-core could not be installed:\n${r.stderr}`);
    python = r.stdout.trim();
  }
  const r = spawnSync(python, [join(PACKAGE_ROOT, 'test/compat/chdb_check.py')], {
    input: JSON.stringify(sqlCatalog('leakwatch')),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = JSON.parse(r.stdout || '{"results":[]}') as {
    version: string;
    results: { kind: string; name: string; ok: boolean; error?: string; rows?: number }[];
  };
  t.diagnostic(`chDB engine ${out.version}: ${out.results.length} statements`);
  const failures = out.results.filter((x) => !x.ok);
  assert.deepEqual(failures, [], `failed on ClickHouse ${out.version}`);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(out.results.length >= 10);
  const list = out.results.find((x) => x.name === 'api.listAlerts.all');
  assert.equal(list?.rows, 1, 'the inserted sample alert is read back');
});
