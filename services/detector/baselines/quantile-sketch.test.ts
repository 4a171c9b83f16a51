import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 as rng } from '#shared/prng.js';
import { summary } from './memory-store.js';
import { DenseSketchSet, SketchSet } from './quantile-sketch.js';

function sketchOf(values: number[], slot = 0): SketchSet {
  const s = new SketchSet();
  for (const v of values) s.add(slot, v);
  return s;
}

test('exact when each value has its own bin: small integers, repeats, zeros', () => {
  for (const values of [
    [100, 2, 3, 4, 1],
    [0, 0, 0, 5, 7, 7, 7, 9],
    [4, 4, 4, 4],
    [0],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 40],
  ]) {
    const want = summary(values);
    const got = sketchOf(values).summary(0);
    assert.ok(Math.abs(got.p50 - want.p50) < 1e-9, `p50 of ${values}`);
    assert.ok(Math.abs(got.p95 - want.p95) < 1e-9, `p95 of ${values}: ${got.p95} vs ${want.p95}`);
    assert.ok(Math.abs(got.mad - want.mad) < 1e-9, `mad of ${values}: ${got.mad} vs ${want.mad}`);
    assert.equal(got.n, want.n);
  }
});

test('within 1% of the exact quantiles, MAD within 1% of (2 x median + MAD), on skewed data', () => {
  const r = rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 12 + Math.floor(r() * 2000);
    const scale = 10 ** (1 + r() * 6);
    // log-normal-ish window volumes with some zeros
    const values = Array.from({ length: n }, () =>
      r() < 0.1 ? 0 : Math.round(scale * Math.exp(2 * (r() - 0.5) * 3)),
    );
    const want = summary(values);
    const got = sketchOf(values).summary(0);
    const within = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol + 1e-9;
    assert.ok(within(got.p50, want.p50, 0.01006 * want.p50), `p50 ${got.p50} vs ${want.p50}`);
    assert.ok(within(got.p95, want.p95, 0.01006 * want.p95), `p95 ${got.p95} vs ${want.p95}`);
    assert.ok(
      within(got.mad, want.mad, 0.01006 * (2 * want.p50 + want.mad)),
      `mad ${got.mad} vs ${want.mad} (median ${want.p50})`,
    );
    assert.equal(got.n, n);
  }
});

test('merge: the sketches of two halves merged equal the sketch of the whole, in any order', () => {
  const r = rng(11);
  const values = Array.from({ length: 500 }, () => Math.round(r() * 1e5));
  const whole = sketchOf(values).summary(0);
  const a = sketchOf(values.slice(0, 200));
  const b = sketchOf(values.slice(200));
  const ab = new SketchSet();
  ab.merge(a);
  ab.merge(b);
  const ba = sketchOf(values.slice(200));
  ba.merge(sketchOf(values.slice(0, 200)));
  assert.deepEqual(ab.summary(0), whole);
  assert.deepEqual(ba.summary(0), whole);
  // merging into a sketch that shares bins with it (the in-place merge closes its gap)
  const twice = sketchOf(values);
  twice.merge(sketchOf(values));
  assert.deepEqual(twice.summary(0), sketchOf([...values, ...values]).summary(0));
});

test('bins are bounded by the range of the values, not by how many were added', () => {
  const s = new SketchSet();
  for (let i = 0; i < 100_000; i++) s.add(0, 1000 + (i % 50));
  assert.ok(s.bins <= 6, `bins ${s.bins}`);
  assert.equal(s.count(0), 100_000);
  assert.ok(Math.abs(s.quantile(0, 0.5) - 1024.5) / 1024.5 < 0.0101);
});

test('empty: NaN; clear forgets', () => {
  const s = sketchOf([1, 2, 3]);
  s.clear();
  assert.equal(s.count(0), 0);
  assert.ok(Number.isNaN(s.quantile(0, 0.5)));
  s.add(0, 9);
  assert.equal(s.quantile(0, 0.5), 9);
});

test('slots are separate sketches in one bin list; merge moves a range of slots', () => {
  const s = new SketchSet();
  for (const v of [5, 0, 7, 1e9]) s.add(3, v);
  for (const v of [1, 2, 3]) s.add(1, v);
  for (const v of [100, 200]) s.add(700, v);
  assert.deepEqual(s.summary(1), sketchOf([1, 2, 3]).summary(0));
  assert.deepEqual(s.summary(3), sketchOf([5, 0, 7, 1e9]).summary(0));
  assert.equal(s.count(2), 0);
  const t = new SketchSet();
  t.add(0, 150);
  t.merge(s, 700, 701, 700); // slot 700 into slot 0
  t.merge(s, 3, 4, 3); // slot 3 into slot 0 too
  assert.deepEqual(t.summary(0), sketchOf([100, 150, 200, 5, 0, 7, 1e9]).summary(0));
  assert.equal(t.count(1), 0);
});

test('DenseSketchSet lays out the bins a SketchSet taking the same adds holds', () => {
  const r = rng(5);
  const dense = new DenseSketchSet(4);
  for (let round = 0; round < 3; round++) {
    const sparse = new SketchSet();
    dense.clear();
    for (let i = 0; i < 3000; i++) {
      const slot = Math.floor(r() * 4);
      const v = r() < 0.1 ? 0 : r() < 0.5 ? Math.floor(r() * 100) : r() * 10 ** (r() * 10);
      sparse.add(slot, v);
      dense.add(slot, v);
    }
    const laid = new SketchSet();
    dense.writeTo(laid);
    assert.equal(laid.bins, sparse.bins);
    for (let slot = 0; slot < 4; slot++) assert.deepEqual(laid.summary(slot), sparse.summary(slot));
  }
});
