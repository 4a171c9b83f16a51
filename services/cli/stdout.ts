// Writing NDJSON to stdout with back-pressure (a slow pipe reader slows us down instead of
// buffering everything), and quietly stopping when the reader goes away (`| head`).
let closed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') {
    closed = true;
    return;
  }
  throw err;
});

/**
 * Writes one line; when the pipe is full, the promise settles once it drains, or once the reader
 * has gone away (then no 'drain' ever comes: waiting for it alone hung `leakwatch scan … | head`).
 */
export function writeLine(line: string): Promise<void> | void {
  if (closed) return;
  if (process.stdout.write(line + '\n')) return;
  return new Promise((resolve) => {
    const done = (): void => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('error', done);
    process.stdout.on('close', done);
  });
}

/** Whether the reader of stdout has gone away: nothing written from now on is read. */
export function stdoutClosed(): boolean {
  return closed;
}
