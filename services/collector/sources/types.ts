// The one shape every collector input has (files, stdin, syslog, HTTP ingest), so the collector
// reads all of them the same way: pull a batch, publish its events to Kafka, then commit() it.
// Batches are pulled, never pushed: the consumer's await is the back-pressure. commit() is what
// makes delivery at-least-once (a file checkpoint advances, an HTTP forwarder gets its 200);
// anything read but not committed is read again after a crash, and event_id dedups downstream.
import type { InputLine } from '../parsers/types.js';

export interface SourceBatch {
  /**
   * Stable name of where the lines come from; goes into event_id with the line position.
   * A file's absolute path, `stdin`, `syslog:<peer address>`, `http:<forwarder>`.
   */
  source: string;
  /** Lines in source order. `offset` is the position: a byte offset for files and stdin, see each input otherwise. */
  lines: InputLine[];
  /**
   * Files only: the generation of the file the offsets count in (checkpoints.ts fileGeneration).
   * Offsets restart at 0 after a rotation or a copytruncate, so the collector derives event ids from
   * the generation and the position, not from the source name: a new file at the same path never
   * repeats an id, and the same line keeps its id across restarts. Undefined: the source name.
   */
  generation?: string;
  /** call after the batch's events are durable in Kafka: advances the checkpoint */
  commit(): Promise<void>;
}

export interface Input {
  batches(signal: AbortSignal): AsyncIterable<SourceBatch>;
  close(): Promise<void>;
}
