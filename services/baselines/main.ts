// `leakwatch baselines`: one run of the baseline job. Wiring only: config → client → run; the
// outcome is logged (JSON on stdout, like every service), not printed.
import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { jobOptions, runRecorded } from './schedule.js';

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
