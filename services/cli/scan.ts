// `leakwatch scan FILES... [--format F] [--config rules.yaml]`: the detection engine over log files,
// with the in-memory baseline store, nothing else installed. How a new user tries leakwatch and how
// analysts backfill and tune rules.
//
// stdout: alerts as NDJSON in the Alert JSON shape (DESIGN.md). An alert is printed when it first
// fires (its last_seen is the event time it fired at); later updates of the same alert_id are
// coalesced and printed once more at the end if they changed it — so the last line of an
// alert_id is its final state. stderr: the format chosen, a progress bar on a terminal, and a
// summary (lines, parsed, rejected, skipped, alerts by rule, speed).
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { LeakwatchError } from '#shared/errors.js';
import type { FormatChoice } from '#shared/log-formats.js';
// With a parsing thread, this one loads none of the collector (its tallies and names are in shared/).
import { addTally, emptyTally, formatTally, type Tally } from '#shared/tally.js';
import type { Pipeline } from '../collector/index.js';
import { EventDecoder } from './event-batch.js';
import { checkInputs, isDamagedInput, parseMaxLineBytes, plainSize } from './input-limits.js';
import type { LogInputOptions } from './log-input.js';
import type { FromWorker, ToWorker, WorkerError } from './scan-worker.js';

export { EXIT_DAMAGED_INPUT } from './input-limits.js';

import { chooseRedactionKey } from './redaction-options.js';
import { stdoutClosed, writeLine } from './stdout.js';

export interface ScanCommandOptions {
  format: FormatChoice;
  logFormat?: string;
  config?: string;
  tenant: string;
  redactionKey?: string;
  dev?: boolean;
  progress?: boolean;
  /** Longest line read (bytes, commander gives a string); default DEFAULT_MAX_LINE_BYTES. */
  maxLineBytes?: string | number;
  /** LEAKWATCH_SENSITIVE_KINDS (config.detection.sensitiveKinds). */
  sensitiveKinds?: readonly string[];
  /**
   * Parse in a second thread (scan-worker.ts) while this one runs the detections: true, false, or
   * by default on 2 cores or more when some input is a .gz or the inputs hold WORKER_MIN_BYTES or
   * more (stdin is always read in this thread). Same events in the same order either way.
   */
  worker?: boolean;
}

export interface ScanSummary {
  lines: number;
  parsed: number;
  rejected: number;
  alerts: number;
  alertsByRule: Record<string, number>;
  seconds: number;
  /** One line per input that was damaged or not text (LW_ERR_INPUT_DAMAGED / _BINARY). */
  damaged: string[];
}

/** Event-time interval between idle sweeps of the engine. */
const SWEEP_EVERY = 20_000;

export async function runScan(files: string[], o: ScanCommandOptions): Promise<ScanSummary> {
  const maxLineBytes = parseMaxLineBytes(o.maxLineBytes);
  await checkInputs(files);
  // The parsing thread (files other than stdin) starts first, loading its modules while this one
  // loads the detector and builds the engine (it gets the key with its first file); it is stopped
  // whatever happens.
  const link = (await wantsWorker(files, o.worker)) ? new WorkerLink() : null;
  try {
    const detector = await import('../detector/index.js');
    const setup = detector.loadRulesSetup(o.config, o.sensitiveKinds);
    const { key, note } = chooseRedactionKey(o);
    if (note) process.stderr.write(`leakwatch scan: ${note}\n`);
    return await scanFiles(files, o, { detector, setup, key, maxLineBytes, link });
  } finally {
    await link?.close();
  }
}

type Detector = typeof import('../detector/index.js');

async function scanFiles(
  files: string[],
  o: ScanCommandOptions,
  c: {
    detector: Detector;
    setup: ReturnType<Detector['loadRulesSetup']>;
    key: string;
    maxLineBytes: number;
    link: WorkerLink | null;
  },
): Promise<ScanSummary> {
  const { setup, key, maxLineBytes, link } = c;
  const { createEngine, MemoryBaselineStore } = c.detector;
  // The in-thread reader (stdin, or o.worker false) is loaded when first used.
  let inThread: Promise<InThreadReading> | null = null;
  const engine = createEngine({
    rules: setup.rules,
    ...setup.engine,
    baselines: new MemoryBaselineStore(),
    onEvict: (n, held) =>
      process.stderr.write(
        `leakwatch scan: memory budget reached, evicted ${n} idle entities (${held} held)\n`,
      ),
  });

  const started = process.hrtime.bigint();
  const total = emptyTally();
  const printed = new Map<string, number>(); // alert_id -> observed when last printed
  const latest = new Map<string, Alert>();
  const byRule: Record<string, number> = {};
  let maxTs = Number.NEGATIVE_INFINITY;
  let sinceSweep = 0;

  const tty = o.progress !== false && process.stderr.isTTY === true;
  const cliProgress = tty ? (await import('cli-progress')).default : null; // only drawn on a terminal
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        { format: 'scan {bar} {percentage}% | {file} | {lines} lines | {alerts} alerts', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;

  /** New alerts of the last batch judged, as lines to print in order. */
  const toPrint: string[] = [];
  /**
   * Runs a batch of events through the engine. Synchronous, and apart from scanFiles: the per-event
   * loop is what V8 optimises, not scanFiles' whole async state machine (see Pipeline.pushAll).
   */
  let judged = 0;
  const judge = (events: readonly AccessEvent[]): void => {
    judged += events.length;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as AccessEvent;
      if (e.ts > maxTs) maxTs = e.ts;
      for (const a of engine.process(e)) {
        if (!printed.has(a.alert_id)) {
          printed.set(a.alert_id, a.explanation.observed);
          byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
          toPrint.push(JSON.stringify(a));
        } else {
          latest.set(a.alert_id, a);
        }
      }
      if (++sinceSweep >= SWEEP_EVERY) {
        sinceSweep = 0;
        engine.flushIdle(maxTs);
      }
    }
  };

  const damaged: string[] = [];
  const fileOpts = {
    format: o.format,
    formatOptions: o.logFormat ? { logFormat: o.logFormat } : undefined,
    tenant: o.tenant,
    maxLineBytes,
  };
  for (const path of files) {
    const size = await plainSize(path);
    bar?.start(size ?? 1, 0, { file: path, lines: total.lines, alerts: printed.size });
    const hooks: FileHooks = {
      detected: (p, id, score) => {
        const msg = `leakwatch scan: ${p}: format ${id} (auto, sniff ${score.toFixed(2)})\n`;
        if (bar) bar.update({ file: `${p} (${id})` });
        else process.stderr.write(msg);
      },
      progress: bar
        ? (offset, lines) => {
            if (size !== null) bar.update(offset, { lines: lines + total.lines });
          }
        : null,
    };
    let events: AsyncGenerator<AccessEvent[], FileEnd>;
    if (link === null || path === '-') {
      inThread ??= inThreadReading(key);
      events = readInThread(path, fileOpts, await inThread, hooks);
    } else {
      events = link.read(path, fileOpts, key, hooks);
    }
    let end: FileEnd | null = null;
    for (;;) {
      const r = await events.next();
      if (r.done === true) {
        end = r.value;
        break;
      }
      judge(r.value);
      for (let i = 0; i < toPrint.length; i++) await writeLine(toPrint[i] as string);
      toPrint.length = 0;
      if (stdoutClosed()) break;
    }
    if (end === null) {
      // The reader of the alerts went away (`| head`): nothing more would be read, so stop here.
      await events.return({ tally: null, damaged: null });
      bar?.stop();
      break;
    }
    if (end.damaged !== null) damaged.push(end.damaged);
    if (bar) bar.update(size ?? 1, { alerts: printed.size });
    bar?.stop();
    if (end.tally) {
      if (files.length > 1) process.stderr.write(`${path}: ${formatTally(end.tally)}\n`);
      addTally(total, end.tally);
    }
  }
  const stoppedEarly = stdoutClosed();
  // Final state of alerts updated since they were first printed (unless nobody reads them now).
  if (!stoppedEarly)
    for (const [id, a] of latest) {
      if (a.explanation.observed !== printed.get(id)) await writeLine(JSON.stringify(a));
    }

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const alerts = printed.size;
  const rules = Object.entries(byRule)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r}: ${n}`)
    .join(', ');
  const st = engine.stats();
  if (stoppedEarly) {
    // no tally: the file being read when the reader went away was not read to its end
    process.stderr.write(
      `leakwatch scan: stopped reading: stdout was closed by its reader, after ${judged} events judged and ${alerts} alert(s) written\n`,
    );
  } else {
    process.stderr.write(
      `leakwatch scan: ${formatTally(total)}; ${alerts} alert(s)${rules ? ` (${rules})` : ''}; ` +
        `late events ${st.lateEvents}; ${seconds.toFixed(2)} s, ${Math.round(total.lines / seconds)} lines/s` +
        `${damaged.length ? `; ${damaged.length} input(s) damaged or binary` : ''}\n`,
    );
  }
  for (const d of damaged) process.stderr.write(`leakwatch scan: ${d}\n`);
  return {
    lines: total.lines,
    parsed: total.parsed,
    rejected: total.rejected,
    alerts,
    alertsByRule: byRule,
    seconds,
    damaged,
  };
}

/**
 * Plain bytes from which a second thread pays for its start (~0.1 s of CPU: a thread, the
 * collector's modules compiled again): about 40,000 web log lines.
 */
const WORKER_MIN_BYTES = 8 * 1024 * 1024;

/**
 * A parsing thread for this run: asked for (worker true); else on a machine of 2 cores or more,
 * when some input is a .gz or the inputs hold WORKER_MIN_BYTES or more.
 */
async function wantsWorker(files: readonly string[], worker: boolean | undefined): Promise<boolean> {
  if (worker === false) return false;
  const named = files.filter((f) => f !== '-');
  if (named.length === 0) return false;
  if (worker === true) return true;
  if (availableParallelism() < 2) return false;
  let bytes = 0;
  for (const f of named) {
    if (f.endsWith('.gz')) return true;
    // a file that cannot be read is reported when its turn comes, as before
    bytes += await stat(f).then(
      (st) => st.size,
      () => 0,
    );
    if (bytes >= WORKER_MIN_BYTES) return true;
  }
  return false;
}

/** What the main loop is told while a file is read. */
interface FileHooks {
  detected: (path: string, id: string, score: number) => void;
  /** Bytes read so far and lines of this file; null when nobody shows progress. */
  progress: ((offset: number, lines: number) => void) | null;
}

/** A file read to its end (or to its damage): its tally, and the damage message if any. */
interface FileEnd {
  tally: Tally | null;
  damaged: string | null;
}

type FileOptions = Pick<LogInputOptions, 'format' | 'formatOptions' | 'tenant' | 'maxLineBytes'>;

/** What reading in this thread needs: the collector's reading and normalising, and the redactor. */
interface InThreadReading {
  readLogOutcomes: typeof import('./log-input.js')['readLogOutcomes'];
  opts: Pick<LogInputOptions, 'redactor' | 'normalize'>;
}

async function inThreadReading(key: string): Promise<InThreadReading> {
  const [{ readLogOutcomes, scanNormalizeOptions }, { redactorForKey }] = await Promise.all([
    import('./log-input.js'),
    import('../collector/index.js'),
  ]);
  const normalize = scanNormalizeOptions();
  return { readLogOutcomes, opts: { normalize, redactor: redactorForKey(key, normalize.redactor) } };
}

/** Reads a file in this thread (stdin, or o.worker false): the events of each batch of lines. */
async function* readInThread(
  path: string,
  opts: FileOptions,
  reading: InThreadReading,
  hooks: FileHooks,
): AsyncGenerator<AccessEvent[], FileEnd> {
  let pipeline: Pipeline | undefined;
  const progress = hooks.progress;
  try {
    for await (const outcomes of reading.readLogOutcomes(
      path,
      {
        ...opts,
        ...reading.opts,
        onDetected: hooks.detected,
        onProgress: progress ? (_p, offset) => progress(offset, pipeline?.tally.lines ?? 0) : undefined,
      },
      (p) => {
        pipeline = p;
      },
    )) {
      const events: AccessEvent[] = [];
      for (const x of outcomes) if (x.kind === 'event') events.push(x.event);
      yield events;
    }
  } catch (err) {
    if (!isDamagedInput(err)) throw err;
    return { tally: pipeline?.tally ?? null, damaged: err.message };
  }
  return { tally: pipeline?.tally ?? null, damaged: null };
}

/** An error from the parsing thread, rebuilt (a LeakwatchError stays one: exit code 2, one line). */
function rebuild(e: WorkerError): Error {
  const err = e.leakwatch
    ? new LeakwatchError(e.code ?? 'LW_ERR_INTERNAL', e.message, e.statusCode ?? 500, e.retriable ?? false, {
        ...(e.details === undefined ? {} : { details: e.details }),
      })
    : Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/** The parsing thread: one file at a time, its events decoded here in the order they were read. */
class WorkerLink {
  private readonly worker: Worker;
  private readonly decoder = new EventDecoder();
  private readonly inbox: FromWorker[] = [];
  private waiting: (() => void) | null = null;
  private failure: Error | null = null;
  private closing = false;

  constructor() {
    this.worker = new Worker(new URL('./scan-worker.js', import.meta.url));
    this.worker.on('message', (m: FromWorker) => {
      this.inbox.push(m);
      this.wake();
    });
    this.worker.on('error', (err) => {
      this.failure ??= err;
      this.wake();
    });
    this.worker.on('exit', (code) => {
      if (!this.closing) this.failure ??= new Error(`scan: the parsing thread stopped (exit code ${code})`);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  private async next(): Promise<FromWorker> {
    for (;;) {
      const m = this.inbox.shift();
      if (m !== undefined) return m;
      if (this.failure !== null) throw this.failure;
      await new Promise<void>((r) => {
        this.waiting = r;
      });
    }
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  async *read(
    path: string,
    opts: FileOptions,
    key: string,
    hooks: FileHooks,
  ): AsyncGenerator<AccessEvent[], FileEnd> {
    this.post({ t: 'file', path, opts, key, progress: hooks.progress !== null });
    for (;;) {
      const m = await this.next();
      if (m.t === 'batch') {
        const events = this.decoder.decode(m.batch);
        hooks.progress?.(m.offset, m.lines);
        yield events;
        this.post({ t: 'ack' });
      } else if (m.t === 'detected') hooks.detected(m.path, m.id, m.score);
      else if (m.t === 'end') return { tally: m.tally, damaged: m.damaged };
      else throw rebuild(m.error);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}
