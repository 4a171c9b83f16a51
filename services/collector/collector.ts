// Log files -> parse -> redact -> AccessEvent (Avro) -> Kafka access.v1; bad lines -> deadletter.v1.
// Reading waits for each batch to be acknowledged (acks=all): when Kafka is unreachable the send is
// retried with backoff and nothing more is read (back-pressure), so nothing is dropped.
import type { Kafka, Producer } from 'kafkajs';
import { accessEventCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Config } from '#shared/config.js';
import { COMPRESSION, createProducer } from '#shared/kafka/client.js';
import { sendDeadLetters, toDeadLetter } from '#shared/kafka/dead-letter.js';
import type { DeadLetter } from '#shared/kafka/topics.js';
import type { Logger } from '#shared/log.js';
import { principalKey } from '#shared/principal.js';
import { retry } from '#shared/retry.js';
import { collectorMetrics as m } from './metrics.js';
import type { Redactor } from './normalize/redact.js';
import { toAccessEvent } from './normalize/to-access-event.js';
import { parseNginxCombined } from './parsers/nginx-combined.js';
import { type Line, readLines } from './sources/file.js';

export interface Collector {
  /** Resolves when every file has been read (only without follow) or the collector is stopped. */
  run(): Promise<void>;
  stop(): Promise<void>;
  ready(): string | null;
  stats(): { read: number; parsed: number; rejected: number };
}

export function createCollector(
  cfg: Readonly<Config>,
  kafka: Kafka,
  redactor: Redactor,
  log: Logger,
): Collector {
  const producer: Producer = createProducer(kafka);
  const codec = accessEventCodec();
  const abort = new AbortController();
  const format = cfg.collector.format;
  const stats = { read: 0, parsed: 0, rejected: 0 };
  let connected = false;
  let running: Promise<void> | undefined;

  function parse(line: Line, source: string): { event?: AccessEvent; dead?: DeadLetter } {
    const r = parseNginxCombined(line.text);
    if (r.ok) {
      const event = toAccessEvent(r.value, { source, tenant: cfg.tenant, position: line.offset, redactor });
      for (const f of event.findings) m.phiFindings.inc({ finding: f });
      return { event };
    }
    m.linesRejected.inc({ format, reason: r.error.code });
    return {
      dead: toDeadLetter(
        'collector',
        {
          reason: r.error.code,
          message: r.error.message,
          source,
          position: String(line.offset),
          record: line.text,
        },
        (text) => redactor.redactText(text).text,
      ),
    };
  }

  async function send(events: AccessEvent[], dead: DeadLetter[]): Promise<void> {
    await retry(
      async () => {
        if (events.length) {
          await producer.send({
            topic: cfg.topics.access,
            acks: -1,
            compression: COMPRESSION,
            messages: events.map((e) => ({ key: principalKey(e), value: codec.encode(e) })),
          });
        }
        if (dead.length) await sendDeadLetters(producer, cfg.topics.deadletter, dead);
      },
      {
        maxAttempts: Number.POSITIVE_INFINITY,
        initialMs: 250,
        maxMs: 10_000,
        signal: abort.signal,
        retriable: () => !abort.signal.aborted,
        onRetry: (err, attempt, delay) => {
          m.publishFailures.inc();
          m.backpressure.set(1);
          log.warn(
            { err, attempt, delay, events: events.length },
            'Kafka send failed; reading paused, retrying',
          );
        },
      },
    );
    m.backpressure.set(0);
  }

  async function readFile(path: string): Promise<void> {
    const source = path;
    for await (const batch of readLines({
      path,
      follow: cfg.collector.follow,
      batchSize: cfg.collector.batchSize,
      signal: abort.signal,
    })) {
      const events: AccessEvent[] = [];
      const dead: DeadLetter[] = [];
      for (const line of batch) {
        if (line.text.length === 0) continue; // blank lines carry nothing
        stats.read++;
        const r = parse(line, source);
        if (r.event) events.push(r.event);
        if (r.dead) dead.push(r.dead);
      }
      m.linesRead.inc({ format }, events.length + dead.length);
      m.linesParsed.inc({ format }, events.length);
      await send(events, dead);
      stats.parsed += events.length;
      stats.rejected += dead.length;
      log.debug(
        { source, lastOffset: batch[batch.length - 1]?.offset, events: events.length },
        'batch published',
      );
    }
  }

  return {
    stats: () => ({ ...stats }),
    ready: () => (abort.signal.aborted ? 'stopping' : connected ? null : 'connecting to Kafka'),
    run() {
      running ??= (async () => {
        await producer.connect();
        connected = true;
        await Promise.all(cfg.collector.files.map((f) => readFile(f)));
        log.info(stats, 'all files read');
      })();
      return running;
    },
    async stop() {
      abort.abort();
      await running?.catch(() => {});
      await producer.disconnect();
    },
  };
}
