import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createError } from './errors.js';
import { backoffDelay, DELIVERY_BACKOFF, retry, retryUntilDelivered } from './retry.js';

const Flaky = createError('LW_ERR_TEST_FLAKY', 'flaky', { retriable: true });
const NotFlaky = createError('LW_ERR_TEST_BROKEN', 'broken');

/** An operation that always throws `err()`, counting its attempts. */
function alwaysFails(err: () => unknown): (() => Promise<never>) & { attempts: number } {
  const op = Object.assign(
    async (): Promise<never> => {
      op.attempts++;
      throw err();
    },
    { attempts: 0 },
  );
  return op;
}

test('retries retriable errors, then succeeds', async () => {
  let n = 0;
  const v = await retry(
    async () => {
      if (++n < 3) throw Flaky();
      return 'ok';
    },
    { initialMs: 1 },
  );
  assert.equal(v, 'ok');
  assert.equal(n, 3);
});

test('never retries a TypeError or a non-retriable error', async () => {
  const op = alwaysFails(() => new TypeError('bug'));
  await assert.rejects(retry(op), TypeError);
  assert.equal(op.attempts, 1);
});

test('gives up after maxAttempts with the last error', async () => {
  const op = alwaysFails(() => Flaky());
  await assert.rejects(retry(op, { initialMs: 1, maxAttempts: 4 }), { code: 'LW_ERR_TEST_FLAKY' });
  assert.equal(op.attempts, 4);
});

test('backoff grows and is capped', () => {
  const o = { initialMs: 100, maxMs: 1000, factor: 2 };
  assert.ok(backoffDelay(0, o) <= 120);
  assert.ok(backoffDelay(10, o) <= 1200 && backoffDelay(10, o) >= 800);
});

const fast = { initialMs: 1, maxMs: 4, factor: 2 };

function fakeBatch(staleAfter = Number.POSITIVE_INFINITY) {
  const b = {
    heartbeats: 0,
    checks: 0,
    isRunning: () => true,
    isStale: () => ++b.checks > staleAfter,
    heartbeat: async () => {
      b.heartbeats++;
    },
  };
  return b;
}

test('retryUntilDelivered: retries past the attempts retry() would allow, counting every failure', async () => {
  let n = 0;
  let failures = 0;
  const waits: number[] = [];
  const v = await retryUntilDelivered(
    async () => {
      if (++n < 12) throw Flaky();
      return n;
    },
    { backoff: fast, onFailure: () => failures++, onRetry: (_e, attempt) => waits.push(attempt) },
  );
  assert.equal(v, 12);
  assert.equal(failures, 11);
  assert.deepEqual(waits, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

test('retryUntilDelivered: by default only retriable errors (isRetriable), never a TypeError or a plain Error', async () => {
  for (const err of [new TypeError('bug'), new Error('no code'), NotFlaky()]) {
    const op = alwaysFails(() => err);
    let failures = 0;
    await assert.rejects(
      retryUntilDelivered(op, { backoff: fast, onFailure: () => failures++ }),
      (e) => e === err,
    );
    assert.equal(op.attempts, 1);
    assert.equal(failures, 1);
  }
  let n = 0;
  await retryUntilDelivered(
    async () => {
      if (++n < 3) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    },
    { backoff: fast },
  );
  assert.equal(n, 3);
});

test('retryUntilDelivered: a caller may retry everything', async () => {
  let n = 0;
  await retryUntilDelivered(
    async () => {
      if (++n < 3) throw new Error('anything');
    },
    { backoff: fast, retriable: () => true },
  );
  assert.equal(n, 3);
});

test('retryUntilDelivered: heartbeats the batch between attempts and stops once it is stale', async () => {
  const batch = fakeBatch(2);
  const op = alwaysFails(() => Flaky());
  await assert.rejects(retryUntilDelivered(op, { backoff: fast, batch }), { code: 'LW_ERR_TEST_FLAKY' });
  assert.equal(op.attempts, 3); // failures 1 and 2 retried, the 3rd found the batch stale
  assert.equal(batch.heartbeats, 2);
  const ok = fakeBatch();
  let m = 0;
  await retryUntilDelivered(
    async () => {
      if (++m < 2) throw Flaky();
    },
    { backoff: fast, batch: ok },
  );
  assert.equal(ok.heartbeats, 1);
});

test('retryUntilDelivered: an abort ends the wait and throws the last error', async () => {
  const abort = new AbortController();
  const op = alwaysFails(() => Flaky());
  const t0 = Date.now();
  const p = retryUntilDelivered(op, { signal: abort.signal, retriable: () => true });
  setTimeout(() => abort.abort(), 20);
  await assert.rejects(p, { code: 'LW_ERR_TEST_FLAKY' });
  assert.equal(op.attempts, 1); // the first wait (DELIVERY_BACKOFF, about 250 ms) was cut short
  assert.ok(Date.now() - t0 < 200);
});

test('DELIVERY_BACKOFF: 250 ms doubling to 10 s, with jitter', () => {
  assert.deepEqual({ ...DELIVERY_BACKOFF }, { initialMs: 250, maxMs: 10_000, factor: 2 });
  assert.ok(Object.isFrozen(DELIVERY_BACKOFF));
  const d0 = backoffDelay(0, DELIVERY_BACKOFF);
  assert.ok(d0 >= 200 && d0 <= 300);
  const d9 = backoffDelay(40, DELIVERY_BACKOFF);
  assert.ok(d9 >= 8000 && d9 <= 12_000);
});
