// The streaming detector survives what production does to it, on real Kafka (and ClickHouse):
//  - kill -9 mid-stream, then a restart: every expected alert arrives, under one alert_id each, in
//    the alerts topic and in ClickHouse; walks cut in half by the crash are still caught, because
//    the new instance rebuilds the partition's state from the topic instead of starting empty;
//  - two instances on a 6-partition topic: both get partitions, and walks cut in half by the
//    rebalance (their partition moves to the new instance) still raise their alerts.
// Expected alerts come from the same engine run in-process over the same events (what `scan` does).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@clickhouse/client';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, type TestServices, uniqueName, waitFor } from '../support/services.js';
import {
  createTopics,
  expectedAlerts as expectedFrom,
  orderReads,
  type Placed,
  produceEvents,
  readAlerts,
  streamEnv,
  streamTopics,
  testKafka,
  waitCaughtUp,
} from '../support/streams.js';

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const HALF = 12; // below sequential-enumeration's minRun (20): only a rebuilt state sees 24

/**
 * One walker per partition (a sequential order walk, HALF ids per part) and one walk over customer
 * ids spread across ten users (distributed enumeration, read through the by-route topic).
 */
function scenario(partitions: number, part: 0 | 1): Placed[] {
  const t0 = T0 + part * 60_000;
  const out: Placed[] = [];
  for (let p = 0; p < partitions; p++) {
    for (const event of orderReads(`walker-${p}`, 1000 + part * HALF, HALF, t0 + p * 100, 2000)) {
      out.push({ event, partition: p });
    }
  }
  for (let i = 0; i < 20; i++) {
    const id = 5000 + part * 20 + i;
    const user = `shopper-${id % 10}`;
    const [event] = orderReads(user, id, 1, t0 + 500 + i * 1500, 0) as [AccessEvent];
    event.route = '/wp-json/wc/v3/customers/{id}';
    event.resource_kind = 'customer';
    out.push({ event, partition: (id % 10) % partitions });
  }
  // Keep each part in event-time order, as a log would be.
  return out.sort((a, b) => a.event.ts - b.event.ts);
}

/** alert_id → rule the in-process engine raises over the placed events, in order. */
function expectedOf(events: readonly Placed[]): Map<string, string> {
  return expectedFrom(events.map((p) => p.event));
}

let svc: TestServices;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const procs: ServiceProcess[] = [];

before(async () => {
  svc = await getServices();
  kafka = testKafka(svc.kafkaBrokers);
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await admin.connect();
  await producer.connect();
});

after(async () => {
  for (const p of procs) await p.stop();
  await producer.disconnect();
  await admin.disconnect();
});

async function envFor(name: string, partitions: number): Promise<Record<string, string>> {
  return {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: svc.clickhouseUrl,
    CLICKHOUSE_DATABASE: uniqueName(name),
    ...streamEnv(name, partitions),
    DETECTOR_SESSION_TIMEOUT_MS: '8000',
    ARCHIVER_HTTP_PORT: String(await freePort()),
  };
}

async function detector(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const p = startService(name, ['detector'], { ...env, DETECTOR_HTTP_PORT: String(await freePort()) });
  procs.push(p);
  return p;
}

function topicsOf(env: Record<string, string>): string[] {
  return [env['LEAKWATCH_TOPIC_ACCESS']!, env['LEAKWATCH_TOPIC_ACCESS_BY_ROUTE']!];
}

/** Distinct alert ids published, and how many messages carried each. */
async function publishedAlerts(env: Record<string, string>): Promise<Map<string, number>> {
  const all = await readAlerts(admin, kafka, env['LEAKWATCH_TOPIC_ALERTS']!);
  const ids = new Map<string, number>();
  for (const a of all) ids.set(a.alert_id, (ids.get(a.alert_id) ?? 0) + 1);
  return ids;
}

describe('streaming detector recovery', { timeout: 240_000 }, () => {
  it('kill -9 mid-stream and restart: every expected alert once, in Kafka and in ClickHouse', async (t) => {
    const partitions = 3;
    const env = await envFor('kill9', partitions);
    await createTopics(admin, streamTopics(env), partitions);
    const migrate = startService('migrate', ['migrate'], env);
    assert.equal(await migrate.exited, 0, migrate.logs());
    const archiver = startService('archiver', ['archiver'], env);
    procs.push(archiver);

    const part1 = scenario(partitions, 0);
    const part2 = scenario(partitions, 1);
    const expected = expectedOf([...part1, ...part2]);
    assert.equal([...expected.values()].filter((r) => r === 'sequential-enumeration').length, partitions);
    assert.ok([...expected.values()].includes('distributed-enumeration'), 'scenario has a distributed walk');
    // Half of each walk alone raises nothing: the second instance can only alert from rebuilt state.
    assert.equal(expectedOf(part2).size, 0);

    await produceEvents(producer, env['LEAKWATCH_TOPIC_ACCESS']!, part1);
    const first = await detector('detector-1', env);
    await waitCaughtUp(admin, env['DETECTOR_GROUP_ID']!, topicsOf(env));
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed by a signal');

    await produceEvents(producer, env['LEAKWATCH_TOPIC_ACCESS']!, part2);
    const second = await detector('detector-2', env);
    await waitCaughtUp(admin, env['DETECTOR_GROUP_ID']!, topicsOf(env), 120_000);
    assert.match(
      second.logs(),
      /rebuilding partition state/,
      'the new instance rebuilt state from the topic',
    );

    const published = await publishedAlerts(env);
    assert.deepEqual([...published.keys()].sort(), [...expected.keys()].sort(), second.logs());
    t.diagnostic(`alert messages per alert_id: ${JSON.stringify([...published.values()])}`);

    const ch = createClient({ url: svc.clickhouseUrl, database: env['CLICKHOUSE_DATABASE']! });
    try {
      const rows = await waitFor(
        'alerts in ClickHouse',
        async () => {
          const r = await ch.query({
            query: 'SELECT alert_id, count() AS n FROM alerts FINAL GROUP BY alert_id',
            format: 'JSONEachRow',
          });
          const got = (await r.json()) as { alert_id: string; n: string }[];
          return got.length >= expected.size ? got : null;
        },
        { timeoutMs: 60_000 },
      );
      assert.deepEqual(rows.map((r) => r.alert_id).sort(), [...expected.keys()].sort());
      assert.ok(
        rows.every((r) => Number(r.n) === 1),
        JSON.stringify(rows),
      );
    } finally {
      await ch.close();
    }
  });

  it('two instances on 6 partitions: both own partitions, and walks cut by the rebalance still alert', async () => {
    const partitions = 6;
    const env = await envFor('rebalance', partitions);
    await createTopics(admin, streamTopics(env), partitions);
    const part1 = scenario(partitions, 0);
    const part2 = scenario(partitions, 1);
    const expected = expectedOf([...part1, ...part2]);
    assert.equal([...expected.values()].filter((r) => r === 'sequential-enumeration').length, partitions);

    const one = await detector('detector-a', env);
    await produceEvents(producer, env['LEAKWATCH_TOPIC_ACCESS']!, part1);
    await waitCaughtUp(admin, env['DETECTOR_GROUP_ID']!, topicsOf(env));

    const two = await detector('detector-b', env);
    const accessTopic = env['LEAKWATCH_TOPIC_ACCESS']!;
    const owned = (p: ServiceProcess) => lastAssignment(p.logs())?.[accessTopic]?.length ?? 0;
    await waitFor('both instances own access partitions', async () => owned(one) > 0 && owned(two) > 0, {
      timeoutMs: 60_000,
    });
    assert.equal(owned(one) + owned(two), partitions);

    await produceEvents(producer, accessTopic, part2);
    await waitCaughtUp(admin, env['DETECTOR_GROUP_ID']!, topicsOf(env), 120_000);
    assert.match(two.logs(), /rebuilding partition state/, 'moved partitions were rebuilt');
    const published = await publishedAlerts(env);
    assert.deepEqual([...published.keys()].sort(), [...expected.keys()].sort());
  });
});

/** The newest `partitions assigned` log line of a service: topic → partitions. */
function lastAssignment(logs: string): Record<string, number[]> | undefined {
  let last: Record<string, number[]> | undefined;
  for (const line of logs.split('\n')) {
    if (!line.includes('partitions assigned')) continue;
    try {
      last = (JSON.parse(line) as { assigned: Record<string, number[]> }).assigned;
    } catch {
      // not a JSON log line
    }
  }
  return last;
}
