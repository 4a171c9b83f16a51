// Reads a log file as lines with their byte offsets, optionally following it as it grows.
// Offsets make event ids deterministic (a replay gives the same ids). A file that shrinks was
// truncated (copytruncate): reading restarts at 0. Gzip files are read once (backfill).
// Rotation by rename, checkpoints and globs belong to the collectors issue.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export interface Line {
  /** Byte offset of the line start in the (decompressed) file. */
  offset: number;
  text: string;
}

export interface FileSourceOptions {
  path: string;
  follow: boolean;
  /** Lines per yielded batch. */
  batchSize: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Lines longer than this are cut (and marked) so one bad line cannot exhaust memory. */
  maxLineBytes?: number;
}

const NL = 0x0a;

/** Yields batches of complete lines. The consumer's await is the back-pressure: nothing is read ahead. */
export async function* readLines(opts: FileSourceOptions): AsyncGenerator<Line[]> {
  const maxLine = opts.maxLineBytes ?? 64 * 1024;
  if (opts.path.endsWith('.gz')) {
    yield* splitStream(createReadStream(opts.path).pipe(createGunzip()), opts.batchSize, maxLine);
    return;
  }
  const pollMs = opts.pollMs ?? 200;
  const fh = await open(opts.path, 'r');
  try {
    let pos = 0;
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = 0;
    const chunk = Buffer.alloc(256 * 1024);
    for (;;) {
      if (opts.signal?.aborted) return;
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) {
        if (!opts.follow) break;
        const st = await stat(opts.path).catch(() => null);
        if (st && st.size < pos) {
          // truncated in place: start over
          pos = 0;
          carry = Buffer.alloc(0);
          carryOffset = 0;
          continue;
        }
        await sleep(pollMs, opts.signal);
        continue;
      }
      const data = carry.length
        ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
        : chunk.subarray(0, bytesRead);
      const base = carry.length ? carryOffset : pos;
      pos += bytesRead;
      const { lines, rest, restOffset } = split(data, base, maxLine);
      carry = Buffer.from(rest);
      carryOffset = restOffset;
      for (let i = 0; i < lines.length; i += opts.batchSize) yield lines.slice(i, i + opts.batchSize);
    }
    // last line without a newline (file not followed): still a line
    if (carry.length) yield [{ offset: carryOffset, text: carry.toString('utf8') }];
  } finally {
    await fh.close();
  }
}

function split(
  data: Buffer,
  base: number,
  maxLine: number,
): { lines: Line[]; rest: Buffer; restOffset: number } {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf(NL, start);
    if (nl < 0) break;
    let end = nl;
    if (end > start && data[end - 1] === 0x0d) end--; // CRLF
    const len = end - start;
    const text = data.toString('utf8', start, len > maxLine ? start + maxLine : end);
    lines.push({ offset: base + start, text });
    start = nl + 1;
  }
  return { lines, rest: data.subarray(start), restOffset: base + start };
}

async function* splitStream(
  stream: NodeJS.ReadableStream,
  batchSize: number,
  maxLine: number,
): AsyncGenerator<Line[]> {
  let carry: Buffer = Buffer.alloc(0);
  let base = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const { lines, rest, restOffset } = split(data, base, maxLine);
    carry = Buffer.from(rest);
    base = restOffset;
    for (let i = 0; i < lines.length; i += batchSize) yield lines.slice(i, i + batchSize);
  }
  if (carry.length) yield [{ offset: base, text: carry.toString('utf8') }];
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
