import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from './line-splitter.js';

test('byte-at-a-time input gives the same lines and offsets as one chunk', () => {
  const text = Buffer.from('héllo\r\n\nworld\nlast');
  const whole = new LineSplitter(100);
  const a = [...whole.push(text), ...whole.end()];
  const bytes = new LineSplitter(100);
  const b = [];
  for (const byte of text) b.push(...bytes.push(Buffer.from([byte])));
  b.push(...bytes.end());
  assert.deepEqual(a, [
    { offset: 0, text: 'héllo' },
    { offset: 8, text: '' },
    { offset: 9, text: 'world' },
    { offset: 15, text: 'last' },
  ]);
  assert.deepEqual(b, a);
});

test('a pending line never holds more than maxLineBytes + 1 bytes; lineStart is where to resume', () => {
  const s = new LineSplitter(4);
  for (let i = 0; i < 1000; i++) s.push(Buffer.from('abcdefgh'));
  assert.equal(s.pendingBytes, 8000);
  assert.equal(s.lineStart, 0);
  // the CR of a line exactly at the cap is still a line ending
  assert.deepEqual(s.push(Buffer.from('\nabcd\r\nx')), [
    { offset: 0, text: 'abcd', tooLong: { bytes: 8000, limit: 4 } },
    { offset: 8001, text: 'abcd' },
  ]);
  assert.equal(s.lineStart, 8007);
  assert.equal((s as unknown as { carryLen: number }).carryLen <= 5, true);
});

test('a line over the limit is marked tooLong with its full length, in one chunk or several, and at the end', () => {
  const s = new LineSplitter(5);
  assert.deepEqual(s.push(Buffer.from('12345\n123456\nok\n')), [
    { offset: 0, text: '12345' },
    { offset: 6, text: '12345', tooLong: { bytes: 6, limit: 5 } },
    { offset: 13, text: 'ok' },
  ]);
  s.push(Buffer.from('abc'));
  s.push(Buffer.from('defgh'));
  assert.deepEqual(s.push(Buffer.from('ij\nnext')), [
    { offset: 16, text: 'abcde', tooLong: { bytes: 10, limit: 5 } },
  ]);
  assert.deepEqual(s.end(), [{ offset: 27, text: 'next' }]);
  s.push(Buffer.from('0123456789'));
  assert.deepEqual(s.end(), [{ offset: 31, text: '01234', tooLong: { bytes: 10, limit: 5 } }]);
});
