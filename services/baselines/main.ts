// `leakwatch baselines`: one run of the baseline job, or (--schedule) the job's own long-running
// process, every baselines.intervalMs, with its ops server. Wiring only: config → client → run;
// outcomes are logged (JSON on stdout, like every service), not printed.
import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { initMetrics } from '#shared/metrics.js';
import { startOpsServer } from '#shared/ops-server.js';
import { jobOptions, runRecorded, startBaselineSchedule } from './schedule.js';

/** The scheduled job as a service: runs until SIGTERM; /readyz says why when the last run failed. */
export async function runBaselinesService(config: Readonly<Config>): Promise<void> {
  const log = createLogger('baselines', config.log.level);
  initMetrics('baselines');
  await runService({
    name: 'baselines',
    log,
    start: async () => {
      const ch = createClickHouse(config);
      const schedule = startBaselineSchedule(config, ch, log);
      const ops = await startOpsServer({
        host: config.ops.host,
        port: config.baselines.httpPort,
        log,
        readiness: () => schedule.lastFailure(),
      });
      return {
        stop: async () => {
          await schedule.stop();
          await ch.close();
          await ops.close();
        },
      };
    },
  });
}

/** Exit code: 0 when the run finished (also with nothing to read), 1 when it failed. */
export async function runBaselinesOnce(config: Readonly<Config>): Promise<number> {
  const log = createLogger('baselines', config.log.level);
  const ch = createClickHouse(config);
  try {
    const r = await runRecorded(ch, jobOptions(config), log);
    const database = config.clickhouse.database;
    if (r.version === null) {
      log.info({ database }, `baselines: database ${database}: no rollups yet, nothing written`);
    } else {
      log.info(
        { database, ...r },
        `baselines: database ${database}: ${r.rows} rows for ${r.entities} entities from ${r.windows} windows (${r.dirtyWindows} recomputed from access_events), ${new Date(r.dataFromMs).toISOString()} to ${new Date(r.dataToMs).toISOString()}, version ${r.version}`,
      );
    }
    return 0;
  } catch (err) {
    log.error({ err }, 'baseline job failed'); // the message is in err
    return 1;
  } finally {
    await ch.close();
  }
}
