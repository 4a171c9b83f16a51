// Incidents end to end on real Kafka and ClickHouse: Alert messages on a fresh alerts topic, the
// grouper running as a real process (`leakwatch incidents`), the API built in-process on the same
// database. Proves: one incident per actor (a re-emission updates, an alert after the gap opens a
// second one, a route actor groups apart), deterministic ids that survive a full replay without
// duplicates, the clock and deadlines, the exact affected sets (disclosed / denied, records,
// subjects) and CSV, the notice's counts, status / owner / timeline / StatusChange messages, and a
// person's grouping by hand and merge, which the grouper honours afterwards.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import { alertCodec, statusChangeCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import type { StatusChange } from '#shared/avro/generated/status-change.js';
import { type ClickHouseClient, createClickHouse, insertRows, queryRows } from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import { accessEventToRow, alertToRow } from '#shared/clickhouse/rows.js';
import { sql, table } from '#shared/clickhouse/sql.js';
import { type Config, loadConfig } from '#shared/config.js';
import { alertRisk, type IncidentRow, incidentIdOf, nextVersion } from '#shared/incidents/model.js';
import { loadIncidents, writeIncidentState } from '#shared/incidents/store.js';
import { createLogger } from '#shared/log.js';
import { build } from '../../services/api/app.js';
import { kafkaStatusPublisher, type StatusPublisher } from '../../services/api/status-publisher.js';
import { alertWith } from '../../services/incidents/testing.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, type TestServices, uniqueName, waitFor } from '../support/services.js';
import { createTopics, streamEnv, streamTopics, testKafka, waitCaughtUp } from '../support/streams.js';
import { readTopic } from '../support/topic-reader.js';

const M = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const TENANT = 'shop';
const IP_A = '203.0.113.9';
const ORDERS = '/wp-json/wc/v3/orders/{id}';
const CUSTOMERS = '/wp-json/wc/v3/customers/{id}';
const hex = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
const RESPONDER = 'responder-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

const ID = { a1: hex('a1'), a2: hex('a2'), a3: hex('a3'), b1: hex('b1'), r1: hex('r1') };
const ipActor = { entity: { type: 'client_ip', value: IP_A } };
const a1 = alertWith({
  ...ipActor,
  alert_id: ID.a1,
  first_seen: T0 + 10 * M,
  last_seen: T0 + 12 * M,
  score: 2,
});
const a1Grown = alertWith({
  ...ipActor,
  alert_id: ID.a1,
  first_seen: T0 + 10 * M,
  last_seen: T0 + 18 * M,
  severity: 'critical',
  score: 4,
});
const a2 = alertWith({
  ...ipActor,
  alert_id: ID.a2,
  rule: 'egress',
  severity: 'medium',
  first_seen: T0 + 60 * M,
  last_seen: T0 + 65 * M,
  score: 1,
});
// after the 24 h gap: a second incident of the same actor
const a3 = alertWith({
  ...ipActor,
  alert_id: ID.a3,
  first_seen: T0 + 30 * H,
  last_seen: T0 + 30 * H + M,
  score: 1,
});
const b1 = alertWith({
  alert_id: ID.b1,
  rule: 'break-glass',
  entity: { type: 'user', value: 'u-42' },
  first_seen: T0 + 5 * M,
  last_seen: T0 + 6 * M,
  score: 1,
});
const r1 = alertWith({
  alert_id: ID.r1,
  rule: 'distributed-enumeration',
  entity: { type: 'route', value: CUSTOMERS },
  labels: { route: CUSTOMERS, resource_kind: 'customer' },
  first_seen: T0 + 20 * M,
  last_seen: T0 + 40 * M,
  score: 1,
});

const INC = {
  A1: incidentIdOf(TENANT, `client_ip:${IP_A}`, ID.a1),
  A2: incidentIdOf(TENANT, `client_ip:${IP_A}`, ID.a3),
  B: incidentIdOf(TENANT, 'user:u-42', ID.b1),
  R: incidentIdOf(TENANT, `route:${CUSTOMERS}`, ID.r1),
};

function ev(id: string, ts: number, f: Partial<AccessEvent>): AccessEvent {
  return accessEventWith({ event_id: hex(id), ts, tenant: TENANT, bytes_out: 1000, ...f });
}

/** The access history: what actor A, B and the route walk were served, and noise that must not count. */
function accessEvents(): AccessEvent[] {
  const a = { client_ip: IP_A, route: ORDERS, resource_kind: 'order' } as const;
  const out: AccessEvent[] = [];
  for (let i = 0; i < 20; i++)
    out.push(ev(`a-ok-${i}`, T0 + 9 * M + i * 5000, { ...a, resource_id: String(1000 + i) }));
  out.push(ev('a-again', T0 + 12 * M, { ...a, resource_id: '1000' })); // second read of order 1000
  out.push(ev('a-ok-1', T0 + 9 * M + 5000, { ...a, resource_id: '1001' })); // a replayed row: counts once
  for (let i = 0; i < 5; i++)
    out.push(ev(`a-404-${i}`, T0 + 11 * M, { ...a, resource_id: String(1020 + i), status: 404 }));
  for (const p of ['tok_p1', 'tok_p2'])
    out.push(
      ev(`a-${p}`, T0 + 30 * M, {
        client_ip: IP_A,
        route: '/patients/{id}',
        resource_kind: 'patient',
        resource_id: p,
      }),
    );
  // a bulk pull (a list page: no record id) and a refused one
  const list = { client_ip: IP_A, route: '/wp-json/wc/v3/orders', resource_kind: 'order', bytes_out: 50_000 };
  out.push(ev('a-list', T0 + 60 * M, { ...list, rows_out: 100 }));
  out.push(ev('a-list-403', T0 + 61 * M, { ...list, status: 403 }));
  // PHI in the URL of two searches (any answer counts: the URL is in the logs either way), one replayed
  const search = { client_ip: IP_A, route: '/search', resource_kind: null, resource_id: null };
  out.push(
    ev('a-phi-1', T0 + 40 * M, { ...search, status: 404, findings: ['phi_in_url:ssn', 'phi_in_url:email'] }),
  );
  out.push(
    ev('a-phi-1', T0 + 40 * M, { ...search, status: 404, findings: ['phi_in_url:ssn', 'phi_in_url:email'] }),
  );
  out.push(ev('a-phi-2', T0 + 41 * M, { ...search, status: 302, findings: ['phi_in_url:ssn'] }));
  out.push(ev('a-early', T0 + 10 * M - 6 * H - M, { ...a, resource_id: '999' })); // before the lookback
  out.push(ev('a-late', T0 + 76 * M, { ...a, resource_id: '3000' })); // after last_seen + window
  out.push(ev('a-500', T0 + 20 * M, { ...a, resource_id: '1500', status: 500 })); // served nothing
  out.push(ev('other', T0 + 10 * M, { ...a, client_ip: '198.51.100.1', resource_id: '1000' })); // someone else
  const b = {
    user_id: 'u-42',
    client_ip: '192.0.2.50',
    authenticated: true,
    route: CUSTOMERS,
    resource_kind: 'customer',
  };
  // a break-glass actor: what it read under emergency access counts, its ordinary reads do not
  for (const c of ['501', '502', '503'])
    out.push(ev(`b-${c}`, T0 + 6 * M, { ...b, resource_id: c, emergency_access: true }));
  out.push(ev('b-ordinary', T0 + 7 * M, { ...b, resource_id: '504' }));
  for (let i = 0; i < 30; i++)
    out.push(
      ev(`r-${i}`, T0 + 20 * M + i * 30_000, {
        client_ip: `198.51.100.${10 + (i % 10)}`,
        route: CUSTOMERS,
        resource_kind: 'customer',
        resource_id: String(7000 + i),
      }),
    );
  for (let i = 0; i < 2; i++)
    out.push(
      ev(`r-403-${i}`, T0 + 25 * M, {
        client_ip: '198.51.100.99',
        route: CUSTOMERS,
        resource_kind: 'customer',
        resource_id: String(7100 + i),
        status: 403,
      }),
    );
  return out;
}

let svc: TestServices;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let ch: ClickHouseClient;
let api: FastifyInstance;
let publisher: StatusPublisher;
let env: Record<string, string>;
let config: Readonly<Config>;
const procs: ServiceProcess[] = [];
let groupedBeforeReplay = 0;

async function produce(alerts: Alert[]): Promise<void> {
  const codec = alertCodec();
  await producer.send({
    topic: env['LEAKWATCH_TOPIC_ALERTS']!,
    acks: -1,
    messages: alerts.map((a) => ({ key: a.fingerprint, value: codec.encode(a) })),
  });
}

async function grouper(name: string): Promise<ServiceProcess> {
  const p = startService(name, ['incidents'], { ...env, INCIDENTS_HTTP_PORT: String(await freePort()) });
  procs.push(p);
  return p;
}

async function caughtUp(): Promise<void> {
  await waitCaughtUp(admin, env['INCIDENTS_GROUP_ID']!, [env['LEAKWATCH_TOPIC_ALERTS']!], 60_000);
}

async function call(method: 'GET' | 'POST', url: string, body?: object, token = RESPONDER) {
  const res = await api.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body !== undefined && { payload: body }),
  });
  return {
    status: res.statusCode,
    body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body,
    res,
  };
}

async function statusChanges(): Promise<StatusChange[]> {
  const codec = statusChangeCodec();
  return (await readTopic(svc.kafkaBrokers, env['LEAKWATCH_TOPIC_STATUS']!)).map((m) =>
    codec.decode(m.value),
  );
}

before(async () => {
  svc = await getServices();
  kafka = testKafka(svc.kafkaBrokers);
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await admin.connect();
  await producer.connect();
  const streams = streamEnv('incidents', 3);
  env = {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: svc.clickhouseUrl,
    CLICKHOUSE_DATABASE: uniqueName('incidents'),
    ...streams,
    INCIDENTS_GROUP_ID: `${streams['DETECTOR_GROUP_ID']!.replace(/-detector$/, '')}-incidents`,
    // a deadline that passes within a second, to see overdue, and the 72 hours
    INCIDENTS_DEADLINES: 'fast:0.0002,72h:72',
  };
  await createTopics(admin, streamTopics(env), 3);
  config = loadConfig({
    env: { ...env, API_TOKENS: `resp:responder:${sha(RESPONDER)},view:viewer:${sha(VIEWER)}` },
  });
  ch = createClickHouse(config);
  await migrate(ch, config.clickhouse.database);
  await insertRows(
    ch,
    table(config.clickhouse.database, 'access_events'),
    accessEvents().map(accessEventToRow),
  );
  publisher = kafkaStatusPublisher(config, 'lw-test-api');
  api = await build({ config, ch, log: createLogger('api-test', 'silent'), status: publisher });
});

after(async () => {
  for (const p of procs) await p.stop();
  await api?.close();
  await publisher?.close();
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
  await ch?.close();
  await producer?.disconnect();
  await admin?.disconnect();
});

describe('incidents on real Kafka and ClickHouse', { timeout: 240_000 }, () => {
  it('groups alerts into one incident per actor, with deterministic ids', async () => {
    // a1 and a2 are keyed by fingerprint (rule + entity), so they may sit on different partitions,
    // whose batches come in any order: a2 is produced once a1 is grouped, so a1 opens the incident.
    await produce([b1, a1, a1Grown, r1]);
    await grouper('incidents-1');
    await caughtUp();
    await produce([a2]);
    await caughtUp();
    const { status, body } = await call('GET', '/api/v1/incidents', undefined, VIEWER);
    assert.equal(status, 200);
    const ids = body.incidents.map((i: { incident_id: string }) => i.incident_id).sort();
    assert.deepEqual(ids, [INC.A1, INC.B, INC.R].sort());

    const a = await call('GET', `/api/v1/incidents/${INC.A1}`, undefined, VIEWER);
    assert.equal(a.status, 200);
    assert.deepEqual([...a.body.alert_ids].sort(), [ID.a1, ID.a2].sort());
    assert.equal(a.body.alert_count, 2);
    assert.equal(a.body.severity, 'critical', 'the re-emission raised it');
    assert.equal(a.body.last_seen, T0 + 65 * M);
    assert.equal(a.body.first_seen, T0 + 10 * M);
    assert.deepEqual(a.body.rules, ['egress', 'sequential-enumeration']);
    assert.equal(
      a.body.risk_score,
      Math.round((alertRisk('critical', 4) + alertRisk('medium', 1)) * 100) / 100,
    );
    assert.deepEqual(a.body.entities, [{ type: 'client_ip', value: IP_A }]);
    assert.equal(a.body.status, 'open');
    assert.equal(a.body.discovered_at, a.body.opened_at);
    assert.equal(a.body.confirmed_at, null);
    assert.ok(Math.abs(a.body.opened_at - Date.now()) < 120_000, 'opened at wall-clock time');
    assert.equal(a.body.affected_count, 22);
    assert.deepEqual(
      a.body.timeline.map((e: { action: string }) => e.action),
      ['open', 'join'],
    );

    const r = await call('GET', `/api/v1/incidents/${INC.R}`, undefined, VIEWER);
    assert.deepEqual(r.body.actor, { type: 'route', value: CUSTOMERS });
    assert.deepEqual(r.body.alert_ids, [ID.r1]);

    const grouped = (await statusChanges()).filter((c) => c.kind === 'incident' && c.actor === 'incidents');
    assert.deepEqual(
      grouped
        .filter((c) => c.action === 'open')
        .map((c) => c.object_id)
        .sort(),
      [INC.A1, INC.B, INC.R].sort(),
    );
    const ofA = grouped.filter((c) => c.object_id === INC.A1);
    assert.deepEqual(
      ofA.map((c) => `${c.action}:${c.alert_ids.join(',')}`),
      [`open:${ID.a1}`, `join:${ID.a2}`],
      'each alert announced once; the re-emission not at all',
    );
    assert.ok(ofA.every((c) => c.incident_id === INC.A1 && c.kind === 'incident'));
    groupedBeforeReplay = grouped.length;
  });

  it('a full replay after a restart rebuilds the same incidents, without duplicates or new pages', async () => {
    const first = procs.pop()!;
    assert.equal(await first.stop(), 0, first.logs());
    await admin.resetOffsets({
      groupId: env['INCIDENTS_GROUP_ID']!,
      topic: env['LEAKWATCH_TOPIC_ALERTS']!,
      earliest: true,
    });
    const again = await grouper('incidents-2');
    await caughtUp();
    assert.match(again.logs(), /incidents started/);
    const list = await call('GET', '/api/v1/incidents', undefined, VIEWER);
    assert.deepEqual(
      list.body.incidents
        .map((i: { incident_id: string; alert_count: number }) => `${i.incident_id}:${i.alert_count}`)
        .sort(),
      [`${INC.A1}:2`, `${INC.B}:1`, `${INC.R}:1`].sort(),
    );
    const db = config.clickhouse.database;
    const members = await queryRows<{ alert_id: string; n: string }>(
      ch,
      sql`SELECT alert_id, count() AS n FROM ${table(db, 'incident_alerts')} FINAL GROUP BY alert_id ORDER BY alert_id`,
    );
    assert.equal(members.length, 4);
    assert.ok(
      members.every((m) => m.n === '1'),
      JSON.stringify(members),
    );
    const openEvents = await queryRows<{ n: string }>(
      ch,
      sql`SELECT count() AS n FROM ${table(db, 'incident_events')} WHERE action = 'open'`,
    );
    assert.equal(openEvents[0]!.n, '3');
    const grouped = (await statusChanges()).filter((c) => c.actor === 'incidents');
    assert.equal(grouped.length, groupedBeforeReplay, 'a replayed alert announces nothing');
  });

  it('an alert after the grouping gap opens a second incident of the actor', async () => {
    await produce([a3]);
    await caughtUp();
    const list = await call('GET', `/api/v1/incidents?entity=client_ip:${IP_A}`, undefined, VIEWER);
    assert.deepEqual(
      list.body.incidents.map((i: { incident_id: string }) => i.incident_id),
      [INC.A2, INC.A1],
      'newest last_seen first',
    );
    // paging: one per page, then the next
    const p1 = await call('GET', `/api/v1/incidents?entity=client_ip:${IP_A}&limit=1`, undefined, VIEWER);
    assert.equal(p1.body.incidents[0].incident_id, INC.A2);
    const p2 = await call(
      'GET',
      `/api/v1/incidents?entity=client_ip:${IP_A}&limit=1&cursor=${p1.body.next_cursor}`,
      undefined,
      VIEWER,
    );
    assert.equal(p2.body.incidents[0].incident_id, INC.A1);
    assert.equal(p2.body.next_cursor, null);
    const filtered = await call(
      'GET',
      `/api/v1/incidents?severity=critical&from=${T0}&to=${T0 + 2 * H}`,
      undefined,
      VIEWER,
    );
    assert.deepEqual(
      filtered.body.incidents.map((i: { incident_id: string }) => i.incident_id),
      [INC.A1],
    );
  });

  it('affected records: exact disclosed and denied sets, records, subjects, CSV, notice', async () => {
    const res = await call('GET', `/api/v1/incidents/${INC.A1}/affected`, undefined, VIEWER);
    assert.equal(res.status, 200);
    const body = res.body;
    const key = (r: { resource_kind: string; resource_id: string }) => `${r.resource_kind}:${r.resource_id}`;
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => `order:${1000 + i}`),
      'patient:tok_p1',
      'patient:tok_p2',
    ].sort();
    assert.deepEqual(body.disclosed.map(key).sort(), expected);
    assert.ok(body.disclosed.every((r: { principal: string }) => r.principal === `ip:${IP_A}`));
    assert.deepEqual(
      body.denied.map(key).sort(),
      Array.from({ length: 5 }, (_, i) => `order:${1020 + i}`).sort(),
    );
    assert.equal(body.records, 22);
    assert.equal(body.subjects, 2);
    assert.deepEqual(body.kinds, ['order', 'patient']);
    assert.deepEqual(
      body.bulk.map((b: { route: string; requests: number; rows: number; bytes: number }) => [
        b.route,
        b.requests,
        b.rows,
        b.bytes,
      ]),
      [['/wp-json/wc/v3/orders', 1, 100, 50_000]],
      'the list page, not the refused one',
    );
    assert.deepEqual(
      body.phi_in_urls.map((p: { kind: string; requests: number; principals: number }) => [
        p.kind,
        p.requests,
        p.principals,
      ]),
      [
        ['email', 1, 1],
        ['ssn', 2, 1],
      ],
      'each request once, replays collapsed',
    );
    const o1000 = body.disclosed.find((r: { resource_id: string }) => r.resource_id === '1000');
    assert.equal(o1000.requests, 2);
    assert.equal(o1000.first_access, T0 + 9 * M);
    assert.equal(o1000.last_access, T0 + 12 * M);
    assert.equal(o1000.bytes, 2000);
    assert.equal(body.disclosed.find((r: { resource_id: string }) => r.resource_id === '1001').requests, 1);

    const b = await call('GET', `/api/v1/incidents/${INC.B}/affected`, undefined, VIEWER);
    // customer 504, read by the same user without break-glass, is not among them
    assert.deepEqual(b.body.disclosed.map(key).sort(), ['customer:501', 'customer:502', 'customer:503']);
    assert.equal(b.body.subjects, 3);
    assert.deepEqual(b.body.denied, []);

    const r = await call('GET', `/api/v1/incidents/${INC.R}/affected`, undefined, VIEWER);
    assert.equal(r.body.records, 30);
    assert.equal(r.body.denied.length, 2);

    const csv = await call('GET', `/api/v1/incidents/${INC.A1}/affected?format=csv`, undefined, VIEWER);
    assert.equal(csv.status, 200);
    assert.match(String(csv.res.headers['content-type']), /text\/csv/);
    const lines = String(csv.body).trim().split('\r\n');
    assert.equal(
      lines[0],
      'resource_kind,resource_id,principal,first_access,last_access,requests,bytes,rows',
    );
    assert.equal(lines.length, 23);
    assert.ok(
      lines.includes(
        `order,1000,ip:${IP_A},${new Date(T0 + 9 * M).toISOString()},${new Date(T0 + 12 * M).toISOString()},2,2000,0`,
      ),
    );

    const notice = await call('GET', `/api/v1/incidents/${INC.A1}/notice`, undefined, VIEWER);
    assert.equal(notice.status, 200);
    assert.match(String(notice.res.headers['content-type']), /text\/markdown/);
    const text = String(notice.body);
    // 2 patients; the 20 orders concern people the logs do not name: "at least", never a bare 2
    assert.match(
      text,
      /Records disclosed: 22; individuals whose records were disclosed: at least 2 \(records of kind order do not name/,
    );
    assert.match(text, /Kinds of records: order, patient\./);
    assert.match(
      text,
      /request URLs .*: email in 1 request from 1 principal, ssn in 2 requests from 1 principal\./,
    );
    assert.match(text, /2 requests carried personal data in their URLs/);
    assert.match(text, /Requests refused \(not disclosed\): 5 records/);
    assert.match(text, /- 72h: due /);
    assert.match(
      text,
      /name no record \(list pages, exports\): 1 requests, 100 rows, 50000 bytes \(\/wp-json\/wc\/v3\/orders\)/,
    );
    assert.ok(text.includes(new Date(T0 + 10 * M).toISOString()), 'when it happened');
    assert.ok(!text.includes('{{'), 'every placeholder filled');

    const audited = await queryRows<{ n: string }>(
      ch,
      sql`SELECT count() AS n FROM ${table(config.clickhouse.database, 'api_audit')} WHERE route = '/api/v1/incidents/:id/affected'`,
    );
    assert.equal(audited[0]!.n, '4', 'every affected read is in the audit trail');
  });

  it('status, owner, the clock and the timeline; bad requests are refused', async () => {
    const start = (await call('GET', `/api/v1/incidents/${INC.A1}`, undefined, VIEWER)).body;
    const due72 = start.deadlines.find((d: { name: string }) => d.name === '72h');
    assert.equal(due72.due_at, start.discovered_at + 72 * H);
    assert.ok(due72.remaining_s > 71 * 3600 && !due72.overdue);

    await waitFor('the fast deadline passes', async () => Date.now() > start.discovered_at + 1000);
    const overdue = await call('GET', '/api/v1/incidents?overdue=true', undefined, VIEWER);
    assert.ok(overdue.body.incidents.some((i: { incident_id: string }) => i.incident_id === INC.A1));

    const inv = await call('POST', `/api/v1/incidents/${INC.A1}/status`, {
      status: 'investigating',
      note: 'looking',
    });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    assert.equal(inv.body.status, 'investigating');
    assert.ok(inv.body.confirmed_at >= start.opened_at);
    assert.equal(inv.body.discovered_at, start.discovered_at, 'confirmation does not move the clock');

    const bad = await call('POST', `/api/v1/incidents/${INC.A1}/status`, { status: 'open' });
    assert.equal(bad.status, 409);
    assert.equal(bad.body.error, 'LW_ERR_INCIDENT_BAD_TRANSITION');
    assert.equal((await call('POST', `/api/v1/incidents/${INC.A1}/status`, { status: 'bogus' })).status, 400);
    assert.equal(
      (await call('POST', `/api/v1/incidents/${'0'.repeat(32)}/status`, { status: 'closed' })).status,
      404,
    );
    assert.equal(
      (await call('POST', `/api/v1/incidents/${INC.A1}/status`, { status: 'closed' }, VIEWER)).status,
      403,
    );

    const own = await call('POST', `/api/v1/incidents/${INC.A1}/owner`, { owner: 'alice' });
    assert.equal(own.body.owner, 'alice');

    const notified = await call('POST', `/api/v1/incidents/${INC.A1}/status`, {
      status: 'notified',
      note: 'sent',
    });
    assert.equal(notified.body.status, 'notified');
    const fast = notified.body.deadlines.find((d: { name: string }) => d.name === 'fast');
    const h72 = notified.body.deadlines.find((d: { name: string }) => d.name === '72h');
    assert.equal(fast.overdue, true, 'notified after the fast deadline: late');
    assert.equal(h72.overdue, false);
    assert.equal(h72.stopped_at, notified.body.notified_at);
    const overdueNow = await call('GET', '/api/v1/incidents?overdue=true', undefined, VIEWER);
    assert.ok(!overdueNow.body.incidents.some((i: { incident_id: string }) => i.incident_id === INC.A1));
    assert.ok(overdueNow.body.incidents.some((i: { incident_id: string }) => i.incident_id === INC.B));
    const byStatus = await call('GET', '/api/v1/incidents?status=notified', undefined, VIEWER);
    assert.deepEqual(
      byStatus.body.incidents.map((i: { incident_id: string }) => i.incident_id),
      [INC.A1],
    );

    assert.deepEqual(
      notified.body.timeline.map(
        (e: { action: string; actor: string; status: string }) => `${e.action}:${e.actor}:${e.status}`,
      ),
      [
        'open:incidents:open',
        'join:incidents:open',
        'status:resp:investigating',
        'owner:resp:investigating',
        'status:resp:notified',
      ],
    );
    const changes = (await statusChanges()).filter((c) => c.object_id === INC.A1 && c.actor === 'resp');
    assert.deepEqual(
      changes.map((c) => `${c.action}:${c.status}`),
      ['status:investigating', 'owner:investigating', 'status:notified'],
    );
  });

  it('a person groups by hand and merges; the grouper keeps moved alerts where they were put', async () => {
    const made = await call('POST', '/api/v1/incidents', {
      alert_ids: [ID.a3, ID.b1],
      title: 'same crew',
      note: 'linked by hand',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const m = made.body;
    assert.deepEqual([...m.alert_ids].sort(), [ID.a3, ID.b1].sort());
    assert.equal(m.title, 'same crew');
    assert.equal(m.alert_count, 2);
    for (const left of [INC.A2, INC.B]) {
      const inc = (await call('GET', `/api/v1/incidents/${left}`, undefined, VIEWER)).body;
      assert.equal(inc.status, 'closed', `${left} emptied and closed`);
      assert.deepEqual(inc.alert_ids, []);
    }
    assert.ok(
      m.discovered_at < m.opened_at,
      'keeps the earliest discovered_at of the incidents it took from',
    );

    // the detector re-emits a3, grown: it stays in the person's incident
    await produce([{ ...a3, last_seen: a3.last_seen + 5 * M, explanation: { ...a3.explanation, score: 9 } }]);
    await caughtUp();
    const later = (await call('GET', `/api/v1/incidents/${m.incident_id}`, undefined, VIEWER)).body;
    assert.deepEqual([...later.alert_ids].sort(), [ID.a3, ID.b1].sort());
    assert.equal(later.last_seen, a3.last_seen + 5 * M);
    assert.equal((await call('GET', `/api/v1/incidents/${INC.A2}`, undefined, VIEWER)).body.alert_count, 0);

    // merge the route incident into A1
    const merged = await call('POST', `/api/v1/incidents/${INC.A1}/alerts`, { incident_ids: [INC.R] });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    assert.deepEqual([...merged.body.alert_ids].sort(), [ID.a1, ID.a2, ID.r1].sort());
    assert.deepEqual(merged.body.entities.map((e: { type: string }) => e.type).sort(), [
      'client_ip',
      'route',
    ]);
    assert.equal(merged.body.affected_count, 22 + 30);
    const r = (await call('GET', `/api/v1/incidents/${INC.R}`, undefined, VIEWER)).body;
    assert.equal(r.status, 'closed');
    assert.ok(
      r.timeline.some(
        (e: { action: string; note: string }) => e.action === 'merge' && e.note.includes(INC.A1),
      ),
    );

    // an alert not grouped yet (only in `alerts`) can be grouped by hand too; unknown ids are 404
    const loose = alertWith({
      alert_id: hex('loose'),
      first_seen: T0 + 50 * H,
      last_seen: T0 + 50 * H,
      entity: { type: 'session', value: 's9' },
    });
    await insertRows(ch, table(config.clickhouse.database, 'alerts'), [alertToRow(loose)]);
    const add = await call('POST', `/api/v1/incidents/${m.incident_id}/alerts`, {
      alert_ids: [loose.alert_id],
    });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(add.body.alert_count, 3);
    assert.equal((await call('POST', '/api/v1/incidents', { alert_ids: [hex('nope')] })).status, 404);
    assert.equal((await call('POST', '/api/v1/incidents', { alert_ids: [] })).status, 400);
    assert.equal((await call('GET', `/api/v1/incidents/${'f'.repeat(32)}`, undefined, VIEWER)).status, 404);

    const apiChanges = (await statusChanges())
      .filter((c) => c.actor === 'resp')
      .map((c) => `${c.action}:${c.object_id}`);
    for (const want of [
      `open:${m.incident_id}`,
      `move:${INC.A2}`,
      `move:${INC.B}`,
      `merge:${INC.R}`,
      `merge:${INC.A1}`,
    ])
      assert.ok(apiChanges.includes(want), `${want} in ${apiChanges.join(' ')}`);
    const grouperOpens = (await statusChanges()).filter(
      (c) => c.actor === 'incidents' && c.action === 'open',
    );
    assert.deepEqual(grouperOpens.map((c) => c.object_id).sort(), [INC.A1, INC.A2, INC.B, INC.R].sort());
  });
  it('kill -9 while alerts arrive, then a restart: one incident per actor, each alert a member once, every alert announced', async (t) => {
    // each actor's alerts share a rule (one fingerprint, one partition, in order): the ids are known
    const actors = 40;
    const wave = (w: number) =>
      Array.from({ length: actors }, (_, i) =>
        alertWith({
          alert_id: hex(`crash-${i}-${w >> 1}`),
          tenant: 'crash',
          entity: { type: 'session', value: `s-${i}` },
          first_seen: T0 + (w >> 1) * H,
          last_seen: T0 + (w >> 1) * H + w * M, // odd waves re-emit the even wave's alerts, grown
          score: 1 + w,
        }),
      );
    await produce([...wave(0), ...wave(1)]);
    await caughtUp();
    await produce([...wave(2), ...wave(3)]);
    const running = procs.pop()!;
    running.child.kill('SIGKILL');
    assert.equal(await running.exited, null, 'killed by a signal');
    await produce([...wave(4), ...wave(5)]);
    await grouper('incidents-3');
    await caughtUp();

    const db = config.clickhouse.database;
    const incidents = await queryRows<{ incident_id: string; alert_count: number; last_seen_ms: string }>(
      ch,
      sql`SELECT incident_id, alert_count, last_seen_ms FROM ${table(db, 'incidents')} FINAL WHERE tenant = 'crash'`,
    );
    const want = Array.from({ length: actors }, (_, i) =>
      incidentIdOf('crash', `session:s-${i}`, hex(`crash-${i}-0`)),
    ).sort();
    assert.deepEqual(incidents.map((r) => r.incident_id).sort(), want);
    assert.ok(
      incidents.every((r) => Number(r.alert_count) === 3),
      JSON.stringify(incidents.slice(0, 3)),
    );
    assert.ok(
      incidents.every((r) => Number(r.last_seen_ms) === T0 + 2 * H + 5 * M),
      'the last re-emission counted',
    );
    const members = await queryRows<{ n: string; alerts: string }>(
      ch,
      sql`SELECT count() AS n, uniqExact(alert_id) AS alerts FROM ${table(db, 'incident_alerts')} FINAL WHERE tenant = 'crash'`,
    );
    assert.deepEqual(members[0], { n: String(3 * actors), alerts: String(3 * actors) });
    const pages = (await statusChanges()).filter((c) => c.tenant === 'crash');
    const byChange = new Set(pages.map((c) => c.change_id));
    const opens = new Set(pages.filter((c) => c.action === 'open').map((c) => c.object_id));
    assert.equal(opens.size, actors);
    // at least once: a batch cut by the kill may be announced again
    const announced = new Map<string, number>();
    for (const c of pages) for (const a of c.alert_ids) announced.set(a, (announced.get(a) ?? 0) + 1);
    assert.equal(announced.size, 3 * actors, 'every alert announced');
    const dup = pages.length - byChange.size;
    t.diagnostic(`status changes ${pages.length}, distinct change ids ${byChange.size} (${dup} re-sent)`);
  });

  it("a person's status and owner survive the grouper writing from what it read before them", async () => {
    const db = config.clickhouse.database;
    const id = hex('race');
    const now = Date.now();
    const opened: IncidentRow = {
      incident_id: id,
      tenant: TENANT,
      title: 'race',
      status: 'open',
      owner: '',
      severity: 'high',
      risk_score: 1,
      actor_type: 'user',
      actor_value: 'u-race',
      actor_keys: ['user:u-race'],
      rules: ['egress'],
      alert_count: 1,
      first_seen_ms: now - H,
      last_seen_ms: now - H,
      opened_at_ms: now,
      discovered_at_ms: now,
      confirmed_at_ms: 0,
      notified_at_ms: 0,
      closed_at_ms: 0,
      version: now,
      updated_by: 'incidents',
    };
    await writeIncidentState(ch, db, { incidents: [opened], members: [], events: [] }, new Map());
    const grouperRead = await loadIncidents(ch, db, [id]); // the grouper reads, then is slow
    assert.equal(
      (await call('POST', `/api/v1/incidents/${id}/status`, { status: 'investigating' })).status,
      200,
    );
    assert.equal((await call('POST', `/api/v1/incidents/${id}/owner`, { owner: 'carol' })).status, 200);
    const base = grouperRead.get(id)!;
    const stale = {
      ...base,
      alert_count: 2,
      last_seen_ms: now,
      version: nextVersion(base.version, Date.now()),
    };
    await writeIncidentState(ch, db, { incidents: [stale], members: [], events: [] }, grouperRead);
    const after = (await call('GET', `/api/v1/incidents/${id}`, undefined, VIEWER)).body;
    assert.equal(after.status, 'investigating', "the person's status is kept");
    assert.equal(after.owner, 'carol');
    assert.ok(after.confirmed_at > 0);
    assert.equal(after.alert_count, 2, "and the grouper's count");
    assert.equal(after.last_seen, now);
  });
});
