// Kafka helpers for tests that drive the streaming services from outside: build and produce
// AccessEvents, wait until a consumer group has processed everything, read a topic whole.
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import { accessEventCodec, alertCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { DEFAULTS } from '#shared/config.js';
import { ensureTopics, registerCodecs } from '#shared/kafka/client.js';
import { principalKey } from '#shared/principal.js';
import { MemoryBaselineStore } from '../../services/detector/baselines/memory-store.js';
import { createEngine } from '../../services/detector/engine/engine.js';
import { loadRulesSetup } from '../../services/detector/rules-config.js';
import { uniqueName, waitFor } from './services.js';

export function testKafka(brokers: string[]): Kafka {
  registerCodecs(); // the services write LZ4
  return new Kafka({ clientId: 'lw-test', brokers, logLevel: logLevel.NOTHING });
}

/** A user reading orders `fromId`, `fromId + 1`, … one per `stepMs` (a sequential walk). */
export function orderReads(
  user: string,
  fromId: number,
  count: number,
  t0: number,
  stepMs: number,
): AccessEvent[] {
  const out: AccessEvent[] = [];
  for (let i = 0; i < count; i++) {
    const id = fromId + i;
    out.push(
      accessEventWith({
        event_id: `${user}-${id}`,
        ts: t0 + i * stepMs,
        user_id: user,
        authenticated: true,
        client_ip: '192.0.2.10',
        route: '/wp-json/wc/v3/orders/{id}',
        resource_kind: 'order',
        resource_id: String(id),
        bytes_out: 900,
      }),
    );
  }
  return out;
}

export interface Placed {
  event: AccessEvent;
  /** Explicit partition: the test decides which partition each principal lives on. */
  partition: number;
}

export async function produceEvents(
  producer: Producer,
  topic: string,
  events: readonly Placed[],
): Promise<void> {
  const codec = accessEventCodec();
  for (let i = 0; i < events.length; i += 500) {
    await producer.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + 500).map((p) => ({
        key: principalKey(p.event),
        value: codec.encode(p.event),
        partition: p.partition,
      })),
    });
  }
}

/**
 * Service env naming a fresh set of the four topics (PARTITIONS partitions) and the detector and
 * archiver groups, unique to `label`; what the streaming tests start their services with.
 */
export function streamEnv(label: string, partitions: number): Record<string, string> {
  const base = uniqueName(label).replace(/_/g, '-');
  return {
    LEAKWATCH_TOPIC_ACCESS: `${base}.access`,
    LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: `${base}.access-by-route`,
    LEAKWATCH_TOPIC_ALERTS: `${base}.alerts`,
    LEAKWATCH_TOPIC_STATUS: `${base}.status`,
    LEAKWATCH_TOPIC_DEADLETTER: `${base}.deadletter`,
    LEAKWATCH_TOPIC_PARTITIONS: String(partitions),
    DETECTOR_GROUP_ID: `${base}-detector`,
    ARCHIVER_GROUP_ID: `${base}-archiver`,
  };
}

/** The topics a streamEnv names. */
export function streamTopics(env: Record<string, string>): string[] {
  return ['ACCESS', 'ACCESS_BY_ROUTE', 'ALERTS', 'STATUS', 'DEADLETTER'].map(
    (k) => env[`LEAKWATCH_TOPIC_${k}`]!,
  );
}

export async function createTopics(admin: Admin, topics: string[], partitions: number): Promise<void> {
  await ensureTopics(admin, topics, partitions);
}

/** Resolves when `groupId` has committed the log end of every partition of `topics`. */
export async function waitCaughtUp(
  admin: Admin,
  groupId: string,
  topics: string[],
  timeoutMs = 90_000,
): Promise<void> {
  await waitFor(
    `${groupId} caught up on ${topics.join(', ')}`,
    async () => {
      const committed = await admin.fetchOffsets({ groupId, topics });
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const c = committed.find((t) => t.topic === topic);
        for (const p of ends) {
          const done = c?.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1';
          if (Number(p.high) > 0 && Number(done) < Number(p.high)) return false;
        }
      }
      return true;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** Every alert message in `topic`, in order (all versions: an update re-sends its alert_id). */
export async function readAlerts(admin: Admin, kafka: Kafka, topic: string): Promise<Alert[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const codec = alertCodec();
  const out: Alert[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `lw-test-read-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value) out.push(codec.decode(message.value));
      if (out.length >= total) resolveDone();
    },
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  await consumer.disconnect();
  return out;
}

/**
 * alert_id -> rule of every alert the default rules raise over `events` in this order: the engine
 * run in-process (what `leakwatch scan` does), the expectation for the streaming services.
 */
export function expectedAlerts(events: readonly AccessEvent[]): Map<string, string> {
  const setup = loadRulesSetup(undefined);
  const engine = createEngine({
    rules: setup.rules,
    windowMs: DEFAULTS.detector.windowMs,
    ...setup.engine,
    baselines: new MemoryBaselineStore(),
  });
  const out = new Map<string, string>();
  for (const e of events) for (const a of engine.process(e)) out.set(a.alert_id, a.rule);
  return out;
}

/**
 * Events the collector serving metrics on `port` has published (Kafka acknowledged them), from its
 * /metrics; 0 while it is not answering yet. A topic's record count is not an event count: a
 * record may carry a run of one principal's events.
 */
export async function collectorPublished(port: number): Promise<number> {
  let text: string;
  try {
    text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch {
    return 0;
  }
  let n = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('leakwatch_collector_lines_parsed_total'))
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}
