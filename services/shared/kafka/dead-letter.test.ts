import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AvroBadMessage } from '../errors.js';
import { decodeBatch } from './dead-letter.js';
import type { DeadLetter } from './topics.js';

/** A value's decimal number, or the bad-message error a codec throws. */
function decodeNumber(v: Buffer): number {
  const n = Number(v.toString());
  if (Number.isNaN(n)) throw AvroBadMessage('not a number');
  return n;
}

test('decodeBatch: values in order, empty messages skipped, the undecodable dead-lettered with their place', () => {
  const batch = {
    topic: 'leakwatch.alerts.v1',
    partition: 2,
    messages: [
      { value: Buffer.from('1'), offset: '10' },
      { value: null, offset: '11' },
      { value: Buffer.from('x'), offset: '12' },
      { value: Buffer.from('3'), offset: '13' },
    ],
  };
  const seen: DeadLetter[] = [];
  const { values, dead } = decodeBatch('archiver', batch, decodeNumber, (l) => seen.push(l));
  assert.deepEqual(values, [1, 3]);
  assert.equal(dead.length, 1);
  assert.deepEqual(seen, dead);
  const [l] = dead;
  assert.equal(l?.reason, 'LW_ERR_AVRO_BAD_MESSAGE');
  assert.equal(l?.service, 'archiver');
  assert.equal(l?.source, 'leakwatch.alerts.v1/2');
  assert.equal(l?.position, '12');
  assert.equal(l?.record_bytes, 1);
  assert.equal(l?.record_redacted, '[1 bytes omitted]');
});

test('decodeBatch with split: each event of a packed record on its own, a bad one named offset:index, damaged framing as one letter', () => {
  const batch = {
    topic: 'leakwatch.access.v1',
    partition: 0,
    messages: [
      { value: Buffer.from('1,2'), offset: '5' }, // a record of two
      { value: Buffer.from('3,x,4'), offset: '6' }, // its second event is bad
      { value: Buffer.from('!'), offset: '7' }, // framing the split refuses
      { value: Buffer.from('5'), offset: '8' }, // a record of one
    ],
  };
  const { values, dead } = decodeBatch('archiver', batch, decodeNumber, undefined, (record) => {
    if (record.toString() === '!') throw AvroBadMessage('damaged batch');
    return record
      .toString()
      .split(',')
      .map((s) => Buffer.from(s));
  });
  assert.deepEqual(values, [1, 2, 3, 4, 5]);
  assert.deepEqual(
    dead.map((l) => [l.position, l.record_bytes]),
    [
      ['6:1', 1],
      ['7', 1],
    ],
  );
});
