// A byte stream (stdin: `-`) as an Input: lines with their byte offsets, source `stdin`.
// The stream is read only as fast as batches are taken (for-await pauses it). A pipe cannot be
// re-read, so commit() records nothing: after a crash, the producer of the pipe must replay.
import type { Readable } from 'node:stream';
import { LineSplitter } from './line-splitter.js';
import type { Input, SourceBatch } from './types.js';

export interface StreamInputOptions {
  batchSize: number;
  /** Source name; default `stdin`. */
  source?: string;
  maxLineBytes?: number;
}

export function createStreamInput(stream: Readable, opts: StreamInputOptions): Input {
  const source = opts.source ?? 'stdin';
  const commit = async () => {};
  return {
    async *batches(signal) {
      const splitter = new LineSplitter(opts.maxLineBytes ?? 64 * 1024);
      const onAbort = () => stream.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      const toBatches = function* (lines: SourceBatch['lines']): Generator<SourceBatch> {
        for (let i = 0; i < lines.length; i += opts.batchSize)
          yield { source, lines: lines.slice(i, i + opts.batchSize), commit };
      };
      try {
        for await (const chunk of stream as AsyncIterable<Buffer | string>) {
          yield* toBatches(splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
        }
        yield* toBatches(splitter.end());
      } catch (err) {
        if (!signal.aborted) throw err; // destroyed by abort: just stop
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      // never destroy process.stdin itself; stop reading it
      if (stream === process.stdin) stream.pause();
      else stream.destroy();
    },
  };
}
