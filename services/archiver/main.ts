import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { runConsumerMain } from '#shared/kafka/consumer-main.js';
import { type BaselineSchedule, startBaselineSchedule } from '../baselines/schedule.js';
import { createArchiver } from './archiver.js';

export async function runArchiver(config: Readonly<Config>): Promise<void> {
  await runConsumerMain(config, {
    name: 'archiver',
    httpPort: config.archiver.httpPort,
    build: (kafka, log) => {
      const ch = createClickHouse(config);
      let baselines: BaselineSchedule | undefined;
      return {
        service: createArchiver(config, kafka, ch, log),
        // The baseline job reads the rollups this service's inserts feed (every BASELINES_INTERVAL_MS).
        afterStart: () => {
          baselines = startBaselineSchedule(config, ch, log);
        },
        close: async () => {
          await baselines?.stop();
          await ch.close();
        },
      };
    },
  });
}
