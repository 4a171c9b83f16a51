// ClickHouse stopped for 60 s mid-stream, then started: every event and every alert arrives, once.
// The test runs its own ClickHouse server (the shared one is never stopped) and real Kafka; the
// detector keeps alerting while ClickHouse is down, and the archiver holds its offsets and retries.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@clickhouse/client';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import { type PrivateClickHouse, startPrivateClickHouse } from '../support/private-clickhouse.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, waitFor } from '../support/services.js';
import {
  createTopics,
  expectedAlerts,
  orderReads,
  type Placed,
  produceEvents,
  streamEnv,
  streamTopics,
  testKafka,
  waitCaughtUp,
} from '../support/streams.js';

const OUTAGE_MS = 60_000;
const T0 = Date.UTC(2026, 10, 21, 14, 0, 0);
const PARTITIONS = 3;

/** Chunk `k` of the stream: a walk by walker-k (30 ids: one alert each) and ordinary browsing. */
function chunk(k: number): Placed[] {
  const t0 = T0 + k * 30_000;
  const out: Placed[] = orderReads(`walker-${k}`, 100 * k, 30, t0, 500).map((event) => ({
    event,
    partition: k % PARTITIONS,
  }));
  for (let i = 0; i < 40; i++) {
    out.push({
      event: accessEventWith({
        event_id: `browse-${k}-${i}`,
        ts: t0 + i * 700,
        client_ip: `198.51.100.${i % 20}`,
        route: '/product/{slug}/',
        bytes_out: 12_000,
      }),
      partition: i % PARTITIONS,
    });
  }
  return out.sort((a, b) => a.event.ts - b.event.ts);
}

let ch: PrivateClickHouse;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const procs: ServiceProcess[] = [];

before(async () => {
  const svc = await getServices();
  ch = await startPrivateClickHouse();
  kafka = testKafka(svc.kafkaBrokers);
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await admin.connect();
  await producer.connect();
});

after(async () => {
  for (const p of procs) await p.stop();
  await producer?.disconnect();
  await admin?.disconnect();
  ch?.destroy();
});

it('ClickHouse down for 60 s mid-stream: every event and alert arrives once it is back', {
  timeout: 300_000,
}, async (t) => {
  const svc = await getServices();
  const archiverPort = await freePort();
  const env: Record<string, string> = {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: ch.url,
    CLICKHOUSE_DATABASE: 'leakwatch_outage',
    ...streamEnv('choutage', PARTITIONS),
    DETECTOR_HTTP_PORT: String(await freePort()),
    ARCHIVER_HTTP_PORT: String(archiverPort),
  };
  await createTopics(admin, streamTopics(env), PARTITIONS);
  const migrate = startService('migrate', ['migrate'], env);
  assert.equal(await migrate.exited, 0, migrate.logs());
  procs.push(startService('detector', ['detector'], env));
  const archiver = startService('archiver', ['archiver'], env);
  procs.push(archiver);

  const chunks = Array.from({ length: 8 }, (_, k) => chunk(k));
  const all = chunks.flat();
  const accessTopic = env['LEAKWATCH_TOPIC_ACCESS']!;

  // Before the outage: two chunks, archived.
  await produceEvents(producer, accessTopic, [...chunks[0]!, ...chunks[1]!]);
  await waitCaughtUp(admin, env['ARCHIVER_GROUP_ID']!, [accessTopic, env['LEAKWATCH_TOPIC_ALERTS']!]);

  // The outage: ClickHouse stopped for 60 s while four chunks (four walks) stream in.
  ch.stop();
  const outageStart = Date.now();
  for (let k = 2; k < 6; k++) {
    await produceEvents(producer, accessTopic, chunks[k]!);
    await sleep(OUTAGE_MS / 4);
  }
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
  // The detector does not need ClickHouse: the walks' alerts were published during the outage.
  await waitCaughtUp(admin, env['DETECTOR_GROUP_ID']!, [accessTopic], 60_000);
  ch.start();
  t.diagnostic(`ClickHouse was down ${Date.now() - outageStart} ms`);

  // After: the rest of the stream.
  await produceEvents(producer, accessTopic, [...chunks[6]!, ...chunks[7]!]);

  const expected = new Set(expectedAlerts(all.map((p) => p.event)).keys());
  assert.ok(expected.size >= 8, `one alert per walk at least, got ${expected.size}`);

  const client = createClient({ url: ch.url, database: env['CLICKHOUSE_DATABASE']! });
  try {
    const count = async (sql: string) => {
      const r = await client.query({ query: sql, format: 'JSONEachRow' });
      return Number(((await r.json()) as { n: string }[])[0]?.n ?? 0);
    };
    await waitFor(
      'every event in ClickHouse',
      async () => (await count('SELECT uniqExact(event_id) AS n FROM access_events')) === all.length,
      {
        timeoutMs: 120_000,
        intervalMs: 1000,
      },
    );
    assert.equal(
      await count('SELECT count() AS n FROM access_events FINAL'),
      all.length,
      'one row per event_id',
    );
    const alertIds = await waitFor(
      'every alert in ClickHouse',
      async () => {
        const r = await client.query({ query: 'SELECT alert_id FROM alerts FINAL', format: 'JSONEachRow' });
        const ids = ((await r.json()) as { alert_id: string }[]).map((x) => x.alert_id);
        return ids.length >= expected.size ? ids : null;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    assert.deepEqual([...alertIds].sort(), [...expected].sort());
  } finally {
    await client.close();
  }
  const metrics = await (await fetch(`http://127.0.0.1:${archiverPort}/metrics`)).text();
  const failures = metrics
    .split('\n')
    .filter((l) => l.startsWith('leakwatch_archiver_insert_failures_total'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  assert.ok(failures > 0, 'the archiver saw the outage (insert failures counted) and retried');
});
