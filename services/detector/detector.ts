// access.v1 -> engine -> alerts.v1. A batch's offsets are committed only after its alerts are
// acknowledged by Kafka (acks=all); alert_id is deterministic, so a crash and replay change nothing
// downstream (the same ids are re-sent and collapse in ClickHouse).
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { accessEventCodec, alertCodec } from '#shared/avro/codec.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { Config } from '#shared/config.js';
import { COMPRESSION, createProducer } from '#shared/kafka/client.js';
import { type ConsumerService, createConsumerService } from '#shared/kafka/consumer-service.js';
import { sendDeadLetters, undecodable } from '#shared/kafka/dead-letter.js';
import type { DeadLetter } from '#shared/kafka/topics.js';
import type { Logger } from '#shared/log.js';
import { retry } from '#shared/retry.js';
import { MemoryBaselineStore } from './baselines/memory-store.js';
import { createEngine } from './engine/engine.js';
import { detectorMetrics as m } from './metrics.js';
import { loadRulesSetup } from './rules/rules-config.js';

export type Detector = ConsumerService;

export function createDetector(cfg: Readonly<Config>, kafka: Kafka, log: Logger): Detector {
  const consumer: Consumer = kafka.consumer({ groupId: cfg.detector.groupId, allowAutoTopicCreation: false });
  const producer: Producer = createProducer(kafka);
  const accessCodec = accessEventCodec();
  const alertsCodec = alertCodec();
  // The rules file is read (and refused with every problem listed) before anything connects.
  const setup = loadRulesSetup(cfg.detector.rulesFile);
  const engine = createEngine({
    rules: setup.rules,
    windowMs: cfg.detector.windowMs,
    ...setup.engine,
    // Learns from the stream until the ClickHouse baseline store (issue 6) replaces it.
    baselines: new MemoryBaselineStore(),
    onEvict: (evicted, held) => {
      m.budgetEvictions.inc(evicted);
      log.warn({ evicted, held }, 'engine memory budget reached: least recently active entities evicted');
    },
  });
  let maxEventTs = 0;
  let lastFlushTs = 0;

  async function publish(alerts: Alert[], payload: EachBatchPayload): Promise<void> {
    // Keep only the newest version of each alert in this batch: fewer messages, same outcome.
    const latest = new Map<string, Alert>();
    for (const a of alerts) latest.set(a.alert_id, a);
    const messages = [...latest.values()].map((a) => ({
      key: a.fingerprint,
      value: alertsCodec.encode(a),
      headers: { 'lw-rule': a.rule },
    }));
    await retry(
      () => producer.send({ topic: cfg.topics.alerts, acks: -1, compression: COMPRESSION, messages }),
      {
        maxAttempts: Number.POSITIVE_INFINITY,
        initialMs: 250,
        maxMs: 10_000,
        retriable: () => payload.isRunning() && !payload.isStale(),
        onRetry: (err, attempt) => {
          log.warn({ err, attempt }, 'publishing alerts failed; retrying');
          void payload.heartbeat().catch(() => {});
        },
      },
    );
    for (const a of latest.values()) m.alerts.inc({ rule: a.rule });
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const t0 = performance.now();
    const { batch } = payload;
    const alerts: Alert[] = [];
    const dead: DeadLetter[] = [];
    for (const msg of batch.messages) {
      if (!msg.value) continue;
      let event: ReturnType<typeof accessCodec.decode>;
      try {
        event = accessCodec.decode(msg.value);
      } catch (err) {
        const letter = undecodable(
          'detector',
          { topic: batch.topic, partition: batch.partition, offset: msg.offset },
          msg.value,
          err,
        );
        m.deadLetters.inc({ reason: letter.reason });
        dead.push(letter);
        continue;
      }
      m.events.inc();
      if (event.ts > maxEventTs) maxEventTs = event.ts;
      for (const a of engine.process(event)) alerts.push(a);
    }
    // Bounded state: evict idle entities by event time, at most once per window's worth of events.
    if (maxEventTs - lastFlushTs >= cfg.detector.windowMs) {
      const evicted = engine.flushIdle(maxEventTs);
      lastFlushTs = maxEventTs;
      if (evicted) {
        m.evictions.inc(evicted);
        log.info({ evicted }, 'idle entities evicted');
      }
    }
    if (alerts.length) {
      await publish(alerts, payload);
      m.eventToAlert.observe((performance.now() - t0) / 1000);
      log.info(
        { alerts: alerts.length, partition: batch.partition, lastOffset: batch.lastOffset() },
        'alerts published',
      );
    }
    if (dead.length) await sendDeadLetters(producer, cfg.topics.deadletter, dead);
  }

  return createConsumerService({ consumer, producer, topics: [cfg.topics.access], eachBatch });
}
