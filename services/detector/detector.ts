// access.v1 -> engine -> alerts.v1, one engine per assigned partition (DESIGN.md "Scale").
//
// - Principal-keyed rules run on `leakwatch.access.v1` (keyed by principal). Route-keyed rules
//   (distributed enumeration) need every event of a route in one place, so events on id routes are
//   forwarded, bytes unchanged, to the repartition topic `leakwatch.access-by-route.v1` keyed by
//   tenant + route, and route engines run on its partitions.
// - Live access events are aligned on event time across the access partitions this member owns
//   (partitions.ts ForwardAligner, as Kafka Streams aligns a task's inputs): held until every
//   owned access partition has been read past them (a caught-up partition with nothing new for
//   detector.alignIdleMs stops holding), then processed in event-time order. So the principal
//   engines learn the tenant's peer groups (shared by the partitions: baselines/tenant-groups.ts)
//   in the order `scan` does, and a walk spread over many principals reaches the route engines in
//   the order it happened, however the partitions catch up. An access partition's offset is
//   committed only up to its oldest held event.
// - Offsets are committed by this service, explicitly, only after the batch's alerts (and forwarded
//   events) are acknowledged by Kafka (acks=all). alert_id is deterministic, so a crash and replay
//   re-send the same ids, which collapse downstream.
// - A newly assigned partition is never started empty: its state is rebuilt by re-reading a bounded
//   stretch before the committed offset (detector.rebuildHorizonMs of produce time, at most
//   rebuildMaxEvents messages). Alerts found while rebuilding were published by the earlier owner
//   and are dropped; processing goes live at the committed offset.
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { accessEventMessages, accessEventPacker } from '#shared/avro/access-batch.js';
import { accessEventCodec, accessEventTime, alertCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { type ConsumerService, createConsumerService } from '#shared/kafka/consumer-service.js';
import { sendDeadLetters, undecodable } from '#shared/kafka/dead-letter.js';
import { createEventProducer, type OutgoingMessage } from '#shared/kafka/producer.js';
import type { DeadLetter } from '#shared/kafka/topics.js';
import type { Logger } from '#shared/log.js';
import { retryUntilDelivered } from '#shared/retry.js';
import { BucketHistory } from './baselines/bucket-history.js';
import { createBaselineStore } from './baselines/clickhouse-store.js';
import { createEngine, type Engine } from './engine/engine.js';
import { detectorMetrics as m } from './metrics.js';
import {
  ForwardAligner,
  type PartitionState,
  PartitionStates,
  partitionKey,
  rebuildStart,
} from './partitions.js';
import { createPolicySource } from './response-policy.js';
import { loadRulesSetup } from './rules-config.js';

export type Detector = ConsumerService;

/** Forwarded events per by-route record at most (the collector's default for the access topic). */
const FORWARD_EVENTS_PER_RECORD = 64;

/** Events route-keyed rules read: a resource on an id route (the engine's own condition). */
function onIdRoute(e: AccessEvent): boolean {
  return e.resource_kind !== null && e.resource_id !== null;
}

/** `ch`: the process's ClickHouse client (baselines and response policy read through it; main closes it). */
export function createDetector(
  cfg: Readonly<Config>,
  kafka: Kafka,
  log: Logger,
  ch: ClickHouseClient,
): Detector {
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
  /** Forwarded events of one route, one after the other on a partition, go out as one record. */
  const forwardPack = accessEventPacker(FORWARD_EVENTS_PER_RECORD);
  const alertsCodec = alertCodec();
  const { access: accessTopic, accessByRoute: byRouteTopic } = cfg.topics;
  // The rules file is read (and refused with every problem listed) before anything connects.
  const setup = loadRulesSetup(cfg.detector.rulesFile, cfg.detection.sensitiveKinds);
  const principalRules = setup.rules.filter((r) => r.keyBy === 'principal');
  const routeRules = setup.rules.filter((r) => r.keyBy === 'route');
  // ClickHouse baselines (the baseline job's rows, cached and reloaded; kept when ClickHouse is
  // down, shared by all partitions) over what each partition's own stream teaches.
  const baselineStore = createBaselineStore(cfg, log, ch);
  // How each bucket is read (private-class buckets): one history for every access partition, since
  // a bucket's readers are keyed to many partitions (baselines/bucket-history.ts).
  const buckets = new BucketHistory();
  // Responders' suppressions and allow entries, re-read from ClickHouse while running.
  const policy = createPolicySource(cfg, log, ch, (n) => m.policyEntries.set(n));
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
      ...(topic === byRouteTopic ? {} : { buckets }),
      onEvict: (evicted, held) => {
        m.budgetEvictions.inc(evicted);
        log.warn(
          { evicted, held, topic, partition },
          'engine memory budget reached: least recently active entities evicted',
        );
      },
    }),
  );

  const forwarding = routeRules.length > 0;
  // Held as the message bytes (decoded again when released): held events are not kept as objects.
  const aligner = new ForwardAligner<Buffer>({
    maxIdleMs: cfg.detector.alignIdleMs,
    maxHeld: cfg.detector.alignMaxHeld,
  });
  let stopping = false;

  function onAssignment(assigned: Readonly<Record<string, readonly number[]>>): void {
    aligner.retain(assigned[accessTopic] ?? [], Date.now());
    for (const s of states.retain(assigned)) {
      if (s.topic === accessTopic) {
        aligner.reset(s.partition, Date.now());
        failed.delete(s.partition);
      }
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

  /** Retries a send while `valid()` (the batch is not stale, the service not stopping). */
  async function sendWithRetry(
    what: string,
    send: () => Promise<unknown>,
    valid: () => boolean,
    heartbeat?: () => Promise<void>,
  ): Promise<void> {
    await retryUntilDelivered(send, {
      // A stale batch (revoked or sought) is redelivered to whoever owns it: stop retrying here.
      batch: {
        isRunning: () => !stopping,
        isStale: () => !valid(),
        heartbeat: () => heartbeat?.() ?? Promise.resolve(),
      },
      retriable: () => true,
      onRetry: (err, attempt) => log.warn({ err, attempt }, `publishing ${what} failed; retrying`),
    });
  }

  /** What processing some events produced: the newest version of each alert, forwards. */
  interface Output {
    latest: Map<string, Alert>;
    /** When the event that last moved each alert was appended to Kafka (event-to-alert latency). */
    appendedAt: Map<string, number>;
    forward: OutgoingMessage[];
  }
  const newOutput = (): Output => ({ latest: new Map(), appendedAt: new Map(), forward: [] });

  /** One live event through its partition's engine. */
  function handle(
    s: PartitionState<Engine>,
    event: AccessEvent,
    value: Buffer,
    appended: number,
    out: Output,
  ): void {
    if (event.ts > s.maxEventTs) s.maxEventTs = event.ts;
    const alerts = s.engine.process(event);
    // Per event, not per batch: where idle entities close their windows (and feed baselines)
    // then depends on the partition's events alone, not on fetch sizes, and a rebuild replays it.
    flushIdle(s);
    m.events.inc();
    if (s.topic === accessTopic && forwarding && onIdRoute(event)) {
      out.forward.push({ key: event.tenant + '\u0000' + event.route, value });
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
      out.latest.set(a.alert_id, a);
      out.appendedAt.set(a.alert_id, appended);
    }
  }

  function reportLate(s: PartitionState<Engine>): void {
    const late = s.engine.stats().lateEvents;
    if (late > s.lateReported) {
      m.lateEvents.inc(late - s.lateReported);
      s.lateReported = late;
    }
  }

  /** Forwards (in processing order), then alerts, acknowledged by Kafka. */
  async function publish(out: Output, valid: () => boolean, heartbeat?: () => Promise<void>): Promise<void> {
    if (out.forward.length) {
      await sendWithRetry(
        'by-route events',
        () => producer.send(byRouteTopic, out.forward, forwardPack),
        valid,
        heartbeat,
      );
      m.forwarded.inc(out.forward.length);
    }
    if (out.latest.size === 0) return;
    const messages = [...out.latest.values()].map((a) => ({
      key: a.fingerprint,
      value: alertsCodec.encode(a),
      headers: { 'lw-rule': a.rule },
    }));
    await sendWithRetry('alerts', () => producer.send(cfg.topics.alerts, messages), valid, heartbeat);
    const now = Date.now();
    for (const a of out.latest.values()) {
      m.alerts.inc({ rule: a.rule });
      const t = out.appendedAt.get(a.alert_id);
      if (t !== undefined && t > 0) m.eventToAlert.observe(Math.max(0, now - t) / 1000);
    }
    log.info({ alerts: out.latest.size }, 'alerts published');
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const s = await stateFor(payload);
    if (s === undefined) return; // sought back; the replay arrives in the next batches
    const isAccess = batch.topic === accessTopic;
    const valid = () => payload.isRunning() && !payload.isStale();
    // by-route events are processed as they come; live access events wait in the aligner
    const out = newOutput();
    const dead: DeadLetter[] = [];
    let replayed = 0;
    let newest = Number.NEGATIVE_INFINITY;
    const deadLetter = (value: Buffer, offset: string, err: unknown) => {
      const letter = undecodable(
        'detector',
        { topic: batch.topic, partition: batch.partition, offset },
        value,
        err,
      );
      m.deadLetters.inc({ reason: letter.reason });
      dead.push(letter);
    };
    for (const msg of batch.messages) {
      const offset = Number(msg.offset);
      if (offset < s.next) continue; // redelivered after a rejoin: already in this state
      s.next = offset + 1;
      if (!msg.value) continue;
      const live = offset >= s.liveFrom;
      // A record holds one event or a run of one principal's events (access-batch.ts); each is
      // handled as a record of its own was. Held events of one record share its offset, which is
      // committed once none of them is held any more.
      let values: Buffer[];
      try {
        values = accessEventMessages(msg.value);
      } catch (err) {
        if (live) deadLetter(msg.value, msg.offset, err); // else dead-lettered by the earlier owner
        continue;
      }
      for (let i = 0; i < values.length; i++) {
        const value = values[i] as Buffer;
        // A live access event waits in the aligner as bytes and is decoded when released: here it is
        // only checked (it would fail to decode exactly where check throws) and its time read.
        const held = live && isAccess;
        let event: AccessEvent | undefined;
        let ts: number;
        try {
          if (held) {
            accessCodec.check(value);
            ts = accessEventTime(value) ?? accessCodec.decode(value).ts;
          } else {
            event = accessCodec.decode(value);
            ts = event.ts;
          }
        } catch (err) {
          // an event of a packed record is named by the record's offset and its place in it
          if (live) deadLetter(value, values.length > 1 ? `${msg.offset}:${i}` : msg.offset, err);
          continue;
        }
        if (event === undefined) {
          // held (a live access event)
          if (ts > newest) newest = ts;
          aligner.hold({
            partition: batch.partition,
            offset,
            ts,
            appended: Number(msg.timestamp),
            message: value,
          });
          continue;
        }
        if (!live) {
          // rebuilding state: the earlier owner published what it raised
          if (event.ts > s.maxEventTs) s.maxEventTs = event.ts;
          s.engine.process(event);
          flushIdle(s);
          replayed++;
          continue;
        }
        if (event.ts > newest) newest = event.ts;
        handle(s, event, value, Number(msg.timestamp), out);
      }
    }
    if (replayed) m.rebuildEvents.inc(replayed);
    reportLate(s);

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
    if (dead.length) await sendDeadLetters(producer, cfg.topics.deadletter, dead);
    await publish(out, valid, payload.heartbeat);
    payload.resolveOffset(last);
    s.handled = Number(last) + 1;
    if (isAccess) {
      const caughtUp = Number(last) + 1 >= Number(batch.highWatermark);
      aligner.progress(batch.partition, newest, caughtUp, Date.now());
      await release(valid, payload.heartbeat);
    }
    const commit = isAccess ? safeOffset(s) : s.handled;
    if (commit > s.committed) {
      await payload.commitOffsetsIfNecessary({
        topics: [
          { topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(commit) }] },
        ],
      });
      s.committed = commit;
    }
    m.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
    );
  }

  /** Where an access partition may be committed: what it received, less what still waits in the aligner. */
  function safeOffset(s: PartitionState<Engine>): number {
    let safe = s.handled;
    for (const low of [
      aligner.safeOffset(s.partition),
      publishing?.get(s.partition),
      failed.get(s.partition),
    ])
      if (low !== null && low !== undefined && low < safe) safe = low;
    return safe;
  }
  /**
   * Offsets processed into a partition's engine whose alerts could not be published (the batch
   * went stale): that partition is committed no further until its state is dropped and rebuilt.
   */
  const failed = new Map<number, number>();

  // One release at a time (batches of several partitions and the idle tick all release).
  let releasing: Promise<void> = Promise.resolve();

  /**
   * Processes the access events the watermark has passed, across partitions in event-time order,
   * and publishes what they raised and forward. On a failed publish the events' state is already
   * in the engines, so they are not held again: their offsets are not committed (safeOffset stops
   * at the first unpublished), and a redelivery after the rejoin replays them.
   */
  function release(valid: () => boolean, heartbeat?: () => Promise<void>): Promise<void> {
    const run = releasing.then(async () => {
      const ready = aligner.release(Date.now());
      if (ready.length > 0) {
        const out = newOutput();
        const unpublished = new Map<number, number>();
        for (const h of ready) {
          const s = states.get(accessTopic, h.partition);
          if (s === undefined) continue; // revoked meanwhile: its new owner processes it
          handle(s, accessCodec.decode(h.message), h.message, h.appended, out);
          const low = unpublished.get(h.partition);
          if (low === undefined || h.offset < low) unpublished.set(h.partition, h.offset);
        }
        for (const p of unpublished.keys()) {
          const st = states.get(accessTopic, p);
          if (st !== undefined) reportLate(st);
        }
        publishing = unpublished;
        try {
          await publish(out, valid, heartbeat);
        } catch (err) {
          for (const [p, low] of unpublished) failed.set(p, Math.min(low, failed.get(p) ?? low));
          throw err;
        } finally {
          publishing = null;
        }
      }
      m.forwardsHeld.set(aligner.held);
    });
    releasing = run.catch(() => {});
    return run;
  }
  /** While a release publishes: the lowest offset per partition it covers (not committable yet). */
  let publishing: Map<number, number> | null = null;

  /**
   * Idle partitions stop holding after alignIdleMs without a batch to notice it: this tick
   * processes what they held back, and commits the access offsets that were waiting on it.
   */
  async function alignTick(): Promise<void> {
    if (stopping) return;
    await release(() => !stopping);
    const commits: { topic: string; partition: number; offset: string }[] = [];
    for (const s of states.values()) {
      if (s.topic !== accessTopic || s.next < s.liveFrom) continue;
      const offset = safeOffset(s);
      if (offset > s.committed)
        commits.push({ topic: s.topic, partition: s.partition, offset: String(offset) });
    }
    if (commits.length === 0) return;
    await consumer.commitOffsets(commits);
    for (const c of commits) {
      const s = states.get(c.topic, c.partition);
      if (s !== undefined && Number(c.offset) > s.committed) s.committed = Number(c.offset);
    }
  }
  let tick: NodeJS.Timeout | undefined;

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
      {
        let busy = false;
        tick = setInterval(
          () => {
            if (busy) return;
            busy = true;
            alignTick()
              .catch((err) => log.debug({ err }, 'by-route alignment tick failed; the next one retries'))
              .finally(() => {
                busy = false;
              });
          },
          Math.max(50, Math.min(500, Math.floor(cfg.detector.alignIdleMs / 4))),
        );
        tick.unref();
      }
    },
    async stop() {
      stopping = true;
      if (tick !== undefined) clearInterval(tick);
      await service.stop();
      await admin.disconnect().catch(() => {});
      await baselineStore.stop();
      await policy.stop();
    },
  };
}
