import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { createKafka, prepareTopics } from '#shared/kafka/client.js';
import { allTopics } from '#shared/kafka/topics.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { initMetrics } from '#shared/metrics.js';
import { startOpsServer } from '#shared/ops-server.js';
import { startBaselineSchedule } from '../baselines/schedule.js';
import { createArchiver } from './archiver.js';

export async function runArchiver(config: Readonly<Config>): Promise<void> {
  const log = createLogger('archiver', config.log.level);
  initMetrics('archiver');
  await runService({
    name: 'archiver',
    log,
    start: async () => {
      const kafka = createKafka(config, log, 'leakwatch-archiver');
      await prepareTopics(kafka, allTopics(config), config.topics.partitions, log);
      const ch = createClickHouse(config);
      const archiver = createArchiver(config, kafka, ch, log);
      const ops = await startOpsServer({
        host: config.ops.host,
        port: config.archiver.httpPort,
        log,
        readiness: archiver.ready,
      });
      await archiver.start();
      // The baseline job reads the rollups this service's inserts feed (every BASELINES_INTERVAL_MS).
      const baselines = startBaselineSchedule(config, ch, log);
      return {
        done: archiver.crashed,
        stop: async () => {
          await archiver.stop();
          await baselines.stop();
          await ch.close();
          await ops.close();
        },
      };
    },
  });
}
