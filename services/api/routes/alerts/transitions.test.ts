import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expiryOf, nextStatus, parseDuration } from './transitions.js';

test('status transitions: allowed moves, no-ops, and 409 for the rest', () => {
  assert.equal(nextStatus('open', 'ack'), 'acknowledged');
  assert.equal(nextStatus('acknowledged', 'resolve'), 'resolved');
  assert.equal(nextStatus('resolved', 'reopen'), 'open');
  assert.equal(nextStatus('suppressed', 'reopen'), 'open');
  assert.equal(nextStatus('open', 'suppress'), 'suppressed');
  assert.equal(nextStatus('acknowledged', 'ack'), null);
  assert.throws(() => nextStatus('resolved', 'ack'), { code: 'LW_ERR_API_CONFLICT', statusCode: 409 });
  assert.equal(nextStatus('open', 'reopen'), null);
});

test('durations and expiries', () => {
  assert.equal(parseDuration('24h', 90 * 86_400_000), 86_400_000);
  assert.equal(parseDuration('30m', 90 * 86_400_000), 1_800_000);
  assert.throws(() => parseDuration('1y', 1e12), /duration like/);
  assert.throws(() => parseDuration('100d', 90 * 86_400_000), /limit of 90 days/);
  const now = 1_000_000;
  assert.equal(expiryOf({ for: '1h' }, now, { maxMs: 1e10 }), now + 3_600_000);
  assert.equal(expiryOf({ until: now + 5 }, now, { maxMs: 1e10 }), now + 5);
  assert.equal(expiryOf({}, now, { defaultMs: 10, maxMs: 1e10 }), now + 10);
  assert.throws(() => expiryOf({}, now, { maxMs: 1e10 }), /give "for"/);
  assert.throws(() => expiryOf({ until: now - 1 }, now, { maxMs: 1e10 }), /in the past/);
  assert.throws(() => expiryOf({ for: '1h', until: now + 5 }, now, { maxMs: 1e10 }), /not both/);
});
