// The layering of ClickHouse baselines over stream learning (pure). The ClickHouse store itself is
// tested against the real server in test/integration/baselines.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Baseline, BaselineStore } from '../rules/types.js';
import { LayeredBaselineStore } from './clickhouse-store.js';

const summary = { p50: 1, p95: 2, mad: 1, n: 12 };
const b = (source: Baseline['source']): Baseline => ({ source, features: { bytes_out: summary } });
const fixed = (v: Baseline | undefined): BaselineStore => ({ get: () => v });
const get = (s: BaselineStore) => s.get({ type: 'user', value: 'u' }, 't', 0, 'order');

test('ClickHouse baselines win at equal footing; the entity own history beats any group', () => {
  const chPeer = b('peer');
  const memEntity = b('entity');
  assert.equal(get(new LayeredBaselineStore(fixed(chPeer), fixed(b('peer')))), chPeer);
  assert.equal(get(new LayeredBaselineStore(fixed(chPeer), fixed(memEntity))), memEntity);
  const chEntity = b('entity');
  assert.equal(get(new LayeredBaselineStore(fixed(chEntity), fixed(memEntity))), chEntity);
  const memPeer = b('peer');
  assert.equal(get(new LayeredBaselineStore(fixed(b('global')), fixed(memPeer))), memPeer);
});

test('an empty ClickHouse store behaves as the learning store; nothing anywhere is undefined', () => {
  const mem = b('global');
  assert.equal(get(new LayeredBaselineStore(fixed(undefined), fixed(mem))), mem);
  assert.equal(get(new LayeredBaselineStore(fixed(undefined), fixed(undefined))), undefined);
});

test('closed windows reach the learning store', () => {
  const seen: number[] = [];
  const learner: BaselineStore = {
    get: () => undefined,
    observe: (_e, _t, windowStart) => void seen.push(windowStart),
  };
  const s = new LayeredBaselineStore(fixed(undefined), learner);
  s.observe({ type: 'user', value: 'u' }, 't', 600_000, 'none', {
    events: 1,
    bytes_out: 1,
    rows_out: 0,
    distinct_resources: 0,
  });
  assert.deepEqual(seen, [600_000]);
});
