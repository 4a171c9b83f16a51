import type { Config } from '#shared/config.js';
import { createKafka, prepareTopics } from '#shared/kafka/client.js';
import { allTopics } from '#shared/kafka/topics.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { initMetrics } from '#shared/metrics.js';
import { startOpsServer } from '#shared/ops-server.js';
import { loadRouting } from './config.js';
import { createNotifier } from './notifier.js';

export async function runNotifier(config: Readonly<Config>): Promise<void> {
  const log = createLogger('notifier', config.log.level);
  initMetrics('notifier');
  // Fails at start, listing every problem, before anything connects.
  const routing = loadRouting(config);
  await runService({
    name: 'notifier',
    log,
    start: async () => {
      const kafka = createKafka(config, log, 'leakwatch-notifier');
      await prepareTopics(kafka, allTopics(config), config.topics.partitions, log);
      const notifier = createNotifier(config, kafka, routing, log);
      const ops = await startOpsServer({
        host: config.ops.host,
        port: config.notifier.httpPort,
        log,
        readiness: notifier.ready,
      });
      await notifier.start();
      log.info(
        { receivers: routing.receivers.map((r) => `${r.name}:${r.type}`), routes: routing.routes.length },
        'notifier started',
      );
      return {
        done: notifier.crashed,
        stop: async () => {
          await notifier.stop();
          await ops.close();
        },
      };
    },
  });
}
