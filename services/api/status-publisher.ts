// Status changes (ack, resolve, suppress, incident status…) go to ClickHouse first, then to the
// status topic so the notifier can acknowledge and resolve pages. Kafka key: the object's id, so
// the changes of one alert or incident stay in order.
import { randomBytes } from 'node:crypto';
import { statusChangeCodec } from '#shared/avro/codec.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import type { Config } from '#shared/config.js';
import { createEventProducer, type EventProducer } from '#shared/kafka/producer.js';

export type { StatusChange };

export interface StatusPublisher {
  /** Resolves once Kafka acknowledged every change; rejects (retriable) when it could not. */
  publish(changes: readonly StatusChange[]): Promise<void>;
  close(): Promise<void>;
}

export function newChangeId(): string {
  return randomBytes(16).toString('hex');
}

export function kafkaStatusPublisher(
  cfg: Pick<Config, 'kafka' | 'topics'>,
  clientId = 'leakwatch-api',
): StatusPublisher {
  let producer: EventProducer | undefined;
  const codec = statusChangeCodec();
  return {
    async publish(changes) {
      if (changes.length === 0) return;
      producer ??= createEventProducer(cfg, clientId);
      await producer.send(
        cfg.topics.status,
        changes.map((c) => ({ key: c.object_id, value: codec.encode(c), headers: { 'lw-kind': c.kind } })),
      );
    },
    async close() {
      await producer?.close();
    },
  };
}

/** For tests and `leakwatch openapi`: keeps what was published. */
export function memoryStatusPublisher(): StatusPublisher & { published: StatusChange[] } {
  const published: StatusChange[] = [];
  return {
    published,
    async publish(changes) {
      published.push(...changes);
    },
    async close() {},
  };
}
