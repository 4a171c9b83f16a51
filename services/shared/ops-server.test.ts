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

test('startOpsServer listens and serves the ops routes with the reason, and nothing else', async (t) => {
  let reason: string | null = 'not started';
  const ops = await startOpsServer({
    port: 0,
    log: createLogger('test', 'silent'),
    readiness: () => reason,
  });
  t.after(() => ops.close());
  const url = (path: string) => `http://127.0.0.1:${ops.port}${path}`;
  const res = await fetch(url('/readyz'));
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: 'not ready', reason: 'not started' });
  reason = null;
  assert.deepEqual(await (await fetch(url('/readyz?x=1'))).json(), { status: 'ready' });
  assert.deepEqual(await (await fetch(url('/healthz'))).json(), { status: 'ok' });
  const metrics = await fetch(url('/metrics'));
  assert.equal(metrics.status, 200);
  assert.match(String(metrics.headers.get('content-type')), /^text\/plain/);
  assert.equal((await fetch(url('/nope'))).status, 404);
  assert.equal((await fetch(url('/healthz'), { method: 'POST' })).status, 404);
});

test('startOpsServer: close() returns while a scraper keeps its connection open', async () => {
  const ops = await startOpsServer({ port: 0, log: createLogger('test', 'silent'), readiness: () => null });
  const agent = await fetch(`http://127.0.0.1:${ops.port}/metrics`, { keepalive: true });
  await agent.text();
  await ops.close(); // would hang on the idle keep-alive connection without closeAllConnections
});
