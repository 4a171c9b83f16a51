import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessEventMessages, isAccessEventBatch, packAccessEvents } from './access-batch.js';
import { accessEventWith } from './access-event-defaults.js';
import { accessEventCodec, createCodec, defaultRegistry, HEADER_LENGTH } from './codec.js';

const codec = accessEventCodec();
const events = [0, 1, 2].map((i) =>
  accessEventWith({ event_id: `e${i}`, ts: 1_700_000_000_000 + i, user_id: 'u7', route: `/orders/${i}` }),
);
/** Copies: the codec hands out views of a slab it writes on. */
const messages = events.map((e) => Buffer.from(codec.encode(e)));

const isBadMessage = (err: unknown) => (err as { code?: string }).code === 'LW_ERR_AVRO_BAD_MESSAGE';

test('a packed record splits back into the same AccessEvent messages, in order, as views', () => {
  const record = packAccessEvents(messages);
  assert.ok(isAccessEventBatch(record));
  const parts = accessEventMessages(record);
  assert.deepEqual(parts, messages);
  assert.equal(parts[0]!.buffer, record.buffer, 'a view of the record, not a copy');
  assert.deepEqual(
    parts.map((p) => codec.decode(p).event_id),
    ['e0', 'e1', 'e2'],
  );
});

test('a record that is one AccessEvent message is its own only item', () => {
  assert.ok(!isAccessEventBatch(messages[0]!));
  assert.deepEqual(accessEventMessages(messages[0]!), [messages[0]]);
  // not even a message: handed on as it is, for the event codec to refuse with its own reason
  const junk = Buffer.from('not avro');
  assert.deepEqual(accessEventMessages(junk), [junk]);
});

test('the record is an ordinary Avro single-object message of the batch schema', () => {
  const batchCodec = createCodec<{ events: Buffer[] }>(
    JSON.stringify({
      type: 'record',
      name: 'AccessEventBatch',
      namespace: 'io.leakwatch.v1',
      fields: [{ name: 'events', type: { type: 'array', items: 'bytes' } }],
    }),
    defaultRegistry(),
  );
  const record = packAccessEvents(messages);
  assert.deepEqual(batchCodec.decode(record).events, messages);
  // and what a generic writer produces is read here too
  assert.deepEqual(accessEventMessages(batchCodec.encode({ events: messages })), messages);
});

test('a reader of AccessEvent messages alone refuses a packed record instead of reading one event', () => {
  assert.throws(() => codec.decode(packAccessEvents(messages)), isBadMessage);
});

/** Zig-zag varint of a long. */
function long(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 128) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return Buffer.from(out);
}

test('blocks written with their byte size (negative count) and several blocks are read', () => {
  const header = packAccessEvents(messages).subarray(0, HEADER_LENGTH);
  const item = (m: Buffer) => Buffer.concat([long(m.length), m]);
  const first = Buffer.concat([item(messages[0]!), item(messages[1]!)]);
  const record = Buffer.concat([
    header,
    long(-2), // two items, then their size in bytes
    long(first.length),
    first,
    long(1),
    item(messages[2]!),
    long(0),
  ]);
  assert.deepEqual(accessEventMessages(record), messages);
});

test('every truncation, an overrunning length and trailing bytes are refused as bad messages', () => {
  const record = packAccessEvents(messages);
  for (let cut = HEADER_LENGTH; cut < record.length; cut++) {
    assert.throws(() => accessEventMessages(record.subarray(0, cut)), isBadMessage, `cut at ${cut}`);
  }
  assert.throws(() => accessEventMessages(Buffer.concat([record, Buffer.from([0])])), isBadMessage);
  const header = record.subarray(0, HEADER_LENGTH);
  // one item said to be 1,000 bytes (zig-zag 2,000 = d0 0f) with 5 behind it
  const overrun = Buffer.concat([header, Buffer.from([2, 0xd0, 0x0f, 1, 2, 3, 4, 5, 0])]);
  assert.throws(() => accessEventMessages(overrun), isBadMessage);
  const huge = Buffer.concat([header, Buffer.from([0xfe, 0xff, 0xff, 0x7f])]);
  assert.throws(() => accessEventMessages(huge), isBadMessage, 'a count beyond the bytes left');
});
