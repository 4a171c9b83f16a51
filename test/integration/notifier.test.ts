// The notifier as a real process against real Kafka, a real Alertmanager started here (127.0.0.1, a
// free port, its own storage dir, stopped by PID) and a local HTTP sink that records requests, plays
// PagerDuty (/pd) and a webhook (/hook), and can be made to fail or be slow.
//   LW_TEST_RECEIVER_DOWN_S: how long the sink is down in the outage test (default 60 s, as the issue asks; shorter while developing).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { alertCodec, statusChangeCodec } from '#shared/avro/codec.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import { command, createClickHouse, insertRows } from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import { alertToRow } from '#shared/clickhouse/rows.js';
import { ident, sql, table } from '#shared/clickhouse/sql.js';
import { loadConfig } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { build } from '../../services/api/app.js';
import { kafkaStatusPublisher } from '../../services/api/status-publisher.js';
import { verifyWebhookSignature } from '../../services/notifier/receivers/webhook.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, uniqueName, waitFor } from '../support/services.js';
import { createTopics, streamEnv, streamTopics, testKafka } from '../support/streams.js';

const DOWN_S = Number(process.env['LW_TEST_RECEIVER_DOWN_S'] ?? 60);
const SECRET = 'it-webhook-secret-0123456789';
const ROUTING_KEY = 'it-routing-key-abcdef0123456789';
const PHI_TOKEN = 'tok_9f8e7d6c5b4a3921';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  endsAt: string;
}
interface Rec {
  path: string;
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}
const sink = { recs: [] as Rec[], downUntil: 0, delayMs: 0 };
let sinkServer: Server;
let sinkUrl = '';
let amProc: ChildProcess | undefined;
let amDir = '';
let amUrl = '';
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const running: ServiceProcess[] = [];

before(async () => {
  const svc = await getServices();
  kafka = testKafka(svc.kafkaBrokers);
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
  sinkServer = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const status = Date.now() < sink.downUntil ? 503 : req.url === '/pd' ? 202 : 200;
      setTimeout(() => {
        sink.recs.push({ path: req.url ?? '', status, body, headers: req.headers });
        res.writeHead(status).end(status === 503 ? 'down' : '{"status":"success"}');
      }, sink.delayMs);
    });
  });
  await new Promise<void>((r) => sinkServer.listen(0, '127.0.0.1', r));
  sinkUrl = `http://127.0.0.1:${(sinkServer.address() as AddressInfo).port}`;

  const obs = spawnSync('bash', [join(PACKAGE_ROOT, 'deploy/local/observability.sh'), 'ensure'], {
    encoding: 'utf8',
  });
  assert.equal(obs.status, 0, obs.stderr);
  const amBin = /prometheus-alertmanager=(\S+)/.exec(obs.stdout)?.[1] as string;
  amDir = mkdtempSync(join(tmpdir(), 'lw-am-'));
  writeFileSync(
    join(amDir, 'am.yml'),
    'route: {receiver: none, group_wait: 1s}\nreceivers: [{name: none}]\n',
  );
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  amProc = spawn(
    amBin,
    [
      `--config.file=${join(amDir, 'am.yml')}`,
      `--storage.path=${join(amDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: 'ignore' },
  );
  await waitFor('alertmanager ready', async () => (await fetch(`${amUrl}/-/ready`)).ok, {
    timeoutMs: 20_000,
  });
});

after(async () => {
  for (const s of running) await s.stop().catch(() => {});
  // Alertmanager writes its snapshots into data/ on the way out: removing the folder before it has
  // exited raced with that write (ENOTEMPTY in CI). Killed outright if it takes more than 10 s.
  if (amProc !== undefined && amProc.exitCode === null && amProc.signalCode === null) {
    const proc = amProc;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const late = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(late);
  }
  await producer?.disconnect();
  await admin?.disconnect();
  sinkServer?.close();
  if (amDir) rmSync(amDir, { recursive: true, force: true });
});

function alert(i: number, actor: string, over: Partial<Alert> = {}): Alert {
  return {
    alert_id: `${actor}-al-${i}`,
    fingerprint: `${actor}-fp-${i % 2}`,
    rule: i % 2 ? 'egress' : 'sequential-enumeration',
    severity: 'critical',
    entity: { type: 'user', value: PHI_TOKEN },
    tenant: 'shop',
    first_seen: Date.now() - 60_000,
    last_seen: Date.now() - 1000 + i,
    status: 'open',
    title: `Egress of 3.1 MB in 10 min by user:${PHI_TOKEN}`,
    explanation: {
      feature: 'bytes_out',
      observed: 3_100_000,
      baseline: { p50: 1000, p95: 5000, mad: 300, n: 50 },
      score: 40,
      top_resources: [PHI_TOKEN],
      sample_event_ids: ['e'],
    },
    labels: { rule: 'egress', severity: 'critical', tenant: 'shop', route: '/wp-json/wc/v3/orders/{id}' },
    ...over,
  };
}
function change(c: Partial<StatusChange>): StatusChange {
  return {
    change_id: Math.random().toString(16).slice(2),
    kind: 'alert',
    object_id: '',
    tenant: 'shop',
    action: 'resolve',
    status: 'resolved',
    actor: 'alice',
    reason: '',
    at: Date.now(),
    incident_id: null,
    alert_ids: [],
    attrs: {},
    ...c,
  };
}

async function setup(label: string, receivers: string, extraEnv: Record<string, string> = {}) {
  const env = streamEnv(label, 3);
  await createTopics(admin, streamTopics(env), 3);
  const dir = mkdtempSync(join(tmpdir(), 'lw-notifier-'));
  writeFileSync(join(dir, 'routing.yml'), receivers);
  const full: Record<string, string> = {
    ...env,
    KAFKA_BROKERS: (await getServices()).kafkaBrokers.join(','),
    NOTIFIER_GROUP_ID: `${env['DETECTOR_GROUP_ID']}-notifier`,
    NOTIFIER_HTTP_PORT: String(await freePort()),
    NOTIFIER_CONFIG_FILE: join(dir, 'routing.yml'),
    NOTIFIER_API_BASE_URL: 'http://api.test:8080',
    NOTIFIER_GROUP_WAIT_MS: '1000',
    NOTIFIER_RETRY_INITIAL_MS: '200',
    NOTIFIER_RETRY_MAX_MS: '1000',
    NOTIFIER_MAX_ATTEMPTS: '1000',
    NOTIFIER_RATE_PER_MINUTE: '6000',
    NOTIFIER_RATE_BURST: '100',
    IT_ROUTING_KEY: ROUTING_KEY,
    IT_HOOK_SECRET: SECRET,
    ...extraEnv,
  };
  const start = () => {
    const p = startService('notifier', ['notifier'], full);
    running.push(p);
    return p;
  };
  const sendAlerts = (as: Alert[]) =>
    producer.send({
      topic: env['LEAKWATCH_TOPIC_ALERTS'] as string,
      messages: as.map((a) => ({ key: a.fingerprint, value: alertCodec().encode(a) })),
    });
  const sendStatus = (cs: StatusChange[]) =>
    producer.send({
      topic: env['LEAKWATCH_TOPIC_STATUS'] as string,
      messages: cs.map((c) => ({ key: c.object_id, value: statusChangeCodec().encode(c) })),
    });
  return { start, sendAlerts, sendStatus, env: full };
}

const SINK_ROUTING = () => `receivers:
  - {name: pd, type: pagerduty, url: "${sinkUrl}/pd", secrets: {routing_key: IT_ROUTING_KEY}}
  - {name: hook, type: webhook, url: "${sinkUrl}/hook", secrets: {secret: IT_HOOK_SECRET}}
routes:
  - {receiver: pd, match: {min_severity: high}, continue: true}
  - {receiver: hook}
`;

/** Accepted (2xx) requests by (receiver, dedup key, action), the way each receiver dedups. */
function accepted(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of sink.recs) {
    if (r.status >= 300) continue;
    const b = JSON.parse(r.body);
    const k =
      r.path === '/pd' ? `pd ${b.dedup_key} ${b.event_action}` : `hook ${b.dedup_key} ${b.action} ${b.n}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

test('Alertmanager: the alert arrives with its labels and annotations, and ends when a responder resolves it through the API', async () => {
  const s = await setup(
    'notifier_am',
    `receivers: [{name: am, type: alertmanager, url: "${amUrl}"}]\nroutes: [{receiver: am}]\n`,
  );
  const p = s.start();
  const incident = 'c'.repeat(32);
  const AM_ALERT = 'a1'.repeat(16);
  await s.sendStatus([
    change({
      kind: 'incident',
      object_id: incident,
      incident_id: incident,
      action: 'open',
      status: 'open',
      alert_ids: [AM_ALERT],
    }),
  ]);
  await s.sendAlerts([alert(0, 'am1', { alert_id: AM_ALERT })]);
  const got = await waitFor(
    'the alert in Alertmanager',
    async () => {
      const list = (await (
        await fetch(`${amUrl}/api/v2/alerts?filter=alertname%3D%22LeakwatchAlert%22`)
      ).json()) as AmAlert[];
      return list.find((a) => a.labels['incident'] === incident);
    },
    { timeoutMs: 60_000 },
  );
  assert.deepEqual(
    { ...got.labels },
    {
      alertname: 'LeakwatchAlert',
      rule: 'sequential-enumeration',
      severity: 'critical',
      tenant: 'shop',
      entity_type: 'user',
      incident,
      route: '/wp-json/wc/v3/orders/{id}',
    },
  );
  assert.equal(got.annotations['link'], `http://api.test:8080/api/v1/alerts/${AM_ALERT}`);
  assert.match(got.annotations['title'] ?? '', /by user:<user>/);
  assert.match(got.annotations['explanation'] ?? '', /bytes_out 3100000 against a baseline/);
  assert.ok(!JSON.stringify(got).includes(PHI_TOKEN), 'no PHI token in Alertmanager');
  assert.equal(got.status.state, 'active');

  // The responder resolves it through the API (real ClickHouse), which announces it on the status topic.
  const svc = await getServices();
  const db = uniqueName('notifier_am');
  const cfg = loadConfig({
    env: {
      ...s.env,
      CLICKHOUSE_URL: svc.clickhouseUrl,
      CLICKHOUSE_DATABASE: db,
      API_TOKENS: `alice:responder:${createHash('sha256').update('responder-token-0123456789abcdef').digest('hex')}`,
    },
  });
  const ch = createClickHouse(cfg);
  await migrate(ch, db);
  await insertRows(ch, table(db, 'alerts'), [alertToRow(alert(0, 'am1', { alert_id: AM_ALERT }))]);
  const status = kafkaStatusPublisher(cfg, 'lw-test-api');
  const app = await build({ config: cfg, ch, log: createLogger('api', 'silent'), status });
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/alerts/${AM_ALERT}/resolve`,
    headers: { authorization: 'Bearer responder-token-0123456789abcdef' },
    payload: { reason: 'contained' },
  });
  assert.equal(res.statusCode, 200, res.body);
  await app.close();
  await status.close();
  await command(ch, sql`DROP DATABASE IF EXISTS ${ident(db)}`);
  await ch.close();
  await waitFor(
    'the alert resolved in Alertmanager',
    async () => {
      const list = (await (
        await fetch(`${amUrl}/api/v2/alerts?filter=alertname%3D%22LeakwatchAlert%22`)
      ).json()) as AmAlert[];
      const a = list.find((x) => x.labels['incident'] === incident);
      return !a || Date.parse(a.endsAt) <= Date.now();
    },
    { timeoutMs: 30_000 },
  );
  assert.ok(!p.logs().includes(PHI_TOKEN));
  assert.equal(await p.stop(), 0, 'SIGTERM: clean exit');
});

test(`a receiver down for ${DOWN_S} s loses no page and sends no duplicate trigger; the webhook signature verifies`, {
  timeout: 180_000,
}, async () => {
  sink.recs.length = 0;
  sink.downUntil = Date.now() + DOWN_S * 1000;
  const s = await setup('notifier_down', SINK_ROUTING());
  const p = s.start();
  const actors = ['d1', 'd2', 'd3', 'd4', 'd5'];
  for (const a of actors)
    await s.sendAlerts(
      Array.from({ length: 200 }, (_, i) =>
        alert(i, a, {
          entity: { type: 'user', value: `${PHI_TOKEN}-${a}` },
          title: `Egress by user:${PHI_TOKEN}-${a}`,
        }),
      ),
    );
  await waitFor('a failed attempt while down', async () => sink.recs.some((r) => r.status === 503), {
    timeoutMs: 30_000,
  });
  for (const a of actors)
    await s.sendStatus(Array.from({ length: 200 }, (_, i) => change({ object_id: `${a}-al-${i}` })));
  await waitFor(
    'every trigger and resolve accepted',
    async () => {
      const m = accepted();
      return (
        [...m.keys()].filter((k) => k.includes('trigger')).length === 10 &&
        [...m.keys()].filter((k) => k.includes('resolve')).length === 10
      );
    },
    { timeoutMs: (DOWN_S + 90) * 1000 },
  );
  const m = accepted();
  for (const [k, n] of m) assert.equal(n, 1, `${k} accepted ${n} times`);
  assert.ok(sink.recs.filter((r) => r.status === 503).length > 0);
  for (const r of sink.recs.filter((x) => x.path === '/hook'))
    assert.ok(
      verifyWebhookSignature(
        SECRET,
        r.headers['x-leakwatch-timestamp'] as string,
        r.body,
        r.headers['x-leakwatch-signature'] as string,
        Date.now(),
        600,
      ),
    );
  const logs = p.logs();
  for (const secret of [SECRET, ROUTING_KEY, PHI_TOKEN])
    assert.ok(!logs.includes(secret), `log leaks ${secret}`);
  assert.ok(!sink.recs.some((r) => r.body.includes(PHI_TOKEN)), 'no PHI token in any page');
  console.log(
    `down ${DOWN_S} s: ${sink.recs.length} requests, ${sink.recs.filter((r) => r.status === 503).length} refused, ${m.size} pages accepted once each`,
  );
  await p.stop();
});

test('kill -9 mid-delivery and restart: every page delivered, under its incident key; repeats carry the same keys; resolves after the restart reach the pages', {
  timeout: 240_000,
}, async () => {
  sink.recs.length = 0;
  sink.downUntil = 0;
  sink.delayMs = 300;
  const s = await setup('notifier_kill', SINK_ROUTING());
  let p = s.start();
  const actors = Array.from({ length: 20 }, (_, i) => `k${i}`);
  const incidentOf = (a: string) => createHash('sha256').update(a).digest('hex').slice(0, 32);
  const ids = (a: string) => Array.from({ length: 20 }, (_, i) => `${a}-al-${i}`);
  // The incident grouper's open comes first for half of them, after the alerts for the other half.
  for (const [n, a] of actors.entries()) {
    const open = change({
      kind: 'incident',
      object_id: incidentOf(a),
      incident_id: incidentOf(a),
      action: 'open',
      status: 'open',
      alert_ids: ids(a),
    });
    if (n % 2 === 0) await s.sendStatus([open]);
    await s.sendAlerts(
      Array.from({ length: 20 }, (_, i) =>
        alert(i, a, {
          entity: { type: 'client_ip', value: `198.51.100.${n}` },
          title: `walk by ip:198.51.100.${n}`,
        }),
      ),
    );
    if (n % 2 === 1) await s.sendStatus([open]);
  }
  await waitFor('some pages delivered', async () => sink.recs.length >= 6, { timeoutMs: 60_000 });
  p.child.kill('SIGKILL');
  await p.exited;
  const before = sink.recs.length;
  p = s.start();
  const count = (prefix: string, action: string) =>
    [...accepted().keys()].filter((k) => k.startsWith(prefix) && k.includes(action)).length;
  await waitFor(
    'every trigger delivered after the restart',
    async () => count('pd ', 'trigger') === 20 && count('hook ', 'trigger') === 20,
    { timeoutMs: 120_000 },
  );
  // Resolved after the restart: the pages sent before it must still be resolved.
  for (const a of actors) await s.sendStatus(ids(a).map((id) => change({ object_id: id })));
  await waitFor(
    'every resolve delivered',
    async () => count('pd ', 'resolve') === 20 && count('hook ', 'resolve') === 20,
    { timeoutMs: 120_000 },
  );
  await new Promise((r) => setTimeout(r, 2000));
  const m = accepted();
  assert.equal(m.size, 80, [...m.keys()].join('\n'));
  for (const k of m.keys())
    assert.ok(
      actors.some((a) => k.includes(incidentOf(a))),
      `${k} is not under its incident's key`,
    );
  const resent = [...m.values()].filter((n) => n > 1).length;
  // Idempotent at the receiver: every re-sent webhook carries the idempotency key of its first send.
  const byKey = new Map<string, Set<string>>();
  for (const r of sink.recs.filter((x) => x.path === '/hook' && x.status < 300)) {
    const b = JSON.parse(r.body);
    const set = byKey.get(`${b.dedup_key} ${b.action} ${b.n}`) ?? new Set();
    set.add(r.headers['idempotency-key'] as string);
    byKey.set(`${b.dedup_key} ${b.action} ${b.n}`, set);
  }
  for (const [k, ids] of byKey)
    assert.equal(ids.size, 1, `${k} sent with ${ids.size} different idempotency keys`);
  assert.equal(byKey.size, 40);
  console.log(
    `kill -9 after ${before} requests: ${sink.recs.length} requests in all, ${m.size} distinct pages (receiver, incident, action), ${resent} sent twice across the restart with the same keys`,
  );
  sink.delayMs = 0;
  await p.stop();
});
