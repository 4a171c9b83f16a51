import assert from 'node:assert/strict';
import { test } from 'node:test';
import { everyEventByPrincipal, newIdByPrincipal } from './define.js';
import { defaultRules } from './index.js';

test('the shared rule fields: id, key and trigger as each rule declared them before', () => {
  assert.deepEqual(everyEventByPrincipal('x', { a: 1 }), {
    id: 'x',
    keyBy: 'principal',
    trigger: 'every-event',
    defaults: { a: 1 },
  });
  const table = defaultRules().map((r) => [r.id, r.keyBy, r.trigger, Object.keys(r).join(',')]);
  const fields = 'id,keyBy,trigger,defaults,evaluate';
  assert.deepEqual(table, [
    ['egress', 'principal', 'every-event', fields],
    ['sequential-enumeration', 'principal', 'new-id', fields],
    ['distinct-resource-burst', 'principal', 'every-event', fields],
    ['id-probing', 'principal', 'every-event', fields],
    ['media-enumeration', 'principal', 'new-id', fields],
    ['distributed-enumeration', 'route', 'new-id', fields],
    ['unauthenticated-sensitive', 'principal', 'every-event', fields],
    ['phi-in-url', 'principal', 'every-event', fields],
    ['session-sharing', 'principal', 'every-event', fields],
    ['break-glass', 'principal', 'every-event', fields],
  ]);
  assert.equal(newIdByPrincipal('y', null).trigger, 'new-id');
});
