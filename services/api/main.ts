import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { initMetrics } from '#shared/metrics.js';
import { build } from './app.js';
import { kafkaStatusPublisher } from './status-publisher.js';

export async function runApi(config: Readonly<Config>): Promise<void> {
  const log = createLogger('api', config.log.level);
  initMetrics('api');
  await runService({
    name: 'api',
    log,
    start: async () => {
      if (config.api.openAccess) log.warn('API_OPEN_ACCESS is on: reads need no token (local demo only)');
      else if (config.api.tokens.length === 0)
        log.warn('no API_TOKENS configured: every request will get 401');
      const ch = createClickHouse(config);
      const status = kafkaStatusPublisher(config);
      const app = await build({ config, ch, log, status });
      await app.listen({ host: config.api.host, port: config.api.port });
      const addr = app.server.address();
      log.info({ port: typeof addr === 'object' && addr ? addr.port : config.api.port }, 'api listening');
      return {
        stop: async () => {
          await app.close();
          await status.close();
          await ch.close();
        },
      };
    },
  });
}
