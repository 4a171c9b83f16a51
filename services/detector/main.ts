import type { Config } from '#shared/config.js';
import { createKafka, prepareTopics } from '#shared/kafka/client.js';
import { allTopics } from '#shared/kafka/topics.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { initMetrics } from '#shared/metrics.js';
import { startOpsServer } from '#shared/ops-server.js';
import { createDetector } from './detector.js';

export async function runDetector(config: Readonly<Config>): Promise<void> {
  const log = createLogger('detector', config.log.level);
  initMetrics('detector');
  await runService({
    name: 'detector',
    log,
    start: async () => {
      const kafka = createKafka(config, log, 'leakwatch-detector');
      await prepareTopics(kafka, allTopics(config), config.topics.partitions, log);
      const detector = createDetector(config, kafka, log);
      const ops = await startOpsServer({
        host: config.ops.host,
        port: config.detector.httpPort,
        log,
        readiness: detector.ready,
      });
      await detector.start();
      return {
        done: detector.crashed,
        stop: async () => {
          await detector.stop();
          await ops.close();
        },
      };
    },
  });
}
