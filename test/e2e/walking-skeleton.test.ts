// One log file -> collector -> Kafka -> detector -> Kafka -> archiver -> ClickHouse -> API, every hop
// a real process talking to real Kafka and real ClickHouse.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createClient } from '@clickhouse/client';
import { accessEventMessages } from '#shared/avro/access-batch.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { nginxLine, orderWalk } from '../support/log-lines.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, type TestServices, uniqueName, waitFor } from '../support/services.js';
import { testKafka } from '../support/streams.js';

const SSN = '123-45-6789';
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const ATTACKER = '203.0.113.77';

let svc: TestServices;
let env: Record<string, string>;
let apiPort: number;
let collectorPort: number;
let logFile: string;
const procs: ServiceProcess[] = [];
const db = uniqueName('e2e');
const topicBase = uniqueName('e2e').replace(/_/g, '-');
const token = 'e2e-viewer-token-0123456789';

function background(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) {
    const ip = `198.51.100.${(i % 8) + 1}`;
    const paths = [
      '/',
      '/shop/',
      '/product/vitamin-d/',
      `/?p=${100 + (i % 5)}`,
      '/wp-content/themes/x/style.css',
    ];
    lines.push(nginxLine({ ip, ms: T0 + i * 1500, target: paths[i % paths.length]! }));
  }
  return lines;
}

before(async () => {
  svc = await getServices();
  apiPort = await freePort();
  collectorPort = await freePort();
  env = {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: svc.clickhouseUrl,
    CLICKHOUSE_DATABASE: db,
    LEAKWATCH_TOPIC_ACCESS: `${topicBase}.access`,
    LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: `${topicBase}.access-by-route`,
    LEAKWATCH_TOPIC_ALERTS: `${topicBase}.alerts`,
    LEAKWATCH_TOPIC_STATUS: `${topicBase}.status`,
    LEAKWATCH_TOPIC_DEADLETTER: `${topicBase}.deadletter`,
    LEAKWATCH_TOPIC_PARTITIONS: '3',
    DETECTOR_GROUP_ID: `${topicBase}-detector`,
    ARCHIVER_GROUP_ID: `${topicBase}-archiver`,
    COLLECTOR_REDACTION_KEY: 'e2e-redaction-key-0123456789',
    COLLECTOR_HTTP_PORT: String(collectorPort),
    DETECTOR_HTTP_PORT: String(await freePort()),
    ARCHIVER_HTTP_PORT: String(await freePort()),
    API_PORT: String(apiPort),
    API_TOKENS: `e2e:viewer:${createHash('sha256').update(token).digest('hex')}`,
  };
  const migrate = startService('migrate', ['migrate'], env);
  assert.equal(await migrate.exited, 0, migrate.logs());

  const dir = mkdtempSync(join(tmpdir(), 'lw-e2e-'));
  logFile = join(dir, 'access.log');
  const walk = orderWalk(ATTACKER, T0 + 5000, 1000, 25);
  writeFileSync(
    logFile,
    [
      ...background(),
      'this is not an access log line at all',
      nginxLine({ ip: '198.51.100.9', ms: T0 + 3000, target: `/account/lookup?ssn=${SSN}&dob=1980-01-01` }),
      ...walk,
      '',
    ].join('\n'),
  );
  procs.push(startService('detector', ['detector'], env));
  procs.push(startService('archiver', ['archiver'], env));
  procs.push(startService('api', ['api'], env));
  procs.push(startService('collector', ['collector', logFile], env));
});

after(async () => {
  for (const p of procs.reverse()) await p.stop();
});

async function getAlerts(query = ''): Promise<Alert[]> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/alerts${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`API ${res.status}: ${await res.text()}`);
  return (await res.json()) as Alert[];
}

test('an ID walk in a log file comes back as one alert from the API', async () => {
  const alerts = await waitFor(
    'the enumeration alert',
    async () => {
      const a = await getAlerts('?rule=sequential-enumeration');
      return a.length > 0 ? a : null;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  assert.equal(alerts.length, 1);
  const a = alerts[0]!;
  assert.equal(a.rule, 'sequential-enumeration');
  assert.deepEqual(a.entity, { type: 'client_ip', value: ATTACKER });
  assert.equal(a.status, 'open');
  assert.ok(a.explanation.observed >= 20, `observed ${a.explanation.observed}`);
  assert.ok(a.explanation.sample_event_ids.length > 0);
  assert.match(a.alert_id, /^[0-9a-f]{32}$/);

  // the walk goes on: the same alert is updated, not duplicated
  appendFileSync(logFile, `${orderWalk(ATTACKER, T0 + 5000 + 25 * 700, 1025, 15).join('\n')}\n`);
  const updated = await waitFor(
    'the updated alert',
    async () => {
      const b = await getAlerts('?rule=sequential-enumeration');
      return b.length === 1 && b[0]!.explanation.observed >= 40 ? b : null;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.equal(updated[0]!.alert_id, a.alert_id);
  assert.ok(updated[0]!.last_seen > a.last_seen);

  const one = await fetch(`http://127.0.0.1:${apiPort}/api/v1/alerts/${a.alert_id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(one.status, 200);
  assert.equal(((await one.json()) as Alert).alert_id, a.alert_id);
});

// The alerts dashboard on this test's alerts; every query of every dashboard (ClickHouse and Prometheus too)
// is run by test/e2e/dashboards.test.ts on the demo's simulation.
test("the alerts dashboard's Infinity query is answered by the API with the columns it reads", async () => {
  const f = 'leakwatch-alerts.json';
  const dash = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'dashboards', f), 'utf8')) as {
    panels: { title: string; targets?: InfinityTarget[] }[];
  };
  let checked = 0;
  for (const panel of dash.panels) {
    for (const t of panel.targets ?? []) {
      if (t.source !== 'url') continue;
      // Paths are relative to the Infinity datasource's base URL (the API).
      const url = new URL(
        t.url.replace('${__from}', String(T0 - 3600_000)).replace('${__to}', String(T0 + 3600_000)),
        `http://127.0.0.1:${apiPort}`,
      );
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, `${f} / ${panel.title}: ${await res.clone().text()}`);
      const rows = (await res.json()) as Record<string, unknown>[];
      assert.ok(Array.isArray(rows) && rows.length > 0, `${f} / ${panel.title}: no rows`);
      for (const c of t.columns ?? [])
        assert.ok(c.selector in rows[0]!, `${f} / ${panel.title}: no ${c.selector}`);
      checked++;
    }
  }
  assert.ok(checked > 0);
});

interface InfinityTarget {
  source: string;
  url: string;
  columns?: { selector: string }[];
}

test('bad API requests get a 4xx with a message, never a 500', async () => {
  const h = { authorization: `Bearer ${token}` };
  const cases: [string, RequestInit, number][] = [
    ['/api/v1/alerts?limit=0', { headers: h }, 400],
    ['/api/v1/alerts?severity=apocalyptic', { headers: h }, 400],
    ['/api/v1/alerts?from=10&to=5', { headers: h }, 400],
    ['/api/v1/alerts/not-an-id', { headers: h }, 400],
    ['/api/v1/alerts/0123456789abcdef0123456789abcdef', { headers: h }, 404],
    ['/api/v1/alerts', {}, 401],
    ['/api/v1/alerts', { headers: { authorization: 'Bearer wrong-token-xxxxxxxx' } }, 401],
    ['/api/v1/nothing-here', { headers: h }, 404],
  ];
  for (const [path, init, status] of cases) {
    const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, init);
    const body = (await res.json()) as { error?: string; message?: string };
    assert.equal(res.status, status, `${path}: ${JSON.stringify(body)}`);
    assert.ok(body.message && body.error?.startsWith('LW_ERR_'), `${path}: ${JSON.stringify(body)}`);
  }
});

test('a malformed line is counted and dead-lettered with its reason; the stream goes on', async () => {
  const metrics = await waitFor('collector metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${collectorPort}/metrics`)).text();
    return /leakwatch_collector_lines_rejected_total\{[^}]*reason="LW_ERR_PARSE_MALFORMED_LINE"[^}]*\} 1/.test(
      text,
    )
      ? text
      : null;
  });
  assert.match(metrics, /leakwatch_collector_lines_parsed_total\{[^}]*\} \d+/);

  const kafka = testKafka(svc.kafkaBrokers);
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: env['LEAKWATCH_TOPIC_DEADLETTER']!, fromBeginning: true });
  const letters: { reason: string; position: string; record_redacted: string }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => void letters.push(JSON.parse(message.value!.toString())),
  });
  try {
    await waitFor('the dead letter', async () => letters.length >= 1);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.reason, 'LW_ERR_PARSE_MALFORMED_LINE');
  assert.ok(Number(letters[0]!.position) > 0);
});

test('every good line reaches ClickHouse once, and no plaintext SSN is stored anywhere', async () => {
  const ch = createClient({ url: svc.clickhouseUrl });
  try {
    // 40 background + 1 with PHI + 25 + 15 walk lines
    const expected = 81;
    await waitFor(
      'all access events archived',
      async () => {
        const rs = await ch.query({
          query: `SELECT count() AS n FROM ${db}.access_events FINAL`,
          format: 'JSONEachRow',
        });
        const [row] = (await rs.json()) as { n: string }[];
        return Number(row!.n) === expected;
      },
      { timeoutMs: 60_000 },
    );
    const rs = await ch.query({
      query: `SELECT count() AS n FROM ${db}.access_events WHERE position(route, '${SSN}') > 0 OR position(arrayStringConcat(attrs.value, ' '), '${SSN}') > 0 OR has(findings, 'phi_in_url:ssn') = 0 AND client_ip = '198.51.100.9' AND route LIKE '%lookup%'`,
      format: 'JSONEachRow',
    });
    assert.deepEqual(await rs.json(), [{ n: '0' }]);
  } finally {
    await ch.close();
  }
  // raw bytes of every topic: the SSN must not appear
  const kafka = testKafka(svc.kafkaBrokers);
  const consumer = kafka.consumer({ groupId: uniqueName('phi-scan') });
  await consumer.connect();
  const topics = ['LEAKWATCH_TOPIC_ACCESS', 'LEAKWATCH_TOPIC_ALERTS', 'LEAKWATCH_TOPIC_DEADLETTER'].map(
    (k) => env[k]!,
  );
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let leaks = 0;
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      // an access record may carry a run of one principal's events: count events
      seen +=
        topic === env['LEAKWATCH_TOPIC_ACCESS'] && message.value
          ? accessEventMessages(message.value).length
          : 1;
      if (message.value?.includes(SSN) || message.key?.includes(SSN)) leaks++;
    },
  });
  try {
    await waitFor('all messages scanned', async () => seen >= 82);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(leaks, 0);
  for (const p of procs) assert.ok(!p.logs().includes(SSN), `${p.name} logged the SSN`);
});

test('every service stops cleanly on SIGTERM (exit 0)', async () => {
  for (const p of [...procs].reverse()) {
    const code = await p.stop();
    assert.equal(code, 0, `${p.name} exited ${code}\n${p.logs().slice(-3000)}`);
  }
});
