// Store failures as a caller sees them: ClickHouse unreachable (a closed port) -> 503
// LW_ERR_CLICKHOUSE_UNAVAILABLE on the routes and a bare {status:'not ready'} on /readyz; a query
// stopped by the real server's max_execution_time -> 503 LW_ERR_CLICKHOUSE_UNAVAILABLE; any other
// ClickHouse exception -> 502 LW_ERR_CLICKHOUSE_QUERY_FAILED without the server's text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queryRows } from '#shared/clickhouse/client.js';
import { raw } from '#shared/clickhouse/sql.js';
import { ApiNotFound } from '#shared/errors.js';
import { withSettings } from '../../services/api/clickhouse.js';
import { apiConfig, as, buildApi, quietClickHouse, unreachableClickHouse } from '../support/api.js';
import { getServices } from '../support/services.js';

test('ClickHouse unreachable: 503 LW_ERR_CLICKHOUSE_UNAVAILABLE, /readyz not ready without details', async (t) => {
  const app = await buildApi(
    apiConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:1' }),
    unreachableClickHouse(),
    (a) => {
      a.post(
        '/api/v1/test-only/write',
        { config: { role: 'responder' }, schema: { hide: true } },
        async () => ({
          secret: 'answer that must not leave without its audit row',
        }),
      );
      a.post(
        '/api/v1/test-only/missing',
        { config: { role: 'responder' }, schema: { hide: true } },
        async () => {
          throw ApiNotFound('case c-9');
        },
      );
    },
  );
  t.after(() => app.close());
  // an audited write whose api_audit row cannot be written: withheld, in the API's error shape
  const w = await app.inject(
    as('responder', { method: 'POST', url: '/api/v1/test-only/write', payload: {} }),
  );
  assert.equal(w.statusCode, 503);
  assert.deepEqual(Object.keys(w.json()), ['error', 'message']);
  assert.equal(w.json().error, 'LW_ERR_CLICKHOUSE_UNAVAILABLE');
  assert.doesNotMatch(w.body, /secret/);
  // an error answer discloses nothing: it keeps its status and message though its row is not written
  const missing = await app.inject(
    as('responder', { method: 'POST', url: '/api/v1/test-only/missing', payload: {} }),
  );
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error, 'LW_ERR_API_NOT_FOUND');
  for (const url of ['/api/v1/alerts', '/api/v1/alerts/0123456789abcdef']) {
    const r = await app.inject(as('viewer', { url }));
    assert.equal(r.statusCode, 503, url);
    assert.equal(r.json().error, 'LW_ERR_CLICKHOUSE_UNAVAILABLE');
    assert.doesNotMatch(r.body, /ECONNREFUSED|127\.0\.0\.1|:1\b/);
  }
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.deepEqual(ready.json(), { status: 'not ready' });
  assert.equal(
    (await app.inject({ url: '/healthz' })).statusCode,
    200,
    'liveness does not depend on the store',
  );
});

test('a query over max_execution_time on the real server: 503 LW_ERR_CLICKHOUSE_UNAVAILABLE', async (t) => {
  const svc = await getServices();
  const ch = quietClickHouse(svc.clickhouseUrl);
  t.after(() => ch.close());
  // the API wraps its client the same way (app.ts: withSettings(ch, { max_execution_time }))
  const bounded = withSettings(ch, { max_execution_time: 1 });
  const app = await buildApi(apiConfig({ CLICKHOUSE_URL: svc.clickhouseUrl }), ch, (a) => {
    const o = { config: { role: 'viewer' as const }, schema: { hide: true } };
    a.get('/test/slow', o, async () =>
      queryRows(bounded, raw('SELECT count() AS n FROM numbers(100000000000)')),
    );
    a.get('/test/bad-sql', o, async () => queryRows(ch, raw('SELECT no_such_column FROM system.one')));
  });
  t.after(() => app.close());
  const t0 = Date.now();
  const slow = await app.inject(as('viewer', { url: '/test/slow' }));
  const ms = Date.now() - t0;
  assert.equal(slow.statusCode, 503, slow.body);
  assert.equal(slow.json().error, 'LW_ERR_CLICKHOUSE_UNAVAILABLE');
  assert.ok(ms < 10_000, `stopped by the server after ~1 s (took ${ms} ms)`);
  const bad = await app.inject(as('viewer', { url: '/test/bad-sql' }));
  assert.equal(bad.statusCode, 502, bad.body);
  assert.equal(bad.json().error, 'LW_ERR_CLICKHOUSE_QUERY_FAILED');
  assert.doesNotMatch(bad.body, /no_such_column|DB::Exception/);
});
