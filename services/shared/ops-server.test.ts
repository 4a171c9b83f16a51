import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { createLogger } from './log.js';
import { opsRoutes, startOpsServer } from './ops-server.js';

test('opsRoutes: /healthz ok, /metrics in the Prometheus text format, /readyz ready or why not', async (t) => {
  let reason: string | null = 'joining consumer group';
  const app = Fastify();
  opsRoutes(app, { readiness: () => reason, showReason: true });
  t.after(() => app.close());
  assert.deepEqual((await app.inject({ url: '/healthz' })).json(), { status: 'ok' });
  const metrics = await app.inject({ url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  assert.match(String(metrics.headers['content-type']), /^text\/plain/);
  const notReady = await app.inject({ url: '/readyz' });
  assert.equal(notReady.statusCode, 503);
  assert.deepEqual(notReady.json(), { status: 'not ready', reason: 'joining consumer group' });
  reason = null;
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), { status: 'ready' });
});

test('opsRoutes without showReason: a bare 503, async readiness, route options on every route', async (t) => {
  const seen: string[] = [];
  const app = Fastify();
  app.addHook('onRoute', (r) => {
    if ((r.config as { role?: string } | undefined)?.role === 'public') seen.push(r.url);
  });
  opsRoutes(app, {
    readiness: async () => 'ClickHouse',
    showReason: false,
    routeOptions: { config: { role: 'public' } } as never,
  });
  t.after(() => app.close());
  const r = await app.inject({ url: '/readyz' });
  assert.equal(r.statusCode, 503);
  assert.deepEqual(r.json(), { status: 'not ready' });
  assert.deepEqual([...new Set(seen)].sort(), ['/healthz', '/metrics', '/readyz']);
});

test('startOpsServer listens and serves the ops routes with the reason', async (t) => {
  const app = await startOpsServer({
    port: 0,
    log: createLogger('test', 'silent'),
    readiness: () => 'not started',
  });
  t.after(() => app.close());
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: 'not ready', reason: 'not started' });
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
});
