import type { Config } from '#shared/config.js';
import { runConsumerMain } from '#shared/kafka/consumer-main.js';
import { loadRouting } from './config.js';
import { createNotifier } from './notifier.js';

export async function runNotifier(config: Readonly<Config>): Promise<void> {
  // Fails at start, listing every problem, before anything connects.
  const routing = loadRouting(config);
  await runConsumerMain(config, {
    name: 'notifier',
    httpPort: config.notifier.httpPort,
    build: (kafka, log) => ({
      service: createNotifier(config, kafka, routing, log),
      afterStart: () =>
        log.info(
          { receivers: routing.receivers.map((r) => `${r.name}:${r.type}`), routes: routing.routes.length },
          'notifier started',
        ),
    }),
  });
}
