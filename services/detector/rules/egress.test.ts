import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goldenSuite } from '../../../test/support/golden.js';
import { EGRESS_DEFAULTS, egress, learnt, learntThreshold } from './egress.js';
import type { Baseline } from './types.js';

goldenSuite(egress);

const GB = 1024 ** 3;
const night = { p50: 6 * GB, p95: 6.3 * GB, mad: 0.1 * GB, n: 2 };

test('egress learnt: two earlier days at this hour make an entity learnt there, one does not', () => {
  const one: Baseline = {
    source: 'global',
    features: {},
    atHour: { days: 1, features: { bytes_out: night } },
  };
  const two: Baseline = {
    source: 'global',
    features: {},
    atHour: { days: 2, features: { bytes_out: night } },
  };
  assert.equal(learnt(one, 'bytes_out', EGRESS_DEFAULTS), null);
  assert.deepEqual(learnt(two, 'bytes_out', EGRESS_DEFAULTS), { basis: 'entity-hour', summary: night });
  assert.equal(learnt(two, 'bytes_out', { ...EGRESS_DEFAULTS, learntDays: 3 }), null);
});

test('egress learnt: its own baseline counts from minHistory windows; peers and the tenant never', () => {
  const s = { p50: 1000, p95: 2000, mad: 100, n: 12 };
  assert.equal(
    learnt({ source: 'entity', features: { bytes_out: s } }, 'bytes_out', EGRESS_DEFAULTS)?.basis,
    'entity',
  );
  assert.equal(
    learnt({ source: 'entity', features: { bytes_out: { ...s, n: 11 } } }, 'bytes_out', EGRESS_DEFAULTS),
    null,
  );
  assert.equal(learnt({ source: 'peer', features: { bytes_out: s } }, 'bytes_out', EGRESS_DEFAULTS), null);
  assert.equal(learnt({ source: 'global', features: { bytes_out: s } }, 'bytes_out', EGRESS_DEFAULTS), null);
  assert.equal(learnt(undefined, 'bytes_out', EGRESS_DEFAULTS), null);
});

test('egress learnt threshold: 10x p95 for small entities, 2x and p95 + absolute limit for large ones', () => {
  const small = { p50: 100_000, p95: 200_000, mad: 10_000, n: 12 };
  // 10 x 200 kB = 2 MB (above the 1 MiB floor), far below p95 + 2 GiB
  assert.equal(learntThreshold(small, 'bytes_out', EGRESS_DEFAULTS), 2_000_000);
  // 6.3 GB p95: 2 x p95 = 12.6 GB (> p95 + 2 GiB = 8.3 GB, < 10 x p95)
  const t = learntThreshold(night, 'bytes_out', EGRESS_DEFAULTS);
  assert.equal(t, 12.6 * GB);
  assert.ok(3 * night.p50 > t, '3x its usual alerts');
  assert.ok(1.1 * night.p95 < t, 'a slightly larger night does not');
  // never more lenient than its p95 + the absolute limit, unless its own spread is that wide
  const big = { p50: 1 * GB, p95: 4 * GB, mad: 0, n: 20 };
  assert.equal(learntThreshold(big, 'bytes_out', { ...EGRESS_DEFAULTS, bulkFactor: 1 }), 4 * GB + 2 * GB);
});
