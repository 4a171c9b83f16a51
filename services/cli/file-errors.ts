// Which errors the CLI shows as one line instead of a stack: the ones Node raises for a path
// (missing, a directory, not allowed, read-only, disk full…). Their message names the operation,
// the reason and the path, which is what the user needs to act on; a stack adds nothing.

/** A Node file system error about a path (`err.path` set by the failing call). */
export function isFileError(err: unknown): err is NodeJS.ErrnoException & { path: string } {
  const e = err as NodeJS.ErrnoException | null;
  return (
    e instanceof Error &&
    typeof e.code === 'string' &&
    typeof e.syscall === 'string' &&
    typeof e.path === 'string'
  );
}
