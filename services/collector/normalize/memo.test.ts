import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flatCopy } from '#shared/flat-copy.js';
import { StringMemo } from './memo.js';

/** `f`, counting how often the memo had to call it. */
function counted(f: (k: string) => string): ((k: string) => string) & { calls: number } {
  const g = Object.assign(
    (k: string) => {
      g.calls++;
      return f(k);
    },
    { calls: 0 },
  );
  return g;
}

test('StringMemo computes each key once while it stays in its set', () => {
  const memo = new StringMemo<string>(1024, 64);
  const upper = counted((k) => k.toUpperCase());
  for (let round = 0; round < 3; round++) {
    for (const k of ['/a', '/b', '/orders/1', '/orders/2']) assert.equal(memo.get(k, upper), k.toUpperCase());
  }
  assert.equal(upper.calls, 4);
});

test('StringMemo never answers for another key: a full table only costs recomputation', () => {
  // Two slots (one set) for 500 keys: nearly every lookup collides.
  const memo = new StringMemo<string>(2, 64);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 500; i++) {
      const k = `/orders/${i}`;
      assert.equal(
        memo.get(k, (x) => `v:${x}`),
        `v:${k}`,
      );
    }
  }
  // The set keeps the two most recent keys.
  const count = counted((x) => x);
  memo.get('/x', count);
  memo.get('/y', count);
  memo.get('/x', count);
  memo.get('/y', count);
  assert.equal(count.calls, 2);
});

test('StringMemo does not keep keys longer than its limit; its size must be a power of two', () => {
  const memo = new StringMemo<string>(64, 8);
  const id = counted((x) => x);
  memo.get('12345678', id);
  memo.get('12345678', id);
  assert.equal(id.calls, 1);
  memo.get('123456789', id);
  memo.get('123456789', id);
  assert.equal(id.calls, 3);
  assert.throws(() => new StringMemo(3, 8), RangeError);
});

test('flatCopy gives the same characters, lone surrogates and pairs included', () => {
  const line = `x ${'é/😀/\ud800/\udc00/'.repeat(3)}0123456789abcdef y`;
  for (let from = 0; from < 12; from++)
    for (const to of [from, from + 1, from + 12, from + 13, line.length - 1]) {
      const s = line.slice(from, to);
      assert.equal(flatCopy(s), s);
      assert.equal(flatCopy(s).length, s.length);
    }
  assert.equal(flatCopy(''), '');
});
