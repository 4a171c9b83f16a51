// Builds the collector's configured inputs (files and globs, stdin `-`, syslog, HTTP ingest) and
// merges their batches into one stream. Each batch keeps its own commit(). Listeners are bound by
// createInputs (so a port conflict fails at start); everything is closed when the signal aborts or
// close() is called.

import { createFilesInput, type FilesInputOptions } from './files-input.js';
import { createHttpIngestInput, type HttpIngestInput, type HttpIngestOptions } from './http-ingest.js';
import { AsyncMerge } from './merge.js';
import { createStreamInput } from './stream-input.js';
import { createSyslogInput, type SyslogInput, type SyslogInputOptions } from './syslog.js';
import type { Input, SourceBatch } from './types.js';

export type { Input, SourceBatch } from './types.js';

export interface InputsOptions {
  /** File paths and globs; `-` is stdin. */
  files?: string[];
  follow: boolean;
  fromStart: boolean;
  batchSize: number;
  /** Checkpoint state file for the files; e.g. `<stateDir>/checkpoints.json`. */
  checkpointFile?: string;
  maxLineBytes?: number;
  /** Advanced file options (poll, re-scan, rotation grace). */
  fileOptions?: Pick<FilesInputOptions, 'pollMs' | 'rescanMs' | 'rotateGraceMs' | 'onDamaged'>;
  syslog?: Omit<SyslogInputOptions, 'batchSize'>;
  http?: Omit<HttpIngestOptions, 'batchSize'>;
  /** Stream used for `-`; default process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

export interface Inputs {
  /** All inputs' batches, as they come; ends when every input has ended (files without follow) or on abort. */
  batches(signal: AbortSignal): AsyncIterable<SourceBatch>;
  close(): Promise<void>;
  /** The listeners, for their addresses and drop counters (null when not configured). */
  syslog: SyslogInput | null;
  http: HttpIngestInput | null;
}

export async function createInputs(opts: InputsOptions): Promise<Inputs> {
  const inputs: Input[] = [];
  const files = (opts.files ?? []).filter((f) => f !== '-');
  if (files.length) {
    inputs.push(
      createFilesInput({
        paths: files,
        follow: opts.follow,
        fromStart: opts.fromStart,
        batchSize: opts.batchSize,
        checkpointFile: opts.checkpointFile,
        maxLineBytes: opts.maxLineBytes,
        ...opts.fileOptions,
      }),
    );
  }
  if (opts.files?.includes('-')) {
    const stdin = (opts.stdin ?? process.stdin) as import('node:stream').Readable;
    inputs.push(createStreamInput(stdin, { batchSize: opts.batchSize, maxLineBytes: opts.maxLineBytes }));
  }
  let syslog: SyslogInput | null = null;
  let http: HttpIngestInput | null = null;
  try {
    if (opts.syslog) {
      syslog = await createSyslogInput({ ...opts.syslog, batchSize: opts.batchSize });
      inputs.push(syslog);
    }
    if (opts.http) {
      http = await createHttpIngestInput({ ...opts.http, batchSize: opts.batchSize });
      inputs.push(http);
    }
  } catch (err) {
    await Promise.all(inputs.map((i) => i.close()));
    throw err;
  }

  const stop = new AbortController();
  let closing: Promise<void> | null = null;
  const close = () => {
    stop.abort();
    closing ??= Promise.all(inputs.map((i) => i.close())).then(() => {});
    return closing;
  };

  return {
    syslog,
    http,
    close,
    async *batches(outer) {
      // one signal for the merge and every input, so an input blocked waiting returns on abort or close
      const signal = AbortSignal.any([outer, stop.signal]);
      const merge = new AsyncMerge<SourceBatch>();
      for (const i of inputs) merge.add(i.batches(signal));
      merge.close();
      try {
        yield* merge.iterate(signal, () => stop.abort());
      } finally {
        // whatever ended the iteration (abort, close, the consumer's break), the inputs are done
        await close();
      }
    },
  };
}
