import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketSeconds, MAX_POINTS, parseInterval } from './index.js';

test('intervals as Grafana writes them', () => {
  assert.equal(parseInterval('30s'), 30);
  assert.equal(parseInterval('5m'), 300);
  assert.equal(parseInterval('1h'), 3600);
  assert.equal(parseInterval('1d'), 86400);
  assert.equal(parseInterval('1w'), 604800);
  assert.equal(parseInterval('60000'), 60);
  assert.equal(parseInterval('2000ms'), 2);
  for (const bad of ['0s', '500ms', '1500ms', '5 m', '1y', '', 'm'])
    assert.throws(() => parseInterval(bad), { code: 'LW_ERR_API_BAD_REQUEST' }, bad);
});

test(`at most ${MAX_POINTS} points per series; a round step when none is asked`, () => {
  const day = 86_400_000;
  assert.equal(bucketSeconds(0, day, '1m'), 60); // 1440 points
  assert.throws(() => bucketSeconds(0, 2 * day, '1m'), /2880 points .* at most 2000 \(use 87s or more\)/);
  assert.equal(bucketSeconds(0, day, undefined), 60);
  assert.equal(bucketSeconds(0, 7 * day, undefined), 900);
  assert.equal(bucketSeconds(0, 365 * day, undefined), 21600);
});
