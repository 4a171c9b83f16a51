// The investigation reads against the real ClickHouse server (18.16 here), through build() and
// app.inject(): access history by resource and by principal (exact rows, newest first, every row
// exactly once across cursor pages, range bounds, JSON/NDJSON/CSV), the accounting of disclosures,
// the entity view (baselines of the newest run, windows, alerts), the Grafana series, top entities
// and annotations, and the api_audit rows the audited reads leave.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { type ClickHouseClient, createClickHouse, insertRows, queryRows } from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import { accessEventToRow, alertToRow } from '#shared/clickhouse/rows.js';
import { sql, table } from '#shared/clickhouse/sql.js';
import { loadConfig } from '#shared/config.js';
import type { LeakwatchError } from '#shared/errors.js';
import { principalKey } from '#shared/principal.js';
import { build } from '../../services/api/app.js';
import { readRows, timeLimit } from '../../services/api/reads.js';
import { ACCESS_COLUMNS, type AccessRow } from '../../services/api/routes/access/index.js';
import { getServices, uniqueName } from '../support/services.js';

const db = uniqueName('api_access');
const TOKEN = 'viewer-token-for-the-access-test-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const T0 = Date.UTC(2024, 4, 1, 8); // Wednesday 2024-05-01 08:00 UTC
const HOUR = 3_600_000;
const DAY = 86_400_000;
const FROM = T0 - HOUR;
const TO = T0 + DAY;

const PRINCIPALS: Partial<AccessEvent>[] = [
  { user_id: 'alice', authenticated: true, client_ip: '10.0.0.1', session_hash: 'sess-a' },
  { user_id: 'bob', authenticated: true, client_ip: '10.0.0.2' },
  { api_key_id: 'k1', client_ip: '198.51.100.7', user_agent: '=cmd|evil' },
  { client_ip: '203.0.113.9', user_agent: 'curl, "quoted"\nline' },
  { db_user: 'wp', source_kind: 'db', http_method: null, db_operation: 'SELECT', client_ip: null },
];

/** 320 events: 5 principals in turn, 3 per 10-minute step (ties on ts), every 7th in tenant other. */
const EVENTS: AccessEvent[] = Array.from({ length: 320 }, (_, i) => {
  const kind = i % 4 === 0 ? 'patient' : i % 4 === 1 ? 'order' : i % 4 === 2 ? 'customer' : null;
  const id =
    kind === 'patient'
      ? `tok_mrn_${i % 3}aaaaaaaaaaaaaaa`
      : kind === 'order'
        ? `${1000 + (i % 10)}`
        : kind
          ? 'c-7'
          : null;
  return accessEventWith({
    event_id: `ev-${String(i).padStart(4, '0')}`,
    ts: T0 + Math.floor(i / 3) * 600_000,
    tenant: i % 7 === 6 ? 'other' : 'clinic',
    route: kind ? `/api/${kind}s/{id}` : '/',
    resource_kind: kind,
    resource_id: id,
    status: i % 10 === 9 ? 404 : 200,
    bytes_out: 100 + i,
    rows_out: i % 4 === 1 ? i % 5 : null,
    source: 'nginx',
    ...PRINCIPALS[i % 5],
  });
});

const ALERT_BASE: Alert = {
  alert_id: '',
  fingerprint: 'f',
  rule: 'egress',
  severity: 'high',
  entity: { type: 'user', value: 'alice' },
  tenant: 'clinic',
  first_seen: 0,
  last_seen: 0,
  status: 'open',
  title: 'Egress',
  explanation: {
    feature: 'bytes_out',
    observed: 10,
    baseline: null,
    score: 3.5,
    top_resources: [],
    sample_event_ids: [],
  },
  labels: { team: 'sec' },
};
const alert = (id: string, at: number, over: Partial<Alert> = {}): Alert => ({
  ...ALERT_BASE,
  alert_id: id,
  first_seen: at,
  last_seen: at + 5 * 60_000,
  title: `alert ${id}`,
  ...over,
});
const ALERTS: Alert[] = [
  alert('a1', T0 + 10 * 60_000),
  alert('a2', T0 + 70 * 60_000, { rule: 'sequential-enumeration' }),
  alert('a3', T0 + 75 * 60_000, { severity: 'critical' }),
  alert('a4', T0 + 80 * 60_000, { entity: { type: 'user', value: 'bob' } }),
  alert('a5', T0 + 90 * 60_000, { tenant: 'other' }),
];

let ch: ClickHouseClient;
let app: FastifyInstance;

before(async () => {
  const s = await getServices();
  const config = loadConfig({
    env: {
      CLICKHOUSE_URL: s.clickhouseUrl,
      CLICKHOUSE_DATABASE: db,
      LEAKWATCH_TENANT: 'clinic',
      API_TOKENS: `analyst:viewer:${createHash('sha256').update(TOKEN).digest('hex')}`,
    },
  });
  ch = createClickHouse(config);
  await migrate(ch, db);
  const rows = EVENTS.map(accessEventToRow);
  await insertRows(ch, table(db, 'access_events'), rows);
  // a replayed batch: tenant other's events again (readers must show each once)
  await insertRows(
    ch,
    table(db, 'access_events'),
    rows.filter((r) => r.tenant === 'other'),
  );
  await insertRows(
    ch,
    table(db, 'alerts'),
    ALERTS.map((a) => alertToRow(a)),
  );
  // the same alert a1 re-emitted with a later version: counted once
  await insertRows(ch, table(db, 'alerts'), [alertToRow(ALERTS[0]!, ALERTS[0]!.last_seen + 1)]);
  app = await build({ config, ch, log: pino({ level: 'silent' }) });
});

after(async () => {
  await app?.close();
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await ch?.close();
});

const get = (url: string) => app.inject({ method: 'GET', url, headers: AUTH });

/** What the API must answer: distinct events, newest first (ts, then event_id, descending). */
function expected(pred: (e: AccessEvent) => boolean, tenant = 'clinic'): string[] {
  return EVENTS.filter((e) => e.tenant === tenant && e.ts >= FROM && e.ts <= TO && pred(e))
    .sort((a, b) => b.ts - a.ts || (a.event_id < b.event_id ? 1 : -1))
    .map((e) => e.event_id);
}

/** Follows x-next-cursor to the end; returns every row in order and the page count. */
async function walk(url: string): Promise<{ rows: AccessRow[]; pages: number }> {
  const rows: AccessRow[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const res = await get(cursor ? `${url}&cursor=${encodeURIComponent(cursor)}` : url);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { rows: AccessRow[]; next_cursor: string | null };
    pages++;
    rows.push(...body.rows);
    assert.equal(body.next_cursor ?? undefined, res.headers['x-next-cursor']);
    if (!body.next_cursor) return { rows, pages };
    cursor = body.next_cursor;
    assert.ok(pages < 200);
  }
}

const range = `from=${FROM}&to=${TO}`;

test('by principal: exact rows, newest first, principal fields; tenant defaults to LEAKWATCH_TENANT', async () => {
  const res = await get(`/api/v1/access?principal=user:alice&${range}&limit=1000`);
  assert.equal(res.statusCode, 200, res.body);
  const { rows, next_cursor } = res.json() as { rows: AccessRow[]; next_cursor: string | null };
  assert.equal(next_cursor, null);
  const want = expected((e) => e.user_id === 'alice');
  assert.ok(want.length > 40);
  assert.deepEqual(
    rows.map((r) => r.event_id),
    want,
  );
  const e = EVENTS.find((x) => x.event_id === rows[0]!.event_id)!;
  assert.deepEqual(rows[0], {
    ts: e.ts,
    event_id: e.event_id,
    tenant: 'clinic',
    principal: 'user:alice',
    client_ip: '10.0.0.1',
    user_id: 'alice',
    session_hash: 'sess-a',
    api_key_id: null,
    db_user: null,
    user_agent: null,
    authenticated: true,
    emergency_access: false,
    route: e.route,
    http_method: 'GET',
    db_operation: null,
    status: e.status,
    bytes_out: e.bytes_out,
    rows_out: e.rows_out,
    source: 'nginx',
    source_kind: 'web',
    resource_kind: e.resource_kind,
    resource_id: e.resource_id,
  });
  // the other tenant, whose events were inserted twice: each once
  const other = await get(`/api/v1/access?principal=user:alice&tenant=other&${range}&limit=1000`);
  assert.deepEqual(
    (other.json() as { rows: AccessRow[] }).rows.map((r) => r.event_id),
    expected((x) => x.user_id === 'alice', 'other'),
  );
  // client_ip (ip) keys and db_user
  const ip = await get(`/api/v1/access?principal=client_ip:203.0.113.9&${range}&limit=1000`);
  assert.deepEqual(
    (ip.json() as { rows: AccessRow[] }).rows.map((r) => r.event_id),
    expected((x) => principalKey(x) === 'ip:203.0.113.9'),
  );
  const dbu = await get(`/api/v1/access?principal=db_user:wp&${range}&limit=1000`);
  const dbRows = (dbu.json() as { rows: AccessRow[] }).rows;
  assert.deepEqual(
    dbRows.map((r) => r.event_id),
    expected((x) => x.db_user === 'wp'),
  );
  assert.equal(dbRows[0]!.db_operation, 'SELECT');
  assert.equal(dbRows[0]!.source_kind, 'db');
  // the same bounds as ISO 8601 (what an analyst types): the same rows
  const iso = (ms: number) => new Date(ms).toISOString();
  const byIso = await get(`/api/v1/access?principal=user:alice&from=${iso(FROM)}&to=${iso(TO)}&limit=1000`);
  assert.equal(byIso.statusCode, 200, byIso.body);
  assert.deepEqual(
    (byIso.json() as { rows: AccessRow[] }).rows.map((r) => r.event_id),
    want,
  );
});

test('by resource (kind + id, a PHI token, or any kind): exact rows with the principal fields', async () => {
  const tok = 'tok_mrn_0aaaaaaaaaaaaaaa';
  const res = await get(`/api/v1/access?resource_kind=patient&resource_id=${tok}&${range}&limit=1000`);
  assert.equal(res.statusCode, 200, res.body);
  const rows = (res.json() as { rows: AccessRow[] }).rows;
  assert.deepEqual(
    rows.map((r) => r.event_id),
    expected((e) => e.resource_id === tok),
  );
  for (const r of rows) {
    const e = EVENTS.find((x) => x.event_id === r.event_id)!;
    assert.equal(r.principal, principalKey(e));
    assert.equal(r.user_id, e.user_id);
    assert.equal(r.api_key_id, e.api_key_id);
    assert.equal(r.client_ip, e.client_ip);
    assert.equal(r.user_agent, e.user_agent);
  }
  const order = await get(`/api/v1/access?resource_kind=order&resource_id=1001&${range}&limit=1000`);
  assert.deepEqual(
    (order.json() as { rows: AccessRow[] }).rows.map((r) => r.event_id),
    expected((e) => e.resource_kind === 'order' && e.resource_id === '1001'),
  );
  const anyKind = await get(`/api/v1/access?resource_id=c-7&${range}&limit=1000`);
  assert.deepEqual(
    (anyKind.json() as { rows: AccessRow[] }).rows.map((r) => r.event_id),
    expected((e) => e.resource_id === 'c-7'),
  );
  const none = await get(
    `/api/v1/access?resource_kind=order&resource_id=${encodeURIComponent("1' OR '1'='1")}&${range}`,
  );
  assert.deepEqual(none.json(), { rows: [], next_cursor: null });
});

test('cursor pages visit every row exactly once, newest first, by principal and by resource', async () => {
  for (const [url, want] of [
    [`/api/v1/access?principal=user:bob&${range}&limit=7`, expected((e) => e.user_id === 'bob')],
    [
      `/api/v1/access?resource_id=c-7&resource_kind=customer&${range}&limit=5`,
      expected((e) => e.resource_id === 'c-7'),
    ],
  ] as const) {
    const { rows, pages } = await walk(url);
    assert.deepEqual(
      rows.map((r) => r.event_id),
      want,
      url,
    );
    assert.equal(pages, Math.ceil(want.length / Number(/limit=(\d+)/.exec(url)![1])), url);
  }
});

test('range and parameter errors are 400 with a message', async () => {
  const cases: [string, RegExp][] = [
    [
      `/api/v1/access?principal=user:alice&from=0&to=${32 * DAY}`,
      /time range too large: 32\.0 days; at most 31/,
    ],
    ['/api/v1/access?principal=user:alice', /from/],
    [`/api/v1/access?principal=user:alice&from=${TO}&to=${FROM}`, /from .* must be <= to/],
    [`/api/v1/access?${range}`, /either resource_id .* or principal/],
    [`/api/v1/access?principal=user:alice&resource_id=1&${range}`, /either resource_id/],
    [`/api/v1/access?principal=root:x&${range}`, /principal/],
    [
      `/api/v1/access?principal=user:alice&cursor=not-a-cursor&${range}`,
      /cursor is not one this API returned/,
    ],
    [`/api/v1/access?principal=user:alice&limit=1001&${range}`, /limit/],
    [`/api/v1/access?principal=user:alice&format=xml&${range}`, /format/],
  ];
  for (const [url, msg] of cases) {
    const res = await get(url);
    assert.equal(res.statusCode, 400, url);
    assert.equal(res.json().error, 'LW_ERR_API_BAD_REQUEST', url);
    assert.match(res.json().message, msg, url);
  }
  const anon = await app.inject({ method: 'GET', url: `/api/v1/access?principal=user:alice&${range}` });
  assert.equal(anon.statusCode, 401);
});

test('NDJSON and CSV: the same rows, a header row, proper quoting, the cursor in x-next-cursor', async () => {
  const base = `/api/v1/access?principal=client_ip:203.0.113.9&${range}&limit=10`;
  const json = (await get(base)).json() as { rows: AccessRow[]; next_cursor: string };
  const nd = await get(`${base}&format=ndjson`);
  assert.equal(nd.statusCode, 200);
  assert.match(String(nd.headers['content-type']), /^application\/x-ndjson/);
  assert.equal(nd.headers['x-next-cursor'], json.next_cursor);
  assert.deepEqual(
    nd.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l)),
    json.rows,
  );
  const csv = await get(`${base}&format=csv`);
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.equal(csv.headers['x-next-cursor'], json.next_cursor);
  const lines = csv.body.split('\r\n');
  assert.equal(lines[0], ACCESS_COLUMNS.join(','));
  assert.equal(lines.at(-1), '');
  // the user agent holds a comma, quotes and a newline: one quoted field
  assert.ok(csv.body.includes('"curl, ""quoted""\nline"'));
  assert.equal(csv.body.split('"curl, ""quoted""\nline"').length - 1, 10);
  const k1 = await get(`/api/v1/access?principal=api_key:k1&${range}&limit=1&format=csv`);
  assert.ok(k1.body.includes(",'=cmd|evil,"), 'a formula-like cell is neutralised');
});

test('accounting of disclosures: every principal served the subject a record, 2xx only, JSON and CSV', async () => {
  const tok = 'tok_mrn_0aaaaaaaaaaaaaaa';
  const res = await get(`/api/v1/subjects/${tok}/accounting?${range}`);
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  const served = EVENTS.filter((e) => e.tenant === 'clinic' && e.resource_id === tok && e.status === 200);
  const byP = new Map<string, AccessEvent[]>();
  for (const e of served) byP.set(principalKey(e), [...(byP.get(principalKey(e)) ?? []), e]);
  const want = [...byP.entries()]
    .map(([p, es]) => ({
      principal: p,
      first_access: Math.min(...es.map((e) => e.ts)),
      last_access: Math.max(...es.map((e) => e.ts)),
      requests: es.length,
      bytes_out: es.reduce((s, e) => s + e.bytes_out, 0),
    }))
    .sort((a, b) => a.first_access - b.first_access || (a.principal < b.principal ? -1 : 1));
  assert.ok(want.length >= 3);
  assert.equal(body.subject, tok);
  assert.equal(body.tenant, 'clinic');
  assert.deepEqual(body.kinds, ['patient', 'customer', 'user']);
  assert.deepEqual(
    body.principals.map((p: Record<string, unknown>) => ({
      principal: p['principal'],
      first_access: p['first_access'],
      last_access: p['last_access'],
      requests: p['requests'],
      bytes_out: p['bytes_out'],
    })),
    want,
  );
  const alice = body.principals.find((p: { principal: string }) => p.principal === 'user:alice');
  assert.deepEqual(alice && [alice.principal_type, alice.principal_value, alice.routes, alice.methods], [
    'user',
    'alice',
    ['/api/patients/{id}'],
    ['GET'],
  ]);
  // a kind that is not the subject's: nothing
  const orders = await get(`/api/v1/subjects/${tok}/accounting?${range}&kind=order,customer`);
  assert.deepEqual(orders.json().principals, []);
  const csv = await get(`/api/v1/subjects/${tok}/accounting?${range}&format=csv`);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.body.trimEnd().split('\r\n');
  assert.equal(
    lines[0],
    'principal,principal_type,principal_value,first_access,last_access,requests,bytes_out,rows_out,routes,methods,resource_kinds',
  );
  assert.equal(lines.length, want.length + 1);
  const tooLong = await get(`/api/v1/subjects/${tok}/accounting?from=0&to=${40 * DAY}`);
  assert.equal(tooLong.statusCode, 400);
});

test('entity view: baselines of the newest run, windows, alerts newest first, incidents', async () => {
  const baseline = (o: Record<string, unknown>) => ({
    hour_of_week: -1,
    tenant: 'clinic',
    scope: 'entity',
    peer_class: '',
    entity_type: 'user',
    entity_value: 'alice',
    feature: 'bytes_out',
    median: 100,
    mad: 10,
    p95: 200,
    n: 20,
    window_ms: 600_000,
    computed_at: Math.floor(T0 / 1000),
    version: 5000,
    ...o,
  });
  await insertRows(ch, table(db, 'baselines'), [
    baseline({ hour_of_week: 58 }),
    baseline({ feature: 'events', median: 3, n: 5 }), // below BASELINES_MIN_HISTORY (12)
    baseline({ hour_of_week: 59, version: 4000 }), // an older run's row
    baseline({ scope: 'peer', peer_class: 'patient', entity_type: '', entity_value: '', n: 30 }),
    baseline({ scope: 'peer', peer_class: 'export', entity_type: '', entity_value: '', n: 30 }),
    baseline({ scope: 'global', entity_type: '', entity_value: '', n: 40, median: 50 }),
    baseline({ scope: 'global', tenant: 'other', entity_type: '', entity_value: '', n: 40 }),
  ]);
  await insertRows(ch, table(db, 'baseline_runs'), [
    {
      version: 5000,
      window_ms: 600_000,
      started_at: 0,
      finished_at: 0,
      data_from: 0,
      data_to: 0,
      entities: 1,
      windows: 1,
      dirty_windows: 0,
      rows: 7,
    },
  ]);
  const res = await get(`/api/v1/entities/user/alice?to=${TO}&hours=24`);
  assert.equal(res.statusCode, 200, res.body);
  const v = res.json();
  assert.deepEqual(v.entity, { type: 'user', value: 'alice' });
  assert.equal(v.baselines.run, 5000);
  assert.deepEqual(v.baselines.entity, [
    { hour_of_week: 58, feature: 'bytes_out', median: 100, mad: 10, p95: 200, n: 20 },
  ]);
  assert.deepEqual(v.baselines.peer, [
    { peer_class: 'patient', feature: 'bytes_out', median: 100, mad: 10, p95: 200, n: 30 },
  ]);
  assert.deepEqual(v.baselines.global, [{ feature: 'bytes_out', median: 50, mad: 10, p95: 200, n: 40 }]);
  // windows: alice's clinic events per 5-minute bucket and route class
  const mine = EVENTS.filter((e) => e.tenant === 'clinic' && e.user_id === 'alice');
  assert.equal(
    v.windows.reduce((s: number, w: { requests: number }) => s + w.requests, 0),
    mine.length,
  );
  assert.equal(
    v.windows.reduce((s: number, w: { bytes_out: number }) => s + w.bytes_out, 0),
    mine.reduce((s, e) => s + e.bytes_out, 0),
  );
  assert.ok(v.windows.every((w: { double_counted: boolean }) => !w.double_counted));
  assert.ok(v.windows[0].bucket >= v.windows.at(-1).bucket);
  assert.deepEqual(
    v.alerts.map((a: Alert) => a.alert_id),
    ['a3', 'a2', 'a1'],
  );
  assert.deepEqual(v.alerts[0].labels, { team: 'sec' });
  assert.deepEqual(v.incidents, []);
  // the replayed tenant's windows say they were counted twice
  const other = (await get(`/api/v1/entities/user/alice?tenant=other&to=${TO}`)).json();
  assert.ok(
    other.windows.length > 0 && other.windows.every((w: { double_counted: boolean }) => w.double_counted),
  );
  // a route entity has alerts but no windows; an unknown type is a 400
  assert.deepEqual((await get('/api/v1/entities/route/x')).json().windows, []);
  assert.equal((await get('/api/v1/entities/printer/x')).statusCode, 400);
  assert.equal((await get(`/api/v1/entities/user/alice?hours=169`)).statusCode, 400);
});

test('Grafana: alert counts per bucket, top entities by egress, annotations', async () => {
  const series = await get(`/api/v1/series/alerts?from=${T0}&to=${T0 + 6 * HOUR}&interval=1h`);
  assert.equal(series.statusCode, 200, series.body);
  assert.deepEqual(series.json(), [
    { time: T0, rule: 'egress', severity: 'high', count: 1 },
    { time: T0 + HOUR, rule: 'egress', severity: 'critical', count: 1 },
    { time: T0 + HOUR, rule: 'egress', severity: 'high', count: 2 },
    { time: T0 + HOUR, rule: 'sequential-enumeration', severity: 'high', count: 1 },
  ]);
  const clinicHigh = await get(
    `/api/v1/series/alerts?from=${T0}&to=${T0 + 6 * HOUR}&interval=3600000&tenant=clinic&severity=high&rule=egress`,
  );
  assert.deepEqual(clinicHigh.json(), [
    { time: T0, rule: 'egress', severity: 'high', count: 1 },
    { time: T0 + HOUR, rule: 'egress', severity: 'high', count: 1 },
  ]);
  const tooMany = await get(`/api/v1/series/alerts?from=${T0}&to=${T0 + 30 * DAY}&interval=1m`);
  assert.equal(tooMany.statusCode, 400);
  assert.match(tooMany.json().message, /at most 2000/);

  const top = await get(`/api/v1/series/top-entities?${range}&tenant=clinic&limit=3`);
  assert.equal(top.statusCode, 200, top.body);
  const sums = new Map<string, { bytes_out: number; requests: number; rows_out: number }>();
  for (const e of EVENTS.filter((x) => x.tenant === 'clinic')) {
    const s = sums.get(principalKey(e)) ?? { bytes_out: 0, requests: 0, rows_out: 0 };
    s.bytes_out += e.bytes_out;
    s.requests++;
    s.rows_out += e.rows_out ?? 0;
    sums.set(principalKey(e), s);
  }
  const want = [...sums.entries()]
    .sort((a, b) => b[1].bytes_out - a[1].bytes_out)
    .slice(0, 3)
    .map(([p, s]) => {
      const i = p.indexOf(':');
      const t = p.slice(0, i);
      return {
        entity_type: t === 'ip' ? 'client_ip' : t,
        entity_value: p.slice(i + 1),
        tenant: 'clinic',
        ...s,
      };
    });
  assert.deepEqual(top.json(), want);

  const ann = await get(`/api/v1/annotations?from=${T0}&to=${T0 + 6 * HOUR}&tenant=clinic`);
  assert.equal(ann.statusCode, 200, ann.body);
  const a = ann.json();
  assert.deepEqual(
    a.map((x: { title: string }) => x.title),
    ['alert a4', 'alert a3', 'alert a2', 'alert a1'],
  );
  assert.deepEqual(a[3], {
    time: ALERTS[0]!.first_seen,
    timeEnd: ALERTS[0]!.last_seen,
    title: 'alert a1',
    text: 'high egress on user:alice (score 3.50, open, alert a1)',
    tags: ['egress', 'high', 'open', 'tenant:clinic'],
  });
});

test('audited reads are rows in api_audit: who, route, parameters, rows returned', async () => {
  const marker = 'tok_mrn_1aaaaaaaaaaaaaaa';
  const res = await get(`/api/v1/access?resource_kind=patient&resource_id=${marker}&${range}&limit=1000`);
  const n = (res.json() as { rows: unknown[] }).rows.length;
  assert.ok(n > 0);
  await get(`/api/v1/subjects/${marker}/accounting?${range}`);
  await get(`/api/v1/series/alerts?from=${T0}&to=${T0 + HOUR}`); // not audited
  const rows = await queryRows<{
    route: string;
    token_id: string;
    role: string;
    query: string;
    rows: string;
    status: number;
  }>(
    ch,
    sql`SELECT route, token_id, role, query, rows, status FROM ${table(db, 'api_audit')} WHERE position(query, ${marker}) > 0 ORDER BY route`,
  );
  const tokenId = createHash('sha256').update(TOKEN).digest('hex').slice(0, 12);
  assert.deepEqual(
    rows.map((r) => [r.route, r.token_id, r.role, r.status]),
    [
      ['/api/v1/access', tokenId, 'viewer', 200],
      ['/api/v1/subjects/:token/accounting', tokenId, 'viewer', 200],
    ],
  );
  assert.equal(Number(rows[0]!.rows), n);
  assert.equal(JSON.parse(rows[0]!.query).query.resource_id, marker);
  const routes = await queryRows<{ route: string }>(
    ch,
    sql`SELECT DISTINCT route FROM ${table(db, 'api_audit')} ORDER BY route`,
  );
  assert.deepEqual(
    routes.map((r) => r.route),
    ['/api/v1/access', '/api/v1/entities/:type/:value', '/api/v1/subjects/:token/accounting'],
  );
});

test('a query over API_QUERY_TIMEOUT_S is stopped by ClickHouse and answers 503, not 500', async () => {
  const slow = sql`SELECT sleepEachRow(0.5) FROM numbers(4) ${timeLimit(1)}`;
  await assert.rejects(readRows(ch, slow), (err: LeakwatchError) => {
    assert.equal(err.code, 'LW_ERR_CLICKHOUSE_UNAVAILABLE');
    assert.equal(err.statusCode, 503);
    assert.match(err.message, /API_QUERY_TIMEOUT_S/); // the API's limit is named, from the server's code
    assert.equal(err.details?.['clickhouseCode'], 159);
    return true;
  });
});
