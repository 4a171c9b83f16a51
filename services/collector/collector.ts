// Inputs (files and globs with rotation and checkpoints, stdin) -> format pipeline (parse -> normalise -> redact) -> AccessEvent (Avro) -> Kafka
// access.v1; rejected records -> deadletter.v1 with reason and position; skipped records counted.
// Reading waits for each batch to be acknowledged (acks=all): when Kafka is unreachable the send is
// retried with backoff and nothing more is read (back-pressure), so nothing is dropped.
import type { Kafka, Producer } from 'kafkajs';
import { accessEventCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Config } from '#shared/config.js';
import { ConfigInvalid } from '#shared/errors.js';
import { COMPRESSION, createProducer } from '#shared/kafka/client.js';
import { sendDeadLetters, toDeadLetter } from '#shared/kafka/dead-letter.js';
import type { DeadLetter } from '#shared/kafka/topics.js';
import type { Logger } from '#shared/log.js';
import { principalKey } from '#shared/principal.js';
import { retry } from '#shared/retry.js';
import { createPipeline, type Outcome, type Pipeline } from './formats/pipeline.js';
import { detectFormat, formatById } from './formats/registry.js';
import { collectorMetrics as m } from './metrics.js';
import type { NormalizeOptions } from './normalize/options.js';
import type { Redactor } from './normalize/redact.js';
import type { LogFormat } from './parsers/types.js';
import { createInputs } from './sources/index.js';

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
  normalize: NormalizeOptions,
  log: Logger,
): Collector {
  const producer: Producer = createProducer(kafka);
  const codec = accessEventCodec();
  const abort = new AbortController();
  const format = cfg.collector.format;
  const stats = { read: 0, parsed: 0, rejected: 0 };
  let connected = false;
  let running: Promise<void> | undefined;

  /** Sorts a batch's outcomes into events to publish and dead letters, counting each. */
  function sort(
    outcomes: Outcome[],
    source: string,
    formatId: string,
    events: AccessEvent[],
    dead: DeadLetter[],
  ): void {
    for (const o of outcomes) {
      if (o.kind === 'event') {
        for (const f of o.event.findings) m.phiFindings.inc({ finding: f });
        events.push(o.event);
      } else if (o.kind === 'rejected') {
        m.linesRejected.inc({ format: formatId, reason: o.error.code });
        dead.push(
          toDeadLetter(
            'collector',
            { reason: o.error.code, message: o.error.message, source, position: o.position, record: o.text },
            (text) => redactor.redactText(text).text,
          ),
        );
      } else {
        m.recordsSkipped.inc({ format: formatId, kind: o.what });
      }
    }
  }

  function pipelineFor(source: string, sample: readonly string[]): { pipeline: Pipeline; id: string } {
    let id = format;
    if (id === 'auto') {
      const d = detectFormat(sample);
      if (d === null)
        throw ConfigInvalid(
          `${source}: cannot tell the log format from its first lines; set COLLECTOR_FORMAT`,
        );
      id = d.id;
      log.info({ source, format: id, sniff: d.score }, 'log format detected');
    }
    const fmt: LogFormat = formatById(id);
    const pipeline = createPipeline({
      format: fmt,
      formatOptions: cfg.collector.logFormat ? { logFormat: cfg.collector.logFormat } : undefined,
      source,
      tenant: cfg.tenant,
      redactor,
      normalize,
    });
    return { pipeline, id };
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

  /** Sorts outcomes, publishes them (acks=all, retried until Kafka takes them) and counts them; returns the events sent. */
  async function publish(outcomes: Outcome[], source: string, id: string): Promise<number> {
    const events: AccessEvent[] = [];
    const dead: DeadLetter[] = [];
    sort(outcomes, source, id, events, dead);
    await send(events, dead);
    stats.parsed += events.length;
    stats.rejected += dead.length;
    return events.length;
  }

  /** Every configured input (files and globs, stdin), batch by batch, each committed once durable. */
  async function readInputs(): Promise<void> {
    const inputs = await createInputs({
      files: cfg.collector.files,
      follow: cfg.collector.follow,
      fromStart: cfg.collector.fromStart,
      batchSize: cfg.collector.batchSize,
      checkpointFile: cfg.collector.checkpointFile,
    });
    const pipelines = new Map<string, { pipeline: Pipeline; id: string }>();
    try {
      for await (const batch of inputs.batches(abort.signal)) {
        const source = batch.source;
        let current = pipelines.get(source);
        if (current === undefined) {
          current = pipelineFor(
            source,
            batch.lines.slice(0, 50).map((l) => l.text),
          );
          pipelines.set(source, current);
        }
        const { pipeline, id } = current;
        const outcomes: Outcome[] = [];
        for (const line of batch.lines) {
          if (line.text.length === 0) continue; // blank lines carry nothing
          stats.read++;
          for (const o of pipeline.push(line)) outcomes.push(o);
        }
        m.linesRead.inc({ format: id }, batch.lines.length);
        const published = await publish(outcomes, source, id);
        m.linesParsed.inc({ format: id }, published);
        // Only now, with the batch acknowledged by Kafka, may the checkpoint move past it.
        await batch.commit();
        log.debug(
          { source, lastOffset: batch.lines[batch.lines.length - 1]?.offset, events: published },
          'batch published',
        );
      }
      // The records multi-line formats still hold when the inputs end (read once, not followed).
      for (const [source, { pipeline, id }] of pipelines) await publish(pipeline.end(), source, id);
    } finally {
      await inputs.close();
    }
  }

  return {
    stats: () => ({ ...stats }),
    ready: () => (abort.signal.aborted ? 'stopping' : connected ? null : 'connecting to Kafka'),
    run() {
      running ??= (async () => {
        await producer.connect();
        connected = true;
        await readInputs();
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
