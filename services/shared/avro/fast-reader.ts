// A faster Avro binary reader for the value shapes the project's schemas use, compiled from the
// avsc Type: the mirror of fast-writer.ts. avsc stays the reference: codec.ts decodes a message
// with this reader only when it was written with the reader's own schema, and falls back to its
// checked avsc path (body-check.ts, then avsc) whenever this reader declines, so every value
// handed out, and every error, is what that path gives.
//
// Why: the detector decodes every event twice over before it reaches the engine: the structural
// body check (avsc trusts counts and lengths; a corrupt one must not stall the consumer), then
// avsc's generic decode (a Tap method call per value, a union dispatch per nullable field). Here
// the bounds are checked while reading, in one generated function per record.
//
// The contract that keeps the values identical:
//  - It declines (throws Decline; the caller takes the checked avsc path) on anything that path
//    would refuse or that this reader does not model exactly: a read past the end, a varint longer
//    than 10 bytes, a negative length or block count, a count that cannot fit in the bytes left,
//    a boolean byte other than 0/1, an enum or union index out of range, a long outside avsc's
//    safe range, trailing bytes. Declining too often costs time, never correctness.
//  - Values are read as avsc reads them: its varint arithmetic (Tap.readLong), strings through
//    Buffer#utf8Slice, doubles with readDoubleLE, maps built as `{}` by key assignment, records as
//    instances of avsc's own record class (its constructor, fields in schema order).
//  - Types it does not cover (float, bytes, fixed, logical types, wrapped unions, recursive or
//    zero-size items) make compileFastReader return null: those schemas decode through avsc alone.
// fast-reader.test.ts compares its values with avsc's on random values and on damaged messages.

import type { Type } from 'avsc';
import { CodeCompiler, compiledOrNull, type Shape, Unsupported } from './codegen.js';

/** Where a reader is: the message and the position of the next byte. */
export interface Cursor {
  buf: Buffer;
  pos: number;
}

/** Reads one value at cursor.pos and moves past it; throws Decline when the checked path must decide. */
export type FastReader = (c: Cursor) => unknown;

/** The reader cannot vouch for this message; the caller decodes it the checked way. */
export class Decline extends Error {}
const DECLINE = new Decline('declined'); // thrown often on bad input: one instance, no stack capture

function decline(): never {
  throw DECLINE;
}

/** avsc's isSafeLong bound. */
const MAX_LONG = 9007199254740990;

/**
 * Zig-zag varint, exactly avsc's Tap.readLong arithmetic (int ops for 4 bytes, floats beyond),
 * bounded: at most 10 bytes (the body check's limit), never past the end.
 */
function readLong(c: Cursor): number {
  const buf = c.buf;
  let pos = c.pos;
  const end = buf.length;
  if (pos >= end) decline();
  let b = buf[pos++] as number;
  if (b < 0x80) {
    c.pos = pos;
    return (b >> 1) ^ -(b & 1);
  }
  let n = b & 0x7f;
  let k = 7;
  let h = 0x80;
  while (h && k < 28) {
    if (pos >= end) decline();
    b = buf[pos++] as number;
    h = b & 0x80;
    n |= (b & 0x7f) << k;
    k += 7;
  }
  if (h) {
    let f = n;
    let fk = 268435456; // 2 ** 28
    let len = 4;
    do {
      if (pos >= end || ++len > 10) decline();
      b = buf[pos++] as number;
      f += (b & 0x7f) * fk;
      fk *= 128;
    } while (b & 0x80);
    c.pos = pos;
    return (f % 2 ? -(f + 1) : f) / 2;
  }
  c.pos = pos;
  return (n >> 1) ^ -(n & 1);
}

function readSafeLong(c: Cursor): number {
  const n = readLong(c);
  if (!(n >= -MAX_LONG && n <= MAX_LONG)) decline();
  return n;
}

/** Buffer's own UTF-8 slice, as avsc's Tap.readString calls it (toString adds argument checks). */
type Utf8Sliceable = Buffer & { utf8Slice(start: number, end: number): string };

function readString(c: Cursor): string {
  const len = readLong(c);
  const pos = c.pos;
  if (len < 0 || len > c.buf.length - pos) decline();
  c.pos = pos + len;
  return (c.buf as Utf8Sliceable).utf8Slice(pos, pos + len);
}

function readBoolean(c: Cursor): boolean {
  if (c.pos >= c.buf.length) decline();
  const b = c.buf[c.pos++] as number;
  if (b > 1) decline();
  return b === 1;
}

function readDouble(c: Cursor): number {
  const pos = c.pos;
  if (pos + 8 > c.buf.length) decline();
  c.pos = pos + 8;
  return c.buf.readDoubleLE(pos);
}

/** A block's item count: positive, and not more items than bytes left (every item covered takes one). */
function readBlockCount(c: Cursor): number {
  const n = readLong(c);
  if (n < 0 || n > c.buf.length - c.pos) decline(); // negative: a sized block, left to the checked path
  return n;
}

/** Generated source and the values it refers to (helpers, symbols, nested readers). */
class Compiler extends CodeCompiler {
  constructor() {
    super({ decline, readLong, readSafeLong, readString, readBoolean, readDouble });
  }

  private temps = 0;

  /** Statements reading one value of `type` from cursor c into the (declared) variable x. */
  stmts(type: Type, x: string): string {
    const t = type as unknown as Shape;
    switch (t.typeName) {
      case 'null':
        return `${x} = null;\n`;
      case 'boolean':
        return `${x} = readBoolean(c);\n`;
      case 'int':
        return `${x} = readLong(c);\n`; // avsc's IntType reads a long unchecked
      case 'long':
        return `${x} = readSafeLong(c);\n`;
      case 'double':
        return `${x} = readDouble(c);\n`;
      case 'string':
        return `${x} = readString(c);\n`;
      case 'enum': {
        const symbols = this.ref(t.symbols ?? []);
        return `${x} = ${symbols}[readLong(c)];\nif (${x} === undefined) decline();\n`;
      }
      case 'union:unwrapped': {
        const types = t.types ?? [];
        if (types.length !== 2) throw new Unsupported(`union of ${types.length}`);
        const i = `i${this.temps++}`;
        return (
          `const ${i} = readLong(c);\n` +
          `if (${i} === 0) {\n${this.stmts(types[0] as Type, x)}}\n` +
          `else if (${i} === 1) {\n${this.stmts(types[1] as Type, x)}}\n` +
          'else decline();\n'
        );
      }
      case 'array':
      case 'map':
      case 'record':
        return `${x} = ${this.ref(this.reader(type))}(c);\n`;
      default:
        throw new Unsupported(t.typeName);
    }
  }

  /** A FastReader for arrays, maps and records (each its own function, like avsc's). */
  reader(type: Type): FastReader {
    const t = type as unknown as Shape;
    return this.compile<FastReader>(type, 'read(c)', () => {
      let body: string;
      if (t.typeName === 'array' || t.typeName === 'map') {
        const inner = (t.typeName === 'array' ? t.itemsType : t.valuesType) as Type;
        // readBlockCount bounds a count by the bytes left: only sound when every item takes a byte
        if (inner.typeName === 'null' || inner.typeName === 'record')
          throw new Unsupported('zero-size items');
        const item = this.stmts(inner, 'x');
        const count = this.ref(readBlockCount);
        body =
          t.typeName === 'array'
            ? `const v = [];\nfor (let n = ${count}(c); n > 0; n = ${count}(c)) {\nwhile (n--) {\nlet x;\n${item}v.push(x);\n}\n}\nreturn v;\n`
            : `const v = {};\nfor (let n = ${count}(c); n > 0; n = ${count}(c)) {\nwhile (n--) {\nconst k = readString(c);\nlet x;\n${item}v[k] = x;\n}\n}\nreturn v;\n`;
      } else if (t.typeName === 'record') {
        const ctor = t.recordConstructor;
        if (ctor === undefined) throw new Unsupported('record without a constructor');
        const fields = t.fields ?? [];
        body = fields.map((f, i) => `let f${i};\n${this.stmts(f.type, `f${i}`)}`).join('');
        body += `return new ${this.ref(ctor)}(${fields.map((_, i) => `f${i}`).join(', ')});\n`;
      } else {
        throw new Unsupported(t.typeName);
      }
      return body;
    });
  }
}

/** The fast reader for a record, array or map type; null when the type uses anything not covered. */
export function compileFastReader(type: Type): FastReader | null {
  return compiledOrNull(() => new Compiler().reader(type));
}
