import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSendQueue } from './send-queue.js';

/** A send function whose requests the test completes by hand. */
function manualSender() {
  const requests: { items: string[]; done: (err?: Error) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = (items: string[]) =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      requests.push({
        items,
        done: (err) => {
          inFlight--;
          if (err) reject(err);
          else resolve();
        },
      });
    });
  return { send, requests, maxInFlight: () => maxInFlight };
}

const tick = () => new Promise((r) => setImmediate(r));

test('one request at a time; sends queued meanwhile go out merged, in order', async () => {
  const s = manualSender();
  const enqueue = createSendQueue(s.send, 1000);
  const first = enqueue(['a1', 'a2'], 10);
  await tick();
  const second = enqueue(['b1'], 10);
  const third = enqueue(['c1', 'c2'], 10);
  await tick();
  assert.equal(s.requests.length, 1, 'nothing else goes out while a request is in flight');
  s.requests[0]!.done();
  await first;
  await tick();
  assert.deepEqual(
    s.requests.map((r) => r.items),
    [
      ['a1', 'a2'],
      ['b1', 'c1', 'c2'],
    ],
  );
  s.requests[1]!.done();
  await Promise.all([second, third]);
  assert.equal(s.maxInFlight(), 1);
});

test('merging stops at the size limit; a caller larger than the limit still goes out whole', async () => {
  const s = manualSender();
  const enqueue = createSendQueue(s.send, 100);
  const all = [enqueue(['big'], 500), enqueue(['x'], 60), enqueue(['y'], 30), enqueue(['z'], 30)];
  for (let i = 0; i < 3; i++) {
    await tick();
    s.requests[i]?.done();
  }
  await Promise.all(all);
  assert.deepEqual(
    s.requests.map((r) => r.items),
    [['big'], ['x', 'y'], ['z']],
  );
});

test('a failed request rejects every caller it carried, and the queue goes on', async () => {
  const s = manualSender();
  const enqueue = createSendQueue(s.send, 1000);
  const first = enqueue(['a'], 1);
  await tick();
  const second = enqueue(['b'], 1);
  const third = enqueue(['c'], 1);
  s.requests[0]!.done();
  await first;
  await tick();
  s.requests[1]!.done(new Error('broker gone'));
  await assert.rejects(second, /broker gone/);
  await assert.rejects(third, /broker gone/);
  const fourth = enqueue(['d'], 1);
  await tick();
  s.requests[2]!.done();
  await fourth;
  assert.deepEqual(s.requests[2]!.items, ['d']);
});

test('an empty send resolves without a request', async () => {
  const s = manualSender();
  await createSendQueue(s.send, 10)([], 0);
  assert.equal(s.requests.length, 0);
});
