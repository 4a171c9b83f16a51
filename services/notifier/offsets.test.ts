import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetTracker } from './offsets.js';

test('commits only up to the first message whose pages are not delivered; a partition lost is forgotten', () => {
  const t = new OffsetTracker();
  const d10 = t.add('alerts', 0, '10');
  const d11 = t.add('alerts', 0, '11');
  const d12 = t.add('alerts', 0, '12');
  const s5 = t.add('status', 1, '5');
  d11();
  d12();
  assert.deepEqual(t.committable(), [], '10 still waits for its page: 11 and 12 are not committed past it');
  d10();
  s5();
  assert.deepEqual(t.committable(), [
    { topic: 'alerts', partition: 0, offset: '13' },
    { topic: 'status', partition: 1, offset: '6' },
  ]);
  assert.deepEqual(t.committable(), [], 'nothing new');
  t.add('alerts', 0, '13');
  t.add('status', 1, '6');
  assert.equal(t.pending, 2);
  t.retain({ alerts: [0] });
  assert.equal(t.pending, 1);
});
