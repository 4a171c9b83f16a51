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

export function writeLine(line: string): Promise<void> | void {
  if (closed) return;
  if (!process.stdout.write(line + '\n')) return new Promise((r) => process.stdout.once('drain', r));
}

export function stdoutClosed(): boolean {
  return closed;
}
