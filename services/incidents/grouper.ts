// alerts.v1 -> incidents (ClickHouse) + incident status changes (status.v1). The incident grouper:
// one consumer group (incidents.groupId), one instance assumed, partitions processed one at a time
// (partitionsConsumedConcurrently 1) so grouping is serial. For each batch: read the state its
// alerts need from ClickHouse (fresh each batch, so what people changed through the API is seen),
// group (grouping.ts, pure), announce each opened or joined incident on the status topic, then write
// the incident versions, membership and timeline; offsets are committed only after all of it.
// ClickHouse or Kafka down: the batch is retried with backoff (consumption pauses, nothing dropped).
import { createHash } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { alertCodec, statusChangeCodec } from '#shared/avro/codec.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { actorOf, groupingActorOf, type IncidentRow } from '#shared/incidents/model.js';
import { loadGroupingState, writeIncidentState } from '#shared/incidents/store.js';
import { type ConsumerService, createConsumerService } from '#shared/kafka/consumer-service.js';
import { decodeBatch, sendDeadLetters } from '#shared/kafka/dead-letter.js';
import { createEventProducer } from '#shared/kafka/producer.js';
import type { Logger } from '#shared/log.js';
import { retryUntilDelivered } from '#shared/retry.js';
import { GROUPER_ACTOR, type GroupingResult, groupAlerts, type IncidentChange } from './grouping.js';
import { incidentsMetrics as m } from './metrics.js';

export type Grouper = ConsumerService;

/** Deterministic per change, so a change re-sent after a crash is deduplicated by receivers. */
function changeIdOf(c: IncidentChange): string {
  return createHash('sha256')
    .update(`${c.incident_id}\u0000${c.action}\u0000${c.alert_ids.join(',')}`)
    .digest('hex')
    .slice(0, 32);
}

export function toStatusChange(c: IncidentChange, at: number): StatusChange {
  return {
    change_id: changeIdOf(c),
    kind: 'incident',
    object_id: c.incident_id,
    tenant: c.tenant,
    action: c.action,
    status: c.status,
    actor: GROUPER_ACTOR,
    reason: '',
    at,
    incident_id: c.incident_id,
    alert_ids: c.alert_ids,
    attrs: { severity: c.severity, rules: c.rules.join(','), actor_type: c.actor_type },
  };
}

export function createGrouper(
  cfg: Readonly<Config>,
  kafka: Kafka,
  ch: ClickHouseClient,
  log: Logger,
): Grouper {
  const consumer: Consumer = kafka.consumer({
    groupId: cfg.incidents.groupId,
    allowAutoTopicCreation: false,
  });
  const producer = createEventProducer(cfg, 'leakwatch-incidents');
  const db = cfg.clickhouse.database;
  const alerts = alertCodec();
  const changes = statusChangeCodec();

  async function withRetry<T>(what: string, payload: EachBatchPayload, fn: () => Promise<T>): Promise<T> {
    const out = await retryUntilDelivered(fn, {
      batch: payload, // a revoked or stale batch is redelivered to whoever owns it
      // anything but a bug: ClickHouse's own SQL errors are retried too (an outage may look like one)
      retriable: (err) => !(err instanceof TypeError || err instanceof RangeError),
      onFailure: () => (what === 'publish' ? m.publishFailures : m.writeFailures).inc(),
      onRetry: (err, attempt, delay) => {
        m.backpressure.set(1);
        log.warn({ err, attempt, delay }, `${what} failed; retrying`);
      },
    });
    m.backpressure.set(0);
    return out;
  }

  /** The grouping, and the incidents as read for it (what the write rebases on). */
  async function group(
    batch: readonly Alert[],
  ): Promise<{ result: GroupingResult; read: ReadonlyMap<string, IncidentRow> }> {
    const state = await loadGroupingState(
      ch,
      db,
      batch.map((a) => ({
        alert_id: a.alert_id,
        tenant: a.tenant,
        actorKeys: [actorOf(a).key, groupingActorOf(a).key],
      })),
    );
    const before = new Set(state.members.keys());
    const result = groupAlerts(state, batch, { gapMs: cfg.incidents.groupingGapMs, now: Date.now() });
    for (const c of result.changes) m.alertsGrouped.inc({ outcome: c.action }, c.alert_ids.length);
    const updates = new Set(batch.filter((a) => before.has(a.alert_id)).map((a) => a.alert_id)).size;
    if (updates) m.alertsGrouped.inc({ outcome: 'update' }, updates);
    return { result, read: state.incidents };
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { values: decoded, dead } = decodeBatch(
      'incidents',
      batch,
      (v) => alerts.decode(v),
      (letter) => m.deadLetters.inc({ reason: letter.reason }),
    );
    if (decoded.length) {
      const { result, read } = await withRetry('grouping', payload, () => group(decoded));
      // Announce, then write. A crash between the two replays the batch from the same state: the
      // same incidents, announced again (at least once; receivers dedup). Written first, a crash
      // there would replay the alerts as already-grouped re-emissions, and their page would be lost.
      if (result.changes.length) {
        const at = Date.now();
        const messages = result.changes.map((c) => ({
          key: c.incident_id,
          value: changes.encode(toStatusChange(c, at)),
          headers: { 'lw-kind': 'incident' },
        }));
        await withRetry('publish', payload, () => producer.send(cfg.topics.status, messages));
      }
      await withRetry('writing', payload, () => writeIncidentState(ch, db, result, read));
      if (result.changes.length)
        log.info(
          {
            opened: result.changes.filter((c) => c.action === 'open').length,
            changes: result.changes.length,
          },
          'incidents grouped',
        );
    }
    if (dead.length) await sendDeadLetters(producer, cfg.topics.deadletter, dead);
    m.consumerLag.set(
      { partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1),
    );
  }

  return createConsumerService({
    consumer,
    producer,
    topics: [cfg.topics.alerts],
    eachBatch,
    partitionsConsumedConcurrently: 1,
  });
}
