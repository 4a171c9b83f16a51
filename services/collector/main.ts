import type { Config } from '#shared/config.js';
import { DEV_REDACTION_KEY } from '#shared/env.js';
import { ConfigInvalid } from '#shared/errors.js';
import { createKafka, prepareTopics } from '#shared/kafka/client.js';
import { allTopics } from '#shared/kafka/topics.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { FORMAT_IDS, isFormatChoice } from '#shared/log-formats.js';
import { initMetrics } from '#shared/metrics.js';
import { startOpsServer } from '#shared/ops-server.js';
import { createCollector } from './collector.js';
import { compileNormalizeOptions } from './normalize/options.js';
import { redactorForKey } from './redaction-key.js';
import { inputsFromConfig } from './sources/from-config.js';

export async function runCollector(config: Readonly<Config>): Promise<void> {
  const log = createLogger('collector', config.log.level);
  initMetrics('collector');
  await runService({
    name: 'collector',
    log,
    start: async () => {
      inputsFromConfig(config.collector); // every input problem listed before waiting for Kafka
      let key = config.collector.redactionKey;
      if (!key) {
        if (!config.collector.dev) {
          throw ConfigInvalid(
            'COLLECTOR_REDACTION_KEY is required (a secret of at least 16 characters): PHI is tokenised with it. Use --dev only for local trials.',
          );
        }
        log.warn('--dev: using a built-in redaction key; tokens are NOT secret');
        key = DEV_REDACTION_KEY;
      }
      for (const [name, format] of [
        ['COLLECTOR_FORMAT', config.collector.format],
        ['COLLECTOR_SYSLOG_FORMAT', config.collector.syslog.format],
        ['COLLECTOR_INGEST_FORMAT', config.collector.ingest.format],
      ] as const)
        if (format !== undefined && !isFormatChoice(format))
          throw ConfigInvalid(`unknown ${name} ${format} (formats: auto, ${FORMAT_IDS.join(', ')})`);
      const normalize = compileNormalizeOptions(config.collector.normalize);
      const redactor = redactorForKey(key, normalize.redactor);
      const kafka = createKafka(config, log, 'leakwatch-collector');
      await prepareTopics(kafka, allTopics(config), config.topics.partitions, log);
      const collector = createCollector(config, redactor, normalize, log);
      // Listeners bound before the service says it started: a taken port is a start failure.
      await collector.start();
      const ops = await startOpsServer({
        host: config.ops.host,
        port: config.collector.httpPort,
        log,
        readiness: collector.ready,
      });
      const done = collector.run();
      return {
        // without --follow the collector ends when the files are read
        done,
        stop: async () => {
          await collector.stop();
          await ops.close();
        },
      };
    },
  });
}
