import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import {
  type DropCounters,
  EntityWindow,
  hash52,
  MAX_PEERS,
  packEventId,
  RouteState,
  SUB_BUCKETS,
  unpackEventId,
  type WindowLimits,
} from './window-state.js';

const LIMITS: WindowLimits = { maxIdsPerRoute: 4096, maxRoutes: 64, idHorizonMs: 6 * 3_600_000 };
const T0 = Date.UTC(2025, 3, 17, 9, 0, 0);

function hex(n: number): string {
  return createHash('sha256').update(String(n)).digest('hex').slice(0, 32);
}

function drops(): DropCounters {
  return { idsDropped: 0, routesDropped: 0 };
}

function ev(over: Partial<AccessEvent>): AccessEvent {
  return accessEventWith({ event_id: 'e', ts: T0, tenant: 't', client_ip: '198.51.100.1', ...over });
}

test('event ids: 32 lowercase hex digits pack into three doubles and back; others are refused', () => {
  const d: number[] = [0, 0, 0];
  for (const id of [hex(1), hex(2), '0'.repeat(32), 'f'.repeat(32)]) {
    assert.ok(packEventId(id, d, 0));
    assert.equal(unpackEventId(d, 0), id);
  }
  for (const id of [
    'ev-0001',
    hex(3).toUpperCase(),
    `${hex(4)}0`,
    hex(5).slice(1),
    `${hex(6).slice(0, 31)}g`,
  ])
    assert.equal(packEventId(id, d, 0), false, id);
});

test('route ids: arrival order, repeats ignored before and after the sorted copy exists', () => {
  const r = new RouteState('t', '/o/{id}');
  const c = drops();
  const ids = [50, 3, 49, 7, 1, 3, 50, 100, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 1, 5];
  const stored: number[] = [];
  ids.forEach((id, i) => {
    const isNew = !stored.includes(id);
    // alternate collector-style and other event ids
    const eid = i % 2 === 0 ? hex(i) : `e${i}`;
    assert.equal(r.addId(id, eid, T0 + i, 4096, c), isNew, `id ${id}`);
    if (isNew) stored.push(id);
  });
  assert.equal(r.distinct, stored.length);
  assert.deepEqual(
    Array.from({ length: r.distinct }, (_, i) => r.idAt(i)),
    stored,
  );
  assert.deepEqual(
    [...r.sorted],
    [...stored].sort((a, b) => a - b),
  );
  // the event id and time of each id's first request
  const firsts = stored.map((id) => ids.indexOf(id));
  assert.deepEqual(
    Array.from({ length: r.distinct }, (_, i) => r.eventIdAt(i)),
    firsts.map((i) => (i % 2 === 0 ? hex(i) : `e${i}`)),
  );
  assert.deepEqual(
    Array.from({ length: r.distinct }, (_, i) => r.tsAt(i)),
    firsts.map((i) => T0 + i),
  );
  assert.equal(c.idsDropped, 0);
});

test('route ids: the cap counts what it drops; expiry drops the oldest and keeps the rest intact', () => {
  const r = new RouteState('t', '/o/{id}');
  const c = drops();
  for (let i = 0; i < 30; i++)
    r.addId(1000 + ((i * 7) % 30), i % 3 === 0 ? `e${i}` : hex(i), T0 + i * 1000, 25, c);
  assert.equal(r.distinct, 25);
  assert.equal(r.dropped, 5);
  assert.equal(c.idsDropped, 5);
  assert.equal(r.sorted.length, 25);
  r.expire(T0 + 10_000); // the first ten ids
  assert.equal(r.distinct, 15);
  assert.deepEqual(
    Array.from({ length: 15 }, (_, i) => [r.idAt(i), r.tsAt(i), r.eventIdAt(i)]),
    Array.from({ length: 15 }, (_, k) => {
      const i = k + 10;
      return [1000 + ((i * 7) % 30), T0 + i * 1000, i % 3 === 0 ? `e${i}` : hex(i)];
    }),
  );
  assert.deepEqual(
    [...r.sorted],
    Array.from({ length: 15 }, (_, i) => r.idAt(i)).sort((a, b) => a - b),
  );
  assert.equal(r.distinctSince(T0 + 20_000), 5);
  r.expire(T0 + 10 * 3_600_000);
  assert.equal(r.distinct, 0);
  assert.equal(r.sorted.length, 0);
});

test('non-numeric ids are counted by hash: repeats refresh their time, the cap holds', () => {
  const r = new RouteState('t', '/p/{uuid}');
  const c = drops();
  const uuid = (i: number) => `3f2b8c1e-9a4d-4e2f-8b1a-${String(i).padStart(12, '0')}`;
  for (let i = 0; i < 12; i++) assert.equal(r.addOther(uuid(i), T0 + i, 10, c), i < 10);
  assert.equal(r.otherDistinct, 10);
  assert.equal(c.idsDropped, 2);
  assert.equal(r.addOther(uuid(0), T0 + 100, 10, c), false);
  assert.equal(r.distinctSince(T0 + 50), 1);
  r.expire(T0 + 5); // 5 … 9, and 0 seen again later
  assert.equal(r.otherDistinct, 6);
  assert.notEqual(hash52(uuid(1)), hash52(uuid(2)));
  assert.ok(Number.isSafeInteger(hash52(uuid(3))) && hash52(uuid(3)) < 2 ** 52);
});

/**
 * What the sliding counters summed before they became a ring: per sub-bucket slot, the start of
 * the sub-bucket it holds; an event for a later sub-bucket resets the slot, one for an earlier
 * sub-bucket is ignored; recent() adds the slots whose start is after (latest event - window).
 */
function referenceRecent(events: Array<{ ts: number; bytes: number }>, windowMs: number): number {
  const subMs = windowMs / SUB_BUCKETS;
  const start = new Array<number>(SUB_BUCKETS).fill(Number.NEGATIVE_INFINITY);
  const sum = new Array<number>(SUB_BUCKETS).fill(0);
  let last = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.ts > last) last = e.ts;
    const b = Math.floor(e.ts / subMs);
    const s = ((b % SUB_BUCKETS) + SUB_BUCKETS) % SUB_BUCKETS;
    const st = b * subMs;
    if (st > (start[s] as number)) {
      start[s] = st;
      sum[s] = 0;
    } else if (st < (start[s] as number)) continue;
    sum[s] = (sum[s] as number) + e.bytes;
  }
  const since = last - subMs * SUB_BUCKETS;
  let t = 0;
  for (let s = 0; s < SUB_BUCKETS; s++) if ((start[s] as number) > since) t += sum[s] as number;
  return t;
}

test('sliding counters: the ring sums what per-slot start times did, for events in any order', () => {
  let seed = 7;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  for (const windowMs of [600_000, 60_000, 1_000]) {
    const w = new EntityWindow({ type: 'client_ip', value: '198.51.100.1' }, LIMITS, drops());
    w.reset(Math.floor(T0 / windowMs) * windowMs, windowMs, 't');
    const seen: Array<{ ts: number; bytes: number }> = [];
    let t = T0;
    for (let i = 0; i < 3000; i++) {
      t += rnd(8) === 0 ? rnd(windowMs * 2) : rnd(Math.ceil(windowMs / 40));
      // a tenth of the events arrive late, up to two windows back
      const ts = rnd(10) === 0 ? t - rnd(windowMs * 2) : t;
      const bytes = 1 + rnd(5000);
      w.add(ev({ ts, bytes_out: bytes, route: '/o/{id}', resource_kind: 'order', status: 404 }));
      seen.push({ ts, bytes });
      const got = w.recent();
      assert.equal(got.bytesOut, referenceRecent(seen, windowMs), `window ${windowMs}, event ${i}`);
      assert.equal(w.recentBytes(), got.bytesOut);
      assert.equal(
        got.idRouteDenied,
        referenceRecent(
          seen.map((x) => ({ ts: x.ts, bytes: 1 })),
          windowMs,
        ),
      );
      assert.equal(got.idRouteRequests, got.idRouteDenied);
    }
  }
});

test('sessions remember addresses and user agents of the last window, at most MAX_PEERS each', () => {
  const w = new EntityWindow({ type: 'session', value: 'tok_session_1' }, LIMITS, drops());
  w.reset(Math.floor(T0 / 600_000) * 600_000, 600_000, 't');
  for (let i = 0; i < 100; i++)
    w.add(
      ev({ ts: T0 + i, session_hash: 'tok_session_1', client_ip: `10.0.0.${i}`, user_agent: `ua ${i % 3}` }),
    );
  assert.deepEqual(w.peers(), { ips: MAX_PEERS, agents: 3 });
  // ten minutes later only what was seen since counts
  w.add(ev({ ts: T0 + 700_000, session_hash: 'tok_session_1', client_ip: '10.0.0.1', user_agent: 'ua 0' }));
  assert.deepEqual(w.peers(), { ips: 1, agents: 1 });
  const ip = new EntityWindow({ type: 'client_ip', value: '10.0.0.1' }, LIMITS, drops());
  ip.reset(0, 600_000, 't');
  ip.add(ev({ ts: T0 }));
  assert.deepEqual(ip.peers(), { ips: 0, agents: 0 });
});

test('a window shows its entity, and its event and changed routes only while rules read them', () => {
  const w = new EntityWindow({ type: 'client_ip', value: '198.51.100.1' }, LIMITS, drops());
  w.reset(Math.floor(T0 / 600_000) * 600_000, 600_000, 't');
  assert.deepEqual(w.entity, { type: 'client_ip', value: '198.51.100.1' });
  const e = ev({ route: '/o/{id}', resource_id: '7', resource_kind: 'order' });
  const r = w.add(e);
  assert.ok(r !== null);
  assert.deepEqual(w.changed, [r]);
  assert.equal(w.event, null);
  w.evaluating(e);
  assert.equal(w.event, e);
  const full = w.fullView();
  assert.equal(full.event, null);
  assert.deepEqual(full.changed, w.routes);
  w.evaluating(null);
  assert.equal(w.event, null);
  // an event that stores no new id changes nothing
  w.add(ev({ route: '/o/{id}', resource_id: '7', resource_kind: 'order' }));
  assert.deepEqual(w.changed, []);
});
