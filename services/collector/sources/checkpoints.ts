// Durable read positions of files, so a restart resumes where the last durable batch ended.
// One JSON file, replaced atomically (write a temp file, fsync, rename) and only from commit(),
// i.e. after the batch's events are in Kafka: a crash re-reads at most the uncommitted batches.
//
// Entries are keyed by file identity (dev+inode), with the path last read under and a fingerprint
// (sha256 of the first up-to-1024 bytes), because after a rename rotation the same file lives under
// another name and a new file (maybe a recycled inode) lives under the old one. resolve() decides
// where a file starts: same inode and fingerprint -> its offset; else an entry for the same path
// with a matching fingerprint (the inode changed: copied back, device renumbered) -> its offset;
// else the file is new -> undefined (the caller applies fromStart).
//
// Each entry also names the file's generation: the content its offsets count in. Offsets alone
// repeat (a new file under the same path after a rename, the same file after a copytruncate, a
// recycled inode), so event ids hash the generation in front of the offset (see files-input.ts).
// A generation is `<path when it began>\n<dev>:<ino>:<resets>`, resets counting how often this inode
// started over at 0. It is fixed when the generation begins and kept here, so the same line gets the
// same id after a restart, and after the file was renamed while we were down.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CheckpointInvalid } from '#shared/errors.js';
import type { FileStamp, OpenedFile } from './file.js';

export interface CheckpointEntry extends FileStamp {
  /** Source name (absolute path) the file was last read under. */
  path: string;
  /** Offset just past the last durable line (decompressed offset for .gz). */
  offset: number;
  updatedMs: number;
  /** Event-id key of the content `offset` counts in (fileGeneration); older state files lack it. */
  generation?: string;
  /** Times this inode started over at 0 (copytruncate, inode reused); absent = 0. */
  resets?: number;
}

/** Where a file resumes, and in which generation. */
export interface Resume {
  offset: number;
  generation: string;
  resets: number;
}

/** The generation of a file read under `path` that (re)started at 0 for the `resets`-th time. */
export function fileGeneration(path: string, stamp: Pick<FileStamp, 'dev' | 'ino'>, resets: number): string {
  return `${path}\n${stamp.dev}:${stamp.ino}:${resets}`;
}

interface StateFile {
  version: 1;
  files: CheckpointEntry[];
}

/** Oldest entries beyond this many are forgotten (rotated files long gone). */
const MAX_ENTRIES = 10_000;

export class CheckpointStore {
  private readonly entries = new Map<string, CheckpointEntry>();
  private writing: Promise<void> | null = null;
  private dirty = false;

  private constructor(readonly file: string) {}

  /** Loads the state file; a missing file is an empty state, an unreadable one is an error (never silently reset). */
  static async load(file: string): Promise<CheckpointStore> {
    const store = new CheckpointStore(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw CheckpointInvalid(file, 'cannot read it', { cause: err });
    }
    let state: StateFile;
    try {
      state = JSON.parse(text) as StateFile;
    } catch (err) {
      throw CheckpointInvalid(file, 'not JSON', { cause: err });
    }
    if (state?.version !== 1 || !Array.isArray(state.files)) throw CheckpointInvalid(file, 'unknown layout');
    for (const e of state.files) {
      if (
        typeof e?.dev !== 'string' ||
        typeof e.ino !== 'string' ||
        !Number.isSafeInteger(e.offset) ||
        (e.generation !== undefined && typeof e.generation !== 'string') ||
        (e.resets !== undefined && !Number.isSafeInteger(e.resets))
      )
        throw CheckpointInvalid(file, 'bad entry');
      store.entries.set(key(e), e);
    }
    return store;
  }

  get(stamp: Pick<FileStamp, 'dev' | 'ino'>): CheckpointEntry | undefined {
    return this.entries.get(key(stamp));
  }

  all(): CheckpointEntry[] {
    return [...this.entries.values()];
  }

  /** Where this just-opened file resumes, or undefined when no checkpoint applies to it. */
  async resolve(path: string, file: OpenedFile): Promise<Resume | undefined> {
    const matches = async (e: CheckpointEntry): Promise<boolean> =>
      (file.gzip || e.offset <= file.size) && (await file.fingerprint(e.fpLen)) === e.fp;
    const resume = (e: CheckpointEntry): Resume => ({
      offset: e.offset,
      generation: e.generation ?? fileGeneration(e.path, e, 0),
      resets: e.resets ?? 0,
    });
    const same = this.get(file.stamp);
    if (same && (await matches(same))) return resume(same);
    const byPath = this.all()
      .filter((e) => e.path === path)
      .sort((a, b) => b.updatedMs - a.updatedMs);
    for (const e of byPath) if (await matches(e)) return resume(e);
    return undefined;
  }

  /**
   * Resets of a file that resolve() did not recognise: one more than its inode's entry (the file was
   * truncated, or the inode recycled, while we were not reading it), else 0.
   */
  freshResets(stamp: Pick<FileStamp, 'dev' | 'ino'>): number {
    const e = this.get(stamp);
    return e ? (e.resets ?? 0) + 1 : 0;
  }

  /** True when some file was read under this path before: anything there now was written since. */
  knows(path: string): boolean {
    for (const e of this.entries.values()) if (e.path === path) return true;
    return false;
  }

  /** Records a durable position and persists the state (coalescing concurrent commits into one write). */
  async commit(
    path: string,
    stamp: FileStamp,
    offset: number,
    gen: Pick<Resume, 'generation' | 'resets'>,
  ): Promise<void> {
    this.entries.set(key(stamp), {
      ...stamp,
      path,
      offset,
      updatedMs: Date.now(),
      generation: gen.generation,
      resets: gen.resets,
    });
    this.dirty = true;
    while (this.writing) await this.writing.catch(() => {});
    if (!this.dirty) return; // a write that started after our set() carried it
    this.dirty = false;
    this.writing = this.write().finally(() => {
      this.writing = null;
    });
    try {
      await this.writing;
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  private async write(): Promise<void> {
    let files = this.all();
    if (files.length > MAX_ENTRIES) {
      files = files.sort((a, b) => b.updatedMs - a.updatedMs).slice(0, MAX_ENTRIES);
      this.entries.clear();
      for (const e of files) this.entries.set(key(e), e);
    }
    const state: StateFile = { version: 1, files };
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(state, null, 1)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    // make the rename itself durable
    const dir = await open(dirname(this.file), 'r').catch(() => null);
    await dir?.sync().catch(() => {});
    await dir?.close();
  }
}

function key(s: Pick<FileStamp, 'dev' | 'ino'>): string {
  return `${s.dev}:${s.ino}`;
}
