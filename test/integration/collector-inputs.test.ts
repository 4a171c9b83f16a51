// One collector, three inputs at once (a followed file, syslog over TCP and UDP, HTTP NDJSON ingest),
// one real Kafka topic: every line arrives once, named by its input, PHI tokenised; a malformed line
// is dead-lettered with its reason; a request without the bearer token is refused.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
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

const SSN = '123-45-6789';
const TOKEN = 'fluent-bit-token-0123456789';
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const topicBase = uniqueName('inputs').replace(/_/g, '-');
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

test('a syslog line (TCP and UDP), an HTTP batch and a file reach Kafka through one running collector', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-inputs-'));
  const file = join(dir, 'access.log');
  // a blank line goes to the pipeline too: the nginx format skips it, and it is counted
  writeFileSync(file, `${nginxLine({ ip: '198.51.100.1', ms: T0, target: '/shop/' })}\n\n`);
  const cfg = loadConfig({
    env: {
      KAFKA_BROKERS: brokers.join(','),
      LEAKWATCH_TOPIC_ACCESS: `${topicBase}.access`,
      LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: `${topicBase}.by-route`,
      LEAKWATCH_TOPIC_ALERTS: `${topicBase}.alerts`,
      LEAKWATCH_TOPIC_DEADLETTER: `${topicBase}.deadletter`,
      LEAKWATCH_TOPIC_PARTITIONS: '2',
      COLLECTOR_FILES: file,
      COLLECTOR_SYSLOG_TCP_PORT: '0',
      COLLECTOR_SYSLOG_UDP_PORT: '0',
      COLLECTOR_INGEST_PORT: '0',
      COLLECTOR_INGEST_TOKENS: `fluentbit:${TOKEN}`,
      COLLECTOR_REDACTION_KEY: 'inputs-test-redaction-key-0123',
    },
  });
  const log = createLogger('collector-test', 'warn');
  const kafka = createKafka(cfg, log, 'lwtest-collector-inputs');
  await prepareTopics(kafka, allTopics(cfg), cfg.topics.partitions, log);
  const normalize = compileNormalizeOptions(cfg.collector.normalize);
  collector = createCollector(
    cfg,
    redactorForKey(cfg.collector.redactionKey!, normalize.redactor),
    normalize,
    log,
  );
  const at = await collector.start();
  assert.equal(at.syslogTcp?.address, '127.0.0.1', 'listeners bind to 127.0.0.1 by default');
  assert.equal(at.ingest?.address, '127.0.0.1');
  done = collector.run();

  // syslog, RFC 5424 over TCP (newline framed) and RFC 3164 over UDP
  const viaTcp = nginxLine({ ip: '203.0.113.5', ms: T0 + 1000, target: '/wp-json/wc/v3/orders/17' });
  await new Promise<void>((resolve, reject) => {
    const s = connect(at.syslogTcp!.port, '127.0.0.1', () => {
      s.end(`<134>1 2026-11-20T09:00:01Z web1 nginx - - - ${viaTcp}\n`, () => resolve());
    });
    s.on('error', reject);
  });
  const viaUdp = nginxLine({ ip: '203.0.113.6', ms: T0 + 1500, target: '/cart/' });
  const udp = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    udp.send(`<134>Nov 20 09:00:01 web2 nginx: ${viaUdp}`, at.syslogUdp!.port, '127.0.0.1', (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  udp.close();

  // HTTP ingest: refused without the token; with it, answered once the batch is durable in Kafka
  const url = `http://127.0.0.1:${at.ingest!.port}/ingest`;
  const body = [
    { log: nginxLine({ ip: '203.0.113.7', ms: T0 + 2000, target: `/account/lookup?ssn=${SSN}` }) },
    { message: nginxLine({ ip: '203.0.113.7', ms: T0 + 2500, target: '/wp-json/wc/v3/orders/18' }) },
    { log: `not an access log line, ssn ${SSN}` },
  ]
    .map((o) => JSON.stringify(o))
    .join('\n');
  const refused = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  assert.equal(refused.status, 401);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${TOKEN}` },
    body,
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { accepted: 3 });

  // file: 1 event + 1 blank line; syslog: 2 events; HTTP: 2 events + 1 dead letter
  await waitFor(
    'every line published',
    async () => collector!.stats().parsed === 5 && collector!.stats().rejected === 1,
  );
  const stats = collector.stats();
  assert.equal(stats.read, stats.parsed + stats.rejected + stats.skipped, JSON.stringify(stats));
  assert.equal(stats.skipped, 1, 'the blank line was skipped by the format, and counted');

  const events = (await readAccessEvents(brokers, cfg.topics.access)).map((r) => r.event);
  assert.equal(events.length, 5);
  assert.equal(new Set(events.map((e) => e.event_id)).size, 5);
  const bySource = (s: string) =>
    events
      .filter((e) => e.source === s)
      .map((e) => e.client_ip)
      .sort();
  assert.deepEqual(bySource(file), ['198.51.100.1']);
  assert.deepEqual(bySource('syslog:127.0.0.1'), ['203.0.113.5', '203.0.113.6']);
  assert.deepEqual(bySource('http:fluentbit'), ['203.0.113.7', '203.0.113.7']);
  const lookup = events.find((e) => e.findings.some((f) => f.startsWith('phi_in_url:ssn')));
  assert.ok(lookup, 'the SSN in the URL was found');

  const dead = (await readTopic(brokers, cfg.topics.deadletter)).map(
    (m) => JSON.parse(m.value.toString()) as DeadLetter,
  );
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.reason, 'LW_ERR_PARSE_MALFORMED_LINE');
  assert.equal(dead[0]!.source, 'http:fluentbit');

  // no plaintext SSN anywhere past the collector
  for (const m of [
    ...(await readTopic(brokers, cfg.topics.access)),
    ...(await readTopic(brokers, cfg.topics.deadletter)),
  ])
    assert.ok(!m.value.toString('latin1').includes(SSN), 'no plaintext SSN in Kafka');
});
