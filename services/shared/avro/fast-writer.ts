// A faster Avro binary writer for the value shapes the project's schemas use, compiled from the
// avsc Type. avsc stays the reference: codec.ts falls back to avsc's own `type.encode` whenever
// this writer declines a value, so the bytes of every message are avsc's bytes.
//
// Why: the collector encodes every event, and avsc's generic path (a union dispatch by value
// "bucket" for each nullable field, a Buffer.byteLength call before each string, one `_write`
// indirection per field) cost more than parsing and redacting the line together. Here each record
// is one generated function reading its fields by name, nullable fields are an inline `=== null`
// test, and ASCII strings are written in one pass without measuring them first.
//
// The contract that keeps the output identical:
//  - A writer returns false (and the caller encodes with avsc instead) for any value it does not
//    recognise exactly: a field that is undefined (avsc writes the field default), a value of the
//    wrong type, a long outside avsc's safe range, an unknown enum symbol. It never throws on
//    purpose; the caller also treats a throw as a decline.
//  - It writes what avsc writes for every value it accepts: zig-zag varints (minimal, like
//    avsc's Tap.writeLong), doubles via writeDoubleLE, booleans as 0/1, blocks as `count items 0`
//    (no block when empty), map keys in Object.keys order. Strings: ASCII is the same in any
//    writer; other strings take avsc's exact route (its own UTF-8 loop up to 64 bytes, which
//    writes a lone surrogate as 3 bytes ED xx xx, Buffer utf8 writing above, which writes EF BF BD).
//  - Types it does not cover (float, bytes, fixed, logical types, wrapped or wider unions,
//    recursive records, error records) make compileFastWriter return null: avsc encodes those
//    schemas alone.
// fast-writer.test.ts compares its bytes with avsc's on random values of both schemas and edge values.

import type { Type } from 'avsc';
import { CodeCompiler, compiledOrNull, type Shape, Unsupported } from './codegen.js';

/**
 * Where a writer appends: the message being written is buf[start, pos). A writer that needs more
 * room moves that message to the start of a larger buffer (start becomes 0).
 */
export interface Sink {
  buf: Buffer;
  start: number;
  pos: number;
}

/** Appends the encoding of `value`; false when the value must be encoded by avsc instead. */
export type FastWriter = (sink: Sink, value: unknown) => boolean;

/** avsc's isSafeLong bound (LongType._write refuses anything outside it). */
const MAX_LONG = 9007199254740990;

/** Makes room for `n` more bytes after the message so far (moved to a new buffer). */
function grow(s: Sink, n: number): void {
  const len = s.pos - s.start;
  const next = Buffer.alloc(Math.max(s.buf.length, 2 * len, len + n));
  s.buf.copy(next, 0, s.start, s.pos);
  s.buf = next;
  s.start = 0;
  s.pos = len;
}

/** Writes the varint of a non-negative zig-zag value z at buf[pos] (room checked by the caller); returns the end. */
function putVarint(buf: Buffer, pos: number, z: number): number {
  if (z < 0x80000000) {
    while (z > 0x7f) {
      buf[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
  } else {
    // Beyond 31 bits: float arithmetic, exact up to 2^53.
    while (z >= 128) {
      buf[pos++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
  }
  buf[pos++] = z;
  return pos;
}

/** Zig-zag varint of a safe integer (|n| <= MAX_LONG): the same bytes as avsc's Tap.writeLong. */
function writeLong(s: Sink, n: number): void {
  if (s.pos + 10 > s.buf.length) grow(s, 10);
  s.pos = putVarint(s.buf, s.pos, n >= 0 ? n * 2 : -n * 2 - 1);
}

function isLong(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -MAX_LONG && v <= MAX_LONG;
}

function writeDouble(s: Sink, d: number): void {
  if (s.pos + 8 > s.buf.length) grow(s, 8);
  s.buf.writeDoubleLE(d, s.pos);
  s.pos += 8;
}

/** One byte: a union branch index or a block terminator, already zig-zag encoded (0 → 0, 1 → 2). */
function writeByte(s: Sink, z: number): void {
  if (s.pos + 1 > s.buf.length) grow(s, 1);
  s.buf[s.pos++] = z;
}

function writeBoolean(s: Sink, b: boolean): void {
  if (s.pos + 1 > s.buf.length) grow(s, 1);
  s.buf[s.pos++] = b ? 1 : 0;
}

/** Bytes of the varint of a non-negative zig-zag value z. */
function varintSize(z: number): number {
  let k = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    k++;
  }
  return k;
}

/** Below this many UTF-16 units a JS loop beats a native write (measured on Node 20). */
const SHORT_STRING = 24;

/** Avro string: length then UTF-8, byte for byte what avsc's Tap.writeString writes. */
function writeString(s: Sink, v: string): void {
  const n = v.length;
  const room = 5 + 3 * n; // varint + worst-case UTF-8 (3 bytes per UTF-16 unit)
  if (s.pos + room > s.buf.length) grow(s, room);
  const buf = s.buf;
  const pos = s.pos;
  if (n < SHORT_STRING) {
    // ASCII length fits one varint byte: copy and check in the same pass (a native call costs
    // more than the loop for strings this short).
    const at = pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c > 0x7f) break;
      buf[at + i] = c;
    }
    if (i === n) {
      buf[pos] = n * 2;
      s.pos = at + n;
      return;
    }
  } else {
    // Native UTF-8 write after room for the ASCII length's varint; the byte count equals the
    // length only when every unit was ASCII (any other unit takes 2 or 3 bytes, a pair 4).
    const k = varintSize(n * 2);
    if (buf.write(v, pos + k) === n) {
      putVarint(buf, pos, n * 2);
      s.pos = pos + k + n;
      return;
    }
  }
  writeStringAsAvsc(s, v);
}

/** avsc's route for non-ASCII strings (see the header: its loop and utf8 differ on lone surrogates). */
function writeStringAsAvsc(s: Sink, v: string): void {
  const len = Buffer.byteLength(v);
  writeLong(s, len);
  const buf = s.buf;
  let pos = s.pos;
  if (len > 64) {
    buf.write(v, pos, len);
    s.pos = pos + len;
    return;
  }
  for (let i = 0; i < v.length; i++) {
    let c1 = v.charCodeAt(i);
    const c2 = v.charCodeAt(i + 1); // NaN past the end: not a low surrogate
    if (c1 < 0x80) {
      buf[pos++] = c1;
    } else if (c1 < 0x800) {
      buf[pos++] = (c1 >> 6) | 0xc0;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    } else if ((c1 & 0xfc00) === 0xd800 && (c2 & 0xfc00) === 0xdc00) {
      c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
      i++;
      buf[pos++] = (c1 >> 18) | 0xf0;
      buf[pos++] = ((c1 >> 12) & 0x3f) | 0x80;
      buf[pos++] = ((c1 >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    } else {
      buf[pos++] = (c1 >> 12) | 0xe0;
      buf[pos++] = ((c1 >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    }
  }
  s.pos = pos;
}

/** avsc's union "bucket" of a branch type: a value is only written as that branch if it is in it. */
function bucketCheck(t: Shape, x: string): string | null {
  switch (t.typeName) {
    case 'array':
      return `Array.isArray(${x})`;
    case 'map':
    case 'record':
      return `(typeof ${x} === 'object' && !Array.isArray(${x}) && !Buffer.isBuffer(${x}))`;
    default:
      return null; // primitives and enums: the branch's own type test is the bucket test
  }
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Generated source and the values it refers to (helpers, enum maps, nested writers). */
class Compiler extends CodeCompiler {
  constructor() {
    super({ Buffer, isLong, writeLong, writeDouble, writeBoolean, writeByte, writeString });
  }

  /** Statements writing x (a plain identifier) as `type`, returning false on a decline. */
  stmts(type: Type, x: string): string {
    const t = type as unknown as Shape;
    switch (t.typeName) {
      case 'null':
        return `if (${x} !== null) return false;\n`;
      case 'boolean':
        return `if (typeof ${x} !== 'boolean') return false;\nwriteBoolean(s, ${x});\n`;
      case 'int':
        return `if (${x} !== (${x} | 0)) return false;\nwriteLong(s, ${x});\n`;
      case 'long':
        return `if (!isLong(${x})) return false;\nwriteLong(s, ${x});\n`;
      case 'double':
        return `if (typeof ${x} !== 'number') return false;\nwriteDouble(s, ${x});\n`;
      case 'string':
        return `if (typeof ${x} !== 'string') return false;\nwriteString(s, ${x});\n`;
      case 'enum': {
        const m = this.ref(new Map((t.symbols ?? []).map((sym, i) => [sym, i])));
        const i = `${x}_i`;
        return `const ${i} = ${m}.get(${x});\nif (${i} === undefined) return false;\nwriteLong(s, ${i});\n`;
      }
      case 'union:unwrapped': {
        const types = t.types ?? [];
        const ni = types.findIndex((b) => b.typeName === 'null');
        const oi = ni === 0 ? 1 : 0;
        const other = types[oi];
        if (types.length !== 2 || ni === -1 || other === undefined || other.typeName.startsWith('union'))
          throw new Unsupported(`union of ${types.map((b) => b.typeName).join(', ')}`);
        const bucket = bucketCheck(other as unknown as Shape, x);
        const guard = bucket === null ? '' : `if (!${bucket}) return false;\n`;
        return (
          `if (${x} === null) writeByte(s, ${ni * 2});\n` +
          `else {\n${guard}writeByte(s, ${oi * 2});\n${this.stmts(other, x)}}\n`
        );
      }
      case 'array':
      case 'map':
      case 'record': {
        const w = this.ref(this.writer(type));
        return `if (!${w}(s, ${x})) return false;\n`;
      }
      default:
        throw new Unsupported(t.typeName);
    }
  }

  /** A FastWriter for arrays, maps and records (each its own function, like avsc's). */
  writer(type: Type): FastWriter {
    const t = type as unknown as Shape;
    return this.compile<FastWriter>(type, 'write(s, v)', () => {
      let body: string;
      if (t.typeName === 'array') {
        body =
          'if (!Array.isArray(v)) return false;\n' +
          'const n = v.length;\n' +
          'if (n > 0) {\nwriteLong(s, n);\n' +
          `for (let i = 0; i < n; i++) {\nconst x = v[i];\n${this.stmts(t.itemsType as Type, 'x')}}\n}\n` +
          'writeByte(s, 0);\nreturn true;\n';
      } else if (t.typeName === 'map') {
        body =
          "if (!v || typeof v !== 'object' || Array.isArray(v)) return false;\n" +
          'const keys = Object.keys(v);\n' +
          'const n = keys.length;\n' +
          'if (n > 0) {\nwriteLong(s, n);\n' +
          'for (let i = 0; i < n; i++) {\nconst k = keys[i];\nwriteString(s, k);\nconst x = v[k];\n' +
          `${this.stmts(t.valuesType as Type, 'x')}}\n}\n` +
          'writeByte(s, 0);\nreturn true;\n';
      } else if (t.typeName === 'record') {
        body = "if (v === null || typeof v !== 'object') return false;\n";
        (t.fields ?? []).forEach((f, i) => {
          if (!NAME_RE.test(f.name)) throw new Unsupported(`field name ${f.name}`);
          body += `const f${i} = v.${f.name};\n${this.stmts(f.type, `f${i}`)}`;
        });
        body += 'return true;\n';
      } else {
        throw new Unsupported(t.typeName);
      }
      return body;
    });
  }
}

/** The fast writer for a record, array or map type; null when the type uses anything not covered. */
export function compileFastWriter(type: Type): FastWriter | null {
  return compiledOrNull(() => new Compiler().writer(type));
}
