import { createClickHouse } from '#shared/clickhouse/client.js';
import type { Config } from '#shared/config.js';
import { createKafka, prepareTopics } from '#shared/kafka/client.js';
import { allTopics } from '#shared/kafka/topics.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { initMetrics } from '#shared/metrics.js';
import { startOpsServer } from '#shared/ops-server.js';
import { createGrouper } from './grouper.js';

export async function runIncidents(config: Readonly<Config>): Promise<void> {
  const log = createLogger('incidents', config.log.level);
  initMetrics('incidents');
  await runService({
    name: 'incidents',
    log,
    start: async () => {
      const kafka = createKafka(config, log, 'leakwatch-incidents');
      await prepareTopics(kafka, allTopics(config), config.topics.partitions, log);
      const ch = createClickHouse(config);
      const grouper = createGrouper(config, kafka, ch, log);
      const ops = await startOpsServer({
        host: config.ops.host,
        port: config.incidents.httpPort,
        log,
        readiness: grouper.ready,
      });
      await grouper.start();
      return {
        done: grouper.crashed,
        stop: async () => {
          await grouper.stop();
          await ch.close();
          await ops.close();
        },
      };
    },
  });
}
