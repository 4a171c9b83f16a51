// alerts.v1 + status.v1 -> route -> group/dedup -> (per receiver) rate-limit -> retry -> deliver.
// Offsets are committed by hand, only up to the first message whose pages are not all delivered or
// dead-lettered (offsets.ts), so a crash re-reads what was not delivered; the pages it re-sends
// carry the same ids / dedup keys (group.ts), which the receivers collapse.
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { alertCodec, statusChangeCodec } from '#shared/avro/codec.js';
import type { Config } from '#shared/config.js';
import { type ConsumerService, createConsumerService } from '#shared/kafka/consumer-service.js';
import { sendDeadLetters, toDeadLetter, undecodable } from '#shared/kafka/dead-letter.js';
import { createEventProducer } from '#shared/kafka/producer.js';
import type { Logger } from '#shared/log.js';
import type { Routing } from './config.js';
import { createDelivery } from './delivery.js';
import { Grouper } from './group.js';
import { notifierMetrics as m } from './metrics.js';
import { OffsetTracker } from './offsets.js';
import { rebuildState } from './rebuild.js';
import { createReceiver } from './receivers/index.js';

export interface Notifier extends ConsumerService {
  readonly grouper: Grouper;
}

const TICK_MS = 250;
/** What a restart replays: the incident grouping gap, and a bound on memory. */
const REBUILD_HORIZON_MS = 24 * 3_600_000;
const REBUILD_MAX_MESSAGES = 500_000;

export function createNotifier(cfg: Readonly<Config>, kafka: Kafka, routing: Routing, log: Logger): Notifier {
  const n = cfg.notifier;
  const consumer = kafka.consumer({ groupId: n.groupId, allowAutoTopicCreation: false });
  const producer = createEventProducer(cfg, 'leakwatch-notifier');
  const alerts = alertCodec();
  const statuses = statusChangeCodec();
  const tracker = new OffsetTracker();
  const receivers = routing.receivers.map((r) => createReceiver(r, { timeoutMs: n.timeoutMs }));
  const delivery = createDelivery({
    receivers,
    rates: new Map(
      routing.receivers.map((r) => [r.name, { perMinute: r.ratePerMinute, burst: r.rateBurst }]),
    ),
    maxAttempts: n.maxAttempts,
    retryInitialMs: n.retryInitialMs,
    retryMaxMs: n.retryMaxMs,
    log,
    deadLetter: (page, reason, error) =>
      sendDeadLetters(producer, cfg.topics.deadletter, [
        // A page holds no PHI by construction (page.ts): kept whole, so it can be re-sent by hand.
        toDeadLetter(
          'notifier',
          {
            reason,
            message: error,
            source: `receiver/${page.receiver}`,
            position: page.id,
            record: JSON.stringify(page),
          },
          (t) => t,
        ),
      ]),
  });
  const grouper = new Grouper({
    routes: routing.routes,
    apiBaseUrl: n.apiBaseUrl,
    emit: (page) => delivery.submit(page),
    onFolded: (receiver) => m.alertsFolded.inc({ receiver }),
    onSuppressed: (receiver) => m.pagesSuppressed.inc({ receiver }),
  });

  let committing = false;
  async function commit(): Promise<void> {
    if (committing) return;
    committing = true;
    try {
      const offsets = tracker.committable();
      if (offsets.length > 0) await consumer.commitOffsets(offsets);
      m.uncommitted.set(tracker.pending);
    } catch (err) {
      log.warn(
        { err },
        'offset commit failed (retried on the next tick; a rebalance re-reads and dedup keys collapse repeats)',
      );
    } finally {
      committing = false;
    }
  }
  let timer: NodeJS.Timeout | undefined;

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const isAlerts = batch.topic === cfg.topics.alerts;
    for (const msg of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      const done = tracker.add(batch.topic, batch.partition, msg.offset);
      const now = Date.now();
      let waits: Promise<void>[] = [];
      if (msg.value) {
        try {
          waits = isAlerts
            ? grouper.onAlert(alerts.decode(msg.value), now)
            : grouper.onStatus(statuses.decode(msg.value), now);
        } catch (err) {
          const letter = undecodable(
            'notifier',
            { topic: batch.topic, partition: batch.partition, offset: msg.offset },
            msg.value,
            err,
          );
          m.deadLetters.inc({ reason: letter.reason });
          log.error(
            { topic: batch.topic, partition: batch.partition, offset: msg.offset, reason: letter.reason },
            'undecodable message dead-lettered',
          );
          waits = [sendDeadLetters(producer, cfg.topics.deadletter, [letter])];
        }
      }
      void Promise.all(waits).then(done, done);
      payload.resolveOffset(msg.offset);
    }
    m.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1),
    );
    await payload.heartbeat().catch(() => {});
  }

  const service = createConsumerService({
    consumer,
    producer,
    topics: [cfg.topics.alerts, cfg.topics.status],
    eachBatch,
    autoCommit: false,
    onAssignment: (assigned) => tracker.retain(assigned),
  });
  return {
    ...service,
    grouper,
    async start() {
      const t0 = Date.now();
      const replayed = await rebuildState(
        kafka,
        grouper,
        {
          groupId: n.groupId,
          alertsTopic: cfg.topics.alerts,
          statusTopic: cfg.topics.status,
          horizonMs: REBUILD_HORIZON_MS,
          maxMessages: REBUILD_MAX_MESSAGES,
        },
        log,
      );
      if (replayed > 0)
        log.info(
          { replayed, groups: grouper.groupCount, ms: Date.now() - t0 },
          'state rebuilt from committed history',
        );
      await service.start();
      timer = setInterval(() => {
        grouper.tick(Date.now());
        void commit();
      }, TICK_MS);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await consumer.stop().catch(() => {});
      // Give deliveries in flight a moment, then commit what is done; the rest is re-read next start.
      await new Promise((r) => setTimeout(r, 200));
      await commit();
      delivery.stop();
      await service.stop();
    },
  };
}
