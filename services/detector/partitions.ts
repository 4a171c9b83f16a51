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
