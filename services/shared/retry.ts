// One backoff with jitter for everything that talks to Kafka or ClickHouse (kafkajs' retry shape).
// Only retriable errors are retried; the last error is kept as `cause`.
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetriable } from './errors.js';

/**
 * The one backoff for delivery that must not drop anything (a consumer's batch into ClickHouse or
 * Kafka, the collector's sends, the notifier's dead letters): 250 ms doubling to 10 s, with jitter.
 */
export const DELIVERY_BACKOFF: Readonly<Backoff> = Object.freeze({
  initialMs: 250,
  maxMs: 10_000,
  factor: 2,
});

export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

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

export function backoffDelay(attempt: number, o: Readonly<Backoff>): number {
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

/** What a consumer batch offers a retry (kafkajs' EachBatchPayload has it). */
export interface BatchHandle {
  isRunning(): boolean;
  isStale(): boolean;
  heartbeat(): Promise<void>;
}

export interface UntilDeliveredOptions {
  /** Which errors deserve another attempt; default `isRetriable` (never a TypeError, RangeError, SyntaxError). */
  retriable?: (err: unknown) => boolean;
  /**
   * The consumer batch being delivered: once it is revoked or stale it is redelivered to whoever owns
   * it, so the error is thrown instead of retried; between attempts the group is sent a heartbeat.
   */
  batch?: BatchHandle;
  /** Stops retrying (the last error is thrown) and cuts a wait short. */
  signal?: AbortSignal;
  /** Called on every failed attempt, retried or not (failure counters). */
  onFailure?: (err: unknown) => void;
  /** Called before each wait (back-pressure gauges, the warning in the log). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Tests only: a faster backoff. Services use DELIVERY_BACKOFF. */
  backoff?: Readonly<Backoff>;
}

/**
 * Retries `fn` until it succeeds (back-pressure: the caller reads nothing more meanwhile, so nothing
 * is dropped), with DELIVERY_BACKOFF; gives up only on an error `retriable` refuses, a stale batch,
 * or an aborted `signal`, and then throws that error.
 */
export function retryUntilDelivered<T>(fn: () => Promise<T>, o: UntilDeliveredOptions = {}): Promise<T> {
  const retriable = o.retriable ?? isRetriable;
  const batch = o.batch;
  return retry(
    async (attempt) => {
      if (attempt > 0 && batch) await batch.heartbeat().catch(() => {});
      return fn();
    },
    {
      ...(o.backoff ?? DELIVERY_BACKOFF),
      maxAttempts: Number.POSITIVE_INFINITY,
      ...(o.signal && { signal: o.signal }),
      retriable: (err) => {
        o.onFailure?.(err);
        if (batch && (!batch.isRunning() || batch.isStale())) return false;
        return retriable(err);
      },
      ...(o.onRetry && { onRetry: o.onRetry }),
    },
  );
}
