// Several AccessEvents in one Kafka record (schemas/avro/access-event-batch.avsc).
//
// Kafka's costs are mostly per record: the producer builds, sizes and hashes each one, the broker
// validates each, the consumer builds a message object and parses its offset and timestamp. The
// producer (kafka/producer.ts) therefore packs a run of consecutive events of one principal on one
// partition into one record, keyed by that principal as before. Each partition then holds the same
// events in the same order as when each event was its own record; only the record boundaries move.
//
// The record is an ordinary single-object message of the AccessEventBatch schema, whose items are
// whole AccessEvent messages. A reader splits a record into AccessEvent messages here and handles
// each as it handled a record before (decode, dead-letter, forward by route). A record that is a
// plain AccessEvent message is one item. A reader that does not know the batch schema fails
// loudly (its fingerprint is not an AccessEvent writer's) instead of reading one event of several.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AvroBadMessage } from '#shared/errors.js';
import type { Packer } from '#shared/kafka/pack-runs.js';
import { BodyError, checkedVarLong } from './body-check.js';
import { AVRO_SCHEMAS_DIR, fingerprintOf, HEADER_LENGTH } from './codec.js';

const MARKER_0 = 0xc3;
const MARKER_1 = 0x01;

interface Fingerprint {
  lo: number;
  hi: number;
  header: Buffer;
}
let batchFingerprint: Fingerprint | undefined;

/** The batch schema's fingerprint as it sits on the wire (two LE words) and its 10-byte header. */
function batchSchema(): Fingerprint {
  if (batchFingerprint === undefined) {
    const hex = fingerprintOf(readFileSync(join(AVRO_SCHEMAS_DIR, 'access-event-batch.avsc'), 'utf8'));
    const header = Buffer.alloc(HEADER_LENGTH);
    header[0] = MARKER_0;
    header[1] = MARKER_1;
    header.writeBigUInt64LE(BigInt(`0x${hex}`), 2);
    batchFingerprint = { lo: header.readUInt32LE(2), hi: header.readUInt32LE(6), header };
  }
  return batchFingerprint;
}

/** Bytes of a zig-zag varint of a non-negative safe integer. */
function varintLength(n: number): number {
  let z = n * 2;
  let bytes = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    bytes++;
  }
  return bytes;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  let z = n * 2;
  while (z >= 0x80) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** One AccessEventBatch message holding `events` (whole AccessEvent messages), in their order. */
export function packAccessEvents(events: readonly Buffer[]): Buffer {
  const { header } = batchSchema();
  let size = HEADER_LENGTH + varintLength(events.length) + 1; // the block count, the closing 0
  for (const e of events) size += varintLength(e.length) + e.length;
  const out = Buffer.allocUnsafe(size);
  header.copy(out, 0);
  let pos = writeVarint(out, HEADER_LENGTH, events.length);
  for (const e of events) {
    pos = writeVarint(out, pos, e.length);
    pos += e.copy(out, pos);
  }
  out[pos] = 0;
  return out;
}

/** True when `value` is written with the batch schema (it is not checked here). */
export function isAccessEventBatch(value: Buffer): boolean {
  if (value.length < HEADER_LENGTH || value[0] !== MARKER_0 || value[1] !== MARKER_1) return false;
  const fp = batchSchema();
  return value.readUInt32LE(2) === fp.lo && value.readUInt32LE(6) === fp.hi;
}

function bad(reason: string): never {
  throw AvroBadMessage(`AccessEventBatch: ${reason}`, { details: { reader: 'AccessEventBatch' } });
}

/** The checked varint at c.pos (body-check.ts), moving past it; a safe integer. */
function readVarint(buf: Buffer, c: { pos: number }): number {
  let value: number;
  try {
    [value, c.pos] = checkedVarLong(buf, c.pos);
  } catch (err) {
    if (err instanceof BodyError) bad(err.message);
    throw err;
  }
  if (!Number.isSafeInteger(value)) bad('varint out of range');
  return value;
}

/**
 * The AccessEvent messages a record carries: the record itself when it is not a batch, else the
 * batch's items as views of it (no copy), in order. Each is then read as a record was before (its
 * own check, decode or dead letter). Throws LW_ERR_AVRO_BAD_MESSAGE when the batch's framing is
 * damaged: the record is then unusable as a whole.
 */
export function accessEventMessages(value: Buffer): Buffer[] {
  if (!isAccessEventBatch(value)) return [value];
  const out: Buffer[] = [];
  const c = { pos: HEADER_LENGTH };
  for (;;) {
    let count = readVarint(value, c);
    if (count === 0) break;
    if (count < 0) {
      // a block written with its byte size (Avro spec, arrays): the size is not needed here
      count = -count;
      if (readVarint(value, c) < 0) bad('negative block size');
    }
    // every item takes at least its length byte: a count beyond the bytes left is damage
    if (count > value.length - c.pos) bad(`block of ${count} items in ${value.length - c.pos} bytes`);
    for (let i = 0; i < count; i++) {
      const length = readVarint(value, c);
      if (length < 0 || length > value.length - c.pos)
        bad(`item ${out.length} of ${length} bytes overruns the record`);
      out.push(value.subarray(c.pos, c.pos + length));
      c.pos += length;
    }
  }
  if (c.pos !== value.length) bad(`${value.length - c.pos} trailing bytes`);
  return out;
}

/** A record's events at most by bytes: well under the broker's 1 MiB message limit. */
const MAX_RECORD_BYTES = 64 * 1024;

/** The producer's packer for access topics: up to `maxEvents` events of a run per record. */
export function accessEventPacker(maxEvents: number): Packer {
  return { maxValues: maxEvents, maxBytes: MAX_RECORD_BYTES, pack: packAccessEvents };
}
