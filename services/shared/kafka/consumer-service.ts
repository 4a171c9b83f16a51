// The lifecycle every consuming service shares: connect, join the group, run eachBatch, report
// readiness, surface a crash that kafkajs will not restart, and stop by finishing the in-flight
// batch and committing before the producer is flushed and closed.
import type { Consumer, EachBatchHandler } from 'kafkajs';
import type { EventProducer } from './producer.js';

export interface ConsumerService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** null when consuming; otherwise why not (for /readyz). */
  ready(): string | null;
  /** Rejects when the consumer crashed and kafkajs will not restart it. */
  crashed: Promise<void>;
}

export interface ConsumerServiceOptions {
  consumer: Consumer;
  producer: EventProducer;
  topics: string[];
  eachBatch: EachBatchHandler;
  partitionsConsumedConcurrently?: number;
  /**
   * false: the service commits its own offsets (payload.commitOffsetsIfNecessary with explicit
   * offsets) and resolves them itself; a seek then never commits a position it has not processed.
   */
  autoCommit?: boolean;
  /** Called with the partitions this member owns after each (re)join of the group. */
  onAssignment?: (assigned: Readonly<Record<string, readonly number[]>>) => void;
}

export function createConsumerService(o: ConsumerServiceOptions): ConsumerService {
  let running = false;
  let joined = false;
  let stopping = false;
  let rejectCrash: (e: unknown) => void = () => {};
  const crashed = new Promise<void>((_, reject) => {
    rejectCrash = reject;
  });
  crashed.catch(() => {});
  return {
    crashed,
    ready: () =>
      stopping ? 'stopping' : !running ? 'not started' : !joined ? 'joining consumer group' : null,
    async start() {
      await o.producer.connect();
      await o.consumer.connect();
      o.consumer.on(o.consumer.events.GROUP_JOIN, (e) => {
        joined = true;
        o.onAssignment?.(e.payload.memberAssignment);
      });
      o.consumer.on(o.consumer.events.CRASH, (e) => {
        if (!e.payload.restart) rejectCrash(e.payload.error);
      });
      await o.consumer.subscribe({ topics: o.topics, fromBeginning: true });
      await o.consumer.run({
        eachBatch: o.eachBatch,
        ...(o.autoCommit === false ? { autoCommit: false, eachBatchAutoResolve: false } : {}),
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 1,
      });
      running = true;
    },
    async stop() {
      stopping = true;
      await o.consumer.disconnect(); // finishes the in-flight batch and commits its offsets
      await o.producer.close();
    },
  };
}
