// An over-long line in a file the collector reads, on real Kafka: with COLLECTOR_MAX_LINE_BYTES
// set low, the long line is dead-lettered LW_ERR_PARSE_LINE_TOO_LONG at its byte offset, counted
// among the rejected lines, and the lines after it are published as usual.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '#shared/config.js';
import { createKafka, prepareTopics } from '#shared/kafka/client.js';
import { allTopics, type DeadLetter } from '#shared/kafka/topics.js';
import { createLogger } from '#shared/log.js';
import { type Collector, createCollector } from '../../services/collector/collector.js';
import { compileNormalizeOptions } from '../../services/collector/normalize/options.js';
import { redactorForKey } from '../../services/collector/redaction-key.js';
import { nginxLine } from '../support/log-lines.js';
import { getServices, uniqueName, waitFor } from '../support/services.js';
import { readAccessEvents, readTopic } from '../support/topic-reader.js';

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const topicBase = uniqueName('longline').replace(/_/g, '-');
let brokers: string[];
let collector: Collector | undefined;
let done: Promise<void> | undefined;

before(async () => {
  brokers = (await getServices()).kafkaBrokers;
});

after(async () => {
  await collector?.stop();
  await done?.catch(() => {});
});

test('a line over COLLECTOR_MAX_LINE_BYTES is dead-lettered with its reason and offset; the file goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-longline-'));
  const file = join(dir, 'access.log');
  const first = nginxLine({ ip: '198.51.100.1', ms: T0, target: '/shop/' });
  const long = nginxLine({ ip: '198.51.100.2', ms: T0 + 1000, target: `/search?q=${'a'.repeat(8000)}` });
  const last = nginxLine({ ip: '198.51.100.3', ms: T0 + 2000, target: '/cart/' });
  writeFileSync(file, `${first}\n${long}\n${last}\n`);
  const cfg = loadConfig({
    env: {
      KAFKA_BROKERS: brokers.join(','),
      LEAKWATCH_TOPIC_ACCESS: `${topicBase}.access`,
      LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: `${topicBase}.by-route`,
      LEAKWATCH_TOPIC_ALERTS: `${topicBase}.alerts`,
      LEAKWATCH_TOPIC_DEADLETTER: `${topicBase}.deadletter`,
      LEAKWATCH_TOPIC_PARTITIONS: '1',
      COLLECTOR_FILES: file,
      COLLECTOR_FOLLOW: 'false',
      COLLECTOR_MAX_LINE_BYTES: '4096',
      COLLECTOR_REDACTION_KEY: 'longline-test-redaction-key-0123',
    },
  });
  const log = createLogger('collector-test', 'warn');
  const kafka = createKafka(cfg, log, 'lwtest-collector-longline');
  await prepareTopics(kafka, allTopics(cfg), cfg.topics.partitions, log);
  const normalize = compileNormalizeOptions(cfg.collector.normalize);
  collector = createCollector(
    cfg,
    redactorForKey(cfg.collector.redactionKey!, normalize.redactor),
    normalize,
    log,
  );
  await collector.start();
  done = collector.run();

  await waitFor('every line accounted for', async () => collector!.stats().read === 3);
  await waitFor(
    'published',
    async () => collector!.stats().parsed === 2 && collector!.stats().rejected === 1,
  );

  const events = (await readAccessEvents(brokers, cfg.topics.access)).map((r) => r.event);
  assert.deepEqual(events.map((e) => e.client_ip).sort(), ['198.51.100.1', '198.51.100.3']);
  const dead = (await readTopic(brokers, cfg.topics.deadletter)).map(
    (m) => JSON.parse(m.value.toString()) as DeadLetter,
  );
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.reason, 'LW_ERR_PARSE_LINE_TOO_LONG');
  assert.equal(dead[0]!.message, 'line longer than 4096 bytes');
  assert.equal(dead[0]!.source, file);
  assert.match(String(dead[0]!.position), new RegExp(`${first.length + 1}$`));
});
