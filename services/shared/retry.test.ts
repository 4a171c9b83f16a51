import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createError } from './errors.js';
import { backoffDelay, retry } from './retry.js';

const Flaky = createError('LW_ERR_TEST_FLAKY', 'flaky', { retriable: true });

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
  let n = 0;
  await assert.rejects(
    retry(async () => {
      n++;
      throw new TypeError('bug');
    }),
    TypeError,
  );
  assert.equal(n, 1);
});

test('gives up after maxAttempts with the last error', async () => {
  let n = 0;
  await assert.rejects(
    retry(
      async () => {
        n++;
        throw Flaky();
      },
      { initialMs: 1, maxAttempts: 4 },
    ),
    { code: 'LW_ERR_TEST_FLAKY' },
  );
  assert.equal(n, 4);
});

test('backoff grows and is capped', () => {
  const o = { initialMs: 100, maxMs: 1000, factor: 2 };
  assert.ok(backoffDelay(0, o) <= 120);
  assert.ok(backoffDelay(10, o) <= 1200 && backoffDelay(10, o) >= 800);
});
