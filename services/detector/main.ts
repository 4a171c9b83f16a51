import type { Config } from '#shared/config.js';
import { runConsumerMain } from '#shared/kafka/consumer-main.js';
import { createDetector } from './detector.js';

export async function runDetector(config: Readonly<Config>): Promise<void> {
  await runConsumerMain(config, {
    name: 'detector',
    httpPort: config.detector.httpPort,
    build: (kafka, log) => ({ service: createDetector(config, kafka, log) }),
  });
}
