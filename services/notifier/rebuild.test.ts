// rebuildState's start against a broker that is not ready yet: retriable errors are retried, others are not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { createLogger } from '#shared/log.js';
import type { Grouper } from './group.js';
import { rebuildState } from './rebuild.js';

const options = {
  groupId: 'g',
  alertsTopic: 'alerts',
  statusTopic: 'status',
  horizonMs: 60_000,
  maxMessages: 10,
};

/** A Kafka whose admin fails its first ListOffsets with `error`, then answers: nothing to replay. */
function kafkaFailingOnce(error: Error & { retriable?: boolean }) {
  let listOffsetsCalls = 0;
  const admin = {
    connect: async () => {},
    disconnect: async () => {},
    fetchOffsets: async ({ topics }: { topics: string[] }) =>
      topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: '0' }] })),
    fetchTopicOffsetsByTimestamp: async () => {
      listOffsetsCalls++;
      if (listOffsetsCalls === 1) throw error;
      return [{ partition: 0, offset: '0' }];
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls: () => listOffsetsCalls };
}

test('a partition without a leader yet (retriable) is retried, and the notifier starts', async () => {
  const notLeader = Object.assign(new Error('This server is not the leader for that topic-partition'), {
    retriable: true,
  });
  const k = kafkaFailingOnce(notLeader);
  const replayed = await rebuildState(k.kafka, {} as Grouper, options, createLogger('test', 'silent'));
  assert.equal(replayed, 0);
  assert.equal(k.calls(), 3); // failed once, then once per topic
});

test('an error that is not retriable still stops the start', async () => {
  const k = kafkaFailingOnce(Object.assign(new Error('topic authorization failed'), { retriable: false }));
  await assert.rejects(
    rebuildState(k.kafka, {} as Grouper, options, createLogger('test', 'silent')),
    /authorization failed/,
  );
  assert.equal(k.calls(), 1);
});
