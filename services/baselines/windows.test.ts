import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entityKey } from '#shared/principal.js';
import {
  assembleWindows,
  type ClassRow,
  entityFromPrincipal,
  lookbackRange,
  replaceWindows,
  windowSeconds,
} from './windows.js';

const W = 600_000;
const T0 = Date.UTC(2025, 3, 14, 9, 0);
const row = (p: Partial<ClassRow> & Pick<ClassRow, 'windowStart' | 'routeClass'>): ClassRow => ({
  requests: 1,
  bytesOut: 0,
  rowsOut: 0,
  maxResponseBytes: 0,
  distinctResources: 0,
  dirty: false,
  ...p,
});

test('windowSeconds: detector windows must be whole 5-minute buckets', () => {
  assert.equal(windowSeconds(600_000), 600);
  assert.equal(windowSeconds(300_000), 300);
  assert.throws(() => windowSeconds(60_000), { code: 'LW_ERR_CONFIG_INVALID' });
  assert.throws(() => windowSeconds(450_000), { code: 'LW_ERR_CONFIG_INVALID' });
  assert.throws(() => windowSeconds(0), { code: 'LW_ERR_CONFIG_INVALID' });
});

test('assembleWindows: classes of one window add up; the peer class is the largest response', () => {
  const ws = assembleWindows([
    row({ windowStart: T0, routeClass: 'none', requests: 40, bytesOut: 400_000, maxResponseBytes: 20_000 }),
    row({
      windowStart: T0,
      routeClass: 'order',
      requests: 5,
      bytesOut: 250_000,
      rowsOut: 7,
      maxResponseBytes: 90_000,
      distinctResources: 5,
    }),
    row({
      windowStart: T0,
      routeClass: 'recording',
      requests: 1,
      bytesOut: 80_000,
      maxResponseBytes: 80_000,
      distinctResources: 1,
    }),
    row({ windowStart: T0 + W, routeClass: 'none', requests: 2, bytesOut: 10, maxResponseBytes: 8 }),
  ]);
  assert.equal(ws.length, 2);
  assert.deepEqual(ws[0], {
    windowStart: T0,
    peerClass: 'order',
    features: { events: 46, bytes_out: 730_000, rows_out: 7, distinct_resources: 6 },
    dirty: false,
  });
  assert.equal(ws[1]!.peerClass, 'none', 'a window without resource kinds is peer class none');
});

test('assembleWindows: windows come out in time order and a dirty class makes its window dirty', () => {
  const ws = assembleWindows([
    row({ windowStart: T0 + 2 * W, routeClass: 'none' }),
    row({ windowStart: T0, routeClass: 'none' }),
    row({ windowStart: T0, routeClass: 'order', dirty: true }),
  ]);
  assert.deepEqual(
    ws.map((w) => [w.windowStart - T0, w.dirty]),
    [
      [0, true],
      [2 * W, false],
    ],
  );
});

test('assembleWindows: ties on the largest response go to more requests, then a named kind', () => {
  const tie = (a: Partial<ClassRow>, b: Partial<ClassRow>) =>
    assembleWindows([
      row({ windowStart: T0, routeClass: 'none', maxResponseBytes: 100, ...a }),
      row({ windowStart: T0, routeClass: 'order', maxResponseBytes: 100, ...b }),
    ])[0]!.peerClass;
  assert.equal(tie({ requests: 9 }, { requests: 2 }), 'none');
  assert.equal(tie({ requests: 2 }, { requests: 2 }), 'order');
  // and the order rows arrive in does not matter
  const reversed = assembleWindows([
    row({ windowStart: T0, routeClass: 'order', maxResponseBytes: 100 }),
    row({ windowStart: T0, routeClass: 'none', maxResponseBytes: 100 }),
  ]);
  assert.equal(reversed[0]!.peerClass, 'order');
});

test('replaceWindows: recomputed windows replace every class row; a window without fresh rows is dropped', () => {
  const rows = [
    row({ windowStart: T0, routeClass: 'none', requests: 10, dirty: true }),
    row({ windowStart: T0, routeClass: 'order', requests: 4 }),
    row({ windowStart: T0 + W, routeClass: 'none', requests: 3 }),
    row({ windowStart: T0 + 2 * W, routeClass: 'none', requests: 8, dirty: true }),
  ];
  const fresh = [row({ windowStart: T0, routeClass: 'none', requests: 5 })];
  const out = replaceWindows(rows, new Set([T0, T0 + 2 * W]), fresh);
  assert.deepEqual(
    assembleWindows(out).map((w) => [w.windowStart - T0, w.features.events, w.dirty]),
    [
      [0, 5, false],
      [W, 3, false],
    ],
  );
});

test('entityFromPrincipal: the inverse of the principal key of services/shared/principal.ts', () => {
  for (const e of [
    { type: 'user', value: 'alice' },
    { type: 'api_key', value: 'ck_1234' },
    { type: 'session', value: 'tok_session_ab:cd' },
    { type: 'client_ip', value: '2001:db8::7' },
    { type: 'client_ip', value: '-' },
  ]) {
    assert.deepEqual(entityFromPrincipal(entityKey(e)), e);
  }
});

test('lookbackRange: ends at the window holding the latest bucket, starts lookbackDays earlier', () => {
  const latest = T0 + 7 * 60_000; // 09:07: the 09:00 window may still be filling
  const r = lookbackRange(latest, latest + 86_400_000, W, 28);
  assert.equal(r.toMs, T0);
  assert.equal(r.fromMs, T0 - 28 * 86_400_000);
  // anchored at the data, not the clock: a replay of 2015 logs reads 2015
  const old = Date.UTC(2015, 4, 17, 12, 0);
  assert.equal(lookbackRange(old, Date.now(), W, 28).toMs, old);
  // never past now (a log line dated 2099)
  const now = T0 + 3 * W + 1;
  assert.equal(lookbackRange(Date.UTC(2099, 0, 1), now, W, 1).toMs, T0 + 3 * W);
});

test('lookbackRange: window lengths that do not divide a day still give aligned bounds', () => {
  const w = 35 * 60_000;
  const r = lookbackRange(T0, T0, w, 1);
  assert.equal(r.toMs % w, 0);
  assert.equal(r.fromMs % w, 0);
  assert.ok(r.toMs - r.fromMs <= 86_400_000);
});
