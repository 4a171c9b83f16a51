// Walks EVERY operation of the API's own /openapi.json as anonymous, viewer, responder and admin
// against real ClickHouse: anonymous gets 401, a role below the operation's `x-leakwatch-role` 403,
// an allowed role neither (2xx, or 404/409 for a sample id that does not exist or a repeated write),
// never a 5xx. Requests are derived from the document (test/support/openapi-walk.ts), so routes added
// later are walked without editing this test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import { command } from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import { insertAlerts, makeAlert } from '../support/alerts.js';
import { apiConfig, as, buildApi, quietClickHouse, ROLES, type TestRole } from '../support/api.js';
import { buildRequest, type OpenApiDoc, operations, withSamples } from '../support/openapi-walk.js';
import { getServices, uniqueName } from '../support/services.js';

const RANK: Record<string, number> = { viewer: 1, responder: 2, admin: 3 };
let app: FastifyInstance;
let ch: ClickHouseClient;
const db = uniqueName('api_roles');
const alert = makeAlert('tenant-a', 1, 'alice');

before(async () => {
  const svc = await getServices();
  ch = quietClickHouse(svc.clickhouseUrl);
  await migrate(ch, db);
  await insertAlerts(ch, db, [alert, makeAlert('tenant-b', 2, 'bob')]);
  app = await buildApi(
    apiConfig({
      CLICKHOUSE_URL: svc.clickhouseUrl,
      CLICKHOUSE_DATABASE: db,
      API_RATE_LIMIT_PER_MINUTE: '100000',
    }),
    ch,
    (a) => {
      // two test-only routes above viewer, so the walk sees 403s even before the write routes of
      // other modules exist; they are in the document like any other route
      a.post(
        '/api/v1/test-only/writes/:id',
        {
          config: { role: 'responder' },
          schema: {
            summary: 'test-only write',
            tags: ['test'],
            params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{8,64}$' }) }),
            body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }),
            response: { 200: Type.Object({ ok: Type.Boolean() }) },
          },
        },
        async (req) => {
          req.auditRows = 1;
          return { ok: true };
        },
      );
      a.get(
        '/api/v1/test-only/admin',
        {
          config: { role: 'admin' },
          schema: { summary: 'test-only admin read', tags: ['test'], response: { 200: Type.Object({}) } },
        },
        async () => ({}),
      );
    },
  );
});

after(async () => {
  await app?.close();
  await command(ch, `DROP DATABASE IF EXISTS ${db}`);
  await ch.close();
});

test('every operation of /openapi.json: 401 anonymous, 403 below its role, allowed at or above', async () => {
  const res = await app.inject({ url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const ops = operations(res.json() as OpenApiDoc);
  assert.ok(ops.length >= 4, 'the document lists the API routes');
  assert.ok(ops.some((o) => o.role === 'responder') && ops.some((o) => o.role === 'admin'));
  const samples = withSamples({ id: [alert.alert_id], alert_id: [alert.alert_id] });
  const table: string[] = [];
  for (const op of ops) {
    const name = `${op.method} ${op.path}`;
    assert.ok(op.role && op.role in RANK, `${name} declares x-leakwatch-role (got ${op.role})`);
    const req = buildRequest(op, { samples });
    const row: string[] = [];
    for (const caller of ['anonymous', ...ROLES] as const) {
      const r = await app.inject(as(caller as TestRole | 'anonymous', req));
      row.push(`${caller} ${r.statusCode}`);
      const what = `${caller} ${req.method} ${req.url} -> ${r.statusCode} ${r.body.slice(0, 200)}`;
      if (caller === 'anonymous') {
        assert.equal(r.statusCode, 401, what);
        assert.equal(r.json().error, 'LW_ERR_API_UNAUTHORIZED', what);
      } else if (RANK[caller]! < RANK[op.role!]!) {
        assert.equal(r.statusCode, 403, what);
        assert.equal(r.json().error, 'LW_ERR_API_FORBIDDEN', what);
      } else {
        assert.ok(
          (r.statusCode >= 200 && r.statusCode < 300) || r.statusCode === 404 || r.statusCode === 409,
          `allowed call must be 2xx, 404 or 409: ${what}`,
        );
      }
    }
    table.push(`${name.padEnd(48)} role=${op.role!.padEnd(9)} ${row.join(', ')}`);
  }
  console.log(`role walk over ${ops.length} operations:\n  ${table.join('\n  ')}`);
});

test('a wrong or malformed token is 401 on every operation', async () => {
  const ops = operations((await app.inject({ url: '/openapi.json' })).json() as OpenApiDoc);
  for (const op of ops) {
    const req = buildRequest(op);
    for (const authorization of ['Bearer lw_not_a_known_token', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const r = await app.inject({ ...req, headers: { authorization } });
      assert.equal(r.statusCode, 401, `${authorization} ${op.method} ${op.path}`);
    }
  }
});
