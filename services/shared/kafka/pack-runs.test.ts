import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PackableMessage, type Packer, packRuns } from './pack-runs.js';

/** A test packer: values joined with '|' behind a 'P:' mark, so a record shows what it holds. */
const packer = (maxValues: number, maxBytes = 1 << 20): Packer => ({
  maxValues,
  maxBytes,
  pack: (values) => Buffer.from(`P:${values.map((v) => v.toString()).join('|')}`),
});
const unpack = (m: PackableMessage): string[] => {
  const s = m.value.toString();
  return s.startsWith('P:') ? s.slice(2).split('|') : [s];
};
const partitionOf = (partitions: number) => (key: string) => Number(key.slice(1)) % partitions;

/** Per partition, the values in record order, records split. */
function perPartition(records: readonly PackableMessage[], partitions: number): string[][] {
  const out: string[][] = Array.from({ length: partitions }, () => []);
  for (const r of records) out[partitionOf(partitions)(r.key)]!.push(...unpack(r));
  return out;
}

test('a run of one key becomes one record at its first place; other keys between on other partitions do not end it', () => {
  const m = (key: string, v: string): PackableMessage => ({ key, value: Buffer.from(v) });
  // k0 and k2 share partition 0 of 2; k1 is on partition 1
  const records = packRuns(
    [m('k0', 'a'), m('k1', 'b'), m('k0', 'c'), m('k2', 'd'), m('k0', 'e')],
    partitionOf(2),
    packer(10),
  );
  assert.deepEqual(
    records.map((r) => [r.key, unpack(r)]),
    [
      ['k0', ['a', 'c']], // k1 between them is on the other partition
      ['k1', ['b']],
      ['k2', ['d']], // ends k0's run on partition 0
      ['k0', ['e']],
    ],
  );
  // a run of one is the message itself, untouched
  assert.equal(records[1]!.value.toString(), 'b');
});

test('runs stop at maxValues and maxBytes; messages with headers or string values are never packed', () => {
  const m = (v: string, extra: Partial<PackableMessage> = {}): PackableMessage => ({
    key: 'k0',
    value: Buffer.from(v),
    ...extra,
  });
  assert.deepEqual(
    packRuns([m('a'), m('b'), m('c'), m('d'), m('e')], partitionOf(1), packer(2)).map(unpack),
    [['a', 'b'], ['c', 'd'], ['e']],
  );
  assert.deepEqual(packRuns([m('aaa'), m('bbb'), m('ccc')], partitionOf(1), packer(10, 6)).map(unpack), [
    ['aaa', 'bbb'],
    ['ccc'],
  ]);
  const withHeaders = m('h', { headers: { x: '1' } });
  const records = packRuns(
    [m('a'), withHeaders, m('b'), { key: 'k0', value: 's' }, m('c')],
    partitionOf(1),
    packer(10),
  );
  assert.equal(records[1], withHeaders);
  assert.deepEqual(records.map(unpack), [['a'], ['h'], ['b'], ['s'], ['c']]);
});

test('random streams: every partition holds the same values in the same order, in no more records', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const partitions = 1 + rand(6);
    const keys = 1 + rand(12);
    const messages: PackableMessage[] = [];
    let key = rand(keys);
    for (let i = 0, n = rand(300); i < n; i++) {
      if (rand(3) === 0) key = rand(keys); // runs of a key, as a principal's requests come
      messages.push({ key: `k${key}`, value: Buffer.from(`v${i}`) });
    }
    const maxValues = 1 + rand(8);
    const records = packRuns(messages, partitionOf(partitions), packer(maxValues));
    assert.deepEqual(perPartition(records, partitions), perPartition(messages, partitions), `round ${round}`);
    assert.ok(records.length <= messages.length);
    for (const r of records) assert.ok(unpack(r).length <= maxValues);
    // each record's values are its key's
    for (const r of records)
      for (const v of unpack(r)) assert.equal(messages[Number(v.slice(1))]!.key, r.key);
  }
});
