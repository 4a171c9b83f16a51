import type { Config } from '#shared/config.js';
import { ConfigInvalid } from '#shared/errors.js';
import { createKafka, prepareTopics } from '#shared/kafka/client.js';
import { allTopics } from '#shared/kafka/topics.js';
import { runService } from '#shared/lifecycle.js';
import { createLogger } from '#shared/log.js';
import { initMetrics } from '#shared/metrics.js';
import { startOpsServer } from '#shared/ops-server.js';
import { createCollector } from './collector.js';
import { isFormatChoice } from './formats/registry.js';
import { compileNormalizeOptions } from './normalize/options.js';
import { FORMAT_IDS } from './parsers/types.js';
import { DEV_REDACTION_KEY, redactorForKey } from './redaction-key.js';

export async function runCollector(config: Readonly<Config>): Promise<void> {
  const log = createLogger('collector', config.log.level);
  initMetrics('collector');
  await runService({
    name: 'collector',
    log,
    start: async () => {
      if (config.collector.files.length === 0)
        throw ConfigInvalid('no input: give files or set COLLECTOR_FILES');
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
      if (!isFormatChoice(config.collector.format))
        throw ConfigInvalid(
          `unknown COLLECTOR_FORMAT ${config.collector.format} (formats: auto, ${FORMAT_IDS.join(', ')})`,
        );
      const normalize = compileNormalizeOptions(config.collector.normalize);
      const redactor = redactorForKey(key, normalize.redactor);
      const kafka = createKafka(config, log, 'leakwatch-collector');
      await prepareTopics(kafka, allTopics(config), config.topics.partitions, log);
      const collector = createCollector(config, kafka, redactor, normalize, log);
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
