// Merges async iterables into one, in arrival order, with sources added while it runs (a glob
// re-scan finds a new file). At most one item per source is read ahead. Ends when close() was
// called and every source has ended, or when the signal aborts; either way every source still
// running is returned (its finally blocks run: fds closed).

interface Running<T> {
  it: AsyncIterator<T>;
  next: Promise<{ r: IteratorResult<T>; src: Running<T> }>;
}

export class AsyncMerge<T> {
  private readonly running = new Set<Running<T>>();
  private closed = false;
  private wake: (() => void) | null = null;
  private failure: { err: unknown } | null = null;

  add(iterable: AsyncIterable<T>): void {
    const src = { it: iterable[Symbol.asyncIterator]() } as Running<T>;
    this.arm(src);
    this.running.add(src);
    this.poke();
  }

  /** No more sources will be added. */
  close(): void {
    this.closed = true;
    this.poke();
  }

  /**
   * `beforeStop` runs first when iteration ends for any reason (a consumer's break included): it
   * should abort the sources' signal, since an async generator blocked in next() only returns after
   * that next() settles.
   */
  async *iterate(signal?: AbortSignal, beforeStop?: () => void): AsyncGenerator<T> {
    const onAbort = () => this.poke();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (signal?.aborted) return;
        if (this.failure) throw this.failure.err;
        if (this.running.size === 0) {
          if (this.closed) return;
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          continue;
        }
        const woken = new Promise<null>((resolve) => {
          this.wake = () => resolve(null);
        });
        const hit = await Promise.race([...[...this.running].map((s) => s.next), woken]);
        if (hit === null) continue;
        if (hit.r.done) {
          this.running.delete(hit.src);
          continue;
        }
        this.arm(hit.src);
        yield hit.r.value;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      beforeStop?.();
      await this.stop();
    }
  }

  private arm(src: Running<T>): void {
    src.next = src.it.next().then(
      (r) => ({ r, src }),
      (err: unknown) => {
        this.failure ??= { err };
        this.running.delete(src);
        this.poke();
        return new Promise<never>(() => {}); // never wins a race again
      },
    );
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async stop(): Promise<void> {
    const all = [...this.running];
    this.running.clear();
    await Promise.all(all.map((s) => Promise.resolve(s.it.return?.()).catch(() => {})));
  }
}
