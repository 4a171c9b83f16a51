// Dead letters: records a stage could not use, with the reason code and where they came from.
// The record itself is not copied in plaintext (it may hold PHI): a digest, its size and a
// PHI-scrubbed, truncated copy are.
import { createHash } from 'node:crypto';
import { isLeakwatchError } from '../errors.js';
import type { EventProducer } from './producer.js';
import type { DeadLetter } from './topics.js';

export interface DeadLetterInput {
  reason: string;
  message: string;
  source: string;
  position: string;
  record: Buffer | string;
}

export type Scrubber = (text: string) => string;

const MAX_REDACTED = 2048;

export function toDeadLetter(service: string, d: DeadLetterInput, scrub: Scrubber): DeadLetter {
  const buf = typeof d.record === 'string' ? Buffer.from(d.record) : d.record;
  const text = buf.subarray(0, MAX_REDACTED * 2).toString('utf8');
  return {
    reason: d.reason,
    message: scrub(d.message).slice(0, 500),
    service,
    source: d.source,
    position: d.position,
    ingested_at: Date.now(),
    record_sha256: createHash('sha256').update(buf).digest('hex'),
    record_bytes: buf.length,
    record_redacted: scrub(text).slice(0, MAX_REDACTED),
  };
}

export async function sendDeadLetters(
  producer: EventProducer,
  topic: string,
  letters: DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  await producer.send(
    topic,
    letters.map((l) => ({
      key: l.source,
      value: JSON.stringify(l),
      headers: { 'lw-reason': l.reason, 'lw-service': l.service },
    })),
  );
}

/** A Kafka message a stage could not decode, as a dead letter (reason = the error code). */
export function undecodable(
  service: string,
  at: { topic: string; partition: number; offset: string },
  record: Buffer,
  err: unknown,
): DeadLetter {
  const reason = isLeakwatchError(err) ? err.code : 'LW_ERR_AVRO_BAD_MESSAGE';
  return toDeadLetter(
    service,
    {
      reason,
      message: (err as Error).message,
      source: `${at.topic}/${at.partition}`,
      position: at.offset,
      record,
    },
    opaque,
  );
}

/** The part of a kafkajs batch decodeBatch reads. */
export interface BatchMessages {
  topic: string;
  partition: number;
  messages: readonly { value: Buffer | null; offset: string }[];
}

/**
 * Decodes a consumed batch: messages without a value are skipped, the ones `decode` throws on become
 * dead letters of `service` (each also handed to `onDead`, e.g. to count it by reason). With
 * `split`, a record carries several values (access-batch.ts): each is decoded (or dead-lettered,
 * named `offset:index`) on its own, and a record `split` throws on is one dead letter.
 */
export function decodeBatch<T>(
  service: string,
  batch: BatchMessages,
  decode: (value: Buffer) => T,
  onDead?: (letter: DeadLetter) => void,
  split?: (record: Buffer) => Buffer[],
): { values: T[]; dead: DeadLetter[] } {
  const values: T[] = [];
  const dead: DeadLetter[] = [];
  const deadLetter = (value: Buffer, offset: string, err: unknown) => {
    const letter = undecodable(
      service,
      { topic: batch.topic, partition: batch.partition, offset },
      value,
      err,
    );
    onDead?.(letter);
    dead.push(letter);
  };
  for (const msg of batch.messages) {
    if (!msg.value) continue;
    let parts: Buffer[];
    try {
      parts = split === undefined ? [msg.value] : split(msg.value);
    } catch (err) {
      deadLetter(msg.value, msg.offset, err);
      continue;
    }
    for (let i = 0; i < parts.length; i++) {
      const value = parts[i] as Buffer;
      try {
        values.push(decode(value));
      } catch (err) {
        deadLetter(value, parts.length > 1 ? `${msg.offset}:${i}` : msg.offset, err);
      }
    }
  }
  return { values, dead };
}

/** For stages past the collector the record is binary Avro: keep only digest and size. */
export const opaque: Scrubber = (text) => `[${Buffer.byteLength(text)} bytes omitted]`;
