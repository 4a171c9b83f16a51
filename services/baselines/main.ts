// `leakwatch baselines`: one run of the baseline job. Wiring only: config → client → run.
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
    if (r.version === null) {
      console.log(`baselines: database ${config.clickhouse.database}: no rollups yet, nothing written`);
    } else {
      console.log(
        `baselines: database ${config.clickhouse.database}: ${r.rows} rows for ${r.entities} entities from ${r.windows} windows (${r.dirtyWindows} recomputed from access_events), ${new Date(r.dataFromMs).toISOString()} to ${new Date(r.dataToMs).toISOString()}, version ${r.version}`,
      );
    }
    return 0;
  } catch (err) {
    log.error({ err }, 'baseline job failed');
    console.error(`baselines: ${(err as Error).message}`);
    return 1;
  } finally {
    await ch.close();
  }
}
