import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { createDelivery } from './delivery.js';
import type { Page } from './page.js';
import { createRateLimiter } from './rate-limit.js';
import type { NotifyResult, Receiver } from './receivers/index.js';

const SECRET = 'routing-key-never-logged-123';

function page(receiver: string, i: number): Page {
  return {
    id: `p${i}`,
    receiver,
    dedupKey: `d${i}`,
    incidentId: null,
    action: 'trigger',
    n: 0,
    tenant: 't',
    rule: 'egress',
    severity: 'high',
    entityType: 'user',
    entityIp: null,
    title: 't',
    summary: 's',
    alertId: 'a',
    alertCount: 1,
    startsAt: 0,
    lastSeen: 0,
    endsAt: null,
    link: 'http://api/x',
    labels: {},
    createdAt: Date.now(),
  };
}

function capture() {
  const lines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    }),
  );
  return { log, lines };
}

function fake(name: string, outcomes: (i: number) => NotifyResult): Receiver & { calls: string[] } {
  const calls: string[] = [];
  return {
    name,
    type: 'fake',
    calls,
    async notify(p) {
      calls.push(p.id);
      return outcomes(calls.length);
    },
  };
}

test('a receiver that is down does not hold the others; its pages arrive once it is back, in order', async () => {
  const { log, lines } = capture();
  let down = true;
  const slow = fake('slow', () => (down ? { retry: true, error: `slow: HTTP 503` } : { retry: false }));
  const ok = fake('ok', () => ({ retry: false }));
  const dl: string[] = [];
  const d = createDelivery({
    receivers: [slow, ok],
    rates: new Map(),
    maxAttempts: 100,
    retryInitialMs: 5,
    retryMaxMs: 20,
    log,
    deadLetter: async (p) => {
      dl.push(p.id);
    },
  });
  const slowDone = [1, 2, 3].map((i) => d.submit(page('slow', i)));
  await Promise.all([1, 2, 3].map((i) => d.submit(page('ok', i))));
  assert.deepEqual(ok.calls, ['p1', 'p2', 'p3']);
  assert.equal(d.queued('slow'), 3);
  down = false;
  await Promise.all(slowDone);
  assert.deepEqual([...new Set(slow.calls)], ['p1', 'p2', 'p3']);
  assert.deepEqual(dl, []);
  assert.ok(!lines.join('').includes(SECRET));
  d.stop();
});

test('after max attempts, and at once on a refusal, the page is dead-lettered with the reason and logged', async () => {
  const { log, lines } = capture();
  const failing = fake('f', () => ({ retry: true, error: 'f: HTTP 500' }));
  const refusing = fake('r', () => ({ retry: false, error: 'r: HTTP 400' }));
  const dl: { id: string; reason: string }[] = [];
  const d = createDelivery({
    receivers: [failing, refusing],
    rates: new Map(),
    maxAttempts: 4,
    retryInitialMs: 1,
    retryMaxMs: 2,
    log,
    deadLetter: async (p, reason) => {
      dl.push({ id: p.id, reason });
    },
  });
  await d.submit(page('f', 1));
  await d.submit(page('r', 2));
  assert.equal(failing.calls.length, 4);
  assert.equal(refusing.calls.length, 1);
  assert.deepEqual(dl, [
    { id: 'p1', reason: 'LW_ERR_NOTIFY_FAILED' },
    { id: 'p2', reason: 'LW_ERR_NOTIFY_REJECTED' },
  ]);
  assert.equal(lines.filter((l) => l.includes('page dead-lettered')).length, 2);
  d.stop();
});

test('rate limit: a burst, then one page per 1/rate; pages wait, none dropped', async () => {
  let t = 0;
  const waits: number[] = [];
  const lim = createRateLimiter(
    60,
    3,
    () => t,
    async (ms) => {
      waits.push(ms);
      t += ms;
    },
  );
  for (let i = 0; i < 6; i++) await lim.take();
  assert.deepEqual(waits, [1000, 1000, 1000]);
  const { log } = capture();
  const r = fake('x', () => ({ retry: false }));
  const d = createDelivery({
    receivers: [r],
    rates: new Map([['x', { perMinute: 600, burst: 2 }]]),
    maxAttempts: 1,
    retryInitialMs: 1,
    retryMaxMs: 1,
    log,
    deadLetter: async () => {},
  });
  const t0 = Date.now();
  await Promise.all([1, 2, 3, 4].map((i) => d.submit(page('x', i))));
  assert.equal(r.calls.length, 4);
  assert.ok(Date.now() - t0 >= 150, 'two pages waited 100 ms each');
  d.stop();
});
