// Every service produces through this one module, on @platformatic/kafka: on this machine it sends
// 2-3x the messages kafkajs does for the same CPU (test/bench/kafka-clients.bench.ts), and producing
// was most of the collector's cost per event. Consuming stays on kafkajs (client.ts), which has the
// seek, per-partition batches and heartbeats the detector needs.
//
// Idempotent, acks=all, Java-compatible murmur2 partitioning (a key lands on the partition kafkajs
// and the Java clients would choose). The idempotent producer numbers each partition's batches when
// it encodes them and counts them when the broker answers, so two produce requests in flight to one
// partition would carry the same sequence and the broker would drop the second as a duplicate. Sends
// therefore go out one request at a time; sends that queue up meanwhile are merged into the next
// request, so concurrent callers (the detector's partitions) share round trips instead of waiting
// for each other's.
import type * as Kafka from '@platformatic/kafka';
import type { CompressionAlgorithmValue } from '@platformatic/kafka';
import type { Config } from '../config.js';
import { type Packer, packRuns } from './pack-runs.js';
import { createSendQueue } from './send-queue.js';

// The package's index loads every client (admin, consumer, registries) and compiles all their
// option schemas (ajv) when imported: 0.75 s of CPU at each service's start, of which the producer's
// own modules are 0.45 s. Only those are loaded, by path inside the pinned package (its exports map
// has no subpaths); a layout change fails at the first import, loudly, in every test that produces.
const root = import.meta.resolve('@platformatic/kafka');
const part = async <T>(path: string): Promise<T> => (await import(new URL(path, root).href)) as T;
const { Producer } = await part<Pick<typeof Kafka, 'Producer'>>('./clients/producer/producer.js');
const { murmur2 } = await part<Pick<typeof Kafka, 'murmur2'>>('./protocol/murmur2.js');
const { stringSerializer } = await part<Pick<typeof Kafka, 'stringSerializer'>>('./clients/serde.js');

export interface OutgoingMessage {
  key: string;
  value: Buffer | string;
  headers?: Readonly<Record<string, string>>;
}

export interface EventProducer {
  /**
   * Resolves once Kafka acknowledged every message (acks=all); rejects when the client gave up.
   * With `pack`, runs of messages of one key on one partition go out as one record each
   * (pack-runs.ts): the partition holds the same values in the same order, in fewer records.
   */
  send(topic: string, messages: readonly OutgoingMessage[], pack?: Packer): Promise<void>;
  /** Resolves once a broker answered (metadata of the cluster); rejects when none did. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** Queued sends merged into one request up to about this many value bytes (the broker takes 1 MiB a batch). */
const MERGE_BYTES = 512 * 1024;

interface TopicMessages {
  topic: string;
  messages: readonly OutgoingMessage[];
  /** One send split in parts: set when a part failed, so the parts after it are not written. */
  split?: { failed: boolean };
}

const toBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** A key's bytes and its partition hash (before the modulo by the partition count). */
interface KeyInfo {
  bytes: Buffer;
  hash: number;
}
/** Keys remembered at most (principals, routes, fingerprints repeat); the map starts over beyond. */
const KEY_CACHE_SIZE = 65_536;

/**
 * Keys repeat (a principal's events, a route's), so their UTF-8 bytes and murmur2 hash are kept:
 * the hash, masked to 31 bits, is what the Java-compatible partitioner computes, and the client
 * takes it modulo the topic's partition count as it would the partitioner's answer.
 */
function keyCache(): (key: string) => KeyInfo {
  let known = new Map<string, KeyInfo>();
  return (key) => {
    let info = known.get(key);
    if (info === undefined) {
      if (known.size >= KEY_CACHE_SIZE) known = new Map();
      const bytes = Buffer.from(key);
      info = { bytes, hash: murmur2(bytes) & 0x7fffffff };
      known.set(key, info);
    }
    return info;
  };
}

export function createEventProducer(cfg: Pick<Config, 'kafka'>, clientId?: string): EventProducer {
  const newClient = () =>
    new Producer<Buffer, Buffer, string, string>({
      clientId: clientId ?? cfg.kafka.clientId,
      bootstrapBrokers: [...cfg.kafka.brokers],
      idempotent: true,
      acks: -1,
      compression: cfg.kafka.compression as CompressionAlgorithmValue,
      // no partitioner: each message carries its partition (keyCache; compatibilityPartitioner's choice)
      autocreateTopics: false,
      // The services retry a failed send themselves (with backoff, pausing their input): fail fast here.
      retries: 3,
      retryDelay: 250,
      timeout: 10_000,
      serializers: {
        key: (k) => k,
        value: (v) => v,
        headerKey: stringSerializer,
        headerValue: stringSerializer,
      },
    });
  let client = newClient();
  const keyOf = keyCache();
  const enqueue = createSendQueue<TopicMessages>(async (groups) => {
    const messages = [];
    for (const { topic, messages: batch, split } of groups) {
      if (split?.failed) continue; // its send has failed already: the caller retries all of it
      for (const m of batch) {
        const key = keyOf(m.key);
        messages.push({
          topic,
          key: key.bytes,
          partition: key.hash,
          value: toBuffer(m.value),
          ...(m.headers && { headers: m.headers }),
        });
      }
    }
    if (messages.length === 0) return;
    try {
      await client.send({ messages });
    } catch (err) {
      for (const g of groups) if (g.split) g.split.failed = true;
      // A failed request may still have been written. Its retry, maybe merged differently, must
      // not reuse the old sequence numbers: start over with a new producer id. A retry can then
      // duplicate what was written; consumers collapse duplicates by event_id and alert_id.
      const failed = client;
      client = newClient();
      await failed.close().catch(() => {});
      throw err;
    }
  }, MERGE_BYTES);

  /** The topic's partition count as the client knows it (its metadata cache); undefined if unknown. */
  async function partitionCount(topic: string): Promise<number | undefined> {
    try {
      return (await client.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount;
    } catch {
      return undefined; // the send itself reports what is wrong
    }
  }

  /** The records for `messages`, packed (when the partition count is known). */
  async function packed(topic: string, messages: readonly OutgoingMessage[], pack: Packer) {
    const partitions = await partitionCount(topic);
    if (partitions === undefined || partitions < 1) return messages;
    return packRuns(messages, (key) => keyOf(key).hash % partitions, pack);
  }

  function sendRecords(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    // A large send (the detector releasing a held backlog forwards tens of thousands of events at
    // once) goes out in parts of at most MERGE_BYTES, one after the other: in one request its
    // partition batches exceeded the broker's message size limit (MESSAGE_TOO_LARGE, retried
    // forever: the detector stopped). Parts are queued together, so they keep their order.
    const parts: { messages: OutgoingMessage[]; bytes: number }[] = [];
    let part: { messages: OutgoingMessage[]; bytes: number } = { messages: [], bytes: 0 };
    for (const m of messages) {
      if (part.messages.length > 0 && part.bytes + m.value.length > MERGE_BYTES) {
        parts.push(part);
        part = { messages: [], bytes: 0 };
      }
      part.messages.push(m);
      part.bytes += m.value.length;
    }
    if (part.messages.length > 0) parts.push(part);
    if (parts.length === 0) return Promise.resolve();
    if (parts.length === 1) return enqueue([{ topic, messages }], part.bytes);
    const split = { failed: false };
    return Promise.all(parts.map((p) => enqueue([{ topic, messages: p.messages, split }], p.bytes))).then(
      () => undefined,
    );
  }

  return {
    send(topic, messages, pack) {
      // unpacked sends are queued at once, so sends made one after the other keep their order
      if (pack === undefined || pack.maxValues <= 1 || messages.length < 2)
        return sendRecords(topic, messages);
      return packed(topic, messages, pack).then((records) => sendRecords(topic, records));
    },
    async connect() {
      await client.metadata({ topics: [] });
    },
    async close() {
      await client.close();
    },
  };
}
