import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALL_HOURS,
  entityStatistics,
  type FeatureValues,
  hourOfWeek,
  Reservoir,
  seededRandom,
  summarize,
} from './stats.js';

const HOUR = 3_600_000;
const MON = Date.UTC(2025, 3, 14); // a Monday
const f = (bytes: number, events = 1): FeatureValues => ({
  events,
  bytes_out: bytes,
  rows_out: 0,
  distinct_resources: 0,
});

test('hourOfWeek: Monday 00:00 UTC is 0, Sunday 23:00 is 167, wraps weekly', () => {
  assert.equal(hourOfWeek(MON), 0);
  assert.equal(hourOfWeek(MON + 167 * HOUR), 167);
  assert.equal(hourOfWeek(MON + 168 * HOUR + 5 * HOUR), 5);
  assert.equal(hourOfWeek(MON - HOUR), 167);
});

test('summarize: median, MAD, p95 and n as the detector computes them', () => {
  // the in-memory store's test case (memory-store.test.ts): p95 interpolates between 4 and 100
  const s5 = summarize([100, 2, 3, 4, 1]);
  assert.deepEqual({ ...s5, p95: Math.round(s5.p95 * 10) / 10 }, { median: 3, mad: 1, p95: 80.8, n: 5 });
  const s = summarize(Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(Math.round(s.p95 * 100) / 100, 19.05);
  assert.equal(s.median, 10.5);
  assert.equal(s.mad, 5);
});

test('summarize: one outlier moves neither median nor MAD', () => {
  const calm = summarize([10, 11, 9, 10, 12, 10, 9]);
  const spiky = summarize([10, 11, 9, 10, 12, 10, 9_000_000]);
  assert.equal(spiky.median, calm.median);
  assert.equal(spiky.mad, calm.mad);
});

test('entityStatistics: an hour gets a row when the windows within ±1 h reach minHistory', () => {
  // three windows at 09:xx and one at 10:xx on Mondays; minHistory 4
  const windows = [
    { hour: 9, features: f(100) },
    { hour: 9, features: f(200) },
    { hour: 9, features: f(300) },
    { hour: 10, features: f(400) },
  ];
  const out = entityStatistics(windows, 4);
  // hours 9 and 10 see all four windows (±1 h); 8 and 11 see three or one
  assert.deepEqual(
    out.map((s) => s.hour),
    [9, 10, ALL_HOURS],
  );
  assert.equal(out[0]!.features.bytes_out.median, 250);
  assert.equal(out[0]!.features.bytes_out.n, 4);
  assert.equal(out[2]!.features.events.n, 4);
});

test('entityStatistics: hours wrap around the week (Sunday 23:00 is next to Monday 00:00)', () => {
  const windows = [
    { hour: 167, features: f(1) },
    { hour: 0, features: f(2) },
    { hour: 0, features: f(3) },
  ];
  const hours = entityStatistics(windows, 3).map((s) => s.hour);
  assert.deepEqual(hours, [0, 167, ALL_HOURS]);
});

test('entityStatistics: below minHistory windows nothing is written', () => {
  assert.deepEqual(entityStatistics([{ hour: 3, features: f(1) }], 2), []);
});

test('entityStatistics: seasonal rows keep busy and quiet hours apart', () => {
  const windows = [];
  for (let week = 0; week < 4; week++) {
    windows.push({ hour: 9, features: f(1_000_000) }, { hour: 15, features: f(1_000) });
  }
  const out = entityStatistics(windows, 4);
  const at = (h: number) => out.find((s) => s.hour === h)!.features.bytes_out.median;
  assert.equal(at(9), 1_000_000);
  assert.equal(at(15), 1_000);
  assert.equal(at(ALL_HOURS), 500_500);
});

test('Reservoir: keeps everything below capacity, a uniform bounded sample above it', () => {
  const small = new Reservoir(10, seededRandom(1));
  for (let i = 1; i <= 5; i++) small.add(f(i));
  assert.equal(small.size, 5);
  assert.equal(small.statistics(5)!.bytes_out.median, 3);
  assert.equal(small.statistics(6), null, 'below minHistory');

  const big = new Reservoir(1000, seededRandom(7));
  for (let i = 0; i < 100_000; i++) big.add(f(i % 100));
  assert.equal(big.size, 1000);
  assert.equal(big.seen, 100_000);
  const s = big.statistics(1)!;
  assert.equal(s.bytes_out.n, 1000);
  // uniform over 0..99: the sample's median is near 49.5
  assert.ok(Math.abs(s.bytes_out.median - 49.5) < 8, `median ${s.bytes_out.median}`);
});

test('Reservoir: the same seed and input give the same sample (reruns are stable)', () => {
  const run = () => {
    const r = new Reservoir(50, seededRandom(3));
    for (let i = 0; i < 5000; i++) r.add(f(i));
    return r.statistics(1);
  };
  assert.deepEqual(run(), run());
});
