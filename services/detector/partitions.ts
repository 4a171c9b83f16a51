// Entity state lives with the partition that owns the key (DESIGN.md "Scale"): one engine per
// assigned topic-partition. This module keeps the bookkeeping: which partitions this member owns,
// where each one's state stands, and which offsets are a rebuild (state only) rather than live.

export interface PartitionState<E> {
  readonly topic: string;
  readonly partition: number;
  readonly engine: E;
  /**
   * Offsets below this were processed (and their alerts published) by an earlier owner: they are
   * re-read only to rebuild state, and their alerts are dropped.
   */
  liveFrom: number;
  /** The next offset this state expects; a redelivered message below it is already in the state. */
  next: number;
  /** Newest event time seen (drives idle eviction, which is event time). */
  maxEventTs: number;
  lastFlushTs: number;
  /** Engine late-event count already reported to metrics. */
  lateReported: number;
  /** Offset last committed by this member (access partitions: held forwards keep it back). */
  committed: number;
  /** Offsets below this are fully handled (alerts published): the most a commit may cover. */
  handled: number;
}

export function partitionKey(topic: string, partition: number): string {
  return topic + ':' + partition;
}

export class PartitionStates<E> {
  readonly #states = new Map<string, PartitionState<E>>();
  /** The same states by topic, then partition: get() runs per event and builds no key string. */
  readonly #byTopic = new Map<string, Map<number, PartitionState<E>>>();
  readonly #create: (topic: string, partition: number) => E;

  constructor(create: (topic: string, partition: number) => E) {
    this.#create = create;
  }

  get(topic: string, partition: number): PartitionState<E> | undefined {
    return this.#byTopic.get(topic)?.get(partition);
  }

  /** A fresh state for a newly assigned partition: replays [rebuildFrom, liveFrom) before going live. */
  open(topic: string, partition: number, rebuildFrom: number, liveFrom: number): PartitionState<E> {
    const s: PartitionState<E> = {
      topic,
      partition,
      engine: this.#create(topic, partition),
      liveFrom,
      next: Math.min(rebuildFrom, liveFrom),
      maxEventTs: 0,
      lastFlushTs: 0,
      lateReported: 0,
      committed: liveFrom,
      handled: liveFrom,
    };
    this.#states.set(partitionKey(topic, partition), s);
    let partitions = this.#byTopic.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      this.#byTopic.set(topic, partitions);
    }
    partitions.set(partition, s);
    return s;
  }

  /**
   * After a (re)join: drops the state of partitions this member no longer owns, and of partitions
   * still being rebuilt (the group restarts them from the committed offset, so the rest of the
   * replay would be skipped: they are rebuilt again from scratch). Returns the dropped states.
   */
  retain(assignment: Readonly<Record<string, readonly number[]>>): PartitionState<E>[] {
    const dropped: PartitionState<E>[] = [];
    for (const [key, s] of this.#states) {
      const owned = assignment[s.topic]?.includes(s.partition) ?? false;
      if (!owned || s.next < s.liveFrom) {
        this.#states.delete(key);
        this.#byTopic.get(s.topic)?.delete(s.partition);
        dropped.push(s);
      }
    }
    return dropped;
  }

  values(): IterableIterator<PartitionState<E>> {
    return this.#states.values();
  }

  get size(): number {
    return this.#states.size;
  }
}

/**
 * Where to start re-reading a newly assigned partition: no further back than `horizonMs` of
 * produce time, `maxEvents` messages, or the log start. `byTime` is the first offset at or after
 * now - horizonMs (Kafka answers the log end when there is none).
 */
export function rebuildStart(
  liveFrom: number,
  logStart: number,
  byTime: number,
  opts: { maxEvents: number },
): number {
  if (opts.maxEvents <= 0) return liveFrom;
  return Math.min(liveFrom, Math.max(logStart, byTime, liveFrom - opts.maxEvents));
}

/** A live access event held until every owned access partition has read past its event time. */
export interface HeldForward<M> {
  partition: number;
  offset: number;
  /** Event time. */
  ts: number;
  /** Kafka append time of the source message: ties within a second keep the collector's order. */
  appended: number;
  message: M;
}

export interface ForwardAlignerOptions {
  /**
   * A caught-up partition (nothing left to fetch at its last batch) that has had nothing new for
   * this long stops holding the others back (Kafka Streams' max.task.idle.ms). A partition that
   * was assigned and has not delivered a batch yet holds them for this long too.
   */
  maxIdleMs: number;
  /** Held events at most; beyond it the oldest are released whatever the watermark. */
  maxHeld: number;
}

interface Source<M> {
  /** Newest event time received on this partition. */
  eventTs: number;
  caughtUp: boolean;
  /** Wall-clock time the partition last advanced (or was assigned). */
  activeAt: number;
  /** Held events in offset order; queue[head] is the next. */
  queue: HeldForward<M>[];
  head: number;
}

/**
 * Event-time alignment of the access partitions a detector owns (Kafka Streams aligns a task's
 * input partitions the same way): live events are held per partition and released across
 * partitions in event-time order, up to the watermark, the smallest newest-received event time of
 * the owned partitions that are not idle. Released in that order, the principal engines learn the
 * tenant's peer groups in the order scan does, and the events they forward to the by-route topic
 * reach the route engines in the order they happened, however the partitions catch up. Held
 * events are not processed yet: their partition's offset is committed no further (safeOffset).
 */
export class ForwardAligner<M> {
  readonly #sources = new Map<number, Source<M>>();
  #held = 0;
  readonly #opts: ForwardAlignerOptions;

  constructor(opts: ForwardAlignerOptions) {
    this.#opts = opts;
  }

  #fresh(now: number): Source<M> {
    return { eventTs: Number.NEGATIVE_INFINITY, caughtUp: false, activeAt: now, queue: [], head: 0 };
  }

  /** After a (re)join: the access partitions owned now; what the others held is dropped (their new owner processes it from its committed offset). */
  retain(partitions: readonly number[], now: number): void {
    const owned = new Set(partitions);
    for (const [p, src] of this.#sources)
      if (!owned.has(p)) {
        this.#held -= src.queue.length - src.head;
        this.#sources.delete(p);
      }
    for (const p of owned) if (!this.#sources.has(p)) this.#sources.set(p, this.#fresh(now));
  }

  /** Drops a partition's held events and frontier (its state was dropped: it is rebuilt). */
  reset(partition: number, now: number): void {
    const src = this.#sources.get(partition);
    if (src === undefined) return;
    this.#held -= src.queue.length - src.head;
    this.#sources.set(partition, this.#fresh(now));
  }

  hold(h: HeldForward<M>): void {
    let src = this.#sources.get(h.partition);
    if (src === undefined) {
      src = this.#fresh(Number.NEGATIVE_INFINITY);
      this.#sources.set(h.partition, src);
    }
    src.queue.push(h);
    this.#held++;
  }

  /** A batch of `partition` was received: its newest event time, and whether it reached the log end. */
  progress(partition: number, eventTs: number, caughtUp: boolean, now: number): void {
    let src = this.#sources.get(partition);
    if (src === undefined) {
      src = this.#fresh(now);
      this.#sources.set(partition, src);
    }
    if (eventTs > src.eventTs) {
      src.eventTs = eventTs;
      src.activeAt = now;
    }
    src.caughtUp = caughtUp;
  }

  /** Event time up to which every owned partition has been read (+Infinity when all are idle). */
  watermark(now: number): number {
    let w = Number.POSITIVE_INFINITY;
    for (const f of this.#sources.values()) {
      const idle =
        now - f.activeAt >= this.#opts.maxIdleMs && (f.caughtUp || f.eventTs === Number.NEGATIVE_INFINITY);
      if (!idle && f.eventTs < w) w = f.eventTs;
    }
    return w;
  }

  /** Held events at or before the watermark (and the oldest beyond maxHeld), merged across partitions in event-time order. */
  release(now: number): HeldForward<M>[] {
    if (this.#held === 0) return [];
    const w = this.watermark(now);
    const out: HeldForward<M>[] = [];
    for (;;) {
      let best: Source<M> | null = null;
      for (const src of this.#sources.values()) {
        if (src.head >= src.queue.length) continue;
        if (
          best === null ||
          before(src.queue[src.head] as HeldForward<M>, best.queue[best.head] as HeldForward<M>)
        )
          best = src;
      }
      if (best === null) break;
      const h = best.queue[best.head] as HeldForward<M>;
      if (h.ts > w && this.#held <= this.#opts.maxHeld) break;
      out.push(h);
      best.head++;
      this.#held--;
      if (best.head === best.queue.length) {
        best.queue = [];
        best.head = 0;
      } else if (best.head > 4096 && best.head * 2 > best.queue.length) {
        best.queue = best.queue.slice(best.head);
        best.head = 0;
      }
    }
    return out;
  }

  /** The lowest offset of `partition` still held (commit no further); null if none. */
  safeOffset(partition: number): number | null {
    const src = this.#sources.get(partition);
    if (src === undefined || src.head >= src.queue.length) return null;
    return (src.queue[src.head] as HeldForward<M>).offset;
  }

  get held(): number {
    return this.#held;
  }
}

function before<M>(a: HeldForward<M>, b: HeldForward<M>): boolean {
  return (a.ts - b.ts || a.appended - b.appended || a.partition - b.partition || a.offset - b.offset) < 0;
}
