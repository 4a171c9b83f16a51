import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { runConsumerMain } from '#shared/kafka/consumer-main.js';
import { createGrouper } from './grouper.js';

export async function runIncidents(config: Readonly<Config>): Promise<void> {
  await runConsumerMain(config, {
    name: 'incidents',
    httpPort: config.incidents.httpPort,
    build: (kafka, log) => {
      const ch = createClickHouse(config);
      return { service: createGrouper(config, kafka, ch, log), close: () => ch.close() };
    },
  });
}
