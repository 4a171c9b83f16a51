// Structural pre-check of an Avro binary body against its writer schema, run before avsc decodes it.
//
// avsc trusts the block counts of arrays and maps: a corrupted count (say 2^31) makes it allocate a
// huge array and spin for billions of iterations reading past the end of the buffer, i.e. a single
// bad Kafka record can stall a consumer. This walk reads every length, count and index once,
// without allocating, and rejects the body as soon as something cannot fit in the bytes that are
// left. After it passes, avsc only reads bounded data.

import type { Type } from 'avsc';

/** Thrown by a checker; codec.ts turns it into AvroBadMessage. */
export class BodyError extends Error {}

/** Returns the position just after a value of the compiled type that starts at `pos`. */
export type BodyChecker = (buf: Buffer, pos: number) => number;

/** Items that encode to zero bytes (null, empty records) cannot be bounded by the buffer size. */
const MAX_ZERO_SIZE_ITEMS = 65_536;

// Position after the last varint read by readVarLong; a module variable so reads allocate nothing.
let after = 0;
/**
 * Set when a checker read a long of magnitude 2^52 or more (avsc refuses those beyond ±(2^53 - 2)
 * as a "potential precision loss"); see takeWideLong().
 */
let wide = false;
const WIDE = 2 ** 52;

/** Whether a long of magnitude >= 2^52 was checked since the last call (and resets it). */
export function takeWideLong(): boolean {
  const w = wide;
  wide = false;
  return w;
}

function fail(reason: string): never {
  throw new BodyError(reason);
}

/** Zig-zag varint of at most 10 bytes, as a float (exact below 2^53; only magnitude matters above). */
function readVarLong(buf: Buffer, pos: number): number {
  const first = buf[pos];
  if (first !== undefined && first < 0x80) {
    // one byte: most lengths, counts, indexes and small longs
    after = pos + 1;
    return (first >>> 1) ^ -(first & 1);
  }
  let n = 0;
  let mul = 1;
  let b: number;
  let len = 0;
  do {
    if (pos >= buf.length) fail('truncated body');
    if (++len > 10) fail('varint longer than 10 bytes');
    b = buf[pos++]!;
    n += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  after = pos;
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/**
 * The checked zig-zag varint at `pos` for other readers of Avro framing (access-batch.ts):
 * [value, position after]; throws BodyError when it is truncated or longer than 10 bytes.
 */
export function checkedVarLong(buf: Buffer, pos: number): [number, number] {
  const value = readVarLong(buf, pos);
  return [value, after];
}

function need(buf: Buffer, end: number): number {
  if (end > buf.length) fail('truncated body');
  return end;
}

/** bytes, string and map keys: a length, then that many bytes. */
function checkBytes(buf: Buffer, pos: number): number {
  const len = readVarLong(buf, pos);
  if (len < 0) fail('negative length');
  return need(buf, after + len);
}

interface Named {
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: Type }>;
  readonly types?: readonly Type[];
  readonly symbols?: readonly string[];
  readonly itemsType?: Type;
  readonly valuesType?: Type;
  readonly underlyingType?: Type;
  readonly size?: number;
}

/** Smallest number of bytes any value of the type encodes to (recursive types count as 0 inside). */
function minSize(type: Type, seen: Set<Type> = new Set()): number {
  const t = type as Type & Named;
  switch (type.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t.size ?? 0;
    case 'record':
    case 'error': {
      if (seen.has(type)) return 0;
      seen.add(type);
      let n = 0;
      for (const f of t.fields ?? []) n += minSize(f.type, seen);
      seen.delete(type);
      return n;
    }
    default:
      if (type.typeName.startsWith('logical:')) return minSize(t.underlyingType!, seen);
      // boolean, int, long, bytes, string, enum, array, map, unions: at least one byte
      return 1;
  }
}

/** Compiles (and memoises per Type, so recursive schemas terminate) a checker for `type`. */
export function compileBodyChecker(type: Type, memo: Map<Type, BodyChecker> = new Map()): BodyChecker {
  const known = memo.get(type);
  if (known) return known;
  // Register a forwarding stub first so that a recursive reference finds it.
  let impl: BodyChecker = () => fail('checker used before it was compiled');
  memo.set(type, (buf, pos) => impl(buf, pos));
  impl = build(type, memo);
  memo.set(type, impl);
  return impl;
}

function build(type: Type, memo: Map<Type, BodyChecker>): BodyChecker {
  const t = type as Type & Named;
  switch (type.typeName) {
    case 'null':
      return (_buf, pos) => pos;
    case 'boolean':
      return (buf, pos) => {
        const b = buf[need(buf, pos + 1) - 1]!;
        if (b > 1) fail(`invalid boolean byte ${b}`);
        return pos + 1;
      };
    case 'int':
      return (buf, pos) => {
        readVarLong(buf, pos);
        return after;
      };
    case 'long':
    case 'abstract:long':
      return (buf, pos) => {
        const n = readVarLong(buf, pos);
        if (n >= WIDE || n <= -WIDE) wide = true;
        return after;
      };
    case 'float':
      return (buf, pos) => need(buf, pos + 4);
    case 'double':
      return (buf, pos) => need(buf, pos + 8);
    case 'bytes':
    case 'string':
      return checkBytes;
    case 'fixed': {
      const size = t.size ?? 0;
      return (buf, pos) => need(buf, pos + size);
    }
    case 'enum': {
      const count = t.symbols?.length ?? 0;
      return (buf, pos) => {
        const i = readVarLong(buf, pos);
        if (i < 0 || i >= count) fail(`enum index ${i} out of range for ${type.name}`);
        return after;
      };
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (t.types ?? []).map((b) => compileBodyChecker(b, memo));
      return (buf, pos) => {
        const i = readVarLong(buf, pos);
        const branch = branches[i];
        if (branch === undefined) fail(`union branch ${i} out of range`);
        return branch(buf, after);
      };
    }
    case 'array':
    case 'map': {
      const isMap = type.typeName === 'map';
      const inner = isMap ? t.valuesType! : t.itemsType!;
      const item = compileBodyChecker(inner, memo);
      // Lazily: minSize of a recursive type needs the whole graph, which exists by the first call.
      let itemMin = -1;
      return (buf, pos) => {
        if (itemMin < 0) itemMin = (isMap ? 1 : 0) + minSize(inner);
        let total = 0;
        for (;;) {
          let n = readVarLong(buf, pos);
          pos = after;
          if (n === 0) return pos;
          let blockEnd = -1;
          if (n < 0) {
            // A negative count is followed by the block's size in bytes (lets readers skip it).
            n = -n;
            const blockBytes = readVarLong(buf, pos);
            pos = after;
            if (blockBytes < 0 || blockBytes > buf.length - pos) fail('bad block size');
            blockEnd = pos + blockBytes;
          }
          total += n;
          if (itemMin > 0 ? n * itemMin > buf.length - pos : total > MAX_ZERO_SIZE_ITEMS) {
            fail(`${type.typeName} block of ${n} items cannot fit in ${buf.length - pos} bytes`);
          }
          for (let i = 0; i < n; i++) {
            if (isMap) pos = checkBytes(buf, pos);
            pos = item(buf, pos);
          }
          if (blockEnd >= 0 && pos !== blockEnd) fail('block size does not match its items');
        }
      };
    }
    case 'record':
    case 'error': {
      const fields = (t.fields ?? []).map((f) => compileBodyChecker(f.type, memo));
      const count = fields.length;
      return (buf, pos) => {
        for (let i = 0; i < count; i++) pos = fields[i]!(buf, pos);
        return pos;
      };
    }
    default:
      if (type.typeName.startsWith('logical:') && t.underlyingType) {
        return compileBodyChecker(t.underlyingType, memo);
      }
      throw new Error(`body check: unsupported Avro type ${type.typeName}`);
  }
}
