// API security settings, no store needed (ClickHouse at a closed port): headers, rate limit per
// token, body / query string limits, timeouts, CORS, and the error mapping of plugins/errors.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { wrapError } from '#shared/clickhouse/client.js';
import { apiConfig, as, buildApi, TOKENS, unreachableClickHouse } from '../../../test/support/api.js';

test('helmet headers: a CSP that allows nothing on API answers, Swagger UI its own; no-store on /api', async (t) => {
  const app = await buildApi(apiConfig(), unreachableClickHouse());
  t.after(() => app.close());
  const h = await app.inject({ url: '/healthz' });
  assert.equal(h.statusCode, 200);
  assert.match(String(h.headers['content-security-policy']), /default-src 'none'/);
  assert.match(String(h.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(h.headers['x-content-type-options'], 'nosniff');
  assert.equal(h.headers['x-frame-options'], 'SAMEORIGIN');
  assert.equal(h.headers['access-control-allow-origin'], undefined, 'no CORS unless configured');
  const docs = await app.inject({ url: '/docs/' });
  assert.equal(docs.statusCode, 200);
  const csp = String(docs.headers['content-security-policy']);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /upgrade-insecure-requests/);
  const a = await app.inject(as('viewer', { url: '/api/v1/alerts' }));
  assert.equal(a.headers['cache-control'], 'no-store');
});

test('rate limit per token (IP without one): 429 LW_ERR_API_RATE_LIMITED with Retry-After', async (t) => {
  const app = await buildApi(apiConfig({ API_RATE_LIMIT_PER_MINUTE: '3' }), unreachableClickHouse());
  t.after(() => app.close());
  const statuses = [];
  for (let i = 0; i < 4; i++)
    statuses.push((await app.inject(as('viewer', { url: '/api/v1/alerts' }))).statusCode);
  assert.deepEqual(statuses, [503, 503, 503, 429]);
  const r = await app.inject(as('viewer', { url: '/api/v1/alerts' }));
  assert.equal(r.statusCode, 429);
  assert.equal(r.json().error, 'LW_ERR_API_RATE_LIMITED');
  assert.ok(Number(r.headers['retry-after']) > 0);
  // another token has its own budget, and so has an anonymous caller (by IP)
  assert.equal((await app.inject(as('admin', { url: '/api/v1/alerts' }))).statusCode, 503);
  for (let i = 0; i < 3; i++) assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 429);
  assert.equal(
    (await app.inject({ url: '/healthz', remoteAddress: '10.9.9.9' })).statusCode,
    200,
    'another IP is not limited',
  );
});

test('body, query string and time limits come from config', async (t) => {
  const config = apiConfig({
    API_BODY_LIMIT_BYTES: '2048',
    API_MAX_QUERY_STRING_BYTES: '300',
    API_CONNECTION_TIMEOUT_MS: '12000',
    API_REQUEST_TIMEOUT_MS: '7000',
  });
  const app = await buildApi(config, unreachableClickHouse(), (a) => {
    a.post(
      '/test/echo',
      { config: { role: 'public' }, schema: { hide: true, body: Type.Object({ s: Type.String() }) } },
      async (req) => ({ n: (req.body as { s: string }).s.length }),
    );
  });
  t.after(() => app.close());
  const ok = await app.inject({ method: 'POST', url: '/test/echo', payload: { s: 'x'.repeat(1000) } });
  assert.equal(ok.statusCode, 200);
  const big = await app.inject({ method: 'POST', url: '/test/echo', payload: { s: 'x'.repeat(3000) } });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().error, 'LW_ERR_API_BODY_TOO_LARGE');
  const bad = await app.inject({
    method: 'POST',
    url: '/test/echo',
    headers: { 'content-type': 'application/json' },
    payload: '{"s":',
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error, 'LW_ERR_API_BAD_REQUEST');
  const long = await app.inject(as('viewer', { url: `/api/v1/alerts?tenant=${'a'.repeat(400)}` }));
  assert.equal(long.statusCode, 414);
  assert.equal(long.json().error, 'LW_ERR_API_QUERY_TOO_LONG');
  assert.equal(app.initialConfig.connectionTimeout, 12000);
  assert.equal(app.server.requestTimeout, 7000);
  assert.equal(app.initialConfig.bodyLimit, 2048);
});

test('CORS: headers only for a configured origin; preflight answered', async (t) => {
  const app = await buildApi(apiConfig({ API_CORS_ORIGINS: 'https://soc.example' }), unreachableClickHouse());
  t.after(() => app.close());
  const good = await app.inject({ url: '/healthz', headers: { origin: 'https://soc.example' } });
  assert.equal(good.headers['access-control-allow-origin'], 'https://soc.example');
  const other = await app.inject({ url: '/healthz', headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  const pre = await app.inject({
    method: 'OPTIONS',
    url: '/api/v1/alerts',
    headers: { origin: 'https://soc.example', 'access-control-request-method': 'GET' },
  });
  assert.equal(pre.statusCode, 204);
  assert.match(String(pre.headers['access-control-allow-headers']), /authorization/);
});

test('errors: ClickHouse exception -> 502 code only, unknown failure -> 500 LW_ERR_INTERNAL, no details', async (t) => {
  const app = await buildApi(apiConfig(), unreachableClickHouse(), (a) => {
    const o = { config: { role: 'viewer' as const }, schema: { hide: true } };
    a.get('/test/ch-error', o, async () => {
      throw new Error(
        "Code: 60, e.displayText() = DB::Exception: Table secret_db.secret_table doesn't exist., e.what() = DB::Exception",
      );
    });
    a.get('/test/bug', o, async () => {
      throw new TypeError('cannot read properties of undefined (reading patient_token)');
    });
    a.get('/test/timeout', o, async () => {
      throw wrapError(
        new Error(
          'Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 1.0 seconds, maximum: 1, e.what() = DB::Exception',
        ),
      );
    });
  });
  t.after(() => app.close());
  const ch = await app.inject(as('viewer', { url: '/test/ch-error' }));
  assert.equal(ch.statusCode, 502);
  assert.equal(ch.json().error, 'LW_ERR_CLICKHOUSE_QUERY_FAILED');
  assert.doesNotMatch(ch.body, /secret/);
  const bug = await app.inject(as('viewer', { url: '/test/bug' }));
  assert.equal(bug.statusCode, 500);
  assert.deepEqual(bug.json(), { error: 'LW_ERR_INTERNAL', message: 'internal error' });
  const slow = await app.inject(as('viewer', { url: '/test/timeout' }));
  assert.equal(slow.statusCode, 503);
  assert.equal(slow.json().error, 'LW_ERR_CLICKHOUSE_UNAVAILABLE');
  assert.ok(TOKENS.viewer);
});

test('ops routes on the API: public, /readyz says not ready without details, /metrics served', async (t) => {
  const app = await buildApi(apiConfig(), unreachableClickHouse());
  t.after(() => app.close());
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.deepEqual(ready.json(), { status: 'not ready' });
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  const metrics = await app.inject({ url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  assert.match(metrics.body, /leakwatch_api_requests_total/);
});
