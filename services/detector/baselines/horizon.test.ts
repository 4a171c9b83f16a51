import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HorizonTracker } from './horizon.js';

const W = 600_000;
const T0 = Date.UTC(2025, 10, 3, 9, 0);

test('horizon: sums of the last 2 h before the window, median of the last 6 h', () => {
  const h = new HorizonTracker();
  assert.equal(h.get('k', T0), null, 'nothing seen: no answer');
  for (let i = 0; i < 30; i++) h.observe('k', T0 + i * W, i < 20 ? 20_000 : 700_000, 0);
  const a = h.get('k', T0 + 30 * W);
  assert.equal(a?.windows, 30);
  assert.equal(a?.medianBytes, 20_000, 'the pull (10 of 30 windows) does not move the median');
  assert.equal(a?.bytes, 10 * 700_000 + 2 * 20_000, 'windows 18..29: 2 h before window 30');
  // the window itself and later ones are not summed
  assert.equal(h.get('k', T0 + 29 * W)?.bytes, 9 * 700_000 + 3 * 20_000);
});

test('horizon: windows older than 6 h are forgotten; the least recently updated entity is dropped', () => {
  const h = new HorizonTracker({ maxEntities: 2 });
  h.observe('a', T0, 1, 1);
  h.observe('a', T0 + 7 * 3_600_000, 5, 5);
  assert.equal(h.get('a', T0 + 7 * 3_600_000 + W)?.windows, 1);
  h.observe('b', T0, 1, 1);
  h.observe('c', T0, 1, 1);
  assert.equal(h.size, 2);
  assert.equal(h.get('a', T0 + W), null, 'a was the least recently updated');
});
