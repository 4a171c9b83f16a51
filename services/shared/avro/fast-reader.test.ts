import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Type } from 'avsc';
import { accessEventWith } from './access-event-defaults.js';
import { compileBodyChecker } from './body-check.js';
import { accessEventCodec, alertCodec, HEADER_LENGTH, parseSchema } from './codec.js';
import { compileFastReader, Decline } from './fast-reader.js';

/** The checked avsc path alone (body check, then avsc): a value, or 'refused'. */
function checkedAvsc(type: Type, body: Buffer): unknown {
  try {
    if (compileBodyChecker(type)(body, 0) !== body.length) return 'refused';
    return type.decode(body, 0).value;
  } catch {
    return 'refused';
  }
}

/** The fast reader alone: a value, or 'declined'. */
function fast(type: Type, body: Buffer): unknown {
  const read = compileFastReader(type);
  assert.ok(read !== null);
  const c = { buf: body, pos: 0 };
  try {
    const v = read(c);
    return c.pos === body.length ? v : 'declined';
  } catch (err) {
    if (err instanceof Decline) return 'declined';
    throw err;
  }
}

/** Varint bytes of a non-negative (already zig-zagged) value. */
function varint(z: number): Buffer {
  const out: number[] = [];
  while (z >= 128) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return Buffer.from(out);
}

// The contract: whatever the fast reader accepts, the checked path accepts with the same value
// (same record class too: deepStrictEqual compares prototypes).
function assertSame(type: Type, body: Buffer, mustRead = false): void {
  const v = fast(type, body);
  if (v === 'declined') {
    assert.ok(!mustRead, `declined a valid body ${body.toString('hex')}`);
    return;
  }
  assert.deepStrictEqual(v, checkedAvsc(type, body), `differs on ${body.toString('hex')}`);
}

const codecs = [accessEventCodec(), alertCodec()];

test('the fast reader reads what avsc reads: random values of both schemas, none declined', () => {
  for (const codec of codecs) {
    for (let i = 0; i < 2000; i++) assertSame(codec.type, codec.type.toBuffer(codec.type.random()), true);
  }
});

test('the fast reader reads what avsc reads: edge strings and numbers', () => {
  const type = accessEventCodec().type;
  const strings = ['', 'é', '😀', 'x'.repeat(64), 'x'.repeat(8192), '\ufffd'];
  const numbers = [
    0,
    -1,
    1,
    63,
    64,
    -64,
    -65,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 35,
    9007199254740990,
    -9007199254740990,
  ];
  for (const s of strings) {
    for (const n of numbers) {
      const v = accessEventWith({ event_id: s, ts: n, bytes_out: -n, attrs: { [s]: s }, findings: [s] });
      assertSame(type, type.toBuffer(v), true);
    }
  }
});

test('a damaged body is declined or read exactly as the checked path reads it', () => {
  const type = accessEventCodec().type;
  const body = type.toBuffer(
    accessEventWith({
      event_id: 'e1',
      ts: 1_700_000_000_000,
      user_id: 'u1',
      status: 200,
      duration_ms: 1.5,
      findings: ['phi_in_url:ssn'],
      attrs: { a: 'b' },
    }),
  );
  // every truncation, and every single byte replaced by values that break lengths, counts, indexes
  for (let end = 0; end < body.length; end++) assertSame(type, body.subarray(0, end));
  let declined = 0;
  for (let at = 0; at < body.length; at++) {
    for (const b of [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xff]) {
      const damaged = Buffer.from(body);
      damaged[at] = b;
      assertSame(type, damaged);
      if (fast(type, damaged) === 'declined') declined++;
    }
  }
  assert.ok(declined > 0, 'some damage must be declined');
  // after event_id ('e1': 3 bytes), ts as an 11-byte varint of 0 (avsc would read it; the body
  // check refuses it), then as 2^53 (the body check passes it; avsc refuses: precision loss)
  const rest = body.subarray(3 + varint(2 * 1_700_000_000_000).length);
  const withTs = (ts: Buffer) => Buffer.concat([body.subarray(0, 3), ts, rest]);
  assert.ok(withTs(varint(2 * 1_700_000_000_000)).equals(body)); // the splice itself is right
  for (const ts of [Buffer.concat([Buffer.alloc(10, 0x80), Buffer.from([0])]), varint(2 ** 54)]) {
    assert.equal(checkedAvsc(type, withTs(ts)), 'refused');
    assert.equal(fast(type, withTs(ts)), 'declined');
  }
  // trailing bytes
  assertSame(type, Buffer.concat([body, Buffer.from([0])]));
  assert.equal(fast(type, Buffer.concat([body, Buffer.from([0])])), 'declined');
});

test('the codec decodes its own messages fast and others through avsc, with the same values and errors', () => {
  const codec = accessEventCodec();
  const event = accessEventWith({ event_id: 'e1', ts: 1_700_000_000_000, attrs: { k: 'v' } });
  const message = codec.encode(event);
  const decoded = codec.decode(message);
  assert.deepStrictEqual(decoded, codec.type.decode(message, HEADER_LENGTH).value);
  // a damaged message still fails with the checked path's error, not a Decline
  const damaged = Buffer.from(message);
  damaged[HEADER_LENGTH] = 0x7f; // event_id length far past the end
  assert.throws(
    () => codec.decode(damaged),
    (err: Error & { code?: string }) => err.code === 'LW_ERR_AVRO_BAD_MESSAGE',
  );
});

test('schemas using types the fast reader does not cover are left to avsc entirely', () => {
  for (const schema of [
    { type: 'record', name: 'F', fields: [{ name: 'x', type: 'float' }] },
    { type: 'record', name: 'B', fields: [{ name: 'x', type: 'bytes' }] },
    { type: 'record', name: 'U', fields: [{ name: 'x', type: ['null', 'string', 'long'] }] },
    { type: 'record', name: 'N', fields: [{ name: 'x', type: { type: 'array', items: 'null' } }] },
  ]) {
    assert.equal(compileFastReader(parseSchema(schema)), null, JSON.stringify(schema));
  }
});
