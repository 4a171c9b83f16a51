// The alert lifecycle against the real ClickHouse server (18.16 here): ack / resolve / reopen /
// suppress / feedback through the API (app.inject, real client), a detector re-emission of a
// growing alert that must not undo a person's status (also after the table's parts merged), the
// suppression and allow-entry objects, what the status topic is told, the audit trail, and the
// detector's response policy read back from the same tables.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Alert } from '#shared/avro/generated/alert.js';
import {
  type ClickHouseClient,
  command,
  createClickHouse,
  insertRows,
  queryRows,
} from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import { alertToRow } from '#shared/clickhouse/rows.js';
import { ident, sql, table } from '#shared/clickhouse/sql.js';
import { type Config, loadConfig } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { build } from '../../services/api/app.js';
import { memoryStatusPublisher } from '../../services/api/status-publisher.js';
import { createPolicySource } from '../../services/detector/response-policy.js';
import { getServices, uniqueName } from '../support/services.js';

const db = uniqueName('lifecycle');
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const VIEWER = 'viewer-token-0123456789abcdef';
const RESPONDER = 'responder-token-0123456789abcdef';
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

let cfg: Readonly<Config>;
let ch: ClickHouseClient;
let app: FastifyInstance;
const status = memoryStatusPublisher();

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    alert_id: id.padEnd(32, '0'),
    fingerprint: `fp-${id}`,
    rule: 'sequential-enumeration',
    severity: 'high',
    entity: { type: 'client_ip', value: '203.0.113.77' },
    tenant: 'shop',
    first_seen: T0,
    last_seen: T0 + 60_000,
    status: 'open',
    title: 'ID walk',
    explanation: {
      feature: 'sequential_ids',
      observed: 25,
      baseline: null,
      score: 2.5,
      top_resources: [],
      sample_event_ids: [],
    },
    labels: { rule: 'sequential-enumeration' },
    ...over,
  };
}

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, token: string, body?: object) {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body }),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

before(async () => {
  const svc = await getServices();
  cfg = loadConfig({
    env: {
      CLICKHOUSE_URL: svc.clickhouseUrl,
      CLICKHOUSE_DATABASE: db,
      API_TOKENS: `grafana:viewer:${sha(VIEWER)},alice:responder:${sha(RESPONDER)}`,
      LOG_LEVEL: 'silent',
      // long enough that an identical list request is surely served from memory (asserted below)
      API_ALERT_LIST_CACHE_MS: '60000',
    },
  });
  ch = createClickHouse(cfg);
  await migrate(ch, db);
  await insertRows(ch, table(db, 'alerts'), [
    alertToRow(alert('a1')),
    alertToRow(alert('a2', { first_seen: T0 + 600_000, last_seen: T0 + 660_000 })),
    alertToRow(alert('b1', { entity: { type: 'client_ip', value: '198.51.100.5' } })),
    alertToRow(alert('c1', { rule: 'egress', fingerprint: 'fp-c1' })),
  ]);
  app = await build({ config: cfg, ch, log: createLogger('api', 'silent'), status });
});

after(async () => {
  await app?.close();
  await command(ch, sql`DROP DATABASE IF EXISTS ${ident(db)}`);
  await ch.close();
});

const A1 = 'a1'.padEnd(32, '0');

test('a viewer may read but not act; a responder acknowledges, with who, when and why', async () => {
  assert.equal((await call('POST', `/api/v1/alerts/${A1}/ack`, VIEWER, {})).status, 403);
  assert.equal((await call('POST', `/api/v1/alerts/${A1}/ack`, 'nope-0123456789abcdef', {})).status, 401);
  const r = await call('POST', `/api/v1/alerts/${A1}/ack`, RESPONDER, { reason: 'looking at it' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'acknowledged');
  assert.equal(r.body.status_changed_by, 'alice');
  const got = await call('GET', `/api/v1/alerts/${A1}`, VIEWER);
  assert.equal(got.body.status, 'acknowledged');
  assert.equal(got.body.status_reason, 'looking at it');
  assert.deepEqual(
    got.body.status_history.map((h: { action: string; status: string; actor: string }) => [
      h.action,
      h.status,
      h.actor,
    ]),
    [['ack', 'acknowledged', 'alice']],
  );
  const last = status.published.at(-1)!;
  assert.equal(last.kind, 'alert');
  assert.equal(last.object_id, A1);
  assert.equal(last.action, 'ack');
  assert.equal(last.status, 'acknowledged');
  assert.equal(last.actor, 'alice');
});

test("the detector's re-emission of a growing alert does not undo the acknowledgement, before or after merges", async () => {
  // the detector writes a newer version of the same alert_id (version = last_seen), status open
  const grown = alert('a1', {
    last_seen: T0 + 500_000,
    explanation: { ...alert('a1').explanation, observed: 60 },
  });
  await insertRows(ch, table(db, 'alerts'), [alertToRow(grown)]);
  let got = await call('GET', `/api/v1/alerts/${A1}`, VIEWER);
  assert.equal(got.body.explanation.observed, 60, 'the evidence grew');
  assert.equal(got.body.status, 'acknowledged', 'the person’s status stands');
  await command(ch, sql`OPTIMIZE TABLE ${table(db, 'alerts')} FINAL`);
  await command(ch, sql`OPTIMIZE TABLE ${table(db, 'alert_status_changes')} FINAL`);
  got = await call('GET', `/api/v1/alerts/${A1}`, VIEWER);
  assert.equal(got.body.last_seen, T0 + 500_000);
  assert.equal(got.body.status, 'acknowledged');
  const list = await call('GET', '/api/v1/alerts?status=acknowledged', VIEWER);
  assert.deepEqual(
    list.body.map((a: Alert) => a.alert_id),
    [A1],
  );
});

test('resolve, a refused ack on a resolved alert (409 with what to do), reopen', async () => {
  assert.equal((await call('POST', `/api/v1/alerts/${A1}/resolve`, RESPONDER, {})).body.status, 'resolved');
  const refused = await call('POST', `/api/v1/alerts/${A1}/ack`, RESPONDER, {});
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error, 'LW_ERR_API_CONFLICT');
  assert.match(refused.body.message, /resolved; ack needs one of open, suppressed/);
  // repeating a call whose status is set writes nothing new but announces again
  const before = (await call('GET', `/api/v1/alerts/${A1}`, VIEWER)).body.status_history.length;
  const n = status.published.length;
  assert.equal((await call('POST', `/api/v1/alerts/${A1}/resolve`, RESPONDER, {})).status, 200);
  assert.equal((await call('GET', `/api/v1/alerts/${A1}`, VIEWER)).body.status_history.length, before);
  assert.equal(status.published.length, n + 1);
  assert.equal(
    (await call('POST', `/api/v1/alerts/${A1}/reopen`, RESPONDER, { reason: 'not done' })).body.status,
    'open',
  );
  assert.equal(
    (await call('POST', '/api/v1/alerts/ffffffffffffffffffffffffffffffff/ack', RESPONDER, {})).status,
    404,
  );
  assert.equal(
    (await call('POST', `/api/v1/alerts/${A1}/ack`, RESPONDER, { reason: 'x', extra: 1 })).status,
    400,
  );
});

test('a rule-entity suppression: existing alerts of that rule and entity become suppressed, others stay open; listed, then deleted', async () => {
  const bad = await call('POST', `/api/v1/alerts/${A1}/suppress`, RESPONDER, {
    reason: 'x',
    for: '400d',
    scope: 'rule-entity',
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /limit of 90 days/);
  const r = await call('POST', `/api/v1/alerts/${A1}/suppress`, RESPONDER, {
    reason: 'pen test this week',
    for: '24h',
    scope: 'rule-entity',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.alerts_suppressed, 2);
  assert.equal(r.body.active, true);
  assert.ok(r.body.expires_at > Date.now() + 23 * 3_600_000);
  const suppressed = await call('GET', '/api/v1/alerts?status=suppressed', VIEWER);
  assert.deepEqual(suppressed.body.map((a: Alert) => a.alert_id).sort(), [A1, 'a2'.padEnd(32, '0')]);
  const open = await call('GET', '/api/v1/alerts?status=open', VIEWER);
  assert.deepEqual(open.body.map((a: Alert) => a.alert_id).sort(), [
    'b1'.padEnd(32, '0'),
    'c1'.padEnd(32, '0'),
  ]);
  const listed = await call('GET', '/api/v1/suppressions', VIEWER);
  assert.equal(listed.body.length, 1);
  assert.equal(listed.body[0].suppression_id, r.body.suppression_id);
  assert.deepEqual(listed.body[0].entity, { type: 'client_ip', value: '203.0.113.77' });
  const created = status.published.find((c) => c.kind === 'suppression' && c.action === 'create')!;
  assert.equal(created.alert_ids.length, 2);

  // the detector's policy, read from the same tables, suppresses the rule on that entity only
  const policy = createPolicySource(cfg, createLogger('detector', 'silent'), ch);
  await policy.start();
  const p = policy.current();
  await policy.stop();
  assert.equal(p.verdict(alert('zz'), Date.now()), 'suppress');
  assert.equal(p.verdict(alert('zz', { rule: 'egress' }), Date.now()), 'pass');

  assert.equal((await call('DELETE', `/api/v1/suppressions/${r.body.suppression_id}`, VIEWER)).status, 403);
  const del = await call('DELETE', `/api/v1/suppressions/${r.body.suppression_id}`, RESPONDER);
  assert.equal(del.status, 200);
  assert.equal(del.body.active, false);
  assert.equal(del.body.deleted_by, 'alice');
  assert.equal((await call('GET', '/api/v1/suppressions', VIEWER)).body.length, 0);
  assert.equal((await call('GET', '/api/v1/suppressions?state=all', VIEWER)).body.length, 1);
  assert.equal(
    (await call('DELETE', `/api/v1/suppressions/${r.body.suppression_id}`, RESPONDER)).status,
    409,
  );
});

test('feedback "legitimate" resolves the alert and makes an allow entry the detector reads; "malicious" acknowledges', async () => {
  const B1 = 'b1'.padEnd(32, '0');
  const r = await call('POST', `/api/v1/alerts/${B1}/feedback`, RESPONDER, {
    verdict: 'legitimate',
    reason: 'our own stock sync',
    for: '7d',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.alert.status, 'resolved');
  assert.equal(r.body.allow_entry.rule, 'sequential-enumeration');
  assert.deepEqual(r.body.allow_entry.entity, { type: 'client_ip', value: '198.51.100.5' });
  const listed = await call('GET', '/api/v1/allow-entries', VIEWER);
  assert.equal(listed.body.length, 1);
  const policy = createPolicySource(cfg, createLogger('detector', 'silent'), ch);
  await policy.start();
  const p = policy.current();
  await policy.stop();
  assert.equal(
    p.verdict(alert('new', { entity: { type: 'client_ip', value: '198.51.100.5' } }), Date.now()),
    'drop',
  );
  assert.equal(
    p.verdict(alert('new', { entity: { type: 'client_ip', value: '198.51.100.6' } }), Date.now()),
    'pass',
  );

  const C1 = 'c1'.padEnd(32, '0');
  const m = await call('POST', `/api/v1/alerts/${C1}/feedback`, RESPONDER, {
    verdict: 'malicious',
    reason: 'confirmed',
  });
  assert.equal(m.status, 201);
  assert.equal(m.body.alert.status, 'acknowledged');
  assert.equal(m.body.allow_entry, null);
  const hist = (await call('GET', `/api/v1/alerts/${C1}`, VIEWER)).body.status_history;
  assert.equal(hist.at(-1).verdict, 'malicious');
});

test('every write is in api_audit with who, role, route and status', async () => {
  const rows = await queryRows<{
    token_id: string;
    role: string;
    method: string;
    route: string;
    status: string;
  }>(ch, sql`SELECT token_id, role, method, route, status FROM ${table(db, 'api_audit')} ORDER BY ts`);
  const writes = rows.filter((r) => r.method !== 'GET');
  assert.ok(writes.length >= 10, `${writes.length} audited writes`);
  assert.ok(writes.some((r) => r.route === '/api/v1/alerts/:id/suppress' && Number(r.status) === 201));
  assert.ok(writes.some((r) => r.route === '/api/v1/alerts/:id/ack' && Number(r.status) === 409));
  const done = writes.filter((r) => Number(r.status) !== 403);
  assert.ok(done.every((r) => r.token_id === sha(RESPONDER).slice(0, 12) && r.role === 'responder'));
  // the viewer's refused writes are recorded, as refused
  const refused = writes.filter((r) => Number(r.status) === 403);
  assert.ok(refused.length >= 2, `${refused.length} refused writes`);
  assert.ok(refused.every((r) => r.role === 'viewer'));
});

test('the list reads a band of recent rows first and widens it for a short page; filters see only the newest version', async () => {
  const DAY = 86_400_000;
  const old = (id: string, daysAgo: number, severity: Alert['severity'] = 'high') =>
    alert(id, {
      tenant: 'spread',
      severity,
      first_seen: T0 - daysAgo * DAY,
      last_seen: T0 - daysAgo * DAY + 60_000,
    });
  await insertRows(ch, table(db, 'alerts'), [
    alertToRow(old('s1', 0)),
    alertToRow(old('s2', 10)),
    alertToRow(old('s3', 40)),
    alertToRow(old('s4', 1, 'high')),
  ]);
  // s4 grows and becomes critical: its newest version no longer matches severity=high
  await insertRows(ch, table(db, 'alerts'), [
    alertToRow(
      alert('s4', {
        tenant: 'spread',
        severity: 'critical',
        first_seen: T0 - DAY,
        last_seen: T0 - DAY + 120_000,
      }),
    ),
  ]);
  const all = await call('GET', '/api/v1/alerts?tenant=spread&limit=10', VIEWER);
  assert.deepEqual(
    all.body.map((a: Alert) => a.alert_id.slice(0, 2)),
    ['s1', 's4', 's2', 's3'],
  );
  assert.equal(all.body[1].severity, 'critical');
  const high = await call('GET', '/api/v1/alerts?tenant=spread&severity=high&limit=10', VIEWER);
  assert.deepEqual(
    high.body.map((a: Alert) => a.alert_id.slice(0, 2)),
    ['s1', 's2', 's3'],
  );
  const page2 = await call('GET', '/api/v1/alerts?tenant=spread&limit=2&offset=2', VIEWER);
  assert.deepEqual(
    page2.body.map((a: Alert) => a.alert_id.slice(0, 2)),
    ['s2', 's3'],
  );
  await insertRows(ch, table(db, 'alerts'), [
    alertToRow(alert('s5', { tenant: 'spread', first_seen: T0 + DAY, last_seen: T0 + DAY + 60_000 })),
  ]);
  // an identical request within API_ALERT_LIST_CACHE_MS is served the same answer
  const again = await call('GET', '/api/v1/alerts?tenant=spread&limit=10', VIEWER);
  assert.deepEqual(again.body, all.body);
  // the API also remembers the newest last_seen for a moment: an alert newer than it is still first
  const fresh = await call('GET', '/api/v1/alerts?tenant=spread&limit=9', VIEWER);
  assert.deepEqual(
    fresh.body.map((a: Alert) => a.alert_id.slice(0, 2)),
    ['s5', 's1', 's4', 's2', 's3'],
  );
  // a status change through the API clears the remembered answers: its author sees it at once
  await insertRows(ch, table(db, 'alerts'), [alertToRow(alert('cace', { tenant: 'cache' }))]);
  const before = await call('GET', '/api/v1/alerts?tenant=cache', VIEWER);
  assert.equal(before.body[0].status, 'open');
  const ack = await call('POST', `/api/v1/alerts/${before.body[0].alert_id}/ack`, RESPONDER, {});
  assert.equal(ack.status, 200, JSON.stringify(ack.body));
  const after = await call('GET', '/api/v1/alerts?tenant=cache', VIEWER);
  assert.equal(after.body[0].status, 'acknowledged');
});

test("annotations and the entity view show an alert's current status, not the detector's", async () => {
  const ann = await call(
    'GET',
    `/api/v1/annotations?from=${T0 - 86_400_000}&to=${T0 + 86_400_000}&tenant=shop`,
    VIEWER,
  );
  assert.equal(ann.status, 200, JSON.stringify(ann.body));
  const a1 = ann.body.find((x: { text: string }) => x.text.includes(A1));
  assert.ok(a1, 'A1 is annotated');
  assert.ok(a1.tags.includes('suppressed'), `tags ${a1.tags}`);
  const ent = await call('GET', '/api/v1/entities/client_ip/203.0.113.77?tenant=shop', VIEWER);
  assert.equal(ent.status, 200, JSON.stringify(ent.body));
  assert.equal(ent.body.alerts.find((x: Alert) => x.alert_id === A1).status, 'suppressed');
});
