// access.v1 + alerts.v1 -> ClickHouse. Offsets are committed only after the rows are inserted;
// when ClickHouse is unreachable the batch is retried with backoff (consumption pauses, nothing is
// dropped; shared/retry.ts, retriable errors only: a bad statement is not retried forever). One
// insert per Kafka batch (no batching of its own). Inserts are idempotent: ReplacingMergeTree on
// deterministic ids.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { accessEventMessages } from '#shared/avro/access-batch.js';
import { accessEventCodec, alertCodec } from '#shared/avro/codec.js';
import { type ClickHouseClient, insertRows } from '#shared/clickhouse/client.js';
import { accessEventToRow, alertToRow } from '#shared/clickhouse/rows.js';
import { table } from '#shared/clickhouse/sql.js';
import type { Config } from '#shared/config.js';
import { type ConsumerService, createConsumerService } from '#shared/kafka/consumer-service.js';
import { decodeBatch, sendDeadLetters } from '#shared/kafka/dead-letter.js';
import { createEventProducer } from '#shared/kafka/producer.js';
import type { Logger } from '#shared/log.js';
import { retryUntilDelivered } from '#shared/retry.js';
import { archiverMetrics as m } from './metrics.js';

export type Archiver = ConsumerService;

export function createArchiver(
  cfg: Readonly<Config>,
  kafka: Kafka,
  ch: ClickHouseClient,
  log: Logger,
): Archiver {
  const consumer: Consumer = kafka.consumer({ groupId: cfg.archiver.groupId, allowAutoTopicCreation: false });
  const producer = createEventProducer(cfg, 'leakwatch-archiver');
  const db = cfg.clickhouse.database;
  const accessCodec = accessEventCodec();
  const alertsCodec = alertCodec();

  /** Retried until inserted; only retriable errors (isRetriable), and not once the batch went stale. */
  async function insertWithRetry(
    tableName: string,
    rows: object[],
    payload: EachBatchPayload,
  ): Promise<void> {
    await retryUntilDelivered(() => insertRows(ch, table(db, tableName), rows), {
      batch: payload, // a revoked or stale batch is redelivered
      onFailure: () => m.insertFailures.inc({ table: tableName }),
      onRetry: (err, attempt, delay) => {
        m.backpressure.set(1);
        log.warn(
          { err, table: tableName, rows: rows.length, attempt, delay },
          'ClickHouse insert failed; retrying',
        );
      },
    });
    m.rowsInserted.inc({ table: tableName }, rows.length);
    m.backpressure.set(0);
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const isAlerts = batch.topic === cfg.topics.alerts;
    const { values: rows, dead } = decodeBatch<object>(
      'archiver',
      batch,
      isAlerts ? (v) => alertToRow(alertsCodec.decode(v)) : (v) => accessEventToRow(accessCodec.decode(v)),
      (letter) => m.deadLetters.inc({ reason: letter.reason }),
      isAlerts ? undefined : accessEventMessages, // an access record may carry a run of events
    );
    await insertWithRetry(isAlerts ? 'alerts' : 'access_events', rows, payload);
    if (dead.length) await sendDeadLetters(producer, cfg.topics.deadletter, dead);
    m.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1),
    );
  }

  return createConsumerService({
    consumer,
    producer,
    topics: [cfg.topics.access, cfg.topics.alerts],
    eachBatch,
    partitionsConsumedConcurrently: 2,
  });
}
