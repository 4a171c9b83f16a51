// The services' producer (@platformatic/kafka, idempotent, LZ4) against a real broker, read back with
// kafkajs as the detector and archiver read: concurrent senders to the same partitions lose and
// duplicate nothing (one request in flight, merged), each key lands on the partition kafkajs's and
// Java's default partitioner choose, headers survive, and packed sends keep each partition's order.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Admin, Partitioners } from 'kafkajs';
import { accessEventMessages, accessEventPacker } from '#shared/avro/access-batch.js';
import { loadConfig } from '#shared/config.js';
import { ensureTopics } from '#shared/kafka/client.js';
import { createEventProducer, type OutgoingMessage } from '#shared/kafka/producer.js';
import { getServices, uniqueName } from '../support/services.js';
import { testKafka } from '../support/streams.js';
import { readTopic } from '../support/topic-reader.js';

const PARTITIONS = 6;
let brokers: string[];
let admin: Admin;
const topics: string[] = [];

before(async () => {
  brokers = (await getServices()).kafkaBrokers;
  admin = testKafka(brokers).admin();
  await admin.connect();
});

after(async () => {
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

for (const compression of ['lz4', 'gzip', 'none'] as const) {
  test(`${compression}: concurrent senders, every message once, on the Java partition for its key`, async () => {
    const topic = uniqueName(`producer-${compression}`).replace(/_/g, '-');
    topics.push(topic);
    await ensureTopics(admin, [topic], PARTITIONS);
    const cfg = loadConfig({ env: { KAFKA_BROKERS: brokers.join(','), KAFKA_COMPRESSION: compression } });
    const producer = createEventProducer(cfg, 'lwtest-producer');
    await producer.connect();
    const SENDERS = 4;
    const BATCHES = 10;
    const PER_BATCH = 50;
    try {
      // four callers at once, as the detector's partitions send: every batch touches every partition
      await Promise.all(
        Array.from({ length: SENDERS }, async (_, s) => {
          for (let b = 0; b < BATCHES; b++) {
            const messages: OutgoingMessage[] = [];
            for (let i = 0; i < PER_BATCH; i++) {
              const n = (s * BATCHES + b) * PER_BATCH + i;
              messages.push({
                key: `user-${n % 97}`,
                value: Buffer.from(`v${n}`),
                headers: { 'lw-n': String(n) },
              });
            }
            await producer.send(topic, messages);
          }
        }),
      );
    } finally {
      await producer.close();
    }

    const read = await readTopic(brokers, topic);
    const total = SENDERS * BATCHES * PER_BATCH;
    assert.equal(read.length, total, 'every message once');
    assert.equal(new Set(read.map((m) => m.value.toString())).size, total, 'no duplicates');
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, p) => ({
      partitionId: p,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    }));
    const javaPartition = Partitioners.DefaultPartitioner();
    for (const m of read) {
      const key = m.key!.toString();
      assert.equal(
        m.partition,
        javaPartition({ topic, partitionMetadata, message: { key, value: null } }),
        key,
      );
      assert.equal(m.headers?.['lw-n']?.toString(), m.value.toString().slice(1));
    }
    // per key, the order sent is the order stored (one request in flight)
    const byKey = new Map<string, number[]>();
    for (const m of read) {
      const k = m.key!.toString();
      byKey.set(k, [...(byKey.get(k) ?? []), Number(m.value.toString().slice(1))]);
    }
    for (const [k, ns] of byKey) {
      const perSender = new Map<number, number[]>();
      for (const n of ns) {
        const s = Math.floor(n / (BATCHES * PER_BATCH));
        perSender.set(s, [...(perSender.get(s) ?? []), n]);
      }
      for (const seq of perSender.values())
        assert.deepEqual(
          seq,
          [...seq].sort((a, b) => a - b),
          `order of ${k}`,
        );
    }
  });
}

test('one send far above the broker message size limit (a released backlog) arrives whole and in order', async () => {
  const topic = uniqueName('producer-large').replace(/_/g, '-');
  topics.push(topic);
  await ensureTopics(admin, [topic], PARTITIONS);
  const cfg = loadConfig({ env: { KAFKA_BROKERS: brokers.join(',') } });
  const producer = createEventProducer(cfg, 'lwtest-producer');
  await producer.connect();
  // 40,000 x 150 random (incompressible) bytes = 6 MB in one call, over 3 keys: each partition's
  // batch would be about 2 MB in one request, and the broker takes about 1 MiB
  const N = 40_000;
  const messages: OutgoingMessage[] = [];
  for (let n = 0; n < N; n++) {
    const value = randomBytes(150);
    value.writeUInt32BE(n, 0);
    messages.push({ key: `route-${n % 3}`, value });
  }
  try {
    await producer.send(topic, messages);
  } finally {
    await producer.close();
  }
  const read = await readTopic(brokers, topic);
  assert.equal(read.length, N, 'every message once');
  const byKey = new Map<string, number[]>();
  for (const m of read) {
    const k = m.key!.toString();
    const ns = byKey.get(k) ?? [];
    ns.push(m.value.readUInt32BE(0));
    byKey.set(k, ns);
  }
  for (const [k, ns] of byKey)
    assert.deepEqual(
      ns,
      [...ns].sort((a, b) => a - b),
      `order of ${k}`,
    );
});

test('packed sends: each partition holds the same events in the same order, in fewer records, each keyed by its events', async () => {
  const topic = uniqueName('producer-packed').replace(/_/g, '-');
  topics.push(topic);
  await ensureTopics(admin, [topic], PARTITIONS);
  const cfg = loadConfig({ env: { KAFKA_BROKERS: brokers.join(',') } });
  const producer = createEventProducer(cfg, 'lwtest-producer');
  await producer.connect();
  // principals' requests come in runs (a page and its API calls), interleaved with others'
  const sent: OutgoingMessage[] = [];
  let user = 0;
  for (let n = 0; n < 3000; n++) {
    if (n % 4 === 0) user = (user * 7 + 3) % 41;
    sent.push({ key: `user:u${user}`, value: Buffer.from(`event ${n}`) });
  }
  try {
    for (let i = 0; i < sent.length; i += 500)
      await producer.send(topic, sent.slice(i, i + 500), accessEventPacker(64));
  } finally {
    await producer.close();
  }
  const read = await readTopic(brokers, topic);
  assert.ok(read.length < sent.length / 2, `${read.length} records for ${sent.length} events`);
  const stored = new Map<number, string[]>();
  for (const r of read) {
    const parts = accessEventMessages(r.value);
    // a record holds events of its own key only
    for (const v of parts) assert.equal(sent[Number(v.toString().slice(6))]!.key, r.key!.toString());
    stored.set(r.partition, [...(stored.get(r.partition) ?? []), ...parts.map((v) => v.toString())]);
  }
  // the partition each key was sent to, from the records (every key's records are on one partition)
  const partitionOfKey = new Map(read.map((r) => [r.key!.toString(), r.partition]));
  const expected = new Map<number, string[]>();
  for (const m of sent) {
    const p = partitionOfKey.get(m.key)!;
    expected.set(p, [...(expected.get(p) ?? []), m.value.toString()]);
  }
  assert.deepEqual(stored, expected);
});
