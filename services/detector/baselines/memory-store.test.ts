import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hourOfWeek, MemoryBaselineStore, summary } from './memory-store.js';

const W = 600_000;
const MON = Date.UTC(2025, 3, 14, 0, 0, 0); // a Monday
const f = (bytes: number) => ({ events: 4, bytes_out: bytes, rows_out: 0, distinct_resources: 1 });

test('hourOfWeek: Monday 00:00 UTC is 0, Sunday 23:00 is 167', () => {
  assert.equal(hourOfWeek(MON), 0);
  assert.equal(hourOfWeek(MON + 167 * 3_600_000), 167);
  assert.equal(hourOfWeek(MON + 168 * 3_600_000), 0);
});

test('summary: median, p95, MAD, n', () => {
  const s = summary([100, 2, 3, 4, 1]);
  assert.deepEqual({ ...s, p95: Math.round(s.p95 * 10) / 10 }, { p50: 3, p95: 80.8, mad: 1, n: 5 });
});

test('warm-up, then entity, with peer and global fallbacks', () => {
  const s = new MemoryBaselineStore({ minHistory: 3 });
  const key = { type: 'api_key', value: 'k1' };
  assert.equal(s.get(key, 't', MON), undefined, 'nothing learnt: no baseline');
  s.observe(key, 't', MON, 'order', f(100));
  s.observe(key, 't', MON + W, 'order', f(200));
  assert.equal(s.get(key, 't', MON + 2 * W), undefined, 'two windows: still warming up');
  s.observe(key, 't', MON + 2 * W, 'order', f(300));
  const b = s.get(key, 't', MON + 3 * W);
  assert.equal(b?.source, 'entity');
  assert.equal(b?.features['bytes_out']?.p50, 200);
  // a newcomer reading orders falls back to its peers (order readers); one reading recordings to the tenant
  assert.equal(s.get({ type: 'api_key', value: 'k2' }, 't', MON, 'order')?.source, 'peer');
  assert.equal(s.get({ type: 'client_ip', value: '1.2.3.4' }, 't', MON, 'recording')?.source, 'global');
  assert.equal(s.get({ type: 'client_ip', value: '1.2.3.4' }, 'other-tenant', MON, 'order'), undefined);
});

test('seasonal: the same hour of week is preferred once it alone has enough windows', () => {
  const s = new MemoryBaselineStore({ minHistory: 3, historyWindows: 64 });
  const key = { type: 'user', value: 'u' };
  // busy at 09:00 (1 MB), quiet at 15:00 (1 KB), three weeks
  for (let week = 0; week < 3; week++) {
    const base = MON + week * 7 * 86_400_000;
    s.observe(key, 't', base + 9 * 3_600_000, 'none', f(1_000_000));
    s.observe(key, 't', base + 15 * 3_600_000, 'none', f(1_000));
  }
  const at9 = s.get(key, 't', MON + 21 * 86_400_000 + 9 * 3_600_000);
  const at15 = s.get(key, 't', MON + 21 * 86_400_000 + 15 * 3_600_000);
  assert.equal(at9?.features['bytes_out']?.p50, 1_000_000);
  assert.equal(at15?.features['bytes_out']?.p50, 1_000);
});

test('bounded: the stalest entity history is dropped at maxEntities', () => {
  const s = new MemoryBaselineStore({ maxEntities: 2, minHistory: 1 });
  s.observe({ type: 'client_ip', value: 'a' }, 't', MON, 'none', f(1));
  s.observe({ type: 'client_ip', value: 'b' }, 't', MON, 'none', f(1));
  s.observe({ type: 'client_ip', value: 'a' }, 't', MON + W, 'none', f(1));
  s.observe({ type: 'client_ip', value: 'c' }, 't', MON, 'none', f(1));
  assert.equal(s.size, 2);
  assert.equal(s.get({ type: 'client_ip', value: 'b' }, 't', MON)?.source, 'peer', 'b was dropped');
  assert.equal(s.get({ type: 'client_ip', value: 'a' }, 't', MON)?.source, 'entity');
});

test('recent: two generations of historyWindows / 2; the windows before them are forgotten', () => {
  const s = new MemoryBaselineStore({ minHistory: 3, historyWindows: 8 });
  const key = { type: 'user', value: 'u' };
  // 8 windows of 1 KB, then 8 of 1 MB: the 1 KB generations have rotated out
  for (let i = 0; i < 16; i++) s.observe(key, 't', MON + i * W, 'none', f(i < 8 ? 1_000 : 1_000_000));
  const b = s.get(key, 't', MON + 16 * W + 7 * 86_400_000 * 2 + 12 * 3_600_000);
  assert.equal(b?.features['bytes_out']?.p50, 1_000_000);
  assert.equal(b?.features['bytes_out']?.n, 8);
  s.observe(key, 't', MON + 16 * W, 'none', f(1_000_000));
  assert.equal(s.get(key, 't', MON + 17 * W)?.features['bytes_out']?.n, 5, 'a new generation: 4 + 1');
});

test('lazy features: summarised on first read from the windows held when asked; spread and JSON keep them', () => {
  const s = new MemoryBaselineStore({ minHistory: 3 });
  const key = { type: 'user', value: 'u' };
  const bytes = [100, 300, 200, 5_000];
  for (let i = 0; i < bytes.length; i++) s.observe(key, 't', MON + i * W, 'none', f(bytes[i] as number));
  const b = s.get(key, 't', MON + 4 * W);
  assert.equal(b?.source, 'entity');
  // exact here (each value its own bin): what summary() of the same windows says
  assert.deepEqual({ ...b?.features['bytes_out'] }, summary(bytes));
  assert.deepEqual({ ...b?.features['events'] }, summary([4, 4, 4, 4]));
  const copy = { ...b, horizon: 'x' } as unknown as typeof b;
  assert.equal(copy?.features['distinct_resources']?.n, 4, 'a spread copy still reads them');
  const json = JSON.parse(JSON.stringify(b));
  assert.deepEqual(json.features.rows_out, { ...summary([0, 0, 0, 0]) });
});

test('lazy features: a baseline read after its entity learnt another window throws, never answers differently', () => {
  const s = new MemoryBaselineStore({ minHistory: 2 });
  const u = { type: 'user', value: 'u' };
  const v = { type: 'user', value: 'v' };
  for (const key of [u, v]) {
    s.observe(key, 't', MON, 'none', f(100));
    s.observe(key, 't', MON + W, 'none', f(200));
  }
  const read = s.get(u, 't', MON + 2 * W);
  assert.equal(read?.features['bytes_out']?.p50, 150, 'read before the next window');
  const unread = s.get(v, 't', MON + 2 * W);
  s.observe(u, 't', MON + 2 * W, 'none', f(10_000));
  s.observe(v, 't', MON + 2 * W, 'none', f(10_000));
  assert.equal(read?.features['bytes_out']?.p50, 150, 'already summarised: kept');
  assert.throws(() => unread?.features['bytes_out'], /after the entity learnt another window/);
  assert.equal(s.get(v, 't', MON + 3 * W)?.features['bytes_out']?.p50, 200, 'a new answer: 3 windows');
});

test('entity sketches built late from the raw windows equal those kept up to date', () => {
  // Asked after every window (sketches kept in step) and asked once at the end (built from the
  // raw windows, across two generation rotations): the same summaries.
  const eager = new MemoryBaselineStore({ minHistory: 3, historyWindows: 8 });
  const late = new MemoryBaselineStore({ minHistory: 3, historyWindows: 8 });
  const key = { type: 'api_key', value: 'k' };
  const at = (i: number) => MON + i * 3 * 3_600_000; // 3 h apart: seasonal answers stay short
  for (let i = 0; i < 13; i++) {
    const v = {
      events: 1 + (i % 4),
      bytes_out: 1_000 * (1 + ((i * 7) % 11)),
      rows_out: i,
      distinct_resources: i % 3,
    };
    eager.observe(key, 't', at(i), 'none', v);
    late.observe(key, 't', at(i), 'none', v);
    const b = eager.get(key, 't', at(i + 1));
    if (b !== undefined) JSON.stringify(b); // reads every feature now
  }
  const a = JSON.stringify(eager.get(key, 't', at(13)));
  assert.equal(JSON.stringify(late.get(key, 't', at(13))), a);
  assert.equal(JSON.parse(a).source, 'entity');
});
