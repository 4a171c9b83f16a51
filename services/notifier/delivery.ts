// Rate-limit -> retry -> deliver, one queue per receiver (Alertmanager's per-integration stages): a
// receiver that is down holds only its own queue. Pages of one receiver go out in order (a trigger
// before its resolve). A page is retried with exponential backoff and jitter (shared/retry.ts) while
// the receiver says retry, up to maxAttempts; then, or at once when it refuses the page (4xx), the
// page is written to the dead-letter topic with the reason. submit() resolves only then: delivered
// or dead-lettered, which is what lets the consumer commit the offsets behind it.
import { NotifyFailed, NotifyRejected } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import { retry, retryUntilDelivered } from '#shared/retry.js';
import { notifierMetrics as m } from './metrics.js';
import type { Page } from './page.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';
import type { Receiver } from './receivers/index.js';

export interface DeliveryOptions {
  receivers: readonly Receiver[];
  rates: ReadonlyMap<string, { perMinute: number; burst: number }>;
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Writes the page to the dead-letter topic; rejects if it could not (then it is tried again). */
  deadLetter: (page: Page, reason: string, error: string) => Promise<void>;
  log: Logger;
}

export interface Delivery {
  /** Resolves when the page is delivered or dead-lettered; never rejects. Pending at stop: never resolves. */
  submit(page: Page): Promise<void>;
  /** Stops taking pages out of the queues (in-flight attempts are abandoned, not acknowledged). */
  stop(): void;
  queued(receiver: string): number;
}

interface Lane {
  receiver: Receiver;
  limiter: RateLimiter;
  queue: { page: Page; done: () => void }[];
  running: boolean;
}

export function createDelivery(o: DeliveryOptions): Delivery {
  const abort = new AbortController();
  const lanes = new Map<string, Lane>();
  for (const r of o.receivers) {
    const rate = o.rates.get(r.name) ?? { perMinute: 30, burst: 10 };
    lanes.set(r.name, {
      receiver: r,
      limiter: createRateLimiter(rate.perMinute, rate.burst),
      queue: [],
      running: false,
    });
  }
  const log = o.log.child({ component: 'delivery' });

  async function deliverOne(lane: Lane, page: Page): Promise<void> {
    const r = lane.receiver;
    const waited = await lane.limiter.take(abort.signal);
    if (waited > 0) m.rateLimited.inc({ receiver: r.name });
    let reason = '';
    let error = '';
    try {
      await retry(
        async (attempt) => {
          const res = await r.notify(page);
          if (!res.error) return;
          m.attemptsFailed.inc({ receiver: r.name });
          log.warn(
            {
              receiver: r.name,
              page: page.id,
              action: page.action,
              attempt,
              retry: res.retry,
              error: res.error,
            },
            'delivery attempt failed',
          );
          throw res.retry ? NotifyFailed(r.name, res.error) : NotifyRejected(r.name, res.error);
        },
        {
          initialMs: o.retryInitialMs,
          maxMs: o.retryMaxMs,
          maxAttempts: o.maxAttempts,
          signal: abort.signal,
        },
      );
      m.pagesSent.inc({ receiver: r.name, action: page.action });
      m.deliverySeconds.observe({ receiver: r.name }, (Date.now() - page.createdAt) / 1000);
      log.info(
        { receiver: r.name, page: page.id, action: page.action, dedup_key: page.dedupKey },
        'page delivered',
      );
      return;
    } catch (err) {
      if (abort.signal.aborted) throw err;
      const e = err as { code?: string; message?: string };
      reason = e.code ?? 'LW_ERR_NOTIFY_FAILED';
      error = e.message ?? String(err);
    }
    // Given up: the page goes to the dead-letter topic; the offsets behind it may then be committed.
    await retryUntilDelivered(() => o.deadLetter(page, reason, error), {
      signal: abort.signal, // until the notifier stops
      retriable: () => true,
      onRetry: (err) =>
        log.error({ err, receiver: r.name, page: page.id }, 'dead letter not written; retrying'),
    });
    m.pagesFailed.inc({ receiver: r.name, reason });
    m.deadLetters.inc({ reason });
    log.error(
      { receiver: r.name, page: page.id, action: page.action, reason, error },
      'page dead-lettered after delivery failed',
    );
  }

  async function run(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (lane.queue.length > 0 && !abort.signal.aborted) {
        const item = lane.queue[0] as { page: Page; done: () => void };
        try {
          await deliverOne(lane, item.page);
        } catch {
          return; // stopped
        }
        lane.queue.shift();
        m.queued.set({ receiver: lane.receiver.name }, lane.queue.length);
        item.done();
      }
    } finally {
      lane.running = false;
    }
  }

  return {
    submit(page) {
      const lane = lanes.get(page.receiver);
      if (!lane) return Promise.resolve();
      return new Promise<void>((done) => {
        lane.queue.push({ page, done });
        m.queued.set({ receiver: lane.receiver.name }, lane.queue.length);
        if (!lane.running) void run(lane);
      });
    },
    stop() {
      abort.abort(new Error('stopped'));
    },
    queued(receiver) {
      return lanes.get(receiver)?.queue.length ?? 0;
    },
  };
}
