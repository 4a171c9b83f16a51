// Avro single-object encoding (Avro spec, "Single object encoding"):
//
//   C3 01 | CRC-64-AVRO fingerprint of the writer schema's Parsing Canonical Form, 8 bytes LE | body
//
// The fingerprint names the writer schema; decode looks it up in a SchemaRegistry and resolves the
// writer's data into the reader's schema (added fields take their defaults, removed ones are
// skipped), so producers and consumers can be upgraded independently as long as every schema a
// producer may still be writing is in the registry (schemas/avro/ and schemas/avro/history/).
//
// Fingerprints are written as 16 lowercase hex digits of the unsigned 64-bit value, most
// significant first (the spec's "null" example, 0x63dd24e7cc258f8a, is '63dd24e7cc258f8a'); on the
// wire the same value is little-endian, so a message for "null" starts C3 01 8A 8F 25 CC E7 24 DD 63.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markAsUntransferable } from 'node:worker_threads';
import type { Type } from 'avsc';
import avro from 'avsc';
import { AvroBadMessage, AvroUnknownSchema, ConfigInvalid } from '#shared/errors.js';
import { SCHEMAS_DIR } from '#shared/paths.js';
import { type BodyChecker, BodyError, compileBodyChecker, takeWideLong } from './body-check.js';
import { type Cursor, compileFastReader, Decline } from './fast-reader.js';
import { compileFastWriter, type Sink } from './fast-writer.js';
import type { AccessEvent } from './generated/access-event.js';
import type { Alert } from './generated/alert.js';
import type { StatusChange } from './generated/status-change.js';

/** A schema as accepted everywhere here: an avsc Type, a parsed .avsc object, or .avsc JSON text. */
export type SchemaInput = Type | object | string;

const MARKER_0 = 0xc3;
const MARKER_1 = 0x01;
/** Marker (2) + fingerprint (8). */
export const HEADER_LENGTH = 10;

// ---- CRC-64-AVRO (Rabin) fingerprint, as in the spec's reference implementation ----

const EMPTY = 0xc15d213aa4d7a795n;
const MASK64 = 0xffffffffffffffffn;
const FP_TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK64);
    table.push(fp);
  }
  return table;
})();

/** CRC-64-AVRO of the UTF-8 bytes of `data`, as an unsigned 64-bit bigint. */
export function rabinFingerprint64(data: string | Uint8Array): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ FP_TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

// ---- schemas ----

/**
 * Parses a schema with the options every codec uses. No logical types are registered, so
 * timestamp-millis fields stay plain numbers (epoch ms) instead of becoming Dates; unions are
 * avsc's default ('auto': ["null", X] is unwrapped to `X | null`).
 */
export function parseSchema(input: SchemaInput): Type {
  if (avro.Type.isType(input)) return input as Type;
  const schema = typeof input === 'string' ? (JSON.parse(input) as unknown) : input;
  return avro.Type.forSchema(schema as Parameters<typeof avro.Type.forSchema>[0]);
}

/**
 * The schema's Parsing Canonical Form. avsc's `schema()` (without exportAttrs) already produces
 * it: full names, only name/type/fields/symbols/items/values/size in that order, no doc, default,
 * aliases or logicalType (checked against the spec's test vectors in codec.test.ts).
 */
export function canonicalForm(type: Type): string {
  return JSON.stringify(type.schema());
}

function toHex(fp: bigint): string {
  return fp.toString(16).padStart(16, '0');
}

/** 16-hex-digit fingerprint of a schema's canonical form. */
export function fingerprintOf(schema: SchemaInput): string {
  return toHex(rabinFingerprint64(canonicalForm(parseSchema(schema))));
}

/** Writer schemas by fingerprint. */
export class SchemaRegistry {
  readonly #byFingerprint = new Map<string, Type>();

  /** Loads every *.avsc under `dir`, recursively (so schemas/avro/history/ is included). */
  static fromDirectory(dir: string): SchemaRegistry {
    const registry = new SchemaRegistry();
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.avsc'))
      .sort();
    for (const file of files) {
      const path = join(dir, file);
      try {
        registry.register(readFileSync(path, 'utf8'));
      } catch (err) {
        throw ConfigInvalid(`Avro schema ${path}: ${(err as Error).message}`, {
          cause: err,
          details: { path },
        });
      }
    }
    return registry;
  }

  /** Adds a writer schema (idempotent); returns its fingerprint. */
  register(schema: SchemaInput): string {
    const type = parseSchema(schema);
    const hex = toHex(rabinFingerprint64(canonicalForm(type)));
    if (!this.#byFingerprint.has(hex)) this.#byFingerprint.set(hex, type);
    return hex;
  }

  get(fingerprint: string): Type | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  has(fingerprint: string): boolean {
    return this.#byFingerprint.has(fingerprint);
  }

  fingerprints(): string[] {
    return [...this.#byFingerprint.keys()];
  }
}

// ---- validation ----

function renderPath(path: readonly string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

/**
 * Paths of the fields of `value` that do not match `type` ('entity.value', 'findings.2',
 * 'attrs.referrer'), plus properties the schema does not declare (a typo such as 'sessionHash'
 * would otherwise be dropped silently and the real field take its default). Empty when valid.
 */
export function invalidPaths(type: Type, value: unknown): string[] {
  const out = new Set<string>();
  type.isValid(value, { errorHook: (path) => out.add(renderPath(path)) });
  // Second pass for undeclared properties: avsc reports the record holding them, we name them.
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path, val, t) => {
      const fields = (t as Type & { fields?: ReadonlyArray<{ name: string }> }).fields;
      if (!fields || val === null || typeof val !== 'object') return;
      const declared = new Set(fields.map((f) => f.name));
      for (const key of Object.keys(val as object)) {
        if (!declared.has(key)) out.add(renderPath([...path, key]));
      }
    },
  });
  return [...out];
}

// ---- codec ----

export interface AvroCodec<T> {
  /** Single-object message: marker, this codec's fingerprint, body. Throws TypeError on invalid values. */
  encode(value: T): Buffer;
  /** Any registered writer's message, resolved into this codec's schema. Records are avsc class instances. */
  decode(buf: Buffer): T;
  /**
   * Throws exactly where decode(buf) would throw, with the same error, without building the value
   * (a message checked here decodes later). Cheaper than decode for this codec's own messages.
   */
  check(buf: Buffer): void;
  /** invalidPaths() for this codec's schema; empty when `value` can be encoded. */
  validate(value: unknown): string[];
  /** Fingerprint (hex) of the schema this codec writes and reads. */
  readonly fingerprint: string;
  readonly type: Type;
}

type Resolver = ReturnType<Type['createResolver']>;

/** Per writer fingerprint: how to check and read its messages (or why they cannot be read). */
interface WriterEntry {
  readonly lo: number;
  readonly hi: number;
  readonly hex: string;
  readonly check: BodyChecker;
  /** undefined when writer and reader are the same schema. */
  readonly resolver: Resolver | undefined;
  readonly incompatible: string | undefined;
}

const INITIAL_SCRATCH = 4096;
/** Fast-path slab: ~40 typical access events; a new one is started below SLAB_MIN_ROOM. */
const SLAB_BYTES = 16 * 1024;
const SLAB_MIN_ROOM = 1024;

/**
 * A codec writing with `readerSchema` and reading any writer schema known to `registry` (the
 * reader schema itself is registered, so a codec always reads its own messages).
 */
export function createCodec<T>(readerSchema: SchemaInput, registry: SchemaRegistry): AvroCodec<T> {
  const type = parseSchema(readerSchema);
  const label = type.name ?? type.typeName;
  const fingerprint = registry.register(type);
  const fp = BigInt(`0x${fingerprint}`);
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = MARKER_0;
  header[1] = MARKER_1;
  header.writeBigUInt64LE(fp, 2);

  // encode, fast path (fast-writer.ts, byte for byte what avsc writes): messages are written one
  // after the other into a zero-filled slab and handed out as views of it, the way Node's own
  // Buffer pool hands out small allocUnsafe() buffers, so there is no copy per message. A message
  // never shares bytes with another; a full slab is left to the messages that use it. Like the
  // pool, a slab is marked untransferable: posting a message to a worker copies it rather than
  // detaching the slab under every other message.
  const fast = compileFastWriter(type);
  const slab: Sink = { buf: Buffer.alloc(SLAB_BYTES), start: 0, pos: 0 };
  let guarded: Buffer | undefined;
  // encode, avsc path (values the fast writer declines, schemas it does not cover): avsc writes
  // into a reusable scratch buffer after the header; one copy out per message.
  let scratch = Buffer.alloc(INITIAL_SCRATCH);
  header.copy(scratch);

  function encodeFast(value: T): Buffer | null {
    if (fast === null) return null;
    if (slab.buf.length - slab.start < SLAB_MIN_ROOM) {
      slab.buf = Buffer.alloc(SLAB_BYTES);
      slab.start = 0;
    }
    header.copy(slab.buf, slab.start);
    slab.pos = slab.start + HEADER_LENGTH;
    let ok = false;
    try {
      ok = fast(slab, value);
    } catch {
      ok = false; // a throwing getter or the like: avsc decides
    }
    if (!ok) return null; // nothing handed out: the next message overwrites what was written
    if (slab.buf !== guarded) {
      // a new slab, or a larger one the writer moved a big message to
      markAsUntransferable(slab.buf.buffer);
      guarded = slab.buf;
    }
    const out = slab.buf.subarray(slab.start, slab.pos);
    slab.start = slab.pos;
    return out;
  }

  // decode, fast path (fast-reader.ts): this codec's own messages are read and bounds-checked in
  // one pass; anything it declines (another writer's schema, a damaged body) takes the checked
  // avsc path below, which gives the value or the error.
  const fastRead = compileFastReader(type);
  const ownLo = Number(fp & 0xffffffffn);
  const ownHi = Number(fp >> 32n);
  const cursor: Cursor = { buf: header, pos: 0 };
  function decodeFast(buf: Buffer): T | undefined {
    if (
      fastRead === null ||
      buf.length < HEADER_LENGTH ||
      buf[0] !== MARKER_0 ||
      buf[1] !== MARKER_1 ||
      buf.readUInt32LE(2) !== ownLo ||
      buf.readUInt32LE(6) !== ownHi
    ) {
      return undefined;
    }
    cursor.buf = buf;
    cursor.pos = HEADER_LENGTH;
    try {
      const value = fastRead(cursor) as T;
      return cursor.pos === buf.length ? value : undefined;
    } catch (err) {
      if (err instanceof Decline) return undefined;
      throw err;
    } finally {
      cursor.buf = header; // do not keep the message alive
    }
  }

  const writers: WriterEntry[] = [];
  let last: WriterEntry | undefined;

  function entryFor(lo: number, hi: number): WriterEntry {
    for (const e of writers) if (e.lo === lo && e.hi === hi) return e;
    const hex = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
    const writer = registry.get(hex);
    // Unknown fingerprints are not cached: garbage must not grow the cache.
    if (!writer) throw AvroUnknownSchema(hex, { details: { fingerprint: hex, reader: label } });
    let resolver: Resolver | undefined;
    let incompatible: string | undefined;
    if (hex !== fingerprint) {
      try {
        // Names match unqualified, as in the spec's resolution rules.
        resolver = type.createResolver(writer, { ignoreNamespaces: true });
      } catch (err) {
        incompatible = (err as Error).message;
      }
    }
    const entry: WriterEntry = { lo, hi, hex, check: compileBodyChecker(writer), resolver, incompatible };
    writers.push(entry);
    return entry;
  }

  function bad(reason: string, hex?: string, cause?: unknown): never {
    throw AvroBadMessage(reason, { cause, details: { fingerprint: hex, reader: label } });
  }

  /** The message as a Buffer view (a plain Uint8Array is accepted too). */
  function framed(input: Buffer): Buffer {
    if (Buffer.isBuffer(input)) return input;
    const u8: unknown = input;
    if (!(u8 instanceof Uint8Array)) bad(`expected a Buffer, got ${u8 === null ? 'null' : typeof u8}`);
    return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength); // a view, not a copy
  }

  /** Header, writer schema and the structural body check; returns the writer's entry. */
  function checked(buf: Buffer): WriterEntry {
    if (buf.length < HEADER_LENGTH) bad(`${buf.length} bytes, shorter than the 10-byte header`);
    if (buf[0] !== MARKER_0 || buf[1] !== MARKER_1) {
      bad(`bad marker ${buf.subarray(0, 2).toString('hex')} (expected c301)`);
    }
    const lo = buf.readUInt32LE(2);
    const hi = buf.readUInt32LE(6);
    const e = last !== undefined && last.lo === lo && last.hi === hi ? last : entryFor(lo, hi);
    last = e;
    if (e.incompatible !== undefined) {
      bad(`writer schema ${e.hex} cannot be resolved to ${label}: ${e.incompatible}`, e.hex);
    }
    let end: number;
    try {
      end = e.check(buf, HEADER_LENGTH);
    } catch (err) {
      if (err instanceof BodyError) bad(`${err.message} (writer schema ${e.hex})`, e.hex);
      bad(`body check failed: ${(err as Error).message}`, e.hex, err);
    }
    if (end !== buf.length) bad(`${buf.length - end} trailing bytes after the body`, e.hex);
    return e;
  }

  /** avsc's decode of a checked message. */
  function read(buf: Buffer, e: WriterEntry): T {
    try {
      const r = type.decode(buf, HEADER_LENGTH, e.resolver);
      if (r.offset !== buf.length) bad('body length mismatch', e.hex);
      return r.value as T;
    } catch (err) {
      // e.g. a long above 2^53 ("potential precision loss").
      if ((err as { code?: unknown }).code === AvroBadMessage.code) throw err;
      bad(`undecodable body: ${(err as Error).message}`, e.hex, err);
    }
  }

  return {
    fingerprint,
    type,

    encode(value: T): Buffer {
      const message = encodeFast(value);
      if (message !== null) return message;
      let end: number;
      try {
        end = type.encode(value, scratch, HEADER_LENGTH);
        if (end < 0) {
          // avsc returns minus the missing byte count when the buffer is too small.
          scratch = Buffer.alloc(Math.max(scratch.length * 2, scratch.length - end));
          header.copy(scratch);
          end = type.encode(value, scratch, HEADER_LENGTH);
        }
      } catch (err) {
        const paths = invalidPaths(type, value);
        throw new TypeError(`cannot encode ${label}: invalid field(s) ${paths.join(', ') || '?'}`, {
          cause: err,
        });
      }
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 0, 0, end);
      return out;
    },

    decode(input: Buffer): T {
      const buf = framed(input);
      return decodeFast(buf) ?? read(buf, checked(buf));
    },

    check(input: Buffer): void {
      const buf = framed(input);
      takeWideLong();
      const e = checked(buf);
      // What the body check does not cover: resolving another writer's schema, and avsc's refusal
      // of longs beyond ±(2^53 - 2). Those (rare) messages are decoded to get decode's own answer.
      if (e.resolver !== undefined || takeWideLong()) read(buf, e);
    },

    validate(value: unknown): string[] {
      return invalidPaths(type, value);
    },
  };
}

// ---- the project's schemas ----

export const AVRO_SCHEMAS_DIR = join(SCHEMAS_DIR, 'avro');

let defaultRegistryInstance: SchemaRegistry | undefined;
/** All schemas under schemas/avro/ (current and history/), loaded once. */
export function defaultRegistry(): SchemaRegistry {
  defaultRegistryInstance ??= SchemaRegistry.fromDirectory(AVRO_SCHEMAS_DIR);
  return defaultRegistryInstance;
}

function readSchemaFile(name: string): string {
  return readFileSync(join(AVRO_SCHEMAS_DIR, name), 'utf8');
}

let accessEvent: AvroCodec<AccessEvent> | undefined;
/** schemas/avro/access-event.avsc with the default registry (memoised). */
export function accessEventCodec(): AvroCodec<AccessEvent> {
  accessEvent ??= createCodec<AccessEvent>(readSchemaFile('access-event.avsc'), defaultRegistry());
  return accessEvent;
}

let alert: AvroCodec<Alert> | undefined;
/** schemas/avro/alert.avsc with the default registry (memoised). */
export function alertCodec(): AvroCodec<Alert> {
  alert ??= createCodec<Alert>(readSchemaFile('alert.avsc'), defaultRegistry());
  return alert;
}

let statusChange: AvroCodec<StatusChange> | undefined;
/** schemas/avro/status-change.avsc with the default registry (memoised). */
export function statusChangeCodec(): AvroCodec<StatusChange> {
  statusChange ??= createCodec<StatusChange>(readSchemaFile('status-change.avsc'), defaultRegistry());
  return statusChange;
}

/** The current access-event fingerprint as it sits on the wire (two LE words), when `ts` is its second field after a string. */
let accessEventLayout: { lo: number; hi: number } | null | undefined;

/** Zig-zag varint at `pos` of a checked body; returns [value, position after]. */
function varLongAt(buf: Buffer, pos: number): [number, number] {
  let n = 0;
  let mul = 1;
  let b: number;
  do {
    b = buf[pos++]!;
    n += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  return [n % 2 === 0 ? n / 2 : -(n + 1) / 2, pos];
}

/**
 * The event time (`ts`) of an AccessEvent message written with the current schema, read from its
 * bytes without decoding the rest (the detector orders held events by it); undefined for a message
 * of another writer schema. Only for a message accessEventCodec().check() accepted: the bytes are
 * not checked again, and check() has made sure the value is the one decode gives.
 */
export function accessEventTime(buf: Buffer): number | undefined {
  if (accessEventLayout === undefined) {
    const codec = accessEventCodec();
    const fields = (codec.type as Type & { fields?: ReadonlyArray<{ name: string; type: Type }> }).fields;
    const fp = BigInt(`0x${codec.fingerprint}`);
    accessEventLayout =
      fields?.[0]?.type.typeName === 'string' &&
      fields[1]?.name === 'ts' &&
      fields[1].type.typeName === 'long'
        ? { lo: Number(fp & 0xffffffffn), hi: Number(fp >> 32n) }
        : null;
  }
  const layout = accessEventLayout;
  if (layout === null || buf.readUInt32LE(2) !== layout.lo || buf.readUInt32LE(6) !== layout.hi)
    return undefined;
  const [idLength, at] = varLongAt(buf, HEADER_LENGTH);
  return varLongAt(buf, at + idLength)[0];
}
