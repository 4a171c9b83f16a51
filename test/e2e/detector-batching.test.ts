// The detector's principal alerts depend on each partition's events, not on how Kafka happens to
// batch them: the same simulated stream (every leak scenario in 3 hours of a real access log, as
// `make demo`) read once live in small fetches (~50 events, the detector already running while
// events arrive) and once after the fact in 1 MiB fetches gives the same alert ids with the same
// final figures, route-keyed alerts (distributed-enumeration) included. What made them differ
// before: idle entities were evicted once per batch (so windows closed and fed baselines at batch
// boundaries); stream-learnt peer/tenant baselines were shared by the partitions (so a partition's
// decisions depended on how far the others had got); and the by-route topic interleaved what every
// access partition forwarded, one partition's hours ahead of another's in a large-fetch catch-up, so
// route engines dropped late events (9 route alerts differed, one seen with 37 ids instead of 144).
// The detector now processes its access partitions merged in event-time order (README "Streaming and
// scan raise the same alerts"). The live stream has one event per record, the other packs each
// principal's runs (README "Kafka records"): the same alerts, and a damaged packed record's events
// are dead-lettered one by one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Admin, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { accessEventPacker, packAccessEvents } from '#shared/avro/access-batch.js';
import { accessEventCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { loadConfig } from '#shared/config.js';
import { createEventProducer } from '#shared/kafka/producer.js';
import type { DeadLetter } from '#shared/kafka/topics.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { principalKey } from '#shared/principal.js';
import { SIM_LOG_FORMAT } from '../../services/simulate/format.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, type TestServices } from '../support/services.js';
import {
  createTopics,
  readAlerts,
  streamEnv,
  streamTopics,
  testKafka,
  waitCaughtUp,
} from '../support/streams.js';
import { readTopic } from '../support/topic-reader.js';

const LEAKWATCH = join(PACKAGE_ROOT, 'bin/leakwatch.js');
const REAL_LOG = join(PACKAGE_ROOT, '../shared/data/real/apache-elastic-examples/apache_logs');
const PARTITIONS = 3;

let svc: TestServices;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let dir: string;
const procs: ServiceProcess[] = [];

before(async () => {
  svc = await getServices();
  kafka = testKafka(svc.kafkaBrokers);
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await admin.connect();
  await producer.connect();
  dir = mkdtempSync(join(tmpdir(), 'lw-batching-'));
});

after(async () => {
  for (const p of procs) await p.stop();
  await producer.disconnect();
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** `leakwatch simulate` (as make demo) -> `leakwatch parse`: AccessEvents in file order. */
function simulatedEvents(): AccessEvent[] {
  const background = existsSync(REAL_LOG) ? ['--background', REAL_LOG] : [];
  const sim = spawnSync(
    process.execPath,
    [LEAKWATCH, 'simulate', '--out', dir, '--hours', '3', '--seed', '7', ...background],
    { encoding: 'utf8' },
  );
  assert.equal(sim.status, 0, sim.stderr);
  const parsed = spawnSync(
    process.execPath,
    [LEAKWATCH, 'parse', '--format', 'nginx', '--log-format', SIM_LOG_FORMAT, '--dev', join(dir, 'sim.log')],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  assert.equal(parsed.status, 0, parsed.stderr);
  return parsed.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AccessEvent);
}

function namesFor(label: string): Record<string, string> {
  return {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: svc.clickhouseUrl,
    DETECTOR_BASELINE_STORE: 'memory',
    ...streamEnv(label, PARTITIONS),
  };
}

async function startDetector(name: string, env: Record<string, string>): Promise<void> {
  procs.push(startService(name, ['detector'], { ...env, DETECTOR_HTTP_PORT: String(await freePort()) }));
}

/** alert_id -> "rule observed" of each alert's last version. */
async function finalAlerts(env: Record<string, string>): Promise<Map<string, string>> {
  await waitCaughtUp(admin, env['DETECTOR_GROUP_ID']!, [
    env['LEAKWATCH_TOPIC_ACCESS']!,
    env['LEAKWATCH_TOPIC_ACCESS_BY_ROUTE']!,
  ]);
  const out = new Map<string, string>();
  for (const a of await readAlerts(admin, kafka, env['LEAKWATCH_TOPIC_ALERTS']!))
    out.set(a.alert_id, `${a.rule} ${a.explanation.observed}`);
  return out;
}

test('the same stream in small live fetches and in 1 MiB fetches, one event per record and packed, raises the same alerts, route-keyed ones included', {
  timeout: 240_000,
}, async () => {
  const events = simulatedEvents();
  const codec = accessEventCodec();
  const messages = events.map((e) => ({ key: principalKey(e), value: codec.encode(e) }));
  const live = namesFor('batching-live');
  const after = namesFor('batching-after');
  for (const env of [live, after]) await createTopics(admin, streamTopics(env), PARTITIONS);

  // live: the detector is in its group first; events arrive 50 at a time
  await startDetector('detector-live', {
    ...live,
    DETECTOR_FETCH_MIN_BYTES: '1',
    DETECTOR_FETCH_MAX_WAIT_MS: '10',
  });
  await new Promise((r) => setTimeout(r, 3000));
  for (let i = 0; i < messages.length; i += 50) {
    await producer.send({
      topic: live['LEAKWATCH_TOPIC_ACCESS']!,
      acks: -1,
      messages: messages.slice(i, i + 50),
    });
    await new Promise((r) => setTimeout(r, 20));
  }
  // after the fact: every event in Kafka before the detector starts, as the collector sends them
  // (a principal's run on a partition in one record), then a packed record of two undecodable events
  const packed = createEventProducer(loadConfig({ env: { KAFKA_BROKERS: svc.kafkaBrokers.join(',') } }));
  await packed.connect();
  try {
    for (let i = 0; i < messages.length; i += 500)
      await packed.send(after['LEAKWATCH_TOPIC_ACCESS']!, messages.slice(i, i + 500), accessEventPacker(64));
    await packed.send(after['LEAKWATCH_TOPIC_ACCESS']!, [
      {
        key: 'user:lwtest-damaged',
        value: packAccessEvents([Buffer.from('not avro'), Buffer.from('nor this')]),
      },
    ]);
  } finally {
    await packed.close();
  }
  const records = (await readTopic(svc.kafkaBrokers, after['LEAKWATCH_TOPIC_ACCESS']!)).length;
  assert.ok(records < messages.length * 0.9, `${records} records for ${messages.length} events`);
  await startDetector('detector-after', after);

  const small = await finalAlerts(live);
  const large = await finalAlerts(after);
  // each event of the damaged record is a dead letter of its own, named offset:index
  const letters = (await readTopic(svc.kafkaBrokers, after['LEAKWATCH_TOPIC_DEADLETTER']!)).map(
    (m) => JSON.parse(m.value.toString()) as DeadLetter,
  );
  assert.deepEqual(
    letters.map((l) => [l.service, l.reason, l.position.replace(/^\d+:/, 'N:')]),
    [
      ['detector', 'LW_ERR_AVRO_BAD_MESSAGE', 'N:0'],
      ['detector', 'LW_ERR_AVRO_BAD_MESSAGE', 'N:1'],
    ],
  );
  assert.ok(small.size > 50, `the simulation raises alerts (${small.size})`);
  const onlySmall = [...small].filter(([id, v]) => large.get(id) !== v);
  const onlyLarge = [...large].filter(([id, v]) => small.get(id) !== v);
  assert.deepEqual(
    { onlySmall, onlyLarge },
    { onlySmall: [], onlyLarge: [] },
    `${events.length} events: alerts differ between small and 1 MiB fetches`,
  );
});
