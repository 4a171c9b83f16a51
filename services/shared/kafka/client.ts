// The one place kafkajs (consumers, admin) is constructed; producers are in producer.ts.
// kafkajs decodes gzip itself; LZ4, which our producers write by default, is registered here with the
// same WebAssembly LZ4 frame codec the producer uses, so every kafkajs client in the process reads it.
import { lz4Compress, lz4Decompress } from '@platformatic/wasm-utils';
import kafkajs, { type Admin, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { retry } from '../retry.js';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs logs these while a fresh broker's coordinators load; it retries them itself.
const TRANSIENT =
  /coordinator is loading|group coordinator is not available|There is no leader for this topic-partition/i;

export function createKafka(cfg: Pick<Config, 'kafka'>, log: Logger, clientId?: string): Kafka {
  const klog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: clientId ?? cfg.kafka.clientId,
    brokers: [...cfg.kafka.brokers],
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    connectionTimeout: 3000,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        const lvl = TRANSIENT.test(String(rest['error'] ?? message)) ? 'debug' : (LEVELS[level] ?? 'info');
        klog[lvl](
          { kafka: { namespace: entry['namespace'], broker: rest['broker'], error: rest['error'] } },
          message,
        );
      },
  });
}

/**
 * Teaches kafkajs (a process-wide registry) to read and write LZ4 batches. Done when this module
 * loads; a kafkajs client built elsewhere (tests, tools) calls it to be sure.
 */
export function registerCodecs(): void {
  // CommonJS: Node's ESM loader does not see CompressionCodecs as a named export.
  kafkajs.CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => lz4Compress(encoder.buffer),
    decompress: async (buffer: Buffer) => lz4Decompress(buffer),
  });
}
registerCodecs();

/** Creates missing topics (idempotent). */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    // replication factor left to the broker default (KIP-464), so one DDL serves 1-node and 3-node clusters.
    topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
  });
}

/** Connects an admin client and creates the topics, waiting (with backoff) while Kafka is unreachable. */
export async function prepareTopics(
  kafka: Kafka,
  topics: string[],
  partitions: number,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  await retry(
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await ensureTopics(admin, topics, partitions);
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
    {
      maxAttempts: Number.POSITIVE_INFINITY,
      initialMs: 500,
      maxMs: 10_000,
      retriable: (err) => !(err instanceof TypeError),
      onRetry: (err, attempt, delay) => log.warn({ err, attempt, delay }, 'Kafka not reachable; waiting'),
      ...(signal && { signal }),
    },
  );
}
