import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goldenSuite, toEvent } from '../../../test/support/golden.js';
import { EntityWindow } from '../engine/window-state.js';
import {
  longestRun,
  SEQUENTIAL_ENUMERATION_DEFAULTS,
  sequentialEnumeration,
} from './sequential-enumeration.js';

goldenSuite(sequentialEnumeration, 3);

test('longestRun: gaps up to maxGap, shuffles do not matter once sorted', () => {
  assert.deepEqual(longestRun([], 0, 3), { from: 0, to: -1, length: 0 });
  assert.deepEqual(longestRun([5], 1, 3), { from: 0, to: 0, length: 1 });
  assert.deepEqual(longestRun([1, 2, 3, 10, 11, 12, 13, 14], 8, 3), { from: 3, to: 7, length: 5 });
  assert.deepEqual(longestRun([1, 4, 7, 10, 15], 5, 3), { from: 0, to: 3, length: 4 });
  assert.deepEqual(longestRun([1, 5, 9], 3, 3), { from: 0, to: 0, length: 1 });
});

test('evaluate on a full view reads every route and picks the longest run', () => {
  const w = new EntityWindow(
    { type: 'client_ip', value: '1.2.3.4' },
    { maxIdsPerRoute: 4096, maxRoutes: 64, idHorizonMs: 6 * 3_600_000 },
    {
      idsDropped: 0,
      routesDropped: 0,
    },
  );
  w.reset(0, 600_000, 't');
  for (let i = 0; i < 25; i++)
    w.add(toEvent({ ts: '1970-01-01T00:00:01Z', route: '/a/{id}', resource_id: String(i) }, i));
  for (let i = 0; i < 30; i++)
    w.add(
      toEvent({ ts: '1970-01-01T00:00:02Z', route: '/b/{id}', resource_id: String(100 + i * 2) }, 100 + i),
    );
  const [f, ...rest] = sequentialEnumeration.evaluate(
    w.fullView(),
    undefined,
    SEQUENTIAL_ENUMERATION_DEFAULTS,
  );
  assert.equal(rest.length, 0);
  assert.equal(f?.observed, 30);
  assert.deepEqual(f?.topResources, ['/b/{id} ids 100..158']);
  assert.equal(f?.title, 'Sequential ID walk on /b/{id} by ip:1.2.3.4 (30 ids)');
});
