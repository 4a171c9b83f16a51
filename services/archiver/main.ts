import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { runConsumerMain } from '#shared/kafka/consumer-main.js';
import { createArchiver } from './archiver.js';

export async function runArchiver(config: Readonly<Config>): Promise<void> {
  await runConsumerMain(config, {
    name: 'archiver',
    httpPort: config.archiver.httpPort,
    build: (kafka, log) => {
      const ch = createClickHouse(config);
      return { service: createArchiver(config, kafka, ch, log), close: () => ch.close() };
    },
  });
}
