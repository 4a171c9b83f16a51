import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AvroBadMessage, AvroUnknownSchema, isLeakwatchError } from '#shared/errors.js';
import { SCHEMAS_DIR } from '#shared/paths.js';
import {
  AVRO_SCHEMAS_DIR,
  type AvroCodec,
  accessEventCodec,
  accessEventTime,
  alertCodec,
  canonicalForm,
  createCodec,
  defaultRegistry,
  fingerprintOf,
  HEADER_LENGTH,
  parseSchema,
  rabinFingerprint64,
  SchemaRegistry,
} from './codec.js';
import type { AccessEvent } from './generated/access-event.js';
import type { Alert } from './generated/alert.js';

const BAD = AvroBadMessage.code;
const UNKNOWN = AvroUnknownSchema.code;

/** Decoded records are avsc class instances; compare their data only. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const accessEventV1 = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'avro', 'access-event.avsc'), 'utf8')) as {
  fields: object[];
};
const accessEventV2 = {
  ...accessEventV1,
  fields: [...accessEventV1.fields, { name: 'geo_country', type: ['null', 'string'], default: null }],
};

const event: AccessEvent = {
  event_id: 'b7f3c1e2d4a5968778695a4b3c2d1e0f',
  ts: 1_767_225_600_123,
  source_kind: 'web',
  source: '/var/log/nginx/access.log',
  tenant: 'clinic-north',
  user_id: 'u-1042',
  session_hash: 'k1:9f2c4e6a8b0d',
  api_key_id: null,
  client_ip: '203.0.113.7',
  user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/128.0',
  db_user: null,
  authenticated: true,
  emergency_access: false,
  http_method: 'GET',
  db_operation: null,
  route: '/wp-json/wc/v3/orders/{id}',
  resource_id: 'order:88231',
  resource_kind: 'order',
  status: 200,
  bytes_out: 18_432,
  rows_out: null,
  duration_ms: 41.5,
  findings: ['phi_in_url:ssn', 'bulk_export'],
  attrs: { referrer_host: 'portal.example.org', query_template: 'page={n}&per_page={n}' },
};

const alert: Alert = {
  alert_id: 'a-5d41402abc4b2a76',
  fingerprint: 'volume_spike:user:u-1042',
  rule: 'volume_spike',
  severity: 'high',
  entity: { type: 'user', value: 'u-1042' },
  tenant: 'clinic-north',
  first_seen: 1_767_225_600_000,
  last_seen: 1_767_229_200_000,
  status: 'open',
  title: 'u-1042 read 1,204 patient records in an hour (p95: 38)',
  explanation: {
    feature: 'distinct_resources_per_hour',
    observed: 1204,
    baseline: { p50: 12, p95: 38, mad: 6.5, n: 2016 },
    score: 27.3,
    top_resources: ['patient:1', 'patient:2'],
    sample_event_ids: ['b7f3c1e2d4a5968778695a4b3c2d1e0f'],
  },
  labels: { team: 'records' },
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isLeakwatchError(err), `expected a LeakwatchError, got ${String(err)}`);
    return err.code;
  }
  return 'no error';
}

/** mulberry32: deterministic, so a failing case can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- fingerprint and canonical form ----

// From the Avro project's share/test/data/schema-tests.txt (fingerprints there are signed longs,
// cross-checked by the Java implementation): [input, canonical form, fingerprint].
const SPEC_VECTORS: Array<[string, string, string]> = [
  ['"null"', '"null"', '7195948357588979594'],
  ['{"type":"null"}', '"null"', '7195948357588979594'],
  ['"boolean"', '"boolean"', '-6970731678124411036'],
  ['{"type":"int"}', '"int"', '8247732601305521295'],
  ['"long"', '"long"', '-3434872931120570953'],
  ['"float"', '"float"', '5583340709985441680'],
  ['"double"', '"double"', '-8181574048448539266'],
  ['"bytes"', '"bytes"', '5746618253357095269'],
  ['{"type":"string"}', '"string"', '-8142146995180207161'],
  ['[ "int"  ]', '["int"]', '-5232228896498058493'],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', '5392556393470105090'],
  [
    '{"fields":[], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    '{"name":"x.y.foo","type":"record","fields":[]}',
    '5916914534497305771',
  ],
  [
    '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    '{"name":"a.b.foo","type":"record","fields":[]}',
    '-4616218487480524110',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    // The spec's input has "default":"true" for a boolean, which avsc rightly rejects; true is equivalent.
    '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true},' +
      '{"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    '-4860222112080293046',
  ],
  [
    '{"type":"enum", "name":"foo", "symbols":["A1"]}',
    '{"name":"foo","type":"enum","symbols":["A1"]}',
    '-6342190197741309591',
  ],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    '-4448647247586288245',
  ],
  [
    '{"name":"foo","type":"fixed","size":15}',
    '{"name":"foo","type":"fixed","size":15}',
    '1756455273707447556',
  ],
  [
    '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    '{"name":"x.y.z.foo","type":"fixed","size":32}',
    '-3064184465700546786',
  ],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', '-589620603366471059'],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', '-8732877298790414990'],
  [
    '{"name":"PigValue","type":"record","fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    '-1759257747318642341',
  ],
];

test('CRC-64-AVRO matches the spec values', () => {
  assert.equal(rabinFingerprint64('"null"'), 0x63dd24e7cc258f8an);
  assert.equal(rabinFingerprint64('"int"'), 0x7275d51a3f395c8fn);
  assert.equal(rabinFingerprint64('"string"'), 0x8f014872634503c7n);
  assert.equal(rabinFingerprint64(Buffer.from('"null"')), 0x63dd24e7cc258f8an);
  for (const [, canonical, signed] of SPEC_VECTORS) {
    assert.equal(rabinFingerprint64(canonical), BigInt.asUintN(64, BigInt(signed)), canonical);
  }
});

test('canonical form and fingerprint of parsed schemas match the spec test vectors', () => {
  for (const [input, canonical, signed] of SPEC_VECTORS) {
    assert.equal(canonicalForm(parseSchema(input)), canonical, input);
    assert.equal(
      fingerprintOf(input),
      BigInt.asUintN(64, BigInt(signed)).toString(16).padStart(16, '0'),
      input,
    );
  }
  // logicalType, doc and defaults are not part of the canonical form
  assert.equal(canonicalForm(parseSchema({ type: 'long', logicalType: 'timestamp-millis' })), '"long"');
  assert.equal(fingerprintOf('"null"'), '63dd24e7cc258f8a');
});

// ---- layout and round trips ----

test('a message is C3 01, the schema fingerprint little-endian, then the Avro body', () => {
  const codec = accessEventCodec();
  const buf = codec.encode(event);
  assert.equal(buf[0], 0xc3);
  assert.equal(buf[1], 0x01);
  assert.equal(buf.readBigUInt64LE(2).toString(16).padStart(16, '0'), codec.fingerprint);
  assert.equal(
    codec.fingerprint,
    fingerprintOf(readFileSync(join(AVRO_SCHEMAS_DIR, 'access-event.avsc'), 'utf8')),
  );
  assert.deepEqual(buf.subarray(HEADER_LENGTH), codec.type.toBuffer(event));
  assert.match(codec.fingerprint, /^[0-9a-f]{16}$/);
});

test('AccessEvent round trip', () => {
  const codec = accessEventCodec();
  const decoded = codec.decode(codec.encode(event));
  assert.deepEqual(plain(decoded), event);
  // timestamp-millis stays epoch ms: no logical type hooks are registered
  assert.equal(typeof decoded.ts, 'number');
  assert.equal(decoded.ts, event.ts);

  const minimal = { ...event, user_id: null, findings: [], attrs: {}, status: null, duration_ms: null };
  assert.deepEqual(plain(codec.decode(codec.encode(minimal))), minimal);
});

test('Alert round trip, with and without a baseline', () => {
  const codec = alertCodec();
  const decoded = codec.decode(codec.encode(alert));
  assert.deepEqual(plain(decoded), alert);
  assert.equal(typeof decoded.first_seen, 'number');
  const noBaseline: Alert = { ...alert, explanation: { ...alert.explanation, baseline: null } };
  assert.deepEqual(plain(codec.decode(codec.encode(noBaseline))), noBaseline);
});

test('codecs and the default registry are memoised and know every schema in schemas/avro', () => {
  assert.equal(accessEventCodec(), accessEventCodec());
  assert.equal(alertCodec(), alertCodec());
  assert.ok(defaultRegistry().has(accessEventCodec().fingerprint));
  assert.ok(defaultRegistry().has(alertCodec().fingerprint));
  assert.notEqual(accessEventCodec().fingerprint, alertCodec().fingerprint);
});

test('a message at a non-zero offset of its memory (Buffer pool slice, plain Uint8Array) decodes', () => {
  const codec = accessEventCodec();
  const msg = codec.encode(event);
  const big = Buffer.alloc(msg.length + 100);
  msg.copy(big, 37);
  assert.deepEqual(plain(codec.decode(big.subarray(37, 37 + msg.length))), event);
  const u8 = new Uint8Array(big.buffer, big.byteOffset + 37, msg.length);
  assert.deepEqual(plain(codec.decode(u8 as Buffer)), event);
});

// ---- schema evolution ----

test('evolution: a v1 reader decodes a v2 writer (new field dropped)', () => {
  const registry = new SchemaRegistry();
  const v1 = createCodec<AccessEvent>(accessEventV1, registry);
  const v2 = createCodec<AccessEvent & { geo_country: string | null }>(accessEventV2, registry);
  assert.notEqual(v1.fingerprint, v2.fingerprint);
  const msg = v2.encode({ ...event, geo_country: 'DE' });
  const decoded = v1.decode(msg);
  assert.deepEqual(plain(decoded), event);
  assert.equal('geo_country' in decoded, false);
});

test('evolution: a v2 reader decodes a v1 writer (new field takes its default)', () => {
  const registry = new SchemaRegistry();
  const v1 = createCodec<AccessEvent>(accessEventV1, registry);
  const v2 = createCodec<AccessEvent & { geo_country: string | null }>(accessEventV2, registry);
  assert.deepEqual(plain(v2.decode(v1.encode(event))), { ...event, geo_country: null });
});

test('evolution: resolvers are built once per writer fingerprint', (t) => {
  const registry = new SchemaRegistry();
  const v1 = createCodec<AccessEvent>(accessEventV1, registry);
  const v2 = createCodec<AccessEvent>(accessEventV2, registry);
  // avsc freezes its types, so count calls through the (shared) prototype, for this reader only
  const proto = Object.getPrototypeOf(v2.type) as { createResolver: (...args: unknown[]) => unknown };
  const original = proto.createResolver;
  let built = 0;
  proto.createResolver = function (this: unknown, ...args: unknown[]) {
    if (this === v2.type) built++;
    return original.apply(this, args);
  };
  t.after(() => {
    proto.createResolver = original;
  });
  const fromV1 = v1.encode(event);
  const fromV2 = v2.encode({ ...event, geo_country: 'FR' } as AccessEvent);
  for (let i = 0; i < 50; i++) {
    v2.decode(fromV1);
    v2.decode(fromV2);
  }
  assert.equal(built, 1);
});

test('evolution: an incompatible writer is a bad message, not a crash', () => {
  const registry = new SchemaRegistry();
  const reader = createCodec<AccessEvent>(accessEventV1, registry);
  // tenant removed: the v1 reader has no default for it
  const v3 = {
    ...accessEventV1,
    fields: accessEventV1.fields.filter((f) => (f as { name: string }).name !== 'tenant'),
  };
  const writer = createCodec<Omit<AccessEvent, 'tenant'>>(v3, registry);
  const { tenant: _, ...rest } = event;
  const msg = writer.encode(rest);
  assert.equal(
    codeOf(() => reader.decode(msg)),
    BAD,
  );
  assert.equal(
    codeOf(() => reader.decode(msg)),
    BAD,
  ); // and again, from the cached failure
});

test('SchemaRegistry.fromDirectory loads *.avsc recursively (history/)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-avro-'));
  try {
    mkdirSync(join(dir, 'history'));
    writeFileSync(join(dir, 'access-event.avsc'), JSON.stringify(accessEventV2));
    writeFileSync(join(dir, 'history', 'access-event.v1.avsc'), JSON.stringify(accessEventV1));
    writeFileSync(join(dir, 'history', 'README.md'), 'not a schema');
    const registry = SchemaRegistry.fromDirectory(dir);
    assert.deepEqual(
      registry.fingerprints().sort(),
      [fingerprintOf(accessEventV1), fingerprintOf(accessEventV2)].sort(),
    );
    // a current (v2) reader keeps decoding messages of producers still on v1
    const v2 = createCodec<AccessEvent>(accessEventV2, registry);
    const v1Message = createCodec<AccessEvent>(accessEventV1, new SchemaRegistry()).encode(event);
    assert.deepEqual(plain(v2.decode(v1Message)), { ...event, geo_country: null });

    writeFileSync(join(dir, 'history', 'broken.avsc'), '{"type": "record"');
    assert.throws(() => SchemaRegistry.fromDirectory(dir), { code: 'LW_ERR_CONFIG_INVALID' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('register is idempotent and accepts a Type, an object or JSON text', () => {
  const registry = new SchemaRegistry();
  const text = JSON.stringify(accessEventV1);
  const a = registry.register(text);
  assert.equal(registry.register(accessEventV1), a);
  assert.equal(registry.register(parseSchema(accessEventV1)), a);
  assert.deepEqual(registry.fingerprints(), [a]);
  assert.ok(registry.get(a));
});

// ---- errors ----

test('unknown fingerprint -> LW_ERR_AVRO_UNKNOWN_SCHEMA naming the fingerprint', () => {
  const registry = new SchemaRegistry();
  const v1 = createCodec<AccessEvent>(accessEventV1, registry);
  const msg = createCodec<AccessEvent>(accessEventV2, new SchemaRegistry()).encode(event);
  assert.throws(
    () => v1.decode(msg),
    (err: unknown) => {
      assert.ok(isLeakwatchError(err));
      assert.equal(err.code, UNKNOWN);
      assert.equal(err.details?.['fingerprint'], fingerprintOf(accessEventV2));
      assert.ok(err.message.includes(fingerprintOf(accessEventV2)));
      return true;
    },
  );
  // once registered, the same message decodes
  registry.register(accessEventV2);
  assert.deepEqual(plain(v1.decode(msg)), event);
});

test('short, unmarked, truncated or padded buffers -> LW_ERR_AVRO_BAD_MESSAGE', () => {
  const codec = accessEventCodec();
  const msg = codec.encode(event);
  for (let n = 0; n < HEADER_LENGTH; n++)
    assert.equal(
      codeOf(() => codec.decode(msg.subarray(0, n))),
      BAD,
    );
  for (let n = HEADER_LENGTH; n < msg.length; n++) {
    assert.equal(
      codeOf(() => codec.decode(msg.subarray(0, n))),
      BAD,
      `truncated to ${n}`,
    );
  }
  assert.equal(
    codeOf(() => codec.decode(Buffer.concat([msg, Buffer.from([0])]))),
    BAD,
  );
  const unmarked = Buffer.from(msg);
  unmarked[1] = 0x02;
  assert.equal(
    codeOf(() => codec.decode(unmarked)),
    BAD,
  );
  assert.equal(
    codeOf(() => codec.decode(Buffer.from('{"event_id":"x"}'))),
    BAD,
  );
  assert.equal(
    codeOf(() => codec.decode(null as unknown as Buffer)),
    BAD,
  );
});

test('a corrupted array count cannot make decode allocate or spin (it is checked against the bytes left)', () => {
  const codec = accessEventCodec();
  const body = codec.type.toBuffer({ ...event, findings: [], attrs: {} });
  // the body ends with findings (count 0) and attrs (count 0): replace them by a count of 2^31 - 1
  const huge = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]);
  const msg = Buffer.concat([codec.encode(event).subarray(0, HEADER_LENGTH), body.subarray(0, -2), huge]);
  const started = process.hrtime.bigint();
  assert.equal(
    codeOf(() => codec.decode(msg)),
    BAD,
  );
  assert.ok(process.hrtime.bigint() - started < 100_000_000n, 'rejected within 100 ms');
});

test('hundreds of random and mutated buffers only ever raise the two Avro codes', { timeout: 30_000 }, () => {
  const random = prng(0x1eac);
  const byte = () => Math.floor(random() * 256);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, byte));
  const codecs = [accessEventCodec(), alertCodec()];
  const messages = [accessEventCodec().encode(event), alertCodec().encode(alert)];
  const seen = new Map<string, number>();
  for (let i = 0; i < 1200; i++) {
    const which = i % 2;
    const codec = codecs[which]!;
    const valid = messages[which]!;
    let buf: Buffer;
    switch (i % 6) {
      case 0: // noise
        buf = bytes(Math.floor(random() * 80));
        break;
      case 1: // noise behind a plausible marker: unknown fingerprint
        buf = Buffer.concat([Buffer.from([0xc3, 0x01]), bytes(Math.floor(random() * 80))]);
        break;
      case 2: // right header, noise body
        buf = Buffer.concat([valid.subarray(0, HEADER_LENGTH), bytes(Math.floor(random() * 200))]);
        break;
      case 3: // truncated
        buf = valid.subarray(0, Math.floor(random() * valid.length));
        break;
      default: {
        // a valid message with a few bytes of its body changed
        buf = Buffer.from(valid);
        const flips = 1 + Math.floor(random() * 3);
        for (let k = 0; k < flips; k++) {
          buf[HEADER_LENGTH + Math.floor(random() * (buf.length - HEADER_LENGTH))] = byte();
        }
      }
    }
    let outcome = 'decoded';
    try {
      codec.decode(buf);
    } catch (err) {
      assert.ok(isLeakwatchError(err), `case ${i}: ${String(err)} from ${buf.toString('hex')}`);
      assert.ok(err.code === BAD || err.code === UNKNOWN, `case ${i}: ${err.code}`);
      if (i % 6 >= 2) assert.equal(err.code, BAD, `case ${i}: right fingerprint, so never unknown`);
      outcome = err.code;
    }
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
  }
  assert.ok((seen.get(BAD) ?? 0) > 300, JSON.stringify([...seen]));
  assert.ok((seen.get(UNKNOWN) ?? 0) > 100, JSON.stringify([...seen]));
});

// ---- validation ----

test('validate names the invalid and the undeclared fields', () => {
  const codec = accessEventCodec();
  assert.deepEqual(codec.validate(event), []);
  const bad = {
    ...event,
    ts: new Date(event.ts),
    status: 'ok',
    findings: ['phi_in_url:ssn', 42],
    attrs: { referrer_host: null },
    sessionHash: 'typo',
  };
  assert.deepEqual(codec.validate(bad).sort(), [
    'attrs.referrer_host',
    'findings.1',
    'sessionHash',
    'status',
    'ts',
  ]);
  assert.deepEqual(codec.validate(null), ['(root)']);
  assert.deepEqual(alertCodec().validate({ ...alert, entity: { type: 'user' } }), ['entity.value']);
  assert.deepEqual(alertCodec().validate({ ...alert, severity: 'urgent' }), ['severity']);
});

test('encoding an invalid value throws a TypeError naming the fields', () => {
  const codec = alertCodec();
  assert.throws(
    () => codec.encode({ ...alert, explanation: { ...alert.explanation, score: 'high' } } as never),
    {
      name: 'TypeError',
      message: /explanation\.score/,
    },
  );
});

test('encoding grows its scratch buffer for large values', () => {
  const codec = accessEventCodec();
  const large = { ...event, findings: Array.from({ length: 2000 }, (_, i) => `finding:${i}`) };
  assert.deepEqual(plain(codec.decode(codec.encode(large))), large);
  const longString = { ...event, user_agent: 'é'.repeat(50_000) };
  assert.deepEqual(plain(codec.decode(codec.encode(longString))), longString);
  // and a later small message is not polluted by the previous one
  assert.deepEqual(plain(codec.decode(codec.encode(event))), event);
});

test('the body check accepts every valid message (random values, both schemas, resolved or not)', () => {
  const registry = new SchemaRegistry();
  const v1 = createCodec<AccessEvent>(accessEventV1, registry);
  const v2 = createCodec<AccessEvent>(accessEventV2, registry);
  // avsc's typings say random() returns a Type; it returns a value
  const codecs: AvroCodec<unknown>[] = [accessEventCodec(), alertCodec(), v1, v2];
  for (const codec of codecs) {
    for (let i = 0; i < 300; i++) {
      const value = codec.type.random() as unknown;
      assert.deepEqual(plain(codec.decode(codec.encode(value))), plain(value));
    }
  }
  for (let i = 0; i < 100; i++) {
    const value = v2.type.random() as unknown as AccessEvent & { geo_country?: unknown };
    const decoded = v1.decode(v2.encode(value));
    delete value.geo_country;
    assert.deepEqual(plain(decoded), plain(value));
  }
});

test('blocks with a negative count and a byte size (as Java writers may emit) decode', () => {
  const codec = createCodec<{ xs: string[] }>(
    { type: 'record', name: 'Blocks', fields: [{ name: 'xs', type: { type: 'array', items: 'string' } }] },
    new SchemaRegistry(),
  );
  const header = codec.encode({ xs: [] }).subarray(0, HEADER_LENGTH);
  // count -2 (zig-zag 0x03), block size 4 bytes (0x08), "a", "b", then the end-of-array 0
  const ok = Buffer.concat([header, Buffer.from([0x03, 0x08, 0x02, 0x61, 0x02, 0x62, 0x00])]);
  assert.deepEqual(plain(codec.decode(ok)), { xs: ['a', 'b'] });
  const wrongSize = Buffer.concat([header, Buffer.from([0x03, 0x06, 0x02, 0x61, 0x02, 0x62, 0x00])]);
  assert.equal(
    codeOf(() => codec.decode(wrongSize)),
    BAD,
  );
});

// ---- check and the access event's time (the detector orders held events without decoding them) ----

/** What decode does with `buf`: 'ok' or the error's code and message. */
function outcomeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    return `${(err as { code?: string }).code} ${(err as Error).message}`;
  }
}

test('check throws where decode throws, with the same error, on random and mutated buffers', () => {
  const random = prng(0x5eed);
  const byte = () => Math.floor(random() * 256);
  const codecs = [accessEventCodec(), alertCodec()];
  const messages = [accessEventCodec().encode(event), alertCodec().encode(alert)];
  let ok = 0;
  for (let i = 0; i < 1500; i++) {
    const codec = codecs[i % 2]!;
    const valid = messages[i % 2]!;
    let buf: Buffer;
    if (i % 5 === 0) buf = valid.subarray(0, Math.floor(random() * valid.length));
    else {
      buf = Buffer.from(valid);
      const flips = 1 + Math.floor(random() * 3);
      for (let k = 0; k < flips; k++)
        buf[HEADER_LENGTH + Math.floor(random() * (buf.length - HEADER_LENGTH))] = byte();
    }
    const decoded = outcomeOf(() => codec.decode(buf));
    assert.equal(
      outcomeOf(() => codec.check(buf)),
      decoded,
      `case ${i}: ${buf.toString('hex')}`,
    );
    if (decoded === 'ok') {
      ok++;
      if (i % 2 === 0) assert.equal(accessEventTime(buf), accessEventCodec().decode(buf).ts, `case ${i}`);
    }
  }
  assert.ok(ok > 100, `${ok} mutated messages still decode`);
});

test('check refuses a long beyond 2^53 as decode does (potential precision loss), and accepts 2^52', () => {
  const registry = new SchemaRegistry();
  const codec = createCodec<{ id: string; n: number }>(
    {
      type: 'record',
      name: 'T',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'n', type: 'long' },
      ],
    },
    registry,
  );
  const zigzag = (v: bigint): number[] => {
    let z = v >= 0n ? v * 2n : -v * 2n - 1n;
    const out: number[] = [];
    do {
      const b = Number(z & 0x7fn);
      z >>= 7n;
      out.push(z > 0n ? b | 0x80 : b);
    } while (z > 0n);
    return out;
  };
  const header = codec.encode({ id: '', n: 0 }).subarray(0, HEADER_LENGTH);
  const message = (n: bigint) => Buffer.concat([header, Buffer.from([2, 0x61, ...zigzag(n)])]);
  for (const n of [2n ** 60n, -(2n ** 60n), 2n ** 53n, 9007199254740991n]) {
    const decoded = outcomeOf(() => codec.decode(message(n)));
    assert.match(decoded, /precision loss/, String(n));
    assert.equal(
      outcomeOf(() => codec.check(message(n))),
      decoded,
      String(n),
    );
  }
  for (const n of [2n ** 52n, -(2n ** 52n), 9007199254740990n, 1n]) {
    assert.equal(
      outcomeOf(() => codec.check(message(n))),
      'ok',
      String(n),
    );
    assert.equal(codec.decode(message(n)).n, Number(n));
  }
});

test('accessEventTime reads ts from the bytes of the current schema, and nothing from another writer', () => {
  const codec = accessEventCodec();
  for (const ts of [event.ts, 0, 1, -1, 63, 64, 2 ** 31, 2 ** 45 + 3, -(2 ** 40), 2 ** 52 - 1]) {
    const msg = codec.encode({ ...event, ts, event_id: 'x'.repeat(ts & 0xff) });
    codec.check(msg);
    assert.equal(accessEventTime(msg), ts);
  }
  const registry = new SchemaRegistry();
  const v2 = createCodec<AccessEvent & { geo_country: string | null }>(accessEventV2, registry);
  assert.notEqual(v2.fingerprint, codec.fingerprint);
  assert.equal(accessEventTime(v2.encode({ ...event, geo_country: 'DE' })), undefined);
});
