import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import { loadRouting } from './config.js';
import { Grouper } from './group.js';
import type { Page } from './page.js';

const PHI_TOKEN = 'tok_5f2c9a1e77b04d3a';

function alert(i: number, over: Partial<Alert> = {}): Alert {
  return {
    alert_id: `a${i}`,
    fingerprint: `fp${i % 3}`,
    rule: ['sequential-enumeration', 'egress', 'distinct-resource-burst'][i % 3] as string,
    severity: 'high',
    entity: { type: 'user', value: PHI_TOKEN },
    tenant: 'shop',
    first_seen: 1_000_000 + i * 1000,
    last_seen: 1_000_000 + i * 1000 + 500,
    status: 'open',
    title: `Egress of 1.2 MB in 10 min by user:${PHI_TOKEN}`,
    explanation: {
      feature: 'rows_out',
      observed: 500,
      baseline: { p50: 3, p95: 9, mad: 1, n: 40 },
      score: 12,
      top_resources: [PHI_TOKEN],
      sample_event_ids: ['e1'],
    },
    labels: { rule: 'egress', severity: 'high', tenant: 'shop', route: '/wp-json/wc/v3/orders/{id}' },
    ...over,
  };
}

function change(over: Partial<StatusChange>): StatusChange {
  return {
    change_id: 'c',
    kind: 'alert',
    object_id: 'a0',
    tenant: 'shop',
    action: 'ack',
    status: 'acknowledged',
    actor: 'alice',
    reason: '',
    at: 0,
    incident_id: null,
    alert_ids: [],
    attrs: {},
    ...over,
  };
}

/** The grouper opened incident `incidentId` (status object `objectId`) with alert a0 in it. */
function incidentOpened(objectId: string, incidentId: string): StatusChange {
  return change({
    kind: 'incident',
    object_id: objectId,
    action: 'open',
    status: 'open',
    incident_id: incidentId,
    alert_ids: ['a0'],
  });
}

function setup(groupWait = '10s', repeat = '4h') {
  const routing = loadRouting(
    {
      notifier: {
        groupId: 'g',
        httpPort: 0,
        apiBaseUrl: 'http://api:8080',
        groupWaitMs: 0,
        repeatIntervalMs: 3_600_000,
        maxAttempts: 3,
        retryInitialMs: 1,
        retryMaxMs: 2,
        ratePerMinute: 60,
        rateBurst: 5,
        timeoutMs: 1000,
      },
    },
    { S: 'webhook-secret-0123456789', K: 'routing-key-abc' },
    `receivers: [{name: hook, type: webhook, url: "http://x", secrets: {secret: S}}, {name: pd, type: pagerduty, secrets: {routing_key: K}}]\nroutes:\n  - {receiver: pd, match: {min_severity: high}, continue: true, group_wait: ${groupWait}, repeat_interval: ${repeat}}\n  - {receiver: hook, group_wait: ${groupWait}, repeat_interval: ${repeat}}\n`,
  );
  const pages: Page[] = [];
  const folded: string[] = [];
  const suppressed: string[] = [];
  const g = new Grouper({
    routes: routing.routes,
    apiBaseUrl: 'http://api:8080',
    emit: async (p) => {
      pages.push(p);
    },
    onFolded: (r) => folded.push(r),
    onSuppressed: (r) => suppressed.push(r),
  });
  return { g, pages, folded, suppressed };
}

test('10,000 alerts of one attack (one actor, three rules) page each receiver once; the rest is folded', () => {
  const { g, pages, folded } = setup('10s', '4h');
  for (let i = 0; i < 10_000; i++) {
    g.onAlert(alert(i, { last_seen: 1_000_000 + i * 100 }), 1000 + i);
    if (i % 500 === 0) g.tick(1000 + i);
  }
  g.tick(1000 + 10_000 + 10_000);
  const pd = pages.filter((p) => p.receiver === 'pd');
  const hook = pages.filter((p) => p.receiver === 'hook');
  assert.equal(pd.length, 1, 'at most 3 pages; one here');
  assert.equal(hook.length, 1);
  // group_wait (10 s of wall time) gathered the first alerts into the trigger; every later one was folded.
  assert.equal(pd[0]?.alertCount, 10_000);
  assert.equal(folded.length, 2 * (10_000 - 1));
});

test('an attack lasting longer than repeat_interval repeats the trigger once per interval (event time), same dedup key', () => {
  const { g, pages } = setup('0s', '1h');
  // 10,000 alerts over 2.5 hours of event time
  for (let i = 0; i < 10_000; i++) g.onAlert(alert(i, { last_seen: 1_000_000 + i * 900 }), 5);
  const pd = pages.filter((p) => p.receiver === 'pd');
  assert.ok(pd.length <= 3, `got ${pd.length}`);
  assert.deepEqual(
    pd.map((p) => p.n),
    [0, 1, 2],
  );
  assert.equal(new Set(pd.map((p) => p.dedupKey)).size, 1);
  assert.equal(new Set(pd.map((p) => p.id)).size, 3);
});

test('the incident join during group_wait names the page; ack then close -> acknowledge, resolve; ids stable', () => {
  const { g, pages } = setup('10s');
  // a0, its incident opened (by the grouper) during group_wait, then a3 joins
  const joinDuringWait = (x: typeof g) => {
    x.onAlert(alert(0), 0);
    x.onStatus(incidentOpened('inc1', 'f'.repeat(32)), 100);
    x.onAlert(alert(3), 200);
  };
  joinDuringWait(g);
  g.tick(9_999);
  assert.equal(pages.length, 0);
  g.tick(10_000);
  assert.equal(pages.length, 2);
  assert.ok(
    pages.every(
      (p) => p.dedupKey === 'f'.repeat(32) && p.incidentId === 'f'.repeat(32) && p.action === 'trigger',
    ),
  );
  g.onStatus(change({ kind: 'alert', object_id: 'a3', action: 'ack' }), 11_000);
  g.onStatus(
    change({ kind: 'incident', object_id: 'f'.repeat(32), action: 'status', status: 'closed' }),
    12_000,
  );
  assert.deepEqual(
    pages.map((p) => `${p.receiver}:${p.action}`),
    ['pd:trigger', 'hook:trigger', 'pd:acknowledge', 'hook:acknowledge', 'pd:resolve', 'hook:resolve'],
  );
  // Replaying the same history gives the same ids (what makes a re-send after a crash idempotent).
  const again = setup('10s');
  joinDuringWait(again.g);
  again.g.tick(10_000);
  assert.deepEqual(
    again.pages.map((p) => p.id),
    pages.slice(0, 2).map((p) => p.id),
  );
});

test("without an incident the dedup key is the actor's; resolving every alert resolves the page; re-emissions do not re-page", () => {
  const { g, pages } = setup('0s');
  g.onAlert(alert(0), 0);
  g.onAlert(alert(1), 0);
  assert.match(pages.filter((p) => p.receiver === 'pd')[0]?.dedupKey ?? '', /^actor-[0-9a-f]{32}$/);
  g.onStatus(change({ action: 'resolve', object_id: 'a0', status: 'resolved' }), 1);
  assert.equal(pages.filter((p) => p.action === 'resolve').length, 0, 'a1 still open');
  g.onStatus(change({ action: 'resolve', object_id: 'a1', status: 'resolved' }), 2);
  assert.equal(pages.filter((p) => p.action === 'resolve').length, 2);
  g.onAlert(alert(1, { last_seen: 1_000_000 + 5000 }), 3); // the detector re-emits a1 as it grows
  assert.equal(pages.length, 4);
});

test('alerts the detector suppressed never page; a group acknowledged during group_wait never pages', () => {
  const { g, pages, suppressed } = setup('10s');
  g.onAlert(alert(0, { status: 'suppressed' }), 0);
  g.tick(20_000);
  assert.equal(pages.length, 0);
  assert.deepEqual(suppressed, ['pd', 'hook']);
  g.onAlert(alert(1), 30_000);
  g.onStatus(change({ object_id: 'a1', action: 'ack' }), 31_000);
  g.tick(60_000);
  assert.equal(pages.length, 0);
});

test('routing: severity below the route is not paged there; no page carries the PHI token', () => {
  const { g, pages } = setup('0s');
  g.onAlert(
    alert(0, {
      severity: 'medium',
      labels: { rule: 'egress', severity: 'medium', tenant: 'shop', who: PHI_TOKEN },
    }),
    0,
  );
  assert.deepEqual(
    pages.map((p) => p.receiver),
    ['hook'],
  );
  assert.ok(!JSON.stringify(pages).includes(PHI_TOKEN));
  assert.match(pages[0]?.title ?? '', /by user:<user>/);
});

test('an IP entity is kept (what a responder blocks)', () => {
  const { g, pages } = setup('0s');
  g.onAlert(
    alert(0, { entity: { type: 'client_ip', value: '203.0.113.7' }, title: 'walk by ip:203.0.113.7' }),
    0,
  );
  assert.equal(pages[0]?.entityIp, '203.0.113.7');
  assert.equal(pages[0]?.title, 'walk by ip:203.0.113.7');
});

test('replay (restart): committed history restores groups and incidents silently; later alerts fold, a resolve reaches the old page', () => {
  const first = setup('10s');
  first.g.onStatus(incidentOpened('i', 'e'.repeat(32)), 0);
  first.g.onAlert(alert(0), 0);
  first.g.tick(10_000);
  const sent = first.pages.map((p) => p.id);
  // A new process replays the same committed messages: nothing is sent...
  const { g, pages } = setup('10s');
  g.replay((r) => {
    r.onStatus(incidentOpened('i', 'e'.repeat(32)), 0);
    r.onAlert(alert(0), 0);
  });
  assert.equal(pages.length, 0);
  // ...a re-emission is folded into the page already sent, and a resolve reaches it under its key.
  g.onAlert(alert(0, { last_seen: 1_000_900 }), 20_000);
  g.tick(40_000);
  assert.equal(pages.length, 0);
  g.onStatus(change({ object_id: 'a0', action: 'resolve', status: 'resolved' }), 50_000);
  assert.deepEqual(
    pages.map((p) => `${p.receiver}:${p.action}:${p.dedupKey}`),
    [`pd:resolve:${'e'.repeat(32)}`, `hook:resolve:${'e'.repeat(32)}`],
  );
  assert.equal(sent.length, 2);
});

test('anonymous readers of one exposed route (a route finding) page once per receiver, readers of another route apart', () => {
  const { g, pages } = setup('10s');
  const anon = (i: number, ip: string, route: string) =>
    alert(i, {
      rule: 'unauthenticated-sensitive',
      fingerprint: `fp-${ip}`,
      entity: { type: 'client_ip', value: ip },
      labels: { rule: 'unauthenticated-sensitive', route },
    });
  for (let i = 0; i < 20; i++) g.onAlert(anon(i, `198.51.100.${i}`, '/rest/V1/orders/{id}'), i);
  g.onAlert(anon(20, '203.0.113.5', '/api/v1/prescriptions/{id}'), 20);
  // a principal alert of one reader is its own actor until the incident joins them
  g.onAlert(alert(21, { entity: { type: 'client_ip', value: '198.51.100.3' } }), 21);
  g.tick(20_000);
  const pd = pages.filter((p) => p.receiver === 'pd');
  assert.equal(pd.length, 3, pd.map((p) => p.summary).join('\n'));
  assert.deepEqual(
    pd.map((p) => p.alertCount).sort((a, b) => a - b),
    [1, 1, 20],
  );
});
