// Inputs (files and globs with rotation and checkpoints, stdin, syslog, HTTP ingest; any number at
// once) -> format pipeline (parse -> normalise -> redact) -> AccessEvent (Avro) -> Kafka access.v1;
// rejected records -> deadletter.v1 with reason and position; skipped records counted. Every line,
// blank ones too, goes to the pipeline: the format decides what a blank line is (most skip it).
// Reading waits for each batch to be acknowledged (acks=all): when Kafka is unreachable the send is
// retried with backoff and nothing more is read (back-pressure), so nothing is dropped. Batches are
// committed (file checkpoint, HTTP 200) only after that.
//
// event_id: the pipeline derives it from the source name and the record's position. A file's
// positions are byte offsets, which start over in a new file under the same path (rotation) and after
// a copytruncate, so for files the pipeline is given the file generation to hash instead
// (sources/checkpoints.ts): eventId(generation, position). One pipeline reads one generation; when a source moves on to the next,
// the records the old one still held (multi-line formats) are published first, under the old generation.
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { accessEventPacker } from '#shared/avro/access-batch.js';
import { accessEventCodec } from '#shared/avro/codec.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Config } from '#shared/config.js';
import { ConfigInvalid } from '#shared/errors.js';
import { sendDeadLetters, toDeadLetter } from '#shared/kafka/dead-letter.js';
import { createEventProducer } from '#shared/kafka/producer.js';
import type { DeadLetter } from '#shared/kafka/topics.js';
import type { Logger } from '#shared/log.js';
import { principalKeyMemo } from '#shared/principal.js';
import { retryUntilDelivered } from '#shared/retry.js';
import { createPipeline, type Outcome, type Pipeline } from './formats/pipeline.js';
import { detectFormat, formatById } from './formats/registry.js';
import { collectorMetrics as m, trackListeners } from './metrics.js';
import type { NormalizeOptions } from './normalize/options.js';
import type { Redactor } from './normalize/redact.js';
import {
  type ConfiguredInputs,
  type InputKind,
  inputKindOf,
  inputsFromConfig,
} from './sources/from-config.js';
import { createInputs, type Inputs, type InputsOptions } from './sources/index.js';

export interface CollectorListeners {
  syslogUdp: AddressInfo | null;
  syslogTcp: AddressInfo | null;
  ingest: AddressInfo | null;
}

export interface CollectorStats {
  /** Physical lines read, blank ones included. */
  read: number;
  /** Events published. */
  parsed: number;
  /** Records dead-lettered. */
  rejected: number;
  /** Records the format skips (blank lines, banners). */
  skipped: number;
}

export interface Collector {
  /** Binds the listeners (a taken port fails here); run() calls it if nobody did. Idempotent. */
  start(): Promise<CollectorListeners>;
  /** Resolves when every input has ended (files without follow, no listener) or the collector is stopped. */
  run(): Promise<void>;
  stop(): Promise<void>;
  ready(): string | null;
  stats(): CollectorStats;
}

/** Test and bench knobs, on top of the configuration. */
export interface CollectorExtras {
  /** Stream for the `-` input (default process.stdin). */
  stdin?: Readable;
  fileOptions?: InputsOptions['fileOptions'];
}

/** Sources with a pipeline at once; the least recently used beyond this is ended (many syslog peers). */
const MAX_PIPELINES = 1024;

interface Slot {
  pipeline: Pipeline;
  /** The concrete format id (auto resolved once per source). */
  format: string;
  /** Which input the source is (files, syslog, ingest): the bounded `input` label of the line counters. */
  input: InputKind;
  logFormat: string | undefined;
  /** The file generation the pipeline reads (undefined: not a file). */
  generation: string | undefined;
}

export function createCollector(
  cfg: Readonly<Config>,
  redactor: Redactor,
  normalize: NormalizeOptions,
  log: Logger,
  extras: CollectorExtras = {},
): Collector {
  // Checked before anything connects or binds, every problem at once.
  const configured: ConfiguredInputs = inputsFromConfig(cfg.collector);
  const producer = createEventProducer(cfg, 'leakwatch-collector');
  const codec = accessEventCodec();
  const keyOf = principalKeyMemo(); // the Kafka key of each event, one string per principal
  const pack = accessEventPacker(cfg.collector.eventsPerRecord); // a principal's runs in one record
  const abort = new AbortController();
  const stats: CollectorStats = { read: 0, parsed: 0, rejected: 0, skipped: 0 };
  let connected = false;
  let running: Promise<void> | undefined;
  let starting: Promise<Inputs> | undefined;

  /** Sorts a batch's outcomes into events to publish and dead letters, counting each. */
  function sort(
    outcomes: Outcome[],
    source: string,
    slot: Slot,
    events: AccessEvent[],
    dead: DeadLetter[],
  ): void {
    for (const o of outcomes) {
      if (o.kind === 'event') {
        for (const f of o.event.findings) m.phiFindings.inc({ finding: f });
        events.push(o.event);
      } else if (o.kind === 'rejected') {
        m.linesRejected.inc({ input: slot.input, format: slot.format, reason: o.error.code });
        dead.push(
          toDeadLetter(
            'collector',
            { reason: o.error.code, message: o.error.message, source, position: o.position, record: o.text },
            (text) => redactor.redactText(text).text,
          ),
        );
      } else {
        stats.skipped++;
        m.recordsSkipped.inc({ input: slot.input, format: slot.format, kind: o.what });
      }
    }
  }

  function newSlot(source: string, sample: readonly string[], generation: string | undefined): Slot {
    const choice = configured.formats[inputKindOf(source)];
    let id = choice.format;
    if (id === 'auto') {
      const d = detectFormat(sample.filter((l) => l.length > 0));
      if (d === null)
        throw ConfigInvalid(
          `${source}: cannot tell the log format from its first lines; set COLLECTOR_FORMAT`,
        );
      id = d.id;
      log.info({ source, format: id, sniff: d.score }, 'log format detected');
    }
    return slotOf(source, id, choice.logFormat, generation);
  }

  function slotOf(
    source: string,
    format: string,
    logFormat: string | undefined,
    generation: string | undefined,
  ): Slot {
    const pipeline = createPipeline({
      format: formatById(format),
      formatOptions: logFormat ? { logFormat } : undefined,
      source,
      // A file's generation, so ids differ after a rotation or truncation (sources/file.ts).
      idSource: generation,
      tenant: cfg.tenant,
      redactor,
      normalize,
    });
    return { pipeline, format, input: inputKindOf(source), logFormat, generation };
  }

  /** A batch ready to send: encoded once, so a retry does not encode again. */
  interface Prepared {
    messages: { key: string; value: Buffer }[];
    dead: DeadLetter[];
  }

  async function send({ messages, dead }: Prepared): Promise<void> {
    await retryUntilDelivered(
      async () => {
        if (messages.length) {
          await producer.send(cfg.topics.access, messages, pack);
        }
        if (dead.length) await sendDeadLetters(producer, cfg.topics.deadletter, dead);
      },
      {
        signal: abort.signal, // until the collector stops
        retriable: () => true,
        onRetry: (err, attempt, delay) => {
          m.publishFailures.inc();
          m.backpressure.set(1);
          log.warn(
            { err, attempt, delay, events: messages.length },
            'Kafka send failed; reading paused, retrying',
          );
        },
      },
    );
    m.backpressure.set(0);
  }

  /** Sorts outcomes into encoded events and dead letters. */
  function prepare(outcomes: Outcome[], source: string, slot: Slot): Prepared {
    const events: AccessEvent[] = [];
    const dead: DeadLetter[] = [];
    sort(outcomes, source, slot, events, dead);
    const messages = events.map((e) => ({ key: keyOf(e), value: codec.encode(e) }));
    return { messages, dead };
  }

  /** Sends a prepared batch (acks=all, retried until Kafka takes it) and counts it; returns the events sent. */
  async function deliver(p: Prepared, slot: Slot): Promise<number> {
    if (p.messages.length === 0 && p.dead.length === 0) return 0;
    await send(p);
    stats.parsed += p.messages.length;
    stats.rejected += p.dead.length;
    m.linesParsed.inc({ input: slot.input, format: slot.format }, p.messages.length);
    return p.messages.length;
  }

  async function publish(outcomes: Outcome[], source: string, slot: Slot): Promise<number> {
    return outcomes.length === 0 ? 0 : deliver(prepare(outcomes, source, slot), slot);
  }

  function bind(): Promise<Inputs> {
    starting ??= createInputs({
      ...configured.options,
      ...(extras.stdin && { stdin: extras.stdin }),
      fileOptions: {
        onDamaged: (path, err) => {
          m.inputsDamaged.inc();
          log.warn({ path, offset: (err as { details?: { offset?: number } }).details?.offset }, err.message);
        },
        ...extras.fileOptions,
      },
    }).then((inputs) => {
      trackListeners({
        syslog: () => inputs.syslog?.stats() ?? null,
        ingest: () => inputs.http?.stats() ?? null,
      });
      const listening = listenersOf(inputs);
      if (listening.syslogUdp || listening.syslogTcp || listening.ingest)
        log.info(listening, 'collector listening');
      return inputs;
    });
    return starting;
  }

  /** Every configured input, batch by batch, each committed once durable. */
  async function readInputs(inputs: Inputs): Promise<void> {
    const slots = new Map<string, Slot>();
    // One batch in flight while the next is parsed and encoded (the broker works on the other core
    // meanwhile). Awaiting it before the next send keeps sends and checkpoint commits in order and
    // stops reading while Kafka is slow or down: back-pressure, never more than two batches held.
    let inFlight: Promise<void> = Promise.resolve();
    try {
      for await (const batch of inputs.batches(abort.signal)) {
        const source = batch.source;
        let slot = slots.get(source);
        if (slot !== undefined && slot.generation !== batch.generation) {
          await inFlight;
          // The file started over (rotated, truncated): what the old generation still held ends with it.
          await publish(slot.pipeline.end(), source, slot);
          slot = slotOf(source, slot.format, slot.logFormat, batch.generation);
        }
        if (slot === undefined) {
          slot = newSlot(
            source,
            batch.lines.slice(0, 50).map((l) => l.text),
            batch.generation,
          );
        }
        // Map order = recency: the least recently used source is the first key.
        slots.delete(source);
        slots.set(source, slot);
        if (slots.size > MAX_PIPELINES) {
          const [oldSource, old] = slots.entries().next().value as [string, Slot];
          slots.delete(oldSource);
          await inFlight;
          await publish(old.pipeline.end(), oldSource, old);
        }
        const outcomes = slot.pipeline.pushAll(batch.lines);
        stats.read += batch.lines.length;
        m.linesRead.inc({ input: slot.input, format: slot.format }, batch.lines.length);
        const prepared = prepare(outcomes, source, slot);
        await inFlight;
        const current = slot;
        inFlight = deliver(prepared, current).then(async (published) => {
          // Only now, with the batch acknowledged by Kafka, may the checkpoint move past it.
          await batch.commit();
          log.debug(
            { source, lastOffset: batch.lines[batch.lines.length - 1]?.offset, events: published },
            'batch published',
          );
        });
        // Surfaced by the next await; never an unhandled rejection meanwhile.
        inFlight.catch(() => {});
      }
      await inFlight;
      // The records multi-line formats still hold when the inputs end or the collector stops: their
      // lines are committed already, so this is their only chance.
      for (const [source, slot] of slots) await publish(slot.pipeline.end(), source, slot);
    } finally {
      await inFlight.catch(() => {});
      await inputs.close();
      trackListeners(null);
    }
  }

  return {
    stats: () => ({ ...stats }),
    ready: () => (abort.signal.aborted ? 'stopping' : connected ? null : 'connecting to Kafka'),
    start: async () => listenersOf(await bind()),
    run() {
      running ??= (async () => {
        const inputs = await bind();
        try {
          await producer.connect();
        } catch (err) {
          await inputs.close();
          throw err;
        }
        connected = true;
        await readInputs(inputs);
        log.info(stats, abort.signal.aborted ? 'inputs closed' : 'all inputs read');
      })();
      return running;
    },
    async stop() {
      abort.abort();
      if (running) await running.catch(() => {});
      else if (starting) await (await starting.catch(() => null))?.close();
      await producer.close();
    },
  };
}

function listenersOf(inputs: Inputs): CollectorListeners {
  return {
    syslogUdp: inputs.syslog?.udpAddress() ?? null,
    syslogTcp: inputs.syslog?.tcpAddress() ?? null,
    ingest: inputs.http?.address() ?? null,
  };
}
