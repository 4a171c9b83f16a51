// Running the baseline job: once (`leakwatch baselines`) or every baselines.intervalMs in its own
// long-running process (`leakwatch baselines --schedule`, main.ts). Runs never overlap; a failed run is logged, counted
// and tried again at the next interval; stop() aborts a run in flight and waits for it.
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import { type BaselineJobOptions, type BaselineJobResult, runBaselineJob } from './job.js';
import { baselineMetrics as m } from './metrics.js';
import { windowSeconds } from './windows.js';

export function jobOptions(cfg: Readonly<Config>): BaselineJobOptions {
  return {
    database: cfg.clickhouse.database,
    windowMs: cfg.detector.windowMs,
    lookbackDays: cfg.baselines.lookbackDays,
    minHistory: cfg.baselines.minHistory,
    groupSample: cfg.baselines.groupSample,
  };
}

/** One run with its metrics; throws what the job throws. */
export async function runRecorded(
  ch: ClickHouseClient,
  opts: BaselineJobOptions,
  log: Logger,
): Promise<BaselineJobResult> {
  const t0 = performance.now();
  try {
    const r = await runBaselineJob(ch, opts, log);
    m.runs.inc({ outcome: r.version === null ? 'no_data' : 'ok' });
    m.lastSuccess.set(Date.now() / 1000);
    return r;
  } catch (err) {
    m.runs.inc({ outcome: 'failed' });
    throw err;
  } finally {
    m.lastRunSeconds.set((performance.now() - t0) / 1000);
  }
}

export interface BaselineSchedule {
  /** null unless the last run failed; then its error message (the process's readiness). */
  lastFailure(): string | null;
  stop(): Promise<void>;
}

/**
 * Runs the job every cfg.baselines.intervalMs (0: never), the first run soon after start
 * (at most 30 s, so a restarted service catches up its Kafka backlog first).
 */
export function startBaselineSchedule(
  cfg: Readonly<Config>,
  ch: ClickHouseClient,
  log: Logger,
): BaselineSchedule {
  const interval = cfg.baselines.intervalMs;
  if (interval === 0) return { lastFailure: () => null, stop: async () => {} };
  try {
    windowSeconds(cfg.detector.windowMs);
  } catch (err) {
    // Every run would fail the same way: say so once, and run none.
    log.warn({ err }, 'baseline job not scheduled');
    const reason = `baseline job not scheduled: ${(err as Error).message}`;
    return { lastFailure: () => reason, stop: async () => {} };
  }
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let failure: string | null = null;
  const opts = { ...jobOptions(cfg), signal: abort.signal };

  const tick = () => {
    running = runRecorded(ch, opts, log).then(
      () => {
        failure = null;
      },
      (err) => {
        if (abort.signal.aborted) return;
        failure = `last baseline job run failed: ${(err as Error).message.trim()}`;
        log.warn({ err }, 'baseline job failed; trying again at the next interval');
      },
    );
    void running.then(() => {
      running = null;
      if (!abort.signal.aborted) timer = setTimeout(tick, interval);
    });
  };
  timer = setTimeout(tick, Math.min(interval, 30_000));
  return {
    lastFailure: () => failure,
    async stop() {
      abort.abort();
      clearTimeout(timer);
      if (running !== null) await running;
    },
  };
}
