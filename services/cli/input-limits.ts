// What `parse` and `scan` decide about their inputs before reading them (the longest line, the
// exit code for damaged input, a file's size for progress), apart from log-input.ts so that scan's
// detection thread loads none of the collector's reading and parsing.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigInvalid, InputUnreadable } from '#shared/errors.js';

/**
 * Longest line `parse` and `scan` read by default: 64 MiB, because a CloudTrail delivery file is one
 * JSON line of megabytes (the collector's own default is COLLECTOR_MAX_LINE_BYTES, 64 KiB). A longer
 * line is rejected `line_too_long` (LW_ERR_PARSE_LINE_TOO_LONG), counted, and reading goes on.
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** --max-line-bytes: a whole number of bytes >= 256 (default DEFAULT_MAX_LINE_BYTES). */
export function parseMaxLineBytes(v: string | number | undefined): number {
  if (v === undefined) return DEFAULT_MAX_LINE_BYTES;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 256)
    throw ConfigInvalid(`--max-line-bytes must be a whole number of bytes, at least 256 (got ${v})`);
  return n;
}

/** Exit code of `scan` and `parse` when an input was damaged or binary (the rest was processed). */
export const EXIT_DAMAGED_INPUT = 3;

export function isDamagedInput(err: unknown): err is Error {
  const code = (err as { code?: string } | null)?.code;
  return code === 'LW_ERR_INPUT_DAMAGED' || code === 'LW_ERR_INPUT_BINARY';
}

/** Size of a plain file (progress bars); null for stdin and gzip. */
export async function plainSize(path: string): Promise<number | null> {
  if (path === '-' || path.endsWith('.gz')) return null;
  return (await stat(path)).size;
}

/**
 * Every input exists, is not a directory and can be opened, checked before any is read: a missing
 * file found after an hour spent on the files before it would waste that hour. Throws
 * InputUnreadable (one line, exit 2) naming each input that cannot be read. `-` (stdin) is not checked.
 */
export async function checkInputs(files: readonly string[]): Promise<void> {
  const problems: string[] = [];
  for (const f of files) {
    if (f === '-') continue;
    try {
      if ((await stat(f)).isDirectory()) {
        problems.push(`${f} (a directory: give the log files in it, for example ${join(f, '*.log')})`);
        continue;
      }
      await (await open(f, 'r')).close();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      problems.push(`${f} (${why})`);
    }
  }
  if (problems.length > 0) throw InputUnreadable(problems.join(', '));
}
