import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RecencyLinks, RecencyList } from './recency-list.js';

interface Item extends RecencyLinks<Item> {
  name: string;
}
const item = (name: string): Item => ({ name, older: null, newer: null });

function order(l: RecencyList<Item>): string[] {
  const out: string[] = [];
  for (let i = l.oldest; i !== null; i = i.newer) out.push(i.name);
  return out;
}

test('a recency list keeps items oldest first; touch moves one to the newest end; unlink drops it', () => {
  const l = new RecencyList<Item>();
  const [a, b, c] = [item('a'), item('b'), item('c')];
  for (const i of [a, b, c]) l.append(i);
  assert.deepEqual(order(l), ['a', 'b', 'c']);
  l.touch(a);
  assert.deepEqual(order(l), ['b', 'c', 'a']);
  l.touch(a); // already the newest
  assert.deepEqual(order(l), ['b', 'c', 'a']);
  l.unlink(c);
  assert.deepEqual(order(l), ['b', 'a']);
  assert.equal(l.newest, a);
  l.unlink(b);
  l.unlink(a);
  assert.equal(l.oldest, null);
  assert.equal(l.newest, null);
});
