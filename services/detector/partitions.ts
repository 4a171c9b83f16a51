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
  readonly #create: (topic: string, partition: number) => E;

  constructor(create: (topic: string, partition: number) => E) {
    this.#create = create;
  }

  get(topic: string, partition: number): PartitionState<E> | undefined {
    return this.#states.get(partitionKey(topic, partition));
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

/** A by-route message held until the access partitions' event time has passed it. */
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
  /** Held messages at most; beyond it the oldest are released whatever the watermark. */
  maxHeld: number;
}

interface Frontier {
  /** Newest event time processed on this partition. */
  eventTs: number;
  caughtUp: boolean;
  /** Wall-clock time the partition last advanced (or was assigned). */
  activeAt: number;
}

/**
 * Event-time alignment of the by-route stream across the access partitions a detector owns
 * (DESIGN.md "Scale"; Kafka Streams aligns a task's input partitions the same way). Route-keyed
 * state reads, for one route, events forwarded by every access partition; forwarded as each
 * partition's batches come, one partition's hours arrive before another's during a catch-up, and
 * the route engines see a walk out of order (or drop it as late). So forwards are held here and
 * released in event-time order, up to the watermark: the smallest newest-event time of the owned
 * access partitions that are not idle. Sources keep their offsets uncommitted until their held
 * forwards are sent (safeOffset), so a crash re-forwards them: at least once, as before.
 */
export class ForwardAligner<M> {
  readonly #frontiers = new Map<number, Frontier>();
  #held: HeldForward<M>[] = [];
  readonly #opts: ForwardAlignerOptions;

  constructor(opts: ForwardAlignerOptions) {
    this.#opts = opts;
  }

  /** After a (re)join: the access partitions owned now; held forwards of the others are dropped (their new owner re-forwards them from its committed offset). */
  retain(partitions: readonly number[], now: number): void {
    const owned = new Set(partitions);
    for (const p of this.#frontiers.keys()) if (!owned.has(p)) this.#frontiers.delete(p);
    for (const p of owned)
      if (!this.#frontiers.has(p))
        this.#frontiers.set(p, { eventTs: Number.NEGATIVE_INFINITY, caughtUp: false, activeAt: now });
    this.#held = this.#held.filter((h) => owned.has(h.partition));
  }

  /** Drops a partition's held forwards and frontier (its state was dropped; it is rebuilt and re-forwarded). */
  reset(partition: number, now: number): void {
    this.#held = this.#held.filter((h) => h.partition !== partition);
    if (this.#frontiers.has(partition))
      this.#frontiers.set(partition, { eventTs: Number.NEGATIVE_INFINITY, caughtUp: false, activeAt: now });
  }

  hold(h: HeldForward<M>): void {
    this.#held.push(h);
  }

  /** A batch of `partition` was processed: its newest event time, and whether it reached the log end. */
  progress(partition: number, eventTs: number, caughtUp: boolean, now: number): void {
    const f = this.#frontiers.get(partition) ?? {
      eventTs: Number.NEGATIVE_INFINITY,
      caughtUp,
      activeAt: now,
    };
    if (eventTs > f.eventTs) {
      f.eventTs = eventTs;
      f.activeAt = now;
    }
    f.caughtUp = caughtUp;
    this.#frontiers.set(partition, f);
  }

  /** Event time up to which every owned access partition has been read (+Infinity when all are idle). */
  watermark(now: number): number {
    let w = Number.POSITIVE_INFINITY;
    for (const f of this.#frontiers.values()) {
      const idle =
        now - f.activeAt >= this.#opts.maxIdleMs && (f.caughtUp || f.eventTs === Number.NEGATIVE_INFINITY);
      if (!idle && f.eventTs < w) w = f.eventTs;
    }
    return w;
  }

  /** Held forwards at or before the watermark (and the oldest beyond maxHeld), in event-time order. */
  release(now: number): HeldForward<M>[] {
    if (this.#held.length === 0) return [];
    const w = this.watermark(now);
    this.#held.sort(order);
    let n = 0;
    while (n < this.#held.length && (this.#held[n] as HeldForward<M>).ts <= w) n++;
    n = Math.max(n, this.#held.length - this.#opts.maxHeld);
    if (n === 0) return [];
    const out = this.#held.slice(0, n);
    this.#held = this.#held.slice(n);
    return out;
  }

  /** The lowest offset of `partition` whose forward is still held (commit no further); null if none. */
  safeOffset(partition: number): number | null {
    let low: number | null = null;
    for (const h of this.#held)
      if (h.partition === partition && (low === null || h.offset < low)) low = h.offset;
    return low;
  }

  get held(): number {
    return this.#held.length;
  }
}

function order<M>(a: HeldForward<M>, b: HeldForward<M>): number {
  return a.ts - b.ts || a.appended - b.appended || a.partition - b.partition || a.offset - b.offset;
}
