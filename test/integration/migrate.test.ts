// The migration runner against the real ClickHouse server: applies everything once, records it,
// and a second run is a no-op.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from '@clickhouse/client';
import { type ClickHouseClient, queryRows } from '#shared/clickhouse/client.js';
import { loadMigrations, migrate } from '#shared/clickhouse/migrate.js';
import { sql, table } from '#shared/clickhouse/sql.js';
import { getServices, uniqueName } from '../support/services.js';

let ch: ClickHouseClient;
const db = uniqueName('migrate');

before(async () => {
  const s = await getServices();
  ch = createClient({ url: s.clickhouseUrl });
});
after(async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await ch.close();
});

test('applies every migration once and records it', async () => {
  const all = loadMigrations(db).map((m) => m.name);
  assert.ok(all.length >= 5);
  const first = await migrate(ch, db);
  assert.deepEqual(first.applied, all);
  const second = await migrate(ch, db);
  assert.deepEqual(second.applied, []);
  assert.deepEqual(second.alreadyApplied, all);
  const ledger = await queryRows<{ name: string }>(
    ch,
    sql`SELECT name FROM ${table(db, 'schema_migrations')} ORDER BY version`,
  );
  assert.deepEqual(
    ledger.map((r) => r.name),
    all,
  );
  const tables = await queryRows<{ name: string }>(
    ch,
    sql`SELECT name FROM system.tables WHERE database = ${db} ORDER BY name`,
  );
  for (const t of ['access_events', 'access_by_resource', 'alerts', 'incidents', 'api_audit']) {
    assert.ok(
      tables.some((r) => r.name === t),
      `table ${t} missing`,
    );
  }
});

test('an applied migration whose file changed is refused', async () => {
  await ch.command({
    query: `ALTER TABLE ${db}.schema_migrations UPDATE checksum = 'tampered' WHERE version = 1`,
  });
  // mutations are asynchronous on 18.16: wait until it is visible
  for (let i = 0; i < 50; i++) {
    const r = await queryRows<{ c: string }>(
      ch,
      sql`SELECT checksum AS c FROM ${table(db, 'schema_migrations')} WHERE version = 1`,
    );
    if (r[0]?.c === 'tampered') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await assert.rejects(migrate(ch, db), { code: 'LW_ERR_MIGRATION_FAILED' });
});
