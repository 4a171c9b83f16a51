// main.ts of a consuming service, in one place: logger and metrics named after the service, Kafka
// client and topics (waiting while Kafka is unreachable), the service built, its ops server, start;
// on SIGTERM (shared/lifecycle.ts) stop the service, close what it opened, then the ops server.
import type { Kafka } from 'kafkajs';
import type { Config } from '../config.js';
import { runService } from '../lifecycle.js';
import { createLogger, type Logger } from '../log.js';
import { initMetrics } from '../metrics.js';
import { startOpsServer } from '../ops-server.js';
import { createKafka, prepareTopics } from './client.js';
import type { ConsumerService } from './consumer-service.js';
import { allTopics } from './topics.js';

export interface ConsumerParts {
  service: ConsumerService;
  /** After the service started (e.g. a schedule beside it). */
  afterStart?: () => void;
  /** After the service stopped, before the ops server closes: what build and afterStart opened. */
  close?: () => Promise<void>;
}

export interface ConsumerMainOptions {
  /** Service name: logger, metrics and the Kafka client id `leakwatch-<name>`. */
  name: string;
  /** Port of its ops server (/metrics, /healthz, /readyz). */
  httpPort: number;
  build: (kafka: Kafka, log: Logger) => ConsumerParts;
}

export async function runConsumerMain(config: Readonly<Config>, o: ConsumerMainOptions): Promise<void> {
  const log = createLogger(o.name, config.log.level);
  initMetrics(o.name);
  await runService({
    name: o.name,
    log,
    start: async () => {
      const kafka = createKafka(config, log, `leakwatch-${o.name}`);
      await prepareTopics(kafka, allTopics(config), config.topics.partitions, log);
      const parts = o.build(kafka, log);
      const ops = await startOpsServer({
        host: config.ops.host,
        port: o.httpPort,
        log,
        readiness: parts.service.ready,
      });
      await parts.service.start();
      parts.afterStart?.();
      return {
        done: parts.service.crashed,
        stop: async () => {
          await parts.service.stop();
          await parts.close?.();
          await ops.close();
        },
      };
    },
  });
}
