// kafkajs (what the services consume with, and produced with until the producers moved to
// @platformatic/kafka on these figures) next to @platformatic/kafka 1.35 (the newest line that
// supports Node 20; ../shared/notes/kafka-local.md), in one run on the same broker and the same messages:
// real AccessEvents (a real log through the collector's pipeline), Avro single-object encoded,
// keyed by principal, produced and consumed once per client and compression. Figures only.
//
//   node dist/test/bench/kafka-clients.bench.js [EVENTS.ndjson | ACCESS.log] [--limit 200000]
//
// EVENTS.ndjson: AccessEvents as JSON lines (`leakwatch parse --dev` output); ACCESS.log: an nginx
// combined log, parsed here with `leakwatch parse --dev`; neither: the real apache_logs repeated to
// 200k lines with shifted times (access-log-file.ts), parsed the same way.
//
// Produce: as the collector does: idempotent, acks=all, batches of 500 each awaited before the next
// (kafkajs: idempotent, one request in flight, DefaultPartitioner; platformatic: idempotent, acks -1,
// compatibilityPartitioner so keys land on the same partitions). Consume: a fresh group from the
// earliest offset, explicit commits as the detector makes them (kafkajs: eachBatch, resolveOffset +
// commitOffsetsIfNecessary per batch, 3 partitions at once; platformatic: the message stream, a
// commit every 500 messages and at the end); no Avro decoding, so the figures are the clients'.
// Rate = messages / (first message -> last); the group join is printed apart.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CompressionAlgorithmValue,
  compatibilityPartitioner,
  Consumer as PltConsumer,
  Producer as PltProducer,
} from '@platformatic/kafka';
import { CompressionTypes, type Kafka, Partitioners } from 'kafkajs';
import { accessEventCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { principalKey } from '#shared/principal.js';
import { getServices, uniqueName } from '../support/services.js';
import { testKafka } from '../support/streams.js';

const args = process.argv.slice(2);
const limitAt = args.indexOf('--limit');
const limit = limitAt >= 0 ? Number(args.splice(limitAt, 2)[1]) : 200_000;
const eventsFile = args[0];
const BATCH = 500;
const PARTITIONS = 6;

/** AccessEvents from NDJSON, or from an nginx combined log through `leakwatch parse`. */
function loadEvents(): AccessEvent[] {
  const dir = mkdtempSync(join(tmpdir(), 'lwbench-clients-'));
  try {
    let path = eventsFile;
    if (!path?.endsWith('.ndjson')) {
      let log = path;
      if (!log) {
        log = join(dir, 'access.log');
        const gen = spawnSync(
          process.execPath,
          [join(PACKAGE_ROOT, 'dist/test/bench/access-log-file.js'), log, String(limit)],
          { encoding: 'utf8' },
        );
        if (gen.status !== 0) throw new Error(`access-log-file failed: ${gen.stderr}`);
      }
      const parsed = spawnSync(
        process.execPath,
        [join(PACKAGE_ROOT, 'bin/leakwatch.js'), 'parse', '--dev', '--format', 'nginx', log],
        { encoding: 'utf8', maxBuffer: 1 << 30 },
      );
      if (parsed.status !== 0) throw new Error(`leakwatch parse failed: ${parsed.stderr}`);
      path = join(dir, 'events.ndjson');
      writeFileSync(path, parsed.stdout);
    }
    const out: AccessEvent[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.length === 0) continue;
      out.push(JSON.parse(line) as AccessEvent);
      if (out.length >= limit) break;
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Msg {
  key: Buffer;
  value: Buffer;
}

const codec = accessEventCodec();
const messages: Msg[] = loadEvents().map((e) => ({
  key: Buffer.from(principalKey(e)),
  value: codec.encode(e),
}));
const bytes = messages.reduce((n, m) => n + m.value.length, 0);
const svc = await getServices();
const brokers = svc.kafkaBrokers;
const kafka: Kafka = testKafka(brokers);
const admin = kafka.admin();
await admin.connect();
const topics: string[] = [];
const groups: string[] = [];
function group(label: string): string {
  const g = uniqueName(label);
  groups.push(g);
  return g;
}
const closers: (() => Promise<unknown>)[] = [];

async function newTopic(label: string): Promise<string> {
  const topic = uniqueName(`clients-${label}`).replace(/_/g, '-');
  topics.push(topic);
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
  return topic;
}

async function partitionSizes(topic: string): Promise<number[]> {
  const offs = await admin.fetchTopicOffsets(topic);
  return offs.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high) - Number(p.low));
}

async function kafkajsProduce(topic: string, gzip: boolean): Promise<number> {
  // what the services used before they produced with @platformatic/kafka
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  closers.push(() => producer.disconnect());
  await producer.connect();
  const t0 = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    await producer.send({
      topic,
      acks: -1,
      compression: gzip ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: messages.slice(i, i + BATCH),
    });
  }
  const ms = performance.now() - t0;
  await producer.disconnect();
  return ms;
}

async function platformaticProduce(topic: string, gzip: boolean): Promise<number> {
  const producer = new PltProducer({
    clientId: 'lw-bench-plt',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
    compression: (gzip ? 'gzip' : 'none') as CompressionAlgorithmValue,
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
  });
  closers.push(() => producer.close());
  const t0 = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    await producer.send({
      messages: messages.slice(i, i + BATCH).map((m) => ({ topic, key: m.key, value: m.value })),
    });
  }
  const ms = performance.now() - t0;
  await producer.close();
  return ms;
}

interface Consumed {
  joinMs: number;
  readMs: number;
  count: number;
}

async function kafkajsConsume(topic: string, total: number): Promise<Consumed> {
  const consumer = kafka.consumer({ groupId: group('clients-kjs') });
  closers.push(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let first = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const t0 = performance.now();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      if (first === 0) first = performance.now();
      const lastOffset = batch.lastOffset();
      resolveOffset(lastOffset);
      await commitOffsetsIfNecessary({
        topics: [
          { topic, partitions: [{ partition: batch.partition, offset: String(Number(lastOffset) + 1) }] },
        ],
      });
      count += batch.messages.length;
      if (count >= total) {
        last = performance.now();
        done();
      }
    },
  });
  await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
  await consumer.disconnect();
  return { joinMs: first - t0, readMs: (last || performance.now()) - first, count };
}

async function platformaticConsume(topic: string, total: number): Promise<Consumed> {
  const consumer = new PltConsumer({
    clientId: 'lw-bench-plt',
    groupId: group('clients-plt'),
    bootstrapBrokers: brokers,
    autocommit: false,
  });
  closers.push(() => consumer.close());
  const t0 = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  let count = 0;
  let first = 0;
  let last = 0;
  const commits: Promise<void>[] = [];
  await Promise.race([
    new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('data', (m) => {
        if (first === 0) first = performance.now();
        count++;
        if (count % BATCH === 0 || count >= total) {
          const c = m.commit();
          if (c) commits.push(c);
        }
        if (count >= total) {
          last = performance.now();
          resolve();
        }
      });
    }),
    new Promise((r) => setTimeout(r, 120_000)),
  ]);
  await Promise.all(commits);
  await stream.close();
  await consumer.close();
  return { joinMs: first - t0, readMs: (last || performance.now()) - first, count };
}

const fmtRate = (n: number, ms: number) =>
  Math.round((n * 1000) / ms)
    .toLocaleString('en')
    .padStart(7);

console.log(
  `== Kafka clients, same run, same broker (${brokers[0]}), ${messages.length.toLocaleString('en')} real AccessEvents ` +
    `(Avro, ${Math.round(bytes / messages.length)} bytes on average), keyed by principal, ${PARTITIONS} partitions, batches of ${BATCH}; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
);
async function cleanup(): Promise<void> {
  for (const c of closers.splice(0)) await c().catch(() => {});
  await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
  if (groups.length) await admin.deleteGroups(groups).catch(() => {});
  await admin.disconnect().catch(() => {});
}
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    console.error(`bench: ${sig}, cleaning up`);
    void cleanup().finally(() => process.exit(1));
  });

let failed = false;
try {
  for (const gzip of [true, false]) {
    const comp = gzip ? 'gzip' : 'none';
    const kTopic = await newTopic(`kjs-${comp}`);
    const pTopic = await newTopic(`plt-${comp}`);
    const kProduce = await kafkajsProduce(kTopic, gzip);
    const pProduce = await platformaticProduce(pTopic, gzip);
    const [kSizes, pSizes] = [await partitionSizes(kTopic), await partitionSizes(pTopic)];
    const kIn = kSizes.reduce((a, b) => a + b, 0);
    const pIn = pSizes.reduce((a, b) => a + b, 0);
    const kRead = await kafkajsConsume(kTopic, kIn);
    const pRead = await platformaticConsume(pTopic, pIn);
    const same =
      kSizes.join(',') === pSizes.join(',') ? 'same partition counts' : 'DIFFERENT partition counts';
    console.log(
      `  ${comp.padEnd(4)} kafkajs 2.2.4:               produce ${fmtRate(kIn, kProduce)} msg/s, consume ${fmtRate(kRead.count, kRead.readMs)} msg/s ` +
        `(join ${(kRead.joinMs / 1000).toFixed(2)} s; ${kRead.count}/${kIn} read)`,
    );
    console.log(
      `  ${comp.padEnd(4)} @platformatic/kafka 1.35.0: produce ${fmtRate(pIn, pProduce)} msg/s, consume ${fmtRate(pRead.count, pRead.readMs)} msg/s ` +
        `(join ${(pRead.joinMs / 1000).toFixed(2)} s; ${pRead.count}/${pIn} read; ${same} as kafkajs)`,
    );
  }
} catch (err) {
  failed = true;
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
