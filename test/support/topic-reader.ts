// Reads a whole topic as it is now (every partition from its low to its high watermark, taken when
// called) with a throwaway consumer group: what a test asserts "exactly once" against.
import { randomBytes } from 'node:crypto';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { accessEventMessages } from '#shared/avro/access-batch.js';
import { accessEventCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { registerCodecs } from '#shared/kafka/client.js';

export interface TopicMessage {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer;
  headers: KafkaMessage['headers'];
}

export async function readTopic(
  brokers: string[],
  topic: string,
  opts: { timeoutMs?: number } = {},
): Promise<TopicMessage[]> {
  registerCodecs(); // the services write LZ4
  const kafka = new Kafka({
    clientId: 'lwtest-reader',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let left: number;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    left = offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).length;
  } finally {
    await admin.disconnect();
  }
  const out: TopicMessage[] = [];
  if (left === 0) return out;
  const consumer = kafka.consumer({ groupId: `lwtest-reader-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `readTopic ${topic}: ${out.length} messages after ${opts.timeoutMs ?? 60_000} ms, partitions not finished: ${left}`,
            ),
          ),
        opts.timeoutMs ?? 60_000,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const end = ends.get(partition) ?? 0n;
            if (BigInt(message.offset) >= end) return; // written after the call: not ours to read
            out.push({
              partition,
              offset: message.offset,
              key: message.key,
              value: message.value ?? Buffer.alloc(0),
              headers: message.headers,
            });
            if (BigInt(message.offset) + 1n === end && --left === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** A topic's AccessEvents, records split (a record may carry a run of one principal's events), each with its record. */
export async function readAccessEvents(
  brokers: string[],
  topic: string,
  opts: { timeoutMs?: number } = {},
): Promise<Array<{ event: AccessEvent; record: TopicMessage }>> {
  const codec = accessEventCodec();
  const out: Array<{ event: AccessEvent; record: TopicMessage }> = [];
  for (const record of await readTopic(brokers, topic, opts))
    for (const value of accessEventMessages(record.value)) out.push({ event: codec.decode(value), record });
  return out;
}
