// access.v1 -> engine -> alerts.v1, one engine per assigned partition (DESIGN.md "Scale").
//
// - Principal-keyed rules run on `leakwatch.access.v1` (keyed by principal). Route-keyed rules
//   (distributed enumeration) need every event of a route in one place, so events on id routes are
//   forwarded, bytes unchanged, to the repartition topic `leakwatch.access-by-route.v1` keyed by
//   tenant + route, and route engines run on its partitions.
// - Offsets are committed by this service, explicitly, only after the batch's alerts (and forwarded
//   events) are acknowledged by Kafka (acks=all). alert_id is deterministic, so a crash and replay
//   re-send the same ids, which collapse downstream.
// - A newly assigned partition is never started empty: its state is rebuilt by re-reading a bounded
//   stretch before the committed offset (detector.rebuildHorizonMs of produce time, at most
//   rebuildMaxEvents messages). Alerts found while rebuilding were published by the earlier owner
//   and are dropped; processing goes live at the committed offset.
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { accessEventCodec, alertCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { Config } from '#shared/config.js';
import { type ConsumerService, createConsumerService } from '#shared/kafka/consumer-service.js';
import { sendDeadLetters, undecodable } from '#shared/kafka/dead-letter.js';
import { createEventProducer, type OutgoingMessage } from '#shared/kafka/producer.js';
import type { DeadLetter } from '#shared/kafka/topics.js';
import type { Logger } from '#shared/log.js';
import { retryUntilDelivered } from '#shared/retry.js';
import { createBaselineStore } from './baselines/clickhouse-store.js';
import { createEngine, type Engine } from './engine/engine.js';
import { detectorMetrics as m } from './metrics.js';
import { type PartitionState, PartitionStates, partitionKey, rebuildStart } from './partitions.js';
import { createPolicySource } from './response-policy.js';
import { loadRulesSetup } from './rules/rules-config.js';

export type Detector = ConsumerService;

/** Events route-keyed rules read: a resource on an id route (the engine's own condition). */
function onIdRoute(e: AccessEvent): boolean {
  return e.resource_kind !== null && e.resource_id !== null;
}

export function createDetector(cfg: Readonly<Config>, kafka: Kafka, log: Logger): Detector {
  const consumer: Consumer = kafka.consumer({
    groupId: cfg.detector.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: cfg.detector.sessionTimeoutMs,
    heartbeatInterval: Math.min(3000, Math.floor(cfg.detector.sessionTimeoutMs / 3)),
    minBytes: cfg.detector.fetchMinBytes,
    maxWaitTimeInMs: cfg.detector.fetchMaxWaitMs,
  });
  const producer = createEventProducer(cfg, 'leakwatch-detector');
  const admin: Admin = kafka.admin();
  const accessCodec = accessEventCodec();
  const alertsCodec = alertCodec();
  const { access: accessTopic, accessByRoute: byRouteTopic } = cfg.topics;
  // The rules file is read (and refused with every problem listed) before anything connects.
  const setup = loadRulesSetup(cfg.detector.rulesFile);
  const principalRules = setup.rules.filter((r) => r.keyBy === 'principal');
  const routeRules = setup.rules.filter((r) => r.keyBy === 'route');
  // ClickHouse baselines (the baseline job's rows, cached and reloaded; kept when ClickHouse is
  // down, shared by all partitions) over what each partition's own stream teaches.
  const baselineStore = createBaselineStore(cfg, log);
  // Responders' suppressions and allow entries, re-read from ClickHouse while running.
  const policy = createPolicySource(cfg, log, (n) => m.policyEntries.set(n));
  // The memory budget is for the whole process: each partition's engine gets its share.
  const budget = setup.engine.maxEntities;
  const perPartitionBudget =
    budget === undefined ? undefined : Math.max(1000, Math.ceil(budget / cfg.topics.partitions));

  const states = new PartitionStates<Engine>((topic, partition) =>
    createEngine({
      rules: topic === byRouteTopic ? routeRules : principalRules,
      windowMs: cfg.detector.windowMs,
      ...setup.engine,
      ...(perPartitionBudget === undefined ? {} : { maxEntities: perPartitionBudget }),
      baselines: baselineStore.forPartition(1 / cfg.topics.partitions),
      onEvict: (evicted, held) => {
        m.budgetEvictions.inc(evicted);
        log.warn(
          { evicted, held, topic, partition },
          'engine memory budget reached: least recently active entities evicted',
        );
      },
    }),
  );

  function onAssignment(assigned: Readonly<Record<string, readonly number[]>>): void {
    for (const s of states.retain(assigned)) {
      m.consumerLag.remove({ topic: s.topic, partition: String(s.partition) });
      log.info(
        { topic: s.topic, partition: s.partition },
        'partition state dropped (revoked or mid-rebuild)',
      );
    }
    m.partitionsOwned.set(states.size);
    log.info({ assigned }, 'partitions assigned');
  }

  /** State for a batch's partition; undefined when the consumer was told to seek back and rebuild. */
  async function stateFor(payload: EachBatchPayload): Promise<PartitionState<Engine> | undefined> {
    const { topic, partition } = payload.batch;
    const known = states.get(topic, partition);
    if (known !== undefined) return known;
    // The group hands a new partition over at its committed offset: everything before it is history.
    const liveFrom = Number(payload.batch.firstOffset());
    const [byTime, bounds] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - cfg.detector.rebuildHorizonMs),
      admin.fetchTopicOffsets(topic),
    ]);
    const logStart = Number(bounds.find((p) => p.partition === partition)?.low ?? 0);
    const timeStart = Number(byTime.find((p) => p.partition === partition)?.offset ?? liveFrom);
    const from = rebuildStart(liveFrom, logStart, timeStart, { maxEvents: cfg.detector.rebuildMaxEvents });
    const s = states.open(topic, partition, from, liveFrom);
    m.partitionsOwned.set(states.size);
    if (from >= liveFrom) return s;
    m.rebuilds.inc();
    log.info({ topic, partition, from, liveFrom }, 'rebuilding partition state from the topic');
    consumer.seek({ topic, partition, offset: String(from) });
    return undefined;
  }

  async function sendWithRetry(
    what: string,
    send: () => Promise<unknown>,
    payload: EachBatchPayload,
  ): Promise<void> {
    await retryUntilDelivered(send, {
      // A stale batch (revoked or sought) is redelivered to whoever owns it: stop retrying here.
      batch: payload,
      retriable: () => true,
      onRetry: (err, attempt) => log.warn({ err, attempt }, `publishing ${what} failed; retrying`),
    });
  }

  async function publishAlerts(
    latest: Map<string, Alert>,
    appendedAt: Map<string, number>,
    payload: EachBatchPayload,
  ): Promise<void> {
    const messages = [...latest.values()].map((a) => ({
      key: a.fingerprint,
      value: alertsCodec.encode(a),
      headers: { 'lw-rule': a.rule },
    }));
    await sendWithRetry('alerts', () => producer.send(cfg.topics.alerts, messages), payload);
    const now = Date.now();
    for (const a of latest.values()) {
      m.alerts.inc({ rule: a.rule });
      const t = appendedAt.get(a.alert_id);
      if (t !== undefined && t > 0) m.eventToAlert.observe(Math.max(0, now - t) / 1000);
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const s = await stateFor(payload);
    if (s === undefined) return; // sought back; the replay arrives in the next batches
    const isAccess = batch.topic === accessTopic;
    // Newest version of each alert in this batch (fewer messages, same outcome), and when the
    // event that last moved it was appended to Kafka (for the event-to-alert latency).
    const latest = new Map<string, Alert>();
    const appendedAt = new Map<string, number>();
    const forward: OutgoingMessage[] = [];
    const dead: DeadLetter[] = [];
    let replayed = 0;
    for (const msg of batch.messages) {
      const offset = Number(msg.offset);
      if (offset < s.next) continue; // redelivered after a rejoin: already in this state
      s.next = offset + 1;
      if (!msg.value) continue;
      const live = offset >= s.liveFrom;
      let event: AccessEvent;
      try {
        event = accessCodec.decode(msg.value);
      } catch (err) {
        if (!live) continue; // dead-lettered by the earlier owner
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
      if (event.ts > s.maxEventTs) s.maxEventTs = event.ts;
      const alerts = s.engine.process(event);
      // Per event, not per batch: where idle entities close their windows (and feed baselines)
      // then depends on the partition's events alone, not on fetch sizes, and a rebuild replays it.
      flushIdle(s);
      if (!live) {
        replayed++;
        continue;
      }
      m.events.inc();
      if (isAccess && routeRules.length > 0 && onIdRoute(event)) {
        forward.push({ key: event.tenant + '\u0000' + event.route, value: msg.value });
      }
      for (const raised of alerts) {
        const verdict = policy.current().verdict(raised, Date.now());
        if (verdict === 'drop') {
          m.alertsAllowed.inc({ rule: raised.rule });
          continue;
        }
        // a copy: the engine keeps its alert, and a suppression may be deleted before it grows
        const a = verdict === 'suppress' ? { ...raised, status: 'suppressed' as const } : raised;
        if (verdict === 'suppress') m.alertsSuppressed.inc({ rule: a.rule });
        latest.set(a.alert_id, a);
        appendedAt.set(a.alert_id, Number(msg.timestamp));
      }
    }
    if (replayed) m.rebuildEvents.inc(replayed);
    const late = s.engine.stats().lateEvents;
    if (late > s.lateReported) {
      m.lateEvents.inc(late - s.lateReported);
      s.lateReported = late;
    }

    const last = batch.lastOffset();
    if (replayed && s.next >= s.liveFrom) {
      const { topic, partition } = batch;
      log.info({ topic, partition, liveFrom: s.liveFrom }, 'partition state rebuilt; live from here');
    }
    if (Number(last) < s.liveFrom) {
      // The whole batch was history: move the fetch position on, commit nothing.
      payload.resolveOffset(last);
      return;
    }
    if (forward.length) {
      await sendWithRetry('by-route events', () => producer.send(byRouteTopic, forward), payload);
      m.forwarded.inc(forward.length);
    }
    if (latest.size) {
      await publishAlerts(latest, appendedAt, payload);
      log.info(
        { alerts: latest.size, topic: batch.topic, partition: batch.partition, lastOffset: last },
        'alerts published',
      );
    }
    if (dead.length) await sendDeadLetters(producer, cfg.topics.deadletter, dead);
    payload.resolveOffset(last);
    await payload.commitOffsetsIfNecessary({
      topics: [
        {
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: String(Number(last) + 1) }],
        },
      ],
    });
    m.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
    );
  }

  /** Bounded state: evict idle entities by event time, at most once per window's worth of events. */
  function flushIdle(s: PartitionState<Engine>): void {
    if (s.maxEventTs - s.lastFlushTs < cfg.detector.windowMs) return;
    const evicted = s.engine.flushIdle(s.maxEventTs);
    s.lastFlushTs = s.maxEventTs;
    if (evicted) {
      m.evictions.inc(evicted);
      log.debug({ evicted, partition: partitionKey(s.topic, s.partition) }, 'idle entities evicted');
    }
  }

  const service = createConsumerService({
    consumer,
    producer,
    topics: routeRules.length > 0 ? [accessTopic, byRouteTopic] : [accessTopic],
    eachBatch,
    autoCommit: false,
    onAssignment,
    // Partitions have separate engines; the shared baseline store is synchronous.
    partitionsConsumedConcurrently: 3,
  });
  return {
    ...service,
    async start() {
      await baselineStore.start(); // does not wait for ClickHouse
      await policy.start(); // one read attempt; an unreachable ClickHouse means no entries yet
      await admin.connect();
      await service.start();
    },
    async stop() {
      await service.stop();
      await admin.disconnect().catch(() => {});
      await baselineStore.stop();
      await policy.stop();
    },
  };
}
