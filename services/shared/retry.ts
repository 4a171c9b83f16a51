// One backoff with jitter for everything that talks to Kafka or ClickHouse (kafkajs' retry shape).
// Only retriable errors are retried; the last error is kept as `cause`.
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetriable } from './errors.js';

export interface RetryOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Give up after this many attempts; Infinity = until `signal` aborts (back-pressure, never drop). */
  maxAttempts?: number;
  signal?: AbortSignal;
  retriable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export function backoffDelay(
  attempt: number,
  o: { initialMs: number; maxMs: number; factor: number },
): number {
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** attempt);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const initialMs = opts.initialMs ?? 200;
  const maxMs = opts.maxMs ?? 10_000;
  const factor = opts.factor ?? 2;
  const maxAttempts = opts.maxAttempts ?? 8;
  const retriable = opts.retriable ?? isRetriable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!retriable(err) || attempt + 1 >= maxAttempts || opts.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, { initialMs, maxMs, factor });
      opts.onRetry?.(err, attempt + 1, delay);
      try {
        await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : undefined);
      } catch {
        throw err;
      }
    }
  }
}
