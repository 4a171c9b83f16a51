import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { runConsumerMain } from '#shared/kafka/consumer-main.js';
import { createDetector } from './detector.js';

export async function runDetector(config: Readonly<Config>): Promise<void> {
  await runConsumerMain(config, {
    name: 'detector',
    httpPort: config.detector.httpPort,
    build: (kafka, log) => {
      // One ClickHouse client for the process: baselines and the response policy read through it.
      const ch = createClickHouse(config);
      return { service: createDetector(config, kafka, log, ch), close: () => ch.close() };
    },
  });
}
