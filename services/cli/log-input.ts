// Reading log files for `leakwatch parse` and `leakwatch scan`: plain or gzip files, or `-` for
// stdin, line by line with byte offsets (event ids stay deterministic), the format given or
// detected from the first lines (`auto`), and every line through the collector's own pipeline.
import { ConfigInvalid, InputBinary } from '#shared/errors.js';
import type { InputLine, NormalizeOptions, Redactor } from '../collector/index.js';
import {
  compileNormalizeOptions,
  createPipeline,
  createStreamInput,
  detectFormat,
  type FormatChoice,
  formatById,
  type Outcome,
  type Pipeline,
  readLines,
} from '../collector/index.js';
import { DEFAULT_MAX_LINE_BYTES } from './input-limits.js';

export interface LogInputOptions {
  format: FormatChoice;
  formatOptions?: Record<string, unknown>;
  tenant: string;
  redactor: Redactor;
  normalize: NormalizeOptions;
  /** Told which format `auto` chose, and how sure it was. */
  onDetected?: (path: string, id: string, score: number) => void;
  /** Bytes read so far in this file (plain files), for progress. */
  onProgress?: (path: string, offset: number) => void;
  /** Longest line kept; CloudTrail delivery files put megabytes on one line. */
  maxLineBytes?: number;
}

/**
 * How `scan` normalises (both of its threads): as the collector does, less the attrs that only the
 * archive reads, which no rule looks at.
 */
export function scanNormalizeOptions(): NormalizeOptions {
  return { ...compileNormalizeOptions(), archiveAttrs: false };
}

/** Lines per batch: small enough that a batch of events rarely outlives a scavenge (less promoted). */
const BATCH = 256;

async function* lineBatches(path: string, maxLineBytes: number): AsyncGenerator<InputLine[]> {
  if (path === '-') {
    const input = createStreamInput(process.stdin, { batchSize: BATCH, maxLineBytes });
    for await (const b of input.batches(new AbortController().signal)) yield b.lines;
    return;
  }
  yield* readLines({ path, follow: false, batchSize: BATCH, maxLineBytes });
}

/**
 * Yields the outcomes of every line of `path`, batch by batch. The pipeline (and its tally) is
 * returned through `onPipeline` once the format is known.
 */
export async function* readLogOutcomes(
  path: string,
  opts: LogInputOptions,
  onPipeline?: (p: Pipeline) => void,
): AsyncGenerator<Outcome[]> {
  let pipeline: Pipeline | null = null;
  const source = path === '-' ? 'stdin' : path;
  try {
    yield* outcomesOf(path, source, opts, onPipeline, (p) => {
      pipeline = p;
    });
  } catch (err) {
    // Damaged input: what was read before the damage is still judged, then the caller is told.
    if (pipeline !== null) yield (pipeline as Pipeline).end();
    throw err;
  }
  if (pipeline !== null) yield (pipeline as Pipeline).end();
}

/** Why the first lines look like a binary file (NUL bytes, mostly undecodable), or null. */
export function binaryReason(lines: readonly InputLine[]): string | null {
  let chars = 0;
  let bad = 0;
  for (const l of lines) {
    if (l.text.includes('\u0000')) return 'NUL bytes in its first lines';
    for (const ch of l.text) if (ch === '\uFFFD') bad++;
    chars += l.text.length;
    if (chars > 65_536) break;
  }
  return chars > 0 && bad / chars > 0.1
    ? `${Math.round((100 * bad) / chars)}% of its first bytes are not UTF-8`
    : null;
}

async function* outcomesOf(
  path: string,
  source: string,
  opts: LogInputOptions,
  onPipeline: ((p: Pipeline) => void) | undefined,
  setPipeline: (p: Pipeline) => void,
): AsyncGenerator<Outcome[]> {
  let pipeline: Pipeline | null = null;
  for await (const lines of lineBatches(path, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)) {
    if (pipeline === null) {
      const why = binaryReason(lines);
      if (why !== null) throw InputBinary(path, why);
      let id: string = opts.format;
      if (id === 'auto') {
        const d = detectFormat(lines.slice(0, 50).map((l) => l.text));
        if (d === null)
          throw ConfigInvalid(`${path}: cannot tell the log format from its first lines; give --format`);
        id = d.id;
        opts.onDetected?.(path, d.id, d.score);
      }
      pipeline = createPipeline({
        format: formatById(id),
        formatOptions: opts.formatOptions,
        source,
        tenant: opts.tenant,
        redactor: opts.redactor,
        normalize: opts.normalize,
      });
      setPipeline(pipeline);
      onPipeline?.(pipeline);
    }
    const out = pipeline.pushAll(lines);
    const last = lines[lines.length - 1];
    if (last !== undefined) opts.onProgress?.(path, last.offset + last.text.length + 1);
    yield out;
  }
}
