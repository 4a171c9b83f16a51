// api_audit read back from real ClickHouse: an audited write (every non-GET route) and an audited
// read (`config: { audit: true }`) each leave one row naming the token (id and name), its role, the
// method, the route pattern, the parameters (never the body), the status and the rows returned;
// unaudited reads and unauthenticated callers leave none; a known token refused for its role (403)
// leaves a row. Alert reads are audited (an alert names the
// records its actor read), and concurrent audited answers share inserts without losing a row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import { command, queryRows } from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import { raw } from '#shared/clickhouse/sql.js';
import { apiConfig, as, buildApi, quietClickHouse, sha256, TOKENS } from '../support/api.js';
import { getServices, uniqueName } from '../support/services.js';

let app: FastifyInstance;
let ch: ClickHouseClient;
const db = uniqueName('api_audit');

before(async () => {
  const svc = await getServices();
  ch = quietClickHouse(svc.clickhouseUrl);
  await migrate(ch, db);
  app = await buildApi(apiConfig({ CLICKHOUSE_URL: svc.clickhouseUrl, CLICKHOUSE_DATABASE: db }), ch, (a) => {
    a.post(
      '/api/v1/test-only/cases/:id/notes',
      {
        config: { role: 'responder' },
        schema: {
          hide: true,
          params: Type.Object({ id: Type.String() }),
          querystring: Type.Object({ notify: Type.Optional(Type.Boolean()) }),
          body: Type.Object({ note: Type.String() }),
        },
      },
      async (req) => {
        req.auditRows = 1;
        return { ok: true };
      },
    );
    a.get(
      '/api/v1/test-only/history',
      {
        config: { role: 'viewer', audit: true },
        schema: { hide: true, querystring: Type.Object({ resource_id: Type.String() }) },
      },
      async (req) => {
        req.auditRows = 3;
        return [1, 2, 3];
      },
    );
  });
});

after(async () => {
  await app?.close();
  await command(ch, `DROP DATABASE IF EXISTS ${db}`);
  await ch.close();
});

interface AuditOut {
  token_id: string;
  token_name: string;
  role: string;
  method: string;
  route: string;
  query: string;
  status: number;
  rows: string;
  ts: string;
}

test('audited calls are rows of api_audit; others are not', async () => {
  const w = await app.inject(
    as('responder', {
      method: 'POST',
      url: '/api/v1/test-only/cases/c-42/notes?notify=true',
      payload: { note: 'patient called: secret detail' },
    }),
  );
  assert.equal(w.statusCode, 200);
  const r = await app.inject(as('admin', { url: '/api/v1/test-only/history?resource_id=1234' }));
  assert.equal(r.statusCode, 200);
  // not audited: an unaudited read (the Grafana alert series), a refused caller, a forbidden role
  assert.equal(
    (await app.inject(as('viewer', { url: '/api/v1/series/alerts?from=0&to=60000' }))).statusCode,
    200,
  );
  assert.equal((await app.inject({ url: '/api/v1/test-only/history?resource_id=1' })).statusCode, 401);
  const forbidden = await app.inject(
    as('viewer', { method: 'POST', url: '/api/v1/test-only/cases/c-1/notes', payload: { note: 'x' } }),
  );
  assert.equal(forbidden.statusCode, 403);

  const rows = await queryRows<AuditOut>(
    ch,
    raw(
      `SELECT ts, token_id, token_name, role, method, route, query, status, rows FROM ${db}.api_audit ORDER BY ts, method`,
    ),
  );
  // the forbidden write is a row too (a known token refused for its role), with its 403
  const refused = rows.filter((x) => Number(x.status) === 403);
  assert.deepEqual(
    refused.map((x) => [x.token_name, x.role, x.route]),
    [['test-viewer', 'viewer', '/api/v1/test-only/cases/:id/notes']],
  );
  assert.equal(rows.length, 3, JSON.stringify(rows));
  const byMethod = Object.fromEntries(rows.filter((x) => Number(x.status) !== 403).map((x) => [x.method, x]));
  const post = byMethod['POST']!;
  assert.equal(post.token_id, sha256(TOKENS.responder).slice(0, 12));
  assert.equal(post.token_name, 'test-responder');
  assert.equal(post.role, 'responder');
  assert.equal(post.route, '/api/v1/test-only/cases/:id/notes');
  assert.deepEqual(JSON.parse(post.query), { params: { id: 'c-42' }, query: { notify: true } });
  assert.equal(Number(post.status), 200);
  assert.equal(Number(post.rows), 1);
  assert.doesNotMatch(JSON.stringify(rows), /secret detail/, 'bodies stay out of the trail');
  assert.doesNotMatch(JSON.stringify(rows), new RegExp(TOKENS.responder), 'never the token');
  const get = byMethod['GET']!;
  assert.equal(get.token_name, 'test-admin');
  assert.equal(get.role, 'admin');
  assert.equal(get.route, '/api/v1/test-only/history');
  assert.deepEqual(JSON.parse(get.query), { params: {}, query: { resource_id: '1234' } });
  assert.equal(Number(get.rows), 3);
  const at = Date.parse(`${get.ts.replace(' ', 'T')}Z`);
  assert.ok(Math.abs(at - Date.now()) < 120_000, `ts ${get.ts} is the time of the call`);
});

test('alert reads are audited; concurrent audited answers each leave their row', async () => {
  const before = await queryRows<{ n: string }>(ch, raw(`SELECT count() AS n FROM ${db}.api_audit`));
  const list = await app.inject(as('viewer', { url: '/api/v1/alerts?severity=high&limit=5' }));
  assert.equal(list.statusCode, 200);
  assert.equal((await app.inject(as('viewer', { url: '/api/v1/alerts/0123456789abcdef' }))).statusCode, 404);
  const many = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      app.inject(as('viewer', { url: `/api/v1/test-only/history?resource_id=burst-${i}` })),
    ),
  );
  assert.deepEqual(
    many.map((r) => r.statusCode),
    many.map(() => 200),
  );
  const rows = await queryRows<AuditOut>(
    ch,
    raw(
      `SELECT ts, token_id, token_name, role, method, route, query, status, rows FROM ${db}.api_audit ORDER BY ts, method`,
    ),
  );
  assert.equal(rows.length, Number(before[0]!.n) + 22, JSON.stringify(rows));
  const alertReads = rows
    .filter((r) => r.route.startsWith('/api/v1/alerts'))
    .sort((x, y) => x.route.localeCompare(y.route));
  assert.deepEqual(
    alertReads.map((r) => [r.route, Number(r.status), r.token_name]),
    [
      ['/api/v1/alerts', 200, 'test-viewer'],
      ['/api/v1/alerts/:id', 404, 'test-viewer'],
    ],
  );
  assert.deepEqual(JSON.parse(alertReads[0]!.query).query, { severity: ['high'], limit: 5, offset: 0 });
  const burst = rows.filter((r) => r.query.includes('burst-'));
  assert.equal(new Set(burst.map((r) => JSON.parse(r.query).query.resource_id)).size, 20);
});

test('GET /api/v1/audit: the trail newest first, filtered and paged, for admins only, and itself audited', async () => {
  const from = Date.now() - 60_000;
  const marker = `tok_mrn_${Date.now().toString(16).padStart(16, '0').slice(-16)}`;
  for (let i = 0; i < 3; i++)
    assert.equal(
      (await app.inject(as('viewer', { url: `/api/v1/test-only/history?resource_id=${marker}` }))).statusCode,
      200,
    );
  const to = Date.now() + 60_000;
  const range = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
  assert.equal((await app.inject(as('viewer', { url: `/api/v1/audit?${range}` }))).statusCode, 403);
  assert.equal((await app.inject(as('responder', { url: `/api/v1/audit?${range}` }))).statusCode, 403);

  // who looked at this token: the three reads, newest first, with who and what
  const found = await app.inject(as('admin', { url: `/api/v1/audit?${range}&contains=${marker}` }));
  assert.equal(found.statusCode, 200, found.body);
  const rows = found.json().rows as Array<Record<string, unknown>>;
  assert.equal(rows.length, 3);
  for (const r of rows) {
    assert.equal(r['token_name'], 'test-viewer');
    assert.equal(r['role'], 'viewer');
    assert.equal(r['route'], '/api/v1/test-only/history');
    assert.deepEqual(JSON.parse(r['params'] as string).query, { resource_id: marker });
    assert.equal(r['status'], 200);
    assert.equal(r['rows'], 3);
    assert.match(r['request_id'] as string, /^[0-9a-f-]{36}$/, 'unique request ids, not req-N');
  }
  assert.deepEqual(
    rows.map((r) => r['ts']),
    [...rows.map((r) => r['ts'] as number)].sort((a, b) => b - a),
  );

  // pages of one: every row once, then no cursor (the route filter leaves out the trail's own
  // rows: the reads above asked for the marker too, and are recorded as asking)
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 5; i++) {
    const page = await app.inject(
      as('admin', {
        url: `/api/v1/audit?${range}&contains=${marker}&route=/api/v1/test-only/history&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      }),
    );
    assert.equal(page.statusCode, 200, page.body);
    seen.push(...page.json().rows.map((r: { request_id: string }) => r.request_id));
    cursor = page.json().next_cursor ?? undefined;
    assert.equal(page.headers['x-next-cursor'], cursor);
    if (!cursor) break;
  }
  assert.deepEqual([...seen].sort(), rows.map((r) => r['request_id'] as string).sort());

  // filters: by token name and route; CSV
  const byName = await app.inject(
    as('admin', { url: `/api/v1/audit?${range}&token_name=test-responder&contains=${marker}` }),
  );
  assert.deepEqual(byName.json().rows, []);
  const csv = await app.inject(as('admin', { url: `/api/v1/audit?${range}&contains=${marker}&format=csv` }));
  assert.match(String(csv.headers['content-type']), /text\/csv/);
  assert.equal(
    csv.body.trim().split('\r\n').length,
    1 + 3 + 5,
    'header, the reads, the trail reads naming the marker',
  );
  const asked = await app.inject(
    as('admin', { url: `/api/v1/audit?${range}&contains=${marker}&route=/api/v1/audit` }),
  );
  assert.ok(asked.json().rows.length >= 5, 'who searched the trail for the marker is in it too');

  // reading the trail left rows in it too
  const self = await app.inject(as('admin', { url: `/api/v1/audit?${range}&route=/api/v1/audit` }));
  const selfRows = self.json().rows as Array<{ token_name: string; status: number }>;
  assert.ok(selfRows.some((r) => r.token_name === 'test-admin' && r.status === 200));
  assert.ok(
    selfRows.some((r) => r.token_name === 'test-viewer' && r.status === 403),
    "a viewer's attempt to read the trail is in it",
  );
});
