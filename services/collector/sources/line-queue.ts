// A bounded buffer of received lines for push-style inputs (syslog), grouped by source so a pulled
// batch has one source. Sources are served round-robin. `full` is the high-water mark: TCP readers
// pause there, UDP datagrams are dropped; onDrain fires when a take() brings it under half.
import type { InputLine } from '../parsers/types.js';

export class LineQueue {
  private readonly pending = new Map<string, InputLine[]>();
  private count = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly highWater: number,
    private readonly onDrain: () => void = () => {},
  ) {}

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.highWater;
  }

  push(source: string, line: InputLine): void {
    const q = this.pending.get(source);
    if (q) q.push(line);
    else this.pending.set(source, [line]);
    this.count++;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Up to `max` lines of one source; waits for some. Null once the signal aborts. */
  async take(max: number, signal: AbortSignal): Promise<{ source: string; lines: InputLine[] } | null> {
    while (this.count === 0) {
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (signal.aborted) return null;
    const [source, q] = this.pending.entries().next().value as [string, InputLine[]];
    const lines = q.splice(0, max);
    this.pending.delete(source);
    if (q.length) this.pending.set(source, q); // to the back: round-robin
    const wasFull = this.count >= this.highWater / 2;
    this.count -= lines.length;
    if (wasFull && this.count < this.highWater / 2) this.onDrain();
    return { source, lines };
  }
}
