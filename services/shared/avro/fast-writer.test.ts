import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { accessEventWith } from './access-event-defaults.js';
import { accessEventCodec, alertCodec, HEADER_LENGTH, parseSchema } from './codec.js';
import { compileFastWriter, type Sink } from './fast-writer.js';
import type { AccessEvent } from './generated/access-event.js';

// The contract: every message the codec writes has exactly avsc's body, whichever path wrote it.
function assertAvscBytes(value: unknown, codec = accessEventCodec()): void {
  const message = codec.encode(value as never);
  const avsc = codec.type.toBuffer(value);
  assert.ok(message.subarray(HEADER_LENGTH).equals(avsc), `body differs for ${JSON.stringify(value)}`);
}

/** What the fast writer alone does with a value: its body, or null when it declines. */
function fastBody(value: unknown, type = accessEventCodec().type): Buffer | null {
  const w = compileFastWriter(type);
  assert.ok(w !== null);
  const sink: Sink = { buf: Buffer.alloc(16), start: 0, pos: 0 };
  return w(sink, value) ? sink.buf.subarray(sink.start, sink.pos) : null;
}

const base = accessEventWith({ event_id: 'e1', ts: 1_700_000_000_000 });

const STRINGS = [
  '',
  'a',
  'x'.repeat(23), // the last length written by the JS loop
  'x'.repeat(24), // the first written natively
  'x'.repeat(63),
  'x'.repeat(64), // two-byte length varint from here
  'x'.repeat(65),
  'x'.repeat(8191),
  'x'.repeat(8192), // three-byte length varint
  'é',
  'é'.repeat(30), // 60 UTF-8 bytes: avsc's own loop
  'é'.repeat(40), // 80 bytes: avsc's utf8 write
  'ab€cd',
  '😀 emoji pair',
  '\ud800', // lone surrogates: avsc's loop writes ED A0 80 (<= 64 bytes), utf8 EF BF BD (> 64)
  `x\udc00y`,
  `${'a'.repeat(70)}\ud800`,
  `${'a'.repeat(30)}é`, // ASCII run, then a non-ASCII unit past the point the loop gives up
  'tok_email_0123456789abcdef',
];

test('the fast writer writes what avsc writes: edge strings in every string position', () => {
  for (const s of STRINGS) {
    const value: AccessEvent = {
      ...base,
      event_id: s,
      user_agent: s,
      route: s,
      findings: [s, s],
      attrs: { [s]: s, k: s },
    };
    assert.ok(fastBody(value) !== null, `declined ${JSON.stringify(s)}`);
    assertAvscBytes(value);
  }
});

test('the fast writer writes what avsc writes: numbers at the varint and safe-long edges', () => {
  const longs = [
    0,
    -0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    2 ** 30 - 1,
    2 ** 30,
    -(2 ** 30),
    -(2 ** 30) - 1,
    2 ** 31,
    2 ** 32 + 5,
  ];
  longs.push(1_767_225_600_123, -1_767_225_600_123, 9007199254740990, -9007199254740990);
  for (const n of longs) {
    const value = { ...base, ts: n, bytes_out: n, rows_out: n, status: n | 0 };
    assert.ok(fastBody(value) !== null, `declined ${n}`);
    assertAvscBytes(value);
  }
  for (const d of [
    0,
    -0,
    0.1,
    -1e-300,
    1e300,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ]) {
    assertAvscBytes({ ...base, duration_ms: d });
  }
});

test('the fast writer writes what avsc writes: random values of both schemas', () => {
  for (const codec of [accessEventCodec(), alertCodec()] as const) {
    for (let i = 0; i < 2000; i++) assertAvscBytes(codec.type.random(), codec as never);
  }
});

test('values the fast writer declines are left to avsc: defaults filled, invalid values refused', () => {
  // undefined fields: avsc writes the field default
  const partial = { ...base, status: undefined, findings: undefined, attrs: undefined };
  assert.equal(fastBody(partial), null);
  assertAvscBytes(partial);
  // beyond avsc's safe long, a fractional long, an unknown enum symbol, a wrong type: TypeError as before
  for (const bad of [
    { ...base, ts: 9007199254740991 },
    { ...base, bytes_out: 1.5 },
    { ...base, source_kind: 'ftp' },
    { ...base, status: '200' },
    { ...base, findings: 'phi' },
    { ...base, attrs: { k: 1 } },
  ]) {
    assert.equal(fastBody(bad), null);
    assert.throws(() => accessEventCodec().encode(bad as never), { name: 'TypeError' });
  }
});

test('messages stay intact while later ones fill (and outgrow) the shared buffer', () => {
  const codec = accessEventCodec();
  const values: AccessEvent[] = [];
  const messages: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const big = i % 997 === 0 ? 'u'.repeat(40_000 + i) : `ua-${i}`;
    const v = { ...base, event_id: `e${i}`, user_agent: big, route: `/orders/${i}`, bytes_out: i * 7919 };
    values.push(v);
    messages.push(codec.encode(v));
  }
  for (let i = 0; i < values.length; i++) {
    assert.ok(messages[i]?.subarray(HEADER_LENGTH).equals(codec.type.toBuffer(values[i])), `message ${i}`);
  }
});

test('schemas using types the fast writer does not cover are left to avsc entirely', () => {
  const rec = (type: unknown) => parseSchema({ type: 'record', name: 'R', fields: [{ name: 'f', type }] });
  for (const type of ['float', 'bytes', { type: 'fixed', name: 'F', size: 2 }, ['null', 'string', 'long']]) {
    assert.equal(compileFastWriter(rec(type)), null, JSON.stringify(type));
  }
  const wrapped = avro.Type.forSchema(
    { type: 'record', name: 'W', fields: [{ name: 'f', type: ['null', 'string'] }] },
    { wrapUnions: true },
  );
  assert.equal(compileFastWriter(wrapped), null);
  const recursive = parseSchema({
    type: 'record',
    name: 'Node',
    fields: [{ name: 'next', type: ['null', 'Node'] }],
  });
  assert.equal(compileFastWriter(recursive), null);
  assert.ok(compileFastWriter(accessEventCodec().type) !== null);
  assert.ok(compileFastWriter(alertCodec().type) !== null);
});
