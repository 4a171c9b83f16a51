// At start, before joining its group, the notifier re-reads what it already committed (at most
// `horizonMs` back, by Kafka timestamp, and at most `maxMessages`) and replays it into the grouper
// without sending (Grouper.replay): incidents of alerts, alerts people resolved, groups already
// paged and their dedup keys come back, so a restart neither pages a known group again under a
// new key nor misses the resolve of a page sent before it. (The detector rebuilds its windows the
// same way.) A throwaway consumer group reads; it is deleted afterwards.

import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { alertCodec, statusChangeCodec } from '#shared/avro/codec.js';
import type { Logger } from '#shared/log.js';
import { DELIVERY_BACKOFF, retry } from '#shared/retry.js';
import type { Grouper } from './group.js';

export interface RebuildOptions {
  groupId: string;
  alertsTopic: string;
  statusTopic: string;
  horizonMs: number;
  maxMessages: number;
  timeoutMs?: number;
}

interface Held {
  ts: number;
  isAlert: boolean;
  value: Buffer;
}

export async function rebuildState(
  kafka: Kafka,
  grouper: Grouper,
  o: RebuildOptions,
  log: Logger,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = [o.alertsTopic, o.statusTopic];
  // partition -> [from, to): from = first offset within the horizon, to = the committed offset.
  const ranges = new Map<string, { topic: string; partition: number; from: bigint; to: bigint }>();
  // A broker that has just started, or topics just created, may not have a coordinator for the
  // group or a leader for a partition yet (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
  // NOT_LEADER_FOR_PARTITION: kafkajs marks them retriable); `make demo` met each, and the notifier
  // then failed to start.
  const retried = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    retry(call, {
      ...DELIVERY_BACKOFF,
      maxAttempts: 12,
      retriable: (err) => (err as { retriable?: unknown }).retriable === true,
      onRetry: (err, attempt, delay) => log.warn({ err, attempt, delay }, `${what} failed; retrying`),
    });
  try {
    const committed = await retried('reading the committed offsets', () =>
      admin.fetchOffsets({ groupId: o.groupId, topics }),
    );
    for (const t of committed) {
      const starts = await retried('reading the offsets at the replay horizon', () =>
        admin.fetchTopicOffsetsByTimestamp(t.topic, Date.now() - o.horizonMs),
      );
      for (const p of t.partitions) {
        const to = BigInt(p.offset);
        // -1: nothing appended since the horizon; nothing to replay there.
        const from = BigInt(starts.find((s) => s.partition === p.partition)?.offset ?? '-1');
        if (to > 0n && from >= 0n && from < to)
          ranges.set(`${t.topic}\u0000${p.partition}`, { topic: t.topic, partition: p.partition, from, to });
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (ranges.size === 0) return 0;

  const tempGroup = `${o.groupId}-rebuild-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({
    groupId: tempGroup,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
  });
  const held: Held[] = [];
  const pending = new Set(ranges.keys());
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let seeked = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (seeked) return;
      seeked = true;
      for (const r of ranges.values())
        consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.from) });
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}\u0000${batch.partition}`;
        const r = ranges.get(key);
        if (!r || !pending.has(key)) return;
        for (const m of batch.messages) {
          const off = BigInt(m.offset);
          if (off < r.from) continue;
          if (off >= r.to) break;
          if (m.value && held.length < o.maxMessages)
            held.push({ ts: Number(m.timestamp), isAlert: batch.topic === o.alertsTopic, value: m.value });
        }
        if (BigInt(batch.lastOffset()) + 1n >= r.to) pending.delete(key);
        if (pending.size === 0) finish();
      },
    });
    await Promise.race([finished, new Promise((r) => setTimeout(r, o.timeoutMs ?? 60_000))]);
  } finally {
    await consumer.disconnect().catch(() => {});
    const admin2 = kafka.admin();
    await admin2.connect().catch(() => {});
    await admin2.deleteGroups([tempGroup]).catch(() => {});
    await admin2.disconnect().catch(() => {});
  }
  if (pending.size > 0)
    log.warn({ partitions: pending.size }, 'state rebuild timed out; some committed history not replayed');
  // One order across both topics: by the time Kafka appended them (stable within a partition).
  held.sort((a, b) => a.ts - b.ts);
  const alerts = alertCodec();
  const statuses = statusChangeCodec();
  let applied = 0;
  grouper.replay((g) => {
    for (const h of held) {
      try {
        if (h.isAlert) g.onAlert(alerts.decode(h.value), h.ts);
        else g.onStatus(statuses.decode(h.value), h.ts);
        applied++;
      } catch {
        // undecodable: it was dead-lettered when first read
      }
    }
  });
  return applied;
}
