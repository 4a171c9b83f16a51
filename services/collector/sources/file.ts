// Reads a log file as lines with their byte offsets, optionally following it as it grows.
// Offsets make event ids deterministic (a replay gives the same ids).
// - copytruncate: the open file shrinks below what was read, or its first bytes are no longer the ones
//   read (truncated and refilled between two polls) -> reading restarts at 0, and the chunks say how
//   many times that happened (`truncations`): offsets repeat, so event ids need the count (files-input.ts).
// - rotation by rename: the path now names another inode -> the old fd is read to EOF (and kept a
//   short grace, rotateGraceMs, since the writer only reopens on its signal), its last partial line
//   is emitted, then the new file is read from 0 under the same source name.
// - gzip (`.gz`) is read once, offsets in the decompressed stream (backfill of rotated files).
// - a line longer than maxLineBytes is cut; the pending partial line is bounded the same way.
// tailFile() reports, with each batch, the offset to resume from and the file's identity
// (dev+inode+fingerprint of its first bytes), which files-input.ts turns into checkpoints.
import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { InputDamaged } from '#shared/errors.js';
import type { InputLine } from '../parsers/types.js';
import { LineSplitter } from './line-splitter.js';

export type Line = InputLine;

export interface FileSourceOptions {
  path: string;
  follow: boolean;
  /** Lines per yielded batch. */
  batchSize: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Lines longer than this are cut so one bad line cannot exhaust memory. */
  maxLineBytes?: number;
}

/** Bytes hashed to recognise a file whose path now names different content. */
export const FINGERPRINT_BYTES = 1024;

export interface FileStamp {
  dev: string;
  ino: string;
  /** sha256 hex of the first fpLen bytes (fpLen = min(size, FINGERPRINT_BYTES) when last looked). */
  fp: string;
  fpLen: number;
}

export interface OpenedFile {
  stamp: FileStamp;
  size: number;
  gzip: boolean;
  /** sha256 hex of the first `len` bytes, or null when the file is shorter. */
  fingerprint(len: number): Promise<string | null>;
}

export interface TailChunk {
  lines: Line[];
  /** Offset just past the batch's last line: where to resume once the batch is durable. */
  end: number;
  file: FileStamp;
  /** In-place truncations of this file seen since it was opened: lines after the n-th restart at offset 0. */
  truncations: number;
}

export interface TailOptions extends FileSourceOptions {
  /**
   * Where to start in a file just opened (the first one, or the new one after a rotation):
   * a line-start offset, 'end' (after its last complete line), or 'skip' (stop here).
   * Default: 0 for both.
   */
  onOpen?: (file: OpenedFile, why: 'first' | 'rotated') => Promise<number | 'end' | 'skip'>;
  /** How long the old file of a rename rotation is still read after the path moved on. Default 1000. */
  rotateGraceMs?: number;
}

/** Bytes per read. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Yields batches of complete lines. The consumer's await is the back-pressure: a followed file is
 * not read ahead, a file read once is read at most one chunk ahead.
 */
export async function* readLines(opts: FileSourceOptions): AsyncGenerator<Line[]> {
  for await (const chunk of tailFile(opts)) yield chunk.lines;
}

export async function* tailFile(opts: TailOptions): AsyncGenerator<TailChunk> {
  const maxLine = opts.maxLineBytes ?? 64 * 1024;
  if (opts.path.endsWith('.gz')) {
    yield* tailGzip(opts, maxLine);
    return;
  }
  const pollMs = opts.pollMs ?? 200;
  const grace = opts.rotateGraceMs ?? 1000;
  const splitter = new LineSplitter(maxLine);
  let chunk = Buffer.alloc(CHUNK_BYTES);
  // A file read once (not followed: scan, parse, backfill) is read one chunk ahead, into a second
  // buffer, while the lines of the last one are handled: the read then costs its consumer no wait
  // (on the bench file ~180 reads of 256 KiB, 20-80 ms of the parsing thread). A followed file is
  // not: there the consumer's await is the back-pressure.
  let spare = opts.follow ? null : Buffer.alloc(CHUNK_BYTES);
  let ahead: Promise<{ bytesRead: number }> | null = null;
  let fh: FileHandle | null = await open(opts.path, 'r');
  try {
    let opened = await describe(fh, false);
    let stamp = opened.stamp;
    let pos = await startAt(fh, opened, opts.onOpen ? await opts.onOpen(opened, 'first') : 0, maxLine);
    if (pos < 0) return;
    splitter.reset(pos);
    let movedAt: number | null = null;
    let truncations = 0;
    /** Truncated in place (copytruncate): start over at 0 and count it. */
    const truncatedStartOver = async (h: FileHandle): Promise<boolean> => {
      if (!(await truncated(h, pos, stamp))) return false;
      pos = 0;
      splitter.reset(0);
      stamp = await restamp(h, { ...stamp, fpLen: 0 });
      truncations++;
      return true;
    };
    for (;;) {
      if (opts.signal?.aborted) return;
      const { bytesRead }: { bytesRead: number } = await (ahead ?? fh.read(chunk, 0, chunk.length, pos));
      ahead = null;
      if (bytesRead > 0) {
        const filled = chunk;
        if (spare !== null) {
          chunk = spare;
          spare = filled;
          ahead = fh.read(chunk, 0, chunk.length, pos + bytesRead);
          ahead.catch(() => {}); // awaited above on the next turn; not unhandled if nobody asks again
        }
        pos += bytesRead;
        const lines = splitter.push(filled.subarray(0, bytesRead));
        if (stamp.fpLen < FINGERPRINT_BYTES && pos > stamp.fpLen) stamp = await restamp(fh, stamp);
        yield* batches(lines, splitter.lineStart, stamp, opts.batchSize, truncations);
        continue;
      }
      if (!opts.follow) break;
      if (await truncatedStartOver(fh)) continue;
      const now = await stat(opts.path, { bigint: true }).catch(() => null);
      if (now && String(now.dev) === stamp.dev && String(now.ino) === stamp.ino) {
        movedAt = null;
        await sleep(pollMs, opts.signal);
        // Checked again just before the next read: a file truncated and refilled past `pos` while we
        // slept would otherwise be read from the middle of its new content.
        await truncatedStartOver(fh);
        continue;
      }
      // the path is gone or names another file: drain the old one a little longer
      movedAt ??= Date.now();
      if (Date.now() - movedAt < grace) {
        await sleep(Math.min(pollMs, grace), opts.signal);
        continue;
      }
      yield* batches(splitter.end(), pos, stamp, opts.batchSize, truncations);
      await fh.close();
      fh = null;
      if (!now) return; // removed and not replaced: this source is done
      fh = await open(opts.path, 'r').catch(() => null);
      if (!fh) return;
      opened = await describe(fh, false);
      stamp = opened.stamp;
      pos = await startAt(fh, opened, opts.onOpen ? await opts.onOpen(opened, 'rotated') : 0, maxLine);
      if (pos < 0) return;
      splitter.reset(pos);
      movedAt = null;
      truncations = 0;
    }
    // last line without a newline (file not followed): still a line
    yield* batches(splitter.end(), pos, stamp, opts.batchSize, truncations);
  } finally {
    await fh?.close();
  }
}

async function* tailGzip(opts: TailOptions, maxLine: number): AsyncGenerator<TailChunk> {
  const fh = await open(opts.path, 'r');
  try {
    const opened = await describe(fh, true);
    const start = opts.onOpen ? await opts.onOpen(opened, 'first') : 0;
    if (start === 'skip' || start === 'end') return;
    const splitter = new LineSplitter(maxLine);
    const stream = fh.createReadStream({ start: 0, autoClose: false }).pipe(createGunzip());
    try {
      for await (const data of stream as AsyncIterable<Buffer>) {
        if (opts.signal?.aborted) return;
        const lines = splitter.push(data).filter((l) => l.offset >= start);
        if (splitter.lineStart > start)
          yield* batches(lines, splitter.lineStart, opened.stamp, opts.batchSize, 0);
      }
      const last = splitter.end().filter((l) => l.offset >= start);
      yield* batches(last, splitter.position, opened.stamp, opts.batchSize, 0);
    } catch (err) {
      // A truncated download or a rotation in progress: every whole line before the damage has been
      // yielded; say where the text stopped instead of surfacing zlib's error.
      const code = (err as { code?: string }).code;
      if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
        throw InputDamaged(opts.path, `${(err as Error).message}`, splitter.lineStart, {
          cause: err,
          details: { offset: splitter.lineStart },
        });
      }
      throw err;
    } finally {
      stream.destroy();
    }
  } finally {
    await fh.close();
  }
}

function* batches(
  lines: Line[],
  end: number,
  file: FileStamp,
  size: number,
  truncations: number,
): Generator<TailChunk> {
  for (let i = 0; i < lines.length; i += size) {
    const next = lines[i + size];
    yield { lines: lines.slice(i, i + size), end: next ? next.offset : end, file, truncations };
  }
}

/**
 * The open file no longer continues what was read: it is shorter than `pos`, or its first bytes
 * (the fingerprint taken while reading) changed, i.e. it was truncated and written again.
 */
async function truncated(fh: FileHandle, pos: number, stamp: FileStamp): Promise<boolean> {
  const size = (await fh.stat()).size;
  if (size < pos) return true;
  if (stamp.fpLen === 0) return false;
  return (await hashHead(fh, stamp.fpLen)) !== stamp.fp;
}

async function describe(fh: FileHandle, gzip: boolean): Promise<OpenedFile> {
  const st = await fh.stat({ bigint: true });
  const size = Number(st.size);
  const fpLen = Math.min(size, FINGERPRINT_BYTES);
  const stamp = { dev: String(st.dev), ino: String(st.ino), fp: (await hashHead(fh, fpLen)) ?? '', fpLen };
  return {
    stamp,
    size,
    gzip,
    fingerprint: (len) => (len === stamp.fpLen ? Promise.resolve(stamp.fp) : hashHead(fh, len)),
  };
}

async function restamp(fh: FileHandle, stamp: FileStamp): Promise<FileStamp> {
  const size = (await fh.stat()).size;
  const fpLen = Math.min(size, FINGERPRINT_BYTES);
  return { ...stamp, fp: (await hashHead(fh, fpLen)) ?? '', fpLen };
}

/** sha256 hex of the first `len` bytes, null when the file is shorter. */
async function hashHead(fh: FileHandle, len: number): Promise<string | null> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, got);
    if (bytesRead === 0) return null;
    got += bytesRead;
  }
  return createHash('sha256').update(buf).digest('hex');
}

/** Resolves a start choice to an offset; -1 means skip the file. 'end' is just after the last newline. */
async function startAt(
  fh: FileHandle,
  opened: OpenedFile,
  start: number | 'end' | 'skip',
  maxLine: number,
): Promise<number> {
  if (start === 'skip') return -1;
  if (start !== 'end') return start;
  const size = opened.size;
  const len = Math.min(size, maxLine + 1);
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, size - len);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
  return nl < 0 ? size : size - len + nl + 1;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
