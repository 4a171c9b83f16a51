// `scan`'s parsing thread: reads, parses, normalises and redacts one file at a time (when the
// detection thread asks for it) and sends its events in compact batches (event-batch.ts), at
// most IN_FLIGHT batches ahead of the detection thread. Everything that reaches the detection
// thread is what readLogOutcomes yields in-thread, in the same order.
import { parentPort } from 'node:worker_threads';
import { isLeakwatchError } from '#shared/errors.js';
import { type Outcome, type Pipeline, type Redactor, redactorForKey } from '../collector/index.js';
import { EventEncoder, transferables } from './event-batch.js';
import { isDamagedInput } from './input-limits.js';
import { type LogInputOptions, readLogOutcomes, scanNormalizeOptions } from './log-input.js';

/** What the detection thread sends: read this file, or one batch was consumed. */
export type ToWorker =
  | {
      t: 'file';
      path: string;
      opts: Pick<LogInputOptions, 'format' | 'formatOptions' | 'tenant' | 'maxLineBytes'>;
      /** The redaction key (sent with each file: the thread starts before the key is chosen). */
      key: string;
      progress: boolean;
    }
  | { t: 'ack' };

export interface WorkerError {
  message: string;
  name: string;
  code?: string;
  statusCode?: number;
  retriable?: boolean;
  details?: Record<string, unknown>;
  leakwatch: boolean;
  stack?: string;
}

/** What the parsing thread sends. */
export type FromWorker =
  | { t: 'detected'; path: string; id: string; score: number }
  | { t: 'batch'; batch: import('./event-batch.js').EventBatch; offset: number; lines: number }
  | { t: 'end'; tally: Pipeline['tally'] | null; damaged: string | null }
  | { t: 'error'; error: WorkerError };

/** Events per batch sent. */
const BATCH_EVENTS = 2048;
/** Batches sent and not yet consumed, at most. */
const IN_FLIGHT = 4;

const port = parentPort;
if (port === null) throw new Error('scan-worker runs as a worker thread');
// event ids are derived in the detection thread, and only those it reads (event-batch.ts); what
// only the archive reads is not computed (scanNormalizeOptions)
const normalize = { ...scanNormalizeOptions(), eventIds: false };
let redactor: Redactor | null = null;
let redactorKey = '';
const encoder = new EventEncoder();

let inFlight = 0;
let wake: (() => void) | null = null;
const queue: ToWorker[] = [];
let running = false;

port.on('message', (m: ToWorker) => {
  if (m.t === 'ack') {
    inFlight--;
    const w = wake;
    wake = null;
    w?.();
    return;
  }
  queue.push(m);
  if (!running) void drain();
});

async function drain(): Promise<void> {
  running = true;
  for (let m = queue.shift(); m !== undefined; m = queue.shift()) if (m.t === 'file') await readFile(m);
  running = false;
}

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(msg, transfer);
}

async function flush(offset: number, lines: number): Promise<void> {
  while (inFlight >= IN_FLIGHT) await new Promise<void>((r) => (wake = r));
  const batch = encoder.take();
  inFlight++;
  send({ t: 'batch', batch, offset, lines }, transferables(batch));
}

/** Adds the events among `outcomes` to the batch (a loop kept out of readFile: see Pipeline.pushAll). */
function encodeEvents(outcomes: readonly Outcome[]): void {
  for (let i = 0; i < outcomes.length; i++) {
    const x = outcomes[i] as Outcome;
    if (x.kind === 'event') encoder.add(x.event, x.position);
  }
}

async function readFile(m: Extract<ToWorker, { t: 'file' }>): Promise<void> {
  if (redactor === null || redactorKey !== m.key) {
    redactor = redactorForKey(m.key, normalize.redactor);
    redactorKey = m.key;
  }
  const fileRedactor = redactor;
  let pipeline: Pipeline | undefined;
  let offset = 0;
  try {
    try {
      for await (const outcomes of readLogOutcomes(
        m.path,
        {
          ...m.opts,
          redactor: fileRedactor,
          normalize,
          onDetected: (path, id, score) => send({ t: 'detected', path, id, score }),
          onProgress: m.progress
            ? (_p, o) => {
                offset = o;
              }
            : undefined,
        },
        (p) => {
          pipeline = p;
        },
      )) {
        encodeEvents(outcomes);
        if (encoder.size >= BATCH_EVENTS) await flush(offset, pipeline?.tally.lines ?? 0);
      }
      if (encoder.size > 0) await flush(offset, pipeline?.tally.lines ?? 0);
    } catch (err) {
      if (!isDamagedInput(err)) throw err;
      if (encoder.size > 0) await flush(offset, pipeline?.tally.lines ?? 0);
      send({ t: 'end', tally: pipeline?.tally ?? null, damaged: err.message });
      return;
    }
    send({ t: 'end', tally: pipeline?.tally ?? null, damaged: null });
  } catch (err) {
    // Like the in-thread reader: the events read before the error are still judged, then the error.
    if (encoder.size > 0) await flush(offset, pipeline?.tally.lines ?? 0);
    const e = err as Error & Partial<WorkerError>;
    const error: WorkerError = {
      message: e?.message ?? String(err),
      name: e?.name ?? 'Error',
      leakwatch: isLeakwatchError(err),
    };
    if (e?.stack !== undefined) error.stack = e.stack;
    if (typeof e?.code === 'string') error.code = e.code;
    if (typeof e?.statusCode === 'number') error.statusCode = e.statusCode;
    if (typeof e?.retriable === 'boolean') error.retriable = e.retriable;
    if (e?.details !== undefined) error.details = e.details;
    send({ t: 'error', error });
  }
}
