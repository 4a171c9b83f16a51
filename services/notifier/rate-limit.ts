// Token bucket per receiver: `perMinute` pages a minute, bursts of `burst`. A page over the limit
// waits for a token; it is never dropped (grouping already keeps pages few).
export interface RateLimiter {
  /** Resolves when a token is taken; returns how long it waited (ms). */
  take(signal?: AbortSignal): Promise<number>;
}

export function createRateLimiter(
  perMinute: number,
  burst: number,
  now: () => number = Date.now,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void> = defaultSleep,
): RateLimiter {
  const refillPerMs = perMinute / 60_000;
  let tokens = burst;
  let last = now();
  return {
    async take(signal) {
      const start = now();
      for (;;) {
        const t = now();
        tokens = Math.min(burst, tokens + (t - last) * refillPerMs);
        last = t;
        if (tokens >= 1) {
          tokens -= 1;
          return now() - start;
        }
        await sleep(Math.ceil((1 - tokens) / refillPerMs), signal);
      }
    },
  };
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
