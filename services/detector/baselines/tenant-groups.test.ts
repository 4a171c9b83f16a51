import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBaselineStore } from './memory-store.js';
import { createPartitionEntities, createTenantGroups, PartitionBaselineStore } from './tenant-groups.js';

const f = (bytes: number) => ({ events: 1, bytes_out: bytes, rows_out: 0, distinct_resources: 1 });
const T = Date.UTC(2025, 10, 3);

test('peer groups are learnt across partitions; entity histories stay with their partition', () => {
  const groups = createTenantGroups();
  const p0 = new PartitionBaselineStore(new MemoryBaselineStore(), groups);
  const p1 = new PartitionBaselineStore(new MemoryBaselineStore(), groups);
  // 6 windows of one user on partition 0, 6 of another on partition 1: 12 for the peer group
  for (let i = 0; i < 6; i++) {
    p0.observe({ type: 'user', value: 'a' }, 't', T + i * 600_000, 'order', f(1000));
    p1.observe({ type: 'user', value: 'b' }, 't', T + i * 600_000, 'order', f(3000));
  }
  const newcomer = { type: 'user' as const, value: 'c' };
  assert.equal(p0.get(newcomer, 't', T, 'order')?.source, 'peer');
  assert.equal(p0.get(newcomer, 't', T, 'order')?.features['bytes_out']?.n, 12);
  assert.deepEqual(p0.get(newcomer, 't', T, 'order'), p1.get(newcomer, 't', T, 'order'));
  for (let i = 6; i < 12; i++)
    p0.observe({ type: 'user', value: 'a' }, 't', T + i * 600_000, 'order', f(1000));
  assert.equal(p0.get({ type: 'user', value: 'a' }, 't', T, 'order')?.source, 'entity');
  assert.notEqual(p1.get({ type: 'user', value: 'a' }, 't', T, 'order')?.source, 'entity');
});

test('learning only what is read (partition: entities, shared: groups) answers as learning everything', () => {
  const W = 600_000;
  const t0 = Date.UTC(2025, 3, 14);
  const full = new PartitionBaselineStore(
    new MemoryBaselineStore(),
    new MemoryBaselineStore({ maxEntities: 10_000 }),
  );
  const lean = new PartitionBaselineStore(createPartitionEntities(), createTenantGroups());
  let seed = 3;
  const r = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  for (let i = 0; i < 3000; i++) {
    const entity = { type: r(2) === 0 ? 'user' : 'client_ip', value: `e${r(40)}` };
    const ws = t0 + Math.floor(i / 10) * W;
    const peer = ['none', 'order', 'recording'][r(3)] as string;
    const f = {
      events: 1 + r(30),
      bytes_out: r(5) === 0 ? 0 : r(1e7),
      rows_out: r(3),
      distinct_resources: r(9),
    };
    full.observe(entity, 't', ws, peer, f);
    lean.observe(entity, 't', ws, peer, f);
    assert.deepEqual(lean.get(entity, 't', ws + W, peer), full.get(entity, 't', ws + W, peer));
  }
});
