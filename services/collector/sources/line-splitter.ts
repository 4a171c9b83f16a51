// Splits a byte stream into lines with their byte offsets, holding at most maxLineBytes + 1 bytes
// of a pending line: a line longer than maxLineBytes is cut (its remaining bytes are skipped, its
// offset and the next line's offset stay exact) and marked `tooLong` with its full length, so the
// pipeline rejects and counts it, and a writer that never sends a newline cannot make the reader
// buffer without bound. CRLF endings lose their CR.
import type { InputLine } from '../parsers/types.js';

const NL = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  /** Offset of the next byte push() will receive. */
  private pos = 0;
  /** Offset where the pending (incomplete) line starts. */
  private start = 0;
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** Bytes of the pending line dropped because it was already longer than the cap. */
  private dropped = 0;
  /** Whether the line finish() last returned was cut. */
  private cut = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Restart at `offset` (a line start), forgetting any pending bytes. */
  reset(offset: number): void {
    this.pos = offset;
    this.start = offset;
    this.carry = [];
    this.carryLen = 0;
    this.dropped = 0;
  }

  /** Offset just past the last complete line: where a reader may resume. */
  get lineStart(): number {
    return this.start;
  }

  /** Offset of the next byte expected. */
  get position(): number {
    return this.pos;
  }

  /** Bytes of the incomplete last line seen so far. */
  get pendingBytes(): number {
    return this.pos - this.start;
  }

  push(data: Buffer): InputLine[] {
    const base = this.pos;
    this.pos += data.length;
    const out: InputLine[] = [];
    let from = 0;
    const max = this.maxLineBytes;
    for (;;) {
      const nl = data.indexOf(NL, from);
      if (nl < 0) break;
      if (this.carryLen === 0 && this.dropped === 0 && nl - from <= max) {
        // the common case, a whole line inside this chunk: decoded in place, no Buffer view per line
        const end = nl > from && data[nl - 1] === CR ? nl - 1 : nl;
        out.push({ offset: this.start, text: data.toString('utf8', from, end) });
      } else out.push(this.line(base + nl - this.start, data.subarray(from, nl)));
      from = nl + 1;
      this.start = base + from;
    }
    if (from < data.length) this.keep(data.subarray(from));
    return out;
  }

  /** End of input: the incomplete last line, if any, as a line. */
  end(): InputLine[] {
    if (this.pos === this.start) return [];
    const line = this.line(this.pos - this.start, Buffer.alloc(0));
    this.start = this.pos;
    return [line];
  }

  /** The pending line ending with tail; bytes: its length without the newline. */
  private line(bytes: number, tail: Buffer): InputLine {
    const text = this.finish(tail);
    return this.cut
      ? { offset: this.start, text, tooLong: { bytes, limit: this.maxLineBytes } }
      : { offset: this.start, text };
  }

  private keep(bytes: Buffer): void {
    const room = this.maxLineBytes + 1 - this.carryLen;
    if (room <= 0) {
      this.dropped += bytes.length;
      return;
    }
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    this.carry.push(Buffer.from(kept));
    this.carryLen += kept.length;
    this.dropped += bytes.length - kept.length;
  }

  private finish(tail: Buffer): string {
    let line: Buffer;
    if (this.carryLen === 0 && this.dropped === 0) line = tail;
    else {
      const room = Math.max(0, this.maxLineBytes + 1 - this.carryLen);
      line = Buffer.concat([...this.carry, tail.subarray(0, room)]);
      if (tail.length > room) this.dropped += tail.length - room;
    }
    let end = line.length;
    // a CR is only the line ending when nothing was dropped after it
    if (this.dropped === 0 && end > 0 && line[end - 1] === CR) end--;
    this.cut = this.dropped > 0 || end > this.maxLineBytes;
    if (end > this.maxLineBytes) end = this.maxLineBytes;
    this.carry = [];
    this.carryLen = 0;
    this.dropped = 0;
    return line.toString('utf8', 0, end);
  }
}
