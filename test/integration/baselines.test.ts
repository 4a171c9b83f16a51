// Rollups, the baseline job and the detector's ClickHouse baseline store against the real
// ClickHouse server (18.16 here): access_events in → entity_stats_5m (materialized view) →
// `leakwatch baselines` → `baselines` → ClickHouseBaselineStore.get(). Also: a replayed insert
// batch is not double-counted as the rollup is read, the store keeps serving when ClickHouse goes
// away, and every statement of the job and the store runs on the current engine (chDB).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import pino from 'pino';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { type ClickHouseClient, insertRows, queryRows } from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import { accessEventToRow } from '#shared/clickhouse/rows.js';
import { sql, table } from '#shared/clickhouse/sql.js';
import { loadConfig } from '#shared/config.js';
import { registry } from '#shared/metrics.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { readEntityWindows, runBaselineJob } from '../../services/baselines/job.js';
import { startBaselineSchedule } from '../../services/baselines/schedule.js';
import { SAMPLE_EVENT, sqlCatalog } from '../../services/cli/sql-catalog.js';
import { ClickHouseBaselineStore } from '../../services/detector/baselines/clickhouse-store.js';
import { getServices, uniqueName, waitFor } from '../support/services.js';

const db = uniqueName('baselines');
const W = 600_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MON = Date.UTC(2024, 3, 1); // a Monday, long ago: baselines follow event time, not the clock
const WEEK = 7 * DAY;
const silent = pino({ level: 'silent' });
const alice = { type: 'user', value: 'alice' };
const ORDERS = '/wp-json/wc/v3/orders/{id}';

let ch: ClickHouseClient;
let clickhouseUrl: string;
let seq = 0;
const ev = (fields: Partial<AccessEvent> & Pick<AccessEvent, 'ts'>): AccessEvent =>
  accessEventWith({ event_id: `ev-${++seq}`, tenant: 'clinic', ...fields });
const insert = (events: AccessEvent[]) =>
  insertRows(ch, table(db, 'access_events'), events.map(accessEventToRow));

/** Alice reads three orders in each of three windows every Monday 09:00 for four weeks (1 kB each),
 *  and one page at 15:00 on three Mondays; k2 reads two orders every Tuesday 10:00. */
function history(): AccessEvent[] {
  const out: AccessEvent[] = [];
  let order = 1000;
  for (let week = 0; week < 4; week++) {
    for (let win = 0; win < 3; win++) {
      for (let i = 0; i < 3; i++) {
        out.push(
          ev({
            ts: MON + week * WEEK + 9 * HOUR + win * W + i * 60_000,
            user_id: 'alice',
            route: ORDERS,
            resource_kind: 'order',
            resource_id: String(order++),
            bytes_out: 1000,
            status: week === 0 && win === 0 && i === 2 ? 404 : 200,
          }),
        );
      }
    }
    if (week < 3)
      out.push(ev({ ts: MON + week * WEEK + 15 * HOUR + 60_000, user_id: 'alice', bytes_out: 100 }));
    for (let i = 0; i < 2; i++) {
      out.push(
        ev({
          ts: MON + week * WEEK + DAY + 10 * HOUR + i * 60_000,
          api_key_id: 'k2',
          route: ORDERS,
          resource_kind: 'order',
          resource_id: String(5000 + week * 2 + i),
          bytes_out: 500,
        }),
      );
    }
  }
  // The latest event: its (still filling) window is left out, everything before it is read.
  out.push(ev({ ts: MON + 4 * WEEK + 12 * HOUR, client_ip: '203.0.113.9', bytes_out: 1 }));
  return out;
}

/** One session's five requests in one 5-minute bucket, tenant 'replay'. */
const REPLAY_AT = MON + 3 * WEEK + 2 * DAY + 10 * HOUR;
const replayBatch = (): AccessEvent[] =>
  [200, 200, 404, 404, 200].map((status, i) =>
    accessEventWith({
      event_id: `replay-${i}`,
      ts: REPLAY_AT + i * 30_000,
      tenant: 'replay',
      session_hash: 'tok_session_x',
      route: ORDERS,
      resource_kind: 'order',
      resource_id: String(70 + (i % 4)),
      bytes_out: 100 * (i + 1),
      rows_out: i,
      status,
    }),
  );

before(async () => {
  const s = await getServices();
  clickhouseUrl = s.clickhouseUrl;
  ch = createClient({
    url: s.clickhouseUrl,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  await migrate(ch, db);
  await insert(history());
  const batch = replayBatch();
  await insert(batch);
  // The archiver redelivers a batch after a crash before its commit: the same event ids again.
  await insert(batch.slice(1));
  await insert([
    accessEventWith({
      event_id: 'replay-clean',
      ts: REPLAY_AT,
      tenant: 'replay',
      client_ip: '198.51.100.1',
      bytes_out: 7,
    }),
  ]);
});
after(async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await ch.close();
});

test('the materialized view rolls access_events up per principal, 5-minute bucket and route class', async () => {
  const rows = await queryRows<Record<string, string>>(
    ch,
    sql`SELECT route_class, countMerge(requests) AS requests, sumMerge(bytes_out_sum) AS bytes,
      maxMerge(max_response_bytes) AS max_bytes, uniqMerge(distinct_resources) AS resources,
      sumMerge(status_4xx) AS s4xx, sumMerge(status_404) AS s404, sumMerge(rows_out_sum) AS rows_out
    FROM ${table(db, 'entity_stats_5m')}
    WHERE tenant = 'clinic' AND principal = 'user:alice' AND bucket = toDateTime(${(MON + 9 * HOUR) / 1000})
    GROUP BY route_class`,
  );
  assert.deepEqual(rows, [
    {
      route_class: 'order',
      requests: '3',
      bytes: '3000',
      max_bytes: '1000',
      resources: '3',
      s4xx: '1',
      s404: '1',
      rows_out: '0',
    },
  ]);
  const pages = await queryRows<{ route_class: string; n: string }>(
    ch,
    sql`SELECT route_class, countMerge(requests) AS n FROM ${table(db, 'entity_stats_5m')}
    WHERE principal = 'user:alice' AND bucket = toDateTime(${(MON + 15 * HOUR) / 1000}) GROUP BY route_class`,
  );
  assert.deepEqual(pages, [{ route_class: 'none', n: '1' }], 'no resource kind: route class none');
});

test('a replayed insert batch is stored twice in the rollup but not counted twice as it is read', async () => {
  const stored = await queryRows<{ requests: string; ids: string }>(
    ch,
    sql`SELECT countMerge(requests) AS requests, uniqMerge(event_ids) AS ids FROM ${table(db, 'entity_stats_5m')}
    WHERE tenant = 'replay' AND principal = 'session:tok_session_x'`,
  );
  assert.deepEqual(stored, [{ requests: '9', ids: '5' }], 'the view fired for the replay too');

  const range = { fromMs: REPLAY_AT - DAY, toMs: REPLAY_AT + DAY };
  for (const windowMs of [300_000, W]) {
    const got = new Map<string, { recomputed: number; rows: unknown[] }>();
    for await (const e of readEntityWindows(ch, db, { ...range, windowMs })) {
      if (e.tenant !== 'replay') continue;
      got.set(e.principal, {
        recomputed: e.recomputed,
        rows: e.rows.map((r) => ({
          routeClass: r.routeClass,
          requests: r.requests,
          bytesOut: r.bytesOut,
          rowsOut: r.rowsOut,
          distinct: r.distinctResources,
          maxResponse: r.maxResponseBytes,
          status4xx: r.status4xx,
          status404: r.status404,
          dirty: r.dirty,
        })),
      });
    }
    assert.deepEqual(
      got.get('session:tok_session_x'),
      {
        recomputed: 1,
        rows: [
          {
            routeClass: 'order',
            requests: 5,
            bytesOut: 1500,
            rowsOut: 10,
            distinct: 4,
            maxResponse: 500,
            status4xx: 2,
            status404: 2,
            dirty: false,
          },
        ],
      },
      `window ${windowMs} ms`,
    );
    assert.equal(
      got.get('ip:198.51.100.1')?.recomputed,
      0,
      'a clean neighbour is read from the rollup alone',
    );
  }
});

test('the baseline job writes entity, hour-of-week, peer and tenant baselines; a rerun replaces them', async () => {
  const opts = { database: db, windowMs: W, lookbackDays: 35, minHistory: 3, groupSample: 1000 };
  const first = await runBaselineJob(ch, opts, silent);
  assert.ok(first.version !== null);
  assert.equal(first.dataToMs, MON + 4 * WEEK + 12 * HOUR);
  assert.equal(first.dirtyWindows, 1, 'the replayed window was recomputed from access_events');
  // alice 15 windows, k2 4, the replayed session 1, its clean neighbour 1
  assert.equal(first.windows, 21);

  const row = (scope: string, hour: number, extra = sql`1`) =>
    queryRows<{ median: number; mad: number; p95: number; n: number }>(
      ch,
      sql`SELECT median, mad, p95, n FROM ${table(db, 'baselines')} FINAL
      WHERE tenant = 'clinic' AND scope = ${scope} AND hour_of_week = ${hour} AND feature = 'bytes_out' AND ${extra}`,
    );
  const aliceRow = (hour: number) =>
    row('entity', hour, sql`entity_type = 'user' AND entity_value = 'alice'`);
  assert.deepEqual(await aliceRow(9), [{ median: 3000, mad: 0, p95: 3000, n: 12 }], 'Mondays 09:00');
  assert.deepEqual(await aliceRow(15), [{ median: 100, mad: 0, p95: 100, n: 3 }], 'Mondays 15:00');
  assert.equal((await aliceRow(-1))[0]?.n, 15, 'every hour');
  assert.deepEqual(await aliceRow(12), [], 'no windows near Monday 12:00');
  const k2 = await row('entity', -1, sql`entity_type = 'api_key' AND entity_value = 'k2'`);
  assert.deepEqual(k2, [{ median: 1000, mad: 0, p95: 1000, n: 4 }]);
  assert.equal(
    (await row('peer', -1, sql`peer_class = 'order'`))[0]?.n,
    16,
    'order readers: alice 12 + k2 4',
  );
  assert.equal((await row('peer', -1, sql`peer_class = 'none'`))[0]?.n, 3);
  assert.equal((await row('global', -1))[0]?.n, 19);
  const replay = await queryRows<{ n: number }>(
    ch,
    sql`SELECT n FROM ${table(db, 'baselines')} FINAL WHERE tenant = 'replay' AND scope = 'global' AND feature = 'events'`,
  );
  assert.deepEqual(replay, [], 'two windows are below minHistory: nothing written');

  const second = await runBaselineJob(ch, { ...opts, now: () => (first.version as number) + 60_000 }, silent);
  const current = await queryRows<{ n: string; keys: string }>(
    ch,
    sql`SELECT count() AS n, uniqExact(hour_of_week, tenant, scope, peer_class, entity_type, entity_value, feature) AS keys
    FROM ${table(db, 'baselines')} FINAL WHERE version >= ${second.version as number}`,
  );
  assert.equal(Number(current[0]!.n), second.rows);
  assert.equal(second.rows, first.rows, 'same rollups, same rows, each key once');
  assert.equal(current[0]!.keys, current[0]!.n);
  const runs = await queryRows<{ n: string }>(
    ch,
    sql`SELECT count() AS n FROM ${table(db, 'baseline_runs')}`,
  );
  assert.equal(runs[0]!.n, '2');
});

/** Log lines a store writes, to count outage messages. */
function capture(): { log: pino.Logger; lines: () => { msg: string }[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  return {
    log: pino({ level: 'info' }, sink),
    lines: () => out.map((l) => JSON.parse(l) as { msg: string }),
  };
}

const failures = async () =>
  (await registry.getSingleMetric('leakwatch_detector_baseline_reload_failures_total')!.get()).values[0]
    ?.value ?? 0;

test('the ClickHouse store serves entity, seasonal, peer and tenant baselines, and its cache through an outage', async () => {
  let target = ch;
  // Only query() is used by the store: this lets the test pull the server away under it.
  const switchable = {
    query: (p: Parameters<ClickHouseClient['query']>[0]) => target.query(p),
  } as unknown as ClickHouseClient;
  const { log, lines } = capture();
  const store = new ClickHouseBaselineStore(
    switchable,
    {
      database: db,
      windowMs: W,
      minHistory: 3,
      reloadMs: 3_600_000,
      maxEntries: 10_000,
      cachedHours: 4,
      retryMs: 0,
    },
    log,
  );
  await store.start();
  const nextMonday9 = MON + 4 * WEEK + 9 * HOUR;

  // Monday 09:00 has not been asked for yet: alice's every-hour baseline answers meanwhile.
  const before9 = store.get(alice, 'clinic', nextMonday9, 'order');
  assert.equal(before9?.source, 'entity');
  assert.equal(before9?.features['bytes_out']?.n, 15);
  await store.idle();
  const at9 = store.get(alice, 'clinic', nextMonday9, 'order');
  assert.deepEqual(at9, {
    source: 'entity',
    features: {
      events: { p50: 3, p95: 3, mad: 0, n: 12 },
      bytes_out: { p50: 3000, p95: 3000, mad: 0, n: 12 },
      rows_out: { p50: 0, p95: 0, mad: 0, n: 12 },
      distinct_resources: { p50: 3, p95: 3, mad: 0, n: 12 },
    },
  });
  const newcomer = { type: 'user', value: 'newbie' };
  const peer = store.get(newcomer, 'clinic', nextMonday9, 'order');
  assert.equal(peer?.source, 'peer');
  assert.equal(peer?.features['bytes_out']?.n, 16);
  const global = store.get(newcomer, 'clinic', nextMonday9, 'recording');
  assert.equal(global?.source, 'global');
  assert.equal(global?.features['bytes_out']?.n, 19);
  assert.equal(
    store.get(newcomer, 'other-clinic', nextMonday9, 'order'),
    undefined,
    'a tenant without baselines',
  );
  assert.ok(store.size > 0);

  // ClickHouse goes away: reloads and new hours fail, the cache keeps answering.
  target = createClient({
    url: 'http://127.0.0.1:1',
    request_timeout: 2000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  const failedBefore = await failures();
  assert.equal(await store.reload(), false);
  assert.deepEqual(store.get(alice, 'clinic', nextMonday9 + WEEK, 'order'), at9, 'cached seasonal baseline');
  const at15 = store.get(alice, 'clinic', MON + 4 * WEEK + 15 * HOUR, 'none');
  await store.idle();
  assert.equal(at15?.features['bytes_out']?.n, 15, 'an hour that cannot load falls back to every hour');
  assert.equal(await store.reload(), false);
  assert.ok((await failures()) - failedBefore >= 3, 'each failed load is counted');
  const outage = lines().filter((l) => l.msg.includes('could not be loaded'));
  assert.equal(outage.length, 1, 'the outage is logged once');

  // ClickHouse is back: the hour asked for during the outage loads.
  await target.close();
  target = ch;
  assert.equal(await store.reload(), true);
  store.get(alice, 'clinic', MON + 4 * WEEK + 15 * HOUR, 'none');
  await store.idle();
  assert.equal(
    store.get(alice, 'clinic', MON + 4 * WEEK + 15 * HOUR, 'none')?.features['bytes_out']?.p50,
    100,
  );
  assert.equal(lines().filter((l) => l.msg.includes('loaded again')).length, 1);
  await store.stop();
});

test('a store over an empty baselines table serves nothing and does not keep asking', async () => {
  const empty = uniqueName('baselines_empty');
  await migrate(ch, empty);
  try {
    let queries = 0;
    const counting = {
      query: (p: Parameters<ClickHouseClient['query']>[0]) => {
        queries++;
        return ch.query(p);
      },
    } as unknown as ClickHouseClient;
    const store = new ClickHouseBaselineStore(
      counting,
      { database: empty, windowMs: W, minHistory: 3, reloadMs: 3_600_000, maxEntries: 1000, cachedHours: 2 },
      silent,
    );
    await store.start();
    assert.equal(store.get(alice, 'clinic', MON, 'order'), undefined);
    await store.idle();
    assert.equal(store.get(alice, 'clinic', MON, 'order'), undefined);
    await store.idle();
    assert.equal(store.size, 0);
    assert.equal(queries, 1, 'one look at baseline_runs; no run, so no hour is fetched, now or per lookup');
    assert.equal(await store.reload(), true);
    await store.stop();
  } finally {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${empty}` });
  }
});

test('the job and store statements run on the current ClickHouse engine (chDB)', (t) => {
  let python = process.env['LEAKWATCH_CHDB_PYTHON'];
  if (!python) {
    const r = spawnSync('bash', [join(PACKAGE_ROOT, 'test/support/chdb-env.sh')], { encoding: 'utf8' });
    assert.equal(r.status, 0, `chdb-core could not be installed:\n${r.stderr}`);
    python = r.stdout.trim();
  }
  // The job's and the store's statements are in the SQL catalog (sql-catalog.ts, baselines block).
  const catalog = sqlCatalog('leakwatch');
  const ours = (n: string) => n.startsWith('baselines.') || n.startsWith('detector.baselines.');
  const names = [
    ...catalog.inserts.map((x) => x.name),
    ...catalog.queries.map((x) => x.name),
    ...catalog.commands.map((x) => x.name),
  ].filter(ours);
  assert.deepEqual(names.sort(), [
    'baselines.job.baseline_runs',
    'baselines.job.baselines',
    'baselines.job.deleteStale',
    'baselines.job.latestBucket',
    'baselines.job.rawWindows',
    'baselines.job.rollupRows',
    'baselines.job.rollupWindows',
    'baselines.job.rollupWindows.chunk',
    'detector.baselines.latestRun',
    'detector.baselines.rows',
  ]);
  const r = spawnSync(python, [join(PACKAGE_ROOT, 'test/compat/chdb_check.py')], {
    input: JSON.stringify(catalog),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = JSON.parse(r.stdout || '{"results":[]}') as {
    version: string;
    results: {
      name: string;
      ok: boolean;
      error?: string;
      rows?: number;
      sample?: Record<string, unknown>[];
    }[];
  };
  t.diagnostic(`chDB engine ${out.version}`);
  assert.deepEqual(
    out.results.filter((x) => !x.ok),
    [],
    `failed on ClickHouse ${out.version}`,
  );
  const byName = new Map(out.results.map((x) => [x.name, x]));
  for (const n of names) assert.ok(byName.has(n), `${n} ran`);
  const rolled = byName.get('baselines.job.rollupWindows')?.sample?.[0];
  assert.equal(Number(rolled?.['n_requests']), 1, 'the materialized view fills entity_stats_5m on chDB');
  assert.equal(Number(rolled?.['sum_bytes']), SAMPLE_EVENT.bytes_out);
  assert.equal(Number(byName.get('baselines.job.rawWindows')?.sample?.[0]?.['n_requests']), 1);
  assert.equal(byName.get('detector.baselines.rows')?.rows, 1);
});

test('the schedule runs the job on its interval, reports a failed run as not ready, and stops cleanly', async () => {
  const runs = async () =>
    Number(
      (await queryRows<{ n: string }>(ch, sql`SELECT count() AS n FROM ${table(db, 'baseline_runs')}`))[0]!.n,
    );
  const cfg = loadConfig({
    env: {},
    overrides: {
      clickhouse: { url: clickhouseUrl, database: db },
      baselines: { intervalMs: 1, lookbackDays: 35, minHistory: 3 },
    },
  });
  const before = await runs();
  const schedule = startBaselineSchedule(cfg, ch, silent);
  await waitFor('two scheduled runs', async () => (await runs()) >= before + 2, { timeoutMs: 60_000 });
  assert.equal(schedule.lastFailure(), null);
  // Aborts the run in flight (if any) and waits for it: the SIGTERM path of `baselines --schedule`.
  await schedule.stop();

  // A database that does not exist: every run fails, and the readiness says why.
  const missing = startBaselineSchedule(
    loadConfig({
      env: {},
      overrides: {
        clickhouse: { url: clickhouseUrl, database: `${db}_missing` },
        baselines: { intervalMs: 1, lookbackDays: 35, minHistory: 3 },
      },
    }),
    ch,
    silent,
  );
  await waitFor('a failed run', async () => missing.lastFailure() !== null, { timeoutMs: 30_000 });
  assert.match(missing.lastFailure()!, /^last baseline job run failed: /);
  await missing.stop();

  const off = startBaselineSchedule(
    loadConfig({ env: {}, overrides: { baselines: { intervalMs: 0 } } }),
    ch,
    silent,
  );
  await off.stop();
});
