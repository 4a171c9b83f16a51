import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { ConfigInvalid } from '#shared/errors.js';
import { sequentialEnumeration } from '../rules/sequential-enumeration.js';
import type { Rule } from '../rules/types.js';
import { alertIdOf, createEngine, fingerprintOf, principalHash, principalHashOf } from './engine.js';
import { numericId } from './window-state.js';

const T0 = Date.UTC(2025, 3, 17, 9, 0, 0);
const ORDERS = '/wp-json/wc/v3/orders/{id}';

function ev(i: number, over: Partial<AccessEvent>): AccessEvent {
  return accessEventWith({
    event_id: `e${i}`,
    ts: T0 + i * 1000,
    tenant: 'shop-a',
    client_ip: '198.51.100.1',
    bytes_out: 10,
    ...over,
  });
}

/** 50 sequential order reads from 203.0.113.7, each followed by two background events from other IPs. */
function scenario(): AccessEvent[] {
  const out: AccessEvent[] = [];
  let i = 0;
  for (let k = 0; k < 50; k++) {
    out.push(
      ev(i++, {
        client_ip: '203.0.113.7',
        route: ORDERS,
        resource_id: String(1001 + k),
        resource_kind: 'order',
      }),
    );
    out.push(ev(i++, { client_ip: `198.51.100.${k % 7}`, route: '/shop/' }));
    // background that also touches orders, but only a couple each
    out.push(ev(i++, { client_ip: `192.0.2.${k % 5}`, route: ORDERS, resource_id: String(5000 + (k % 3)) }));
  }
  return out;
}

function runAll(events: AccessEvent[], batch = events.length): Alert[] {
  const engine = createEngine({ rules: [sequentialEnumeration] });
  const out: Alert[] = [];
  for (let s = 0; s < events.length; s += batch) {
    const chunk = events.slice(s, s + batch);
    for (const e of chunk) out.push(...engine.process(e));
    engine.flushIdle((chunk[chunk.length - 1] as AccessEvent).ts);
  }
  return out;
}

test('50 sequential order reads: one alert id, first at the 20th, re-emitted as observed grows', () => {
  const events = scenario();
  const engine = createEngine({ rules: [sequentialEnumeration] });
  const emitted: Array<{ walkIndex: number; alert: Alert }> = [];
  let walkIndex = 0;
  for (const e of events) {
    if (e.client_ip === '203.0.113.7') walkIndex++;
    for (const a of engine.process(e)) emitted.push({ walkIndex, alert: a });
  }
  const ids = new Set(emitted.map((x) => x.alert.alert_id));
  assert.equal(ids.size, 1);
  assert.equal(emitted[0]?.walkIndex, 20, 'first emitted at the 20th request');
  assert.equal(emitted[0]?.alert.explanation.observed, 20);
  assert.equal(emitted.length, 31, 'once per new id from 20 to 50');
  emitted.forEach((x, k) => {
    assert.equal(x.alert.explanation.observed, 20 + k);
    assert.equal(x.alert.entity.value, '203.0.113.7');
  });
  const last = emitted[emitted.length - 1]?.alert as Alert;
  const windowStart = Math.floor(T0 / 600_000) * 600_000;
  assert.equal(
    last.alert_id,
    alertIdOf('sequential-enumeration', { type: 'client_ip', value: '203.0.113.7' }, windowStart),
  );
  assert.equal(
    last.fingerprint,
    fingerprintOf('sequential-enumeration', { type: 'client_ip', value: '203.0.113.7' }),
  );
  assert.equal(last.title, `Sequential ID walk on ${ORDERS} by ip:203.0.113.7 (50 ids)`);
  assert.equal(last.first_seen, T0);
  assert.equal(last.last_seen, T0 + 49 * 3 * 1000);
  assert.equal(last.status, 'open');
  assert.equal(last.severity, 'high');
  assert.deepEqual(last.labels, {
    rule: 'sequential-enumeration',
    severity: 'high',
    tenant: 'shop-a',
    route: ORDERS,
    resource_kind: 'order',
  });
  assert.deepEqual(last.explanation.top_resources, [`${ORDERS} ids 1001..1050`]);
  assert.equal(last.explanation.sample_event_ids.length, 10);
  assert.equal(last.explanation.sample_event_ids[0], 'e0');

  const s = engine.stats();
  assert.equal(s.events, events.length);
  assert.equal(s.alertsOpened, 1);
  assert.equal(s.alertsUpdated, 30);
  assert.equal(s.lateEvents, 0);
  // evaluations only when a new distinct id arrived: 50 walk ids + a few background ids
  assert.ok(s.evaluations <= 50 + 15, `evaluations ${s.evaluations}`);
});

test('the same input in another batching, and a replay, give identical alerts', () => {
  const events = scenario();
  const whole = runAll(events);
  assert.deepEqual(runAll(events, 7), whole);
  assert.deepEqual(runAll(events, 1), whole);
  assert.deepEqual(runAll(events), whole, 'replay');
});

test('repeats of the same id do not re-emit; the walk going on in the next window is a new alert id', () => {
  const engine = createEngine({ rules: [sequentialEnumeration] });
  const out: Alert[] = [];
  for (let k = 0; k < 25; k++) out.push(...engine.process(ev(k, { route: ORDERS, resource_id: String(k) })));
  assert.equal(out.length, 6);
  for (let k = 0; k < 25; k++)
    assert.equal(engine.process(ev(30 + k, { route: ORDERS, resource_id: String(k) })).length, 0);
  // next window: ids are kept across windows (sliding), so the walk continues at 26 ids, as a
  // new alert (same fingerprint)
  const next = T0 + 600_000;
  const out2: Alert[] = [];
  for (let k = 25; k < 45; k++)
    out2.push(...engine.process(ev(k, { ts: next + k, route: ORDERS, resource_id: String(k) })));
  assert.equal(out2.length, 20);
  assert.equal(out2[0]?.explanation.observed, 26);
  assert.notEqual(out2[0]?.alert_id, out[0]?.alert_id);
  assert.equal(out2[0]?.fingerprint, out[0]?.fingerprint);
  assert.equal(new Set(out2.map((a) => a.alert_id)).size, 1);
  assert.equal(engine.stats().windowsOpened, 2);
  // an unrelated id on the same route later does not re-raise the old walk
  assert.equal(engine.process(ev(99, { ts: next + 1_200_000, route: ORDERS, resource_id: '900' })).length, 0);
});

test('late events are counted and ignored; lateness allowance counts them in the current window', () => {
  const engine = createEngine({ rules: [sequentialEnumeration], windowMs: 60_000, allowedLatenessMs: 5_000 });
  const base = Math.ceil(T0 / 60_000) * 60_000;
  engine.process(ev(0, { ts: base + 1000, route: ORDERS, resource_id: '1' }));
  engine.process(ev(1, { ts: base - 2000, route: ORDERS, resource_id: '2' })); // within allowance
  engine.process(ev(2, { ts: base - 30_000, route: ORDERS, resource_id: '3' })); // too late
  const s = engine.stats();
  assert.equal(s.lateEvents, 1);
  assert.equal(s.windowsOpened, 1);
  assert.equal(s.invalidEvents, 0);
  engine.process(ev(3, { ts: Number.NaN }));
  assert.equal(engine.stats().invalidEvents, 1);
});

test('flushIdle evicts entities idle for more than two windows, by event time', () => {
  const engine = createEngine({ rules: [sequentialEnumeration], windowMs: 60_000 });
  engine.process(ev(0, { ts: T0, client_ip: 'a' }));
  engine.process(ev(1, { ts: T0 + 100_000, client_ip: 'b' }));
  assert.equal(engine.flushIdle(T0 + 110_000), 0);
  assert.equal(engine.flushIdle(T0 + 130_000), 1);
  assert.deepEqual(
    { entities: engine.stats().entities, evicted: engine.stats().evictedEntities },
    { entities: 1, evicted: 1 },
  );
  // an event older than what may have been evicted is late, not a fresh entity
  engine.process(ev(2, { ts: T0 + 1000, client_ip: 'a' }));
  assert.equal(engine.stats().lateEvents, 1);
  assert.equal(engine.stats().entities, 1);
});

test('flushIdle closes idle windows in state-map order; states with ids in flight stay for the id horizon', () => {
  const closed: string[] = [];
  const engine = createEngine({
    rules: [sequentialEnumeration],
    windowMs: 60_000,
    idHorizonMs: 600_000,
    baselines: { get: () => undefined, observe: (e) => void closed.push(`${e.type}:${e.value}`) },
  });
  // created out of map order: ips before and after users, one ip with an order id in flight
  engine.process(ev(0, { ts: T0, client_ip: 'ip-b' }));
  engine.process(ev(1, { ts: T0 + 1000, user_id: 'u-2' }));
  engine.process(
    ev(2, { ts: T0 + 2000, client_ip: 'ip-a', route: ORDERS, resource_id: '7', resource_kind: 'order' }),
  );
  engine.process(ev(3, { ts: T0 + 3000, user_id: 'u-1' }));
  engine.process(ev(4, { ts: T0 + 4000, client_ip: 'ip-c' }));
  // ip-c moves on to a later window: not idle yet at the first flush
  engine.process(ev(5, { ts: T0 + 100_000, client_ip: 'ip-c' }));
  assert.deepEqual(closed.splice(0), ['client_ip:ip-c']);
  assert.equal(engine.flushIdle(T0 + 150_000), 3);
  // users first (their map is walked first), each map in insertion order
  assert.deepEqual(closed, ['user:u-2', 'user:u-1', 'client_ip:ip-b']);
  assert.equal(engine.flushIdle(T0 + 250_000), 1);
  assert.deepEqual(closed.slice(3), ['client_ip:ip-c']);
  // ip-a holds an id until the id horizon (600 s after its last event), then goes
  assert.equal(engine.flushIdle(T0 + 601_000), 0);
  assert.equal(engine.flushIdle(T0 + 603_000), 1);
  assert.deepEqual(closed.slice(4), ['client_ip:ip-a']);
  assert.equal(engine.stats().entities, 0);
});

test('state is bounded: ids per route and routes per entity are capped and counted', () => {
  const engine = createEngine({ rules: [sequentialEnumeration], maxIdsPerRoute: 30, maxRoutesPerEntity: 2 });
  let last: readonly Alert[] = [];
  for (let k = 0; k < 100; k++) {
    const a = engine.process(ev(k, { ts: T0 + k, route: ORDERS, resource_id: String(k) }));
    if (a.length) last = a;
  }
  assert.equal(last[0]?.explanation.observed, 30);
  assert.equal(engine.stats().idsDropped, 70);
  // routes are kept only when they carry a resource (or emergency access)
  engine.process(ev(200, { ts: T0 + 200, route: '/b/{id}', resource_id: '1' }));
  engine.process(ev(201, { ts: T0 + 201, route: '/c/{id}', resource_id: '1' }));
  engine.process(ev(202, { ts: T0 + 202, route: '/d' }));
  assert.equal(engine.stats().routesDropped, 1);
});

test('entities: user, then api key, then session, then ip', () => {
  const engine = createEngine({ rules: [sequentialEnumeration] });
  const out: Alert[] = [];
  for (let k = 0; k < 20; k++) {
    // alternating IPs, same user: one entity
    out.push(
      ...engine.process(
        ev(k, { user_id: 'u1', client_ip: `10.0.0.${k}`, route: ORDERS, resource_id: String(k) }),
      ),
    );
  }
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]?.entity, { type: 'user', value: 'u1' });
  assert.match(out[0]?.title ?? '', /by user:u1 /);
});

test('configuration is checked when the engine is built', () => {
  const is = (e: { code?: string }) => e.code === ConfigInvalid.code;
  assert.throws(() => createEngine({ rules: [sequentialEnumeration], config: { nope: {} } }), is);
  assert.throws(
    () =>
      createEngine({ rules: [sequentialEnumeration], config: { 'sequential-enumeration': { minRun: '5' } } }),
    is,
  );
  assert.throws(
    () => createEngine({ rules: [sequentialEnumeration], config: { 'sequential-enumeration': { typo: 1 } } }),
    is,
  );
  assert.throws(
    () =>
      createEngine({
        rules: [sequentialEnumeration],
        config: { 'sequential-enumeration': { ignoreRouteSuffixes: {} } },
      }),
    is,
  );
  assert.throws(() => createEngine({ rules: [sequentialEnumeration, sequentialEnumeration] }), is);
  assert.throws(() => createEngine({ rules: [sequentialEnumeration], windowMs: 0 }), is);
  // an override applies
  const engine = createEngine({
    rules: [sequentialEnumeration],
    config: { 'sequential-enumeration': { minRun: 5 } },
  });
  const out: Alert[] = [];
  for (let k = 0; k < 5; k++) out.push(...engine.process(ev(k, { route: ORDERS, resource_id: String(k) })));
  assert.equal(out.length, 1);
});

test('pagination is ignored by default, and can be watched by configuration', () => {
  const walk = (engine: ReturnType<typeof createEngine>) => {
    let n = 0;
    for (let k = 1; k <= 30; k++) {
      n += engine.process(ev(k, { route: '/blog/page/{id}/', resource_id: String(k) })).length;
    }
    return n;
  };
  assert.equal(walk(createEngine({ rules: [sequentialEnumeration] })), 0);
  const watching = createEngine({
    rules: [sequentialEnumeration],
    config: { 'sequential-enumeration': { ignoreRouteSuffixes: [] } },
  });
  assert.equal(walk(watching), 11);
});

test('every-event rules run on every event; new-id rules only on new ids', () => {
  let calls = 0;
  const probe: Rule<{ n: number }> = {
    id: 'probe',
    keyBy: 'principal',
    trigger: 'every-event',
    defaults: { n: 1 },
    evaluate: () => {
      calls++;
      return [];
    },
  };
  const engine = createEngine({ rules: [probe, sequentialEnumeration] });
  for (let k = 0; k < 10; k++) engine.process(ev(k, { route: '/x' }));
  assert.equal(calls, 10);
  assert.equal(engine.stats().evaluations, 10);
});

test('numericId', () => {
  assert.equal(numericId('1234'), 1234);
  assert.equal(numericId('session-0007.mp4'), 7);
  assert.equal(numericId('report_12.pdf'), 12);
  assert.ok(Number.isNaN(numericId(null)));
  assert.ok(Number.isNaN(numericId('tok_q_0123456789abcdef')));
  assert.ok(Number.isNaN(numericId('3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b')));
  assert.ok(Number.isNaN(numericId('a1b2')));
  assert.ok(Number.isNaN(numericId('1234567890123456')));
  assert.ok(Number.isNaN(numericId('x.')));
});

test('an engine with route-keyed rules only keeps route state only, and alerts as a full engine does', async () => {
  const { distributedEnumeration } = await import('../rules/distributed-enumeration.js');
  // One walk over 40 customer ids spread over 10 addresses (4 ids each, never adjacent).
  const events: AccessEvent[] = [];
  for (let k = 0; k < 40; k++) {
    events.push(
      ev(k, {
        client_ip: `203.0.113.${k % 10}`,
        route: '/wp-json/wc/v3/customers/{id}',
        resource_id: String(5000 + k),
        resource_kind: 'customer',
      }),
    );
  }
  const routeOnly = createEngine({ rules: [distributedEnumeration as Rule<unknown>] });
  const full = createEngine({
    rules: [distributedEnumeration as Rule<unknown>, sequentialEnumeration as Rule<unknown>],
  });
  const ids = (engine: typeof full) => {
    const out = new Set<string>();
    for (const e of events)
      for (const a of engine.process(e)) if (a.rule === 'distributed-enumeration') out.add(a.alert_id);
    return [...out];
  };
  const fromRouteOnly = ids(routeOnly);
  assert.equal(fromRouteOnly.length, 1);
  assert.deepEqual(fromRouteOnly, ids(full));
  assert.equal(routeOnly.stats().entities, 1, 'one route, no principals');
  assert.equal(full.stats().entities, 11);
});

test('principalHashOf(type, value) is principalHash of type:value', () => {
  for (const [t, v] of [
    ['client_ip', '203.0.113.7'],
    ['user', ''],
    ['session', 'é\u0000x:y'],
  ] as const)
    assert.equal(principalHashOf(t, v), principalHash(`${t}:${v}`));
});
