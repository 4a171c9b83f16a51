// runService: start, then on SIGTERM/SIGINT stop intake -> finish in-flight work -> flush -> close -> exit 0.
// stop is idempotent; a hard timeout exits 1; a fatal error (consumer crash) exits non-zero.
import { ShutdownTimeout } from './errors.js';
import type { Logger } from './log.js';

export interface RunningService {
  /** Stops intake, finishes the in-flight batch, commits, flushes and closes clients in reverse order. */
  stop(): Promise<void>;
  /** Resolves/rejects if the service ends on its own (e.g. a collector reading a finite file, or a crash). */
  done?: Promise<void>;
}

export interface RunServiceOptions {
  name: string;
  log: Logger;
  start: () => Promise<RunningService>;
  shutdownTimeoutMs?: number;
}

export function sharedPromise<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

export async function runService(opts: RunServiceOptions): Promise<void> {
  const { log } = opts;
  const timeoutMs = opts.shutdownTimeoutMs ?? 30_000;
  let svc: RunningService;
  try {
    svc = await opts.start();
  } catch (err) {
    log.fatal({ err }, `${opts.name} failed to start`);
    await flushLog(log);
    process.exit(1);
  }
  log.info(`${opts.name} started`);
  const shutdown = sharedPromise(async () => {
    const timer = setTimeout(() => {
      log.error({ err: ShutdownTimeout(timeoutMs), timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    try {
      await svc.stop();
      log.info(`${opts.name} stopped`);
      await flushLog(log);
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      await flushLog(log);
      process.exit(1);
    }
  });
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  if (svc.done) {
    svc.done.then(
      () => void shutdown(),
      async (err) => {
        log.fatal({ err }, `${opts.name} crashed`);
        try {
          await svc.stop();
        } catch {
          // already failing; exit code says so
        }
        await flushLog(log);
        process.exit(2);
      },
    );
  }
}

function flushLog(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}
