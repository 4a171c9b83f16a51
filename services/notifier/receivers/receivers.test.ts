import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Page } from '../page.js';
import { alertmanagerReceiver } from './alertmanager.js';
import { pagerDutyReceiver } from './pagerduty.js';
import { slackReceiver } from './slack.js';
import type { Receiver } from './types.js';
import {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  webhookReceiver,
} from './webhook.js';

const SECRET = 'webhook-shared-secret-6b1f0e';
const ROUTING_KEY = 'R0UTINGKEY0123456789abcdef012345';
const SLACK_PATH = '/services/T000/B000/XXXXSLACKSECRET';
const PHI_TOKEN = 'tok_a1b2c3d4e5f60718';

interface Req {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
const requests: Req[] = [];
let status = 200;
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      // A hostile or careless receiver echoes what it got: errors must still not carry it.
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`echo ${req.url} ${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

export function samplePage(over: Partial<Page> = {}): Page {
  return {
    id: '0123456789abcdef0123456789abcdef',
    receiver: 'r',
    dedupKey: 'a'.repeat(32),
    incidentId: 'a'.repeat(32),
    action: 'trigger',
    n: 0,
    tenant: 'shop',
    rule: 'egress',
    severity: 'critical',
    entityType: 'user',
    entityIp: null,
    title: 'Egress of 1.2 MB in 10 min by user:<user>',
    summary: 'rows_out 500 against a baseline p50 3, p95 9 (n=40), score 12',
    alertId: 'al1',
    alertCount: 42,
    startsAt: Date.UTC(2026, 0, 1),
    lastSeen: Date.UTC(2026, 0, 1, 0, 10),
    endsAt: null,
    link: 'http://api:8080/api/v1/alerts/al1',
    labels: { route: '/wp-json/wc/v3/orders/{id}' },
    createdAt: Date.now(),
    ...over,
  };
}

const receivers = (): Receiver[] => [
  webhookReceiver({ name: 'hook', url: `${base}/hook`, secret: SECRET }, { timeoutMs: 2000 }),
  pagerDutyReceiver({ name: 'pd', url: `${base}/v2/enqueue`, routingKey: ROUTING_KEY }, { timeoutMs: 2000 }),
  slackReceiver({ name: 'chat', url: `${base}${SLACK_PATH}` }, { timeoutMs: 2000 }),
  alertmanagerReceiver({ name: 'am', url: base }, { timeoutMs: 2000 }),
];

/** Alertmanager's AssertNotifyLeaksNoSecret: nothing secret in what notify returns. */
function assertNoSecret(text: string): void {
  for (const s of [SECRET, ROUTING_KEY, SLACK_PATH, 'SLACKSECRET', PHI_TOKEN, base])
    assert.ok(!text.includes(s), `leaks ${s}: ${text}`);
}

test('webhook: signed over timestamp.body, verifies; a tampered body or an old timestamp does not', async () => {
  requests.length = 0;
  status = 200;
  const r = await receivers()[0]?.notify(samplePage());
  assert.deepEqual(r, { retry: false });
  const req = requests[0] as Req;
  const ts = req.headers[TIMESTAMP_HEADER] as string;
  const sig = req.headers[SIGNATURE_HEADER] as string;
  assert.match(sig, /^v1=[0-9a-f]{64}$/);
  assert.equal(req.headers[IDEMPOTENCY_HEADER], '0123456789abcdef0123456789abcdef');
  assert.ok(verifyWebhookSignature(SECRET, ts, req.body, sig));
  assert.ok(!verifyWebhookSignature(SECRET, ts, req.body.replace('critical', 'low'), sig));
  assert.ok(!verifyWebhookSignature('other-secret-xxxxxxxx', ts, req.body, sig));
  assert.ok(
    !verifyWebhookSignature(SECRET, ts, req.body, sig, Date.now() + 600_000),
    'replayed 10 min later',
  );
  const body = JSON.parse(req.body);
  assert.equal(body.action, 'trigger');
  assert.equal(body.dedup_key, 'a'.repeat(32));
});

test('pagerduty: Events v2 with routing key and dedup_key; acknowledge and resolve carry no payload', async () => {
  requests.length = 0;
  status = 202;
  const pd = receivers()[1] as Receiver;
  await pd.notify(samplePage());
  await pd.notify(samplePage({ action: 'resolve', endsAt: Date.now() }));
  const [t, r] = requests.map((x) => JSON.parse(x.body));
  assert.equal(requests[0]?.url, '/v2/enqueue');
  assert.equal(t.routing_key, ROUTING_KEY);
  assert.equal(t.event_action, 'trigger');
  assert.equal(t.dedup_key, 'a'.repeat(32));
  assert.equal(t.payload.severity, 'critical');
  assert.equal(t.links[0].href, 'http://api:8080/api/v1/alerts/al1');
  assert.deepEqual(r, { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'a'.repeat(32) });
});

test('alertmanager: POST /api/v2/alerts with the labels and annotations; endsAt on resolve', async () => {
  requests.length = 0;
  status = 200;
  const am = receivers()[3] as Receiver;
  await am.notify(samplePage());
  await am.notify(samplePage({ action: 'resolve', endsAt: Date.UTC(2026, 0, 1, 1) }));
  assert.equal(requests[0]?.url, '/api/v2/alerts');
  const [[fire], [res]] = requests.map((x) => JSON.parse(x.body));
  assert.deepEqual(
    { ...fire.labels },
    {
      route: '/wp-json/wc/v3/orders/{id}',
      alertname: 'LeakwatchAlert',
      rule: 'egress',
      severity: 'critical',
      tenant: 'shop',
      entity_type: 'user',
      incident: 'a'.repeat(32),
    },
  );
  assert.equal(fire.annotations.link, 'http://api:8080/api/v1/alerts/al1');
  assert.ok(Date.parse(fire.endsAt) > Date.now() + 3_600_000, 'held open while firing');
  assert.equal(res.endsAt, '2026-01-01T01:00:00.000Z');
  assert.deepEqual(res.labels, fire.labels);
});

test('slack: incoming-webhook text and blocks', async () => {
  requests.length = 0;
  status = 200;
  await (receivers()[2] as Receiver).notify(samplePage());
  const b = JSON.parse(requests[0]?.body ?? '{}');
  assert.match(b.text, /FIRING.*critical.*Egress/);
  assert.ok(Array.isArray(b.blocks));
});

test('every receiver: 5xx and 429 retry, 4xx does not, connection refused retries; no secret, URL or body in the error', async () => {
  for (const [code, retry] of [
    [500, true],
    [503, true],
    [429, true],
    [400, false],
    [404, false],
  ] as const) {
    status = code;
    for (const r of receivers()) {
      const res = await r.notify(samplePage({ title: `by ${PHI_TOKEN}` }));
      assert.equal(res.retry, retry, `${r.name} ${code}`);
      assert.match(res.error ?? '', new RegExp(`HTTP ${code}`));
      assertNoSecret(res.error ?? '');
    }
  }
  const dead = [
    webhookReceiver({ name: 'hook', url: 'http://127.0.0.1:1/hook', secret: SECRET }, { timeoutMs: 2000 }),
    pagerDutyReceiver(
      { name: 'pd', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: ROUTING_KEY },
      { timeoutMs: 2000 },
    ),
    slackReceiver({ name: 'chat', url: `http://127.0.0.1:1${SLACK_PATH}` }, { timeoutMs: 2000 }),
  ];
  for (const r of dead) {
    const res = await r.notify(samplePage());
    assert.equal(res.retry, true);
    assertNoSecret(res.error ?? '');
    assert.ok(!(res.error ?? '').includes('127.0.0.1:1'));
  }
});
