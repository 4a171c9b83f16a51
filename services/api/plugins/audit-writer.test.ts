import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditWriter, QueueFull } from './audit-writer.js';

/** An insert that records its batches and finishes when told to. */
function gatedInsert() {
  const batches: number[][] = [];
  const gates: Array<{ open: () => void; fail: (e: Error) => void }> = [];
  const insert = (rows: number[]) => {
    batches.push(rows);
    return new Promise<void>((open, fail) => gates.push({ open, fail }));
  };
  return { batches, gates, insert };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a lone row is inserted at once; rows arriving during an insert share the next one', async () => {
  const g = gatedInsert();
  const w = new AuditWriter<number>(g.insert, { intervalMs: 0, maxBatch: 100, maxPending: 100 });
  const first = w.write(1);
  await tick();
  assert.deepEqual(g.batches, [[1]], 'not held back waiting for company');
  const later = [2, 3, 4].map((n) => w.write(n));
  await tick();
  assert.equal(g.batches.length, 1, 'one insert at a time');
  g.gates[0]!.open();
  await first;
  await tick();
  assert.deepEqual(g.batches, [[1], [2, 3, 4]]);
  let settled = false;
  void Promise.all(later).then(() => {
    settled = true;
  });
  await tick();
  assert.equal(settled, false, 'a caller waits until its own row is stored');
  g.gates[1]!.open();
  await Promise.all(later);
  assert.equal(w.inserts, 2);
});

test('a failed insert rejects the callers of that batch only', async () => {
  const g = gatedInsert();
  const w = new AuditWriter<number>(g.insert, { intervalMs: 0, maxBatch: 100, maxPending: 100 });
  const a = w.write(1);
  await tick();
  const b = w.write(2);
  g.gates[0]!.fail(new Error('store down'));
  await assert.rejects(a, /store down/);
  await tick();
  g.gates[1]!.open();
  await b;
  assert.deepEqual(g.batches, [[1], [2]]);
});

test('inserts start at least intervalMs apart, and batches hold at most maxBatch rows', async () => {
  const starts: number[] = [];
  const sizes: number[] = [];
  const w = new AuditWriter<number>(
    async (rows) => {
      starts.push(Date.now());
      sizes.push(rows.length);
    },
    { intervalMs: 40, maxBatch: 3, maxPending: 100 },
  );
  await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => w.write(n)));
  assert.deepEqual(sizes, [1, 3, 3]);
  for (let i = 1; i < starts.length; i++) {
    assert.ok(starts[i]! - starts[i - 1]! >= 35, `gap ${starts[i]! - starts[i - 1]!} ms`);
  }
});

test('beyond maxPending waiting rows, write rejects at once instead of queueing', async () => {
  const g = gatedInsert();
  const w = new AuditWriter<number>(g.insert, { intervalMs: 0, maxBatch: 10, maxPending: 2 });
  const inFlight = w.write(1);
  await tick();
  const waiting = [w.write(2), w.write(3)];
  await assert.rejects(w.write(4), QueueFull);
  g.gates[0]!.open();
  await inFlight;
  await tick();
  g.gates[1]!.open();
  await Promise.all(waiting);
  assert.deepEqual(g.batches, [[1], [2, 3]]);
});
