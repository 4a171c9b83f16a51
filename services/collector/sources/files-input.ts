// Log files as an Input: paths and globs (tinyglobby), each file tailed by file.ts, batches of all
// files merged, checkpoints (checkpoints.ts) advanced only by commit().
//
// Which files, from where:
// - Globs are expanded at start and, with follow, again every rescanMs: files that appear are read
//   from 0 (they were written while we ran). Files found at start resume from their checkpoint; with
//   none, fromStart decides (true: from 0; false: after their last complete line; a .gz is skipped).
// - Each inode is read by one tailer only. After `mv log log.1`, the tailer of `log` drains the old
//   inode and moves to the new `log`; the glob's re-scan then finds `log.1`, recognises the inode (and
//   fingerprint) it already read, and leaves it alone. Same for a `log.1.gz` appearing in follow mode:
//   a compressed rotated file is never read again (only .gz files present at start are backfilled).
// - A file whose inode was checkpointed under another name (rotated while we were down) resumes
//   from that checkpoint under its new name.
// - A file that is new under a path read before (rotated, or truncated, while we were down) is read
//   from 0 whatever fromStart says: everything in it was written since.
// Delivery is at-least-once: lines read but not committed are read again after a restart.
//
// Generations (checkpoints.ts): every batch names the generation its offsets count in. It is the
// checkpoint's when a file resumes; a file started from scratch gets a new one (its inode's resets + 1
// when the inode was seen before, else 0), and so does a file after each copytruncate. Commits store it.
// Determinism: a restart derives the same generation for the same content, since it is computed from
// the committed state only.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { InputNotFound } from '#shared/errors.js';
import { CheckpointStore, fileGeneration, type Resume } from './checkpoints.js';
import { type FileStamp, type OpenedFile, sleep, tailFile } from './file.js';
import { AsyncMerge } from './merge.js';
import type { Input, SourceBatch } from './types.js';

export interface FilesInputOptions {
  /** File paths or globs; relative ones against the working directory. The source name is the absolute path. */
  paths: string[];
  follow: boolean;
  /** Without a checkpoint, read files present at start from the beginning (true) or only what is appended (false). */
  fromStart: boolean;
  batchSize: number;
  /** JSON state file of read positions (e.g. `<stateDir>/checkpoints.json`); without it nothing is resumed. */
  checkpointFile?: string;
  /** Poll interval of a followed file at EOF. Default 200 ms. */
  pollMs?: number;
  /** Glob re-scan interval in follow mode. Default 5000 ms. */
  rescanMs?: number;
  /** See TailOptions.rotateGraceMs. Default 1000 ms. */
  rotateGraceMs?: number;
  maxLineBytes?: number;
  /** A compressed file that is damaged or ends early: its lines before the damage were read; the others go on. */
  onDamaged?: (path: string, err: Error) => void;
}

export interface FilesInput extends Input {
  /** Paths being read now. */
  active(): string[];
}

export function createFilesInput(opts: FilesInputOptions): FilesInput {
  const active = new Set<string>();
  const stop = new AbortController();
  let running: Promise<void> | null = null;

  async function* batches(outer: AbortSignal): AsyncGenerator<SourceBatch> {
    const signal = AbortSignal.any([outer, stop.signal]);
    const store = opts.checkpointFile ? await CheckpointStore.load(opts.checkpointFile) : null;
    /** Inodes read (or being read) by this process, with their fingerprint when opened. */
    const claimed = new Map<string, FileStamp>();
    /** Paths whose tailer ended, with the inode they named then: not reopened while unchanged. */
    const finished = new Map<string, string>();
    /** Highest resets given to each inode in this process (without a checkpoint store, the only record). */
    const resetsUsed = new Map<string, number>();
    const generationOf = (path: string, stamp: FileStamp, resets: number): Omit<Resume, 'offset'> => {
      resetsUsed.set(idKey(stamp), Math.max(resets, resetsUsed.get(idKey(stamp)) ?? 0));
      return { generation: fileGeneration(path, stamp, resets), resets };
    };
    const merge = new AsyncMerge<SourceBatch>();

    const claimedAlready = async (f: OpenedFile): Promise<boolean> => {
      const c = claimed.get(idKey(f.stamp));
      return c !== undefined && (await f.fingerprint(c.fpLen)) === c.fp;
    };

    async function* file(path: string, initial: boolean): AsyncGenerator<SourceBatch> {
      let last = 0;
      let seq = 0;
      let ended = '';
      /** Generation of the file being read, and the tailer's truncation count it began at. */
      let gen: Omit<Resume, 'offset'> = { generation: '', resets: 0 };
      let genTruncations = 0;
      try {
        for await (const chunk of tailFile({
          path,
          follow: opts.follow,
          batchSize: opts.batchSize,
          pollMs: opts.pollMs,
          rotateGraceMs: opts.rotateGraceMs,
          maxLineBytes: opts.maxLineBytes,
          signal,
          onOpen: async (f, why) => {
            ended = idKey(f.stamp);
            if (await claimedAlready(f)) return 'skip';
            claimed.set(idKey(f.stamp), f.stamp);
            genTruncations = 0;
            const resumed = store ? await store.resolve(path, f) : undefined;
            if (resumed !== undefined) {
              gen = { generation: resumed.generation, resets: resumed.resets };
              resetsUsed.set(idKey(f.stamp), Math.max(resumed.resets, resetsUsed.get(idKey(f.stamp)) ?? 0));
              return resumed.offset;
            }
            const seen = resetsUsed.get(idKey(f.stamp));
            const fresh = store?.freshResets(f.stamp) ?? 0;
            gen = generationOf(path, f.stamp, Math.max(fresh, seen === undefined ? 0 : seen + 1));
            if (why === 'rotated' || !initial || fresh > 0 || store?.knows(path)) return 0;
            return opts.fromStart ? 0 : 'end';
          },
        })) {
          if (chunk.truncations !== genTruncations) {
            // truncated in place since the last chunk: offsets start over, so does the generation. One
            // step however many truncations: lines of the ones in between never came out.
            genTruncations = chunk.truncations;
            gen = generationOf(path, chunk.file, gen.resets + 1);
          }
          const mine = ++seq;
          const at = gen;
          yield {
            source: path,
            generation: at.generation,
            lines: chunk.lines,
            commit: async () => {
              if (!store || mine <= last) return; // an older batch committed late changes nothing
              last = mine;
              await store.commit(path, chunk.file, chunk.end, at);
            },
          };
        }
      } catch (err) {
        // removed between the scan and the open: nothing to read; a damaged .gz: what was whole was
        // read, the other inputs go on; anything else (EACCES...) is the operator's
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'LW_ERR_INPUT_DAMAGED') opts.onDamaged?.(path, err as Error);
        else if (code !== 'ENOENT') throw err;
      } finally {
        active.delete(path);
        if (ended) finished.set(path, ended);
      }
    }

    const scan = async (initial: boolean): Promise<void> => {
      for (const path of await expand(opts.paths, initial && !opts.follow)) {
        if (active.has(path)) continue;
        // a .gz appearing while we follow is a compressed rotated file we already read
        if (!initial && path.endsWith('.gz')) continue;
        const st = await stat(path, { bigint: true }).catch(() => null);
        if (!st?.isFile()) continue;
        if (finished.get(path) === `${st.dev}:${st.ino}`) continue;
        active.add(path);
        merge.add(file(path, initial));
      }
    };

    await scan(true);
    let rescans: Promise<void> = Promise.resolve();
    if (opts.follow) {
      rescans = (async () => {
        while (!signal.aborted) {
          await sleep(opts.rescanMs ?? 5000, signal);
          if (!signal.aborted) await scan(false).catch(() => {}); // a vanished directory: try again later
        }
        merge.close();
      })();
    } else merge.close();
    let done!: () => void;
    running = new Promise((r) => {
      done = r;
    });
    try {
      yield* merge.iterate(signal, () => stop.abort());
    } finally {
      stop.abort();
      await rescans;
      done();
    }
  }

  return {
    batches,
    active: () => [...active],
    async close() {
      stop.abort();
      await running;
    },
  };
}

/** Absolute paths of existing files the patterns name, deduplicated, in pattern order. */
async function expand(patterns: string[], mustExist: boolean): Promise<string[]> {
  const out = new Set<string>();
  for (const p of patterns) {
    if (!isDynamicPattern(p)) {
      const abs = resolve(p);
      if (mustExist && !(await stat(abs).catch(() => null))) throw InputNotFound(abs);
      out.add(abs);
      continue;
    }
    const found = await glob([p], { absolute: true, onlyFiles: true, expandDirectories: false });
    for (const f of found.sort()) out.add(f);
  }
  return [...out];
}

function idKey(s: Pick<FileStamp, 'dev' | 'ino'>): string {
  return `${s.dev}:${s.ino}`;
}
