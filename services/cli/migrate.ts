import { createClickHouse } from '#shared/clickhouse/client.js';
import { migrate } from '#shared/clickhouse/migrate.js';
import type { Config } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { retry } from '#shared/retry.js';

export async function runMigrate(config: Readonly<Config>): Promise<number> {
  const log = createLogger('migrate', config.log.level);
  const ch = createClickHouse(config);
  try {
    const r = await retry(() => migrate(ch, config.clickhouse.database, log), {
      maxAttempts: 10,
      onRetry: (err, attempt) => log.warn({ err, attempt }, 'ClickHouse not reachable yet; retrying'),
    });
    console.log(
      `migrate: database ${config.clickhouse.database}: ${r.applied.length} applied, ${r.alreadyApplied.length} already applied`,
    );
    return 0;
  } catch (err) {
    log.error({ err }, 'migration failed');
    console.error(`migrate: ${(err as Error).message}`);
    return 1;
  } finally {
    await ch.close();
  }
}
