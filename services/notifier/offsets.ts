// Which offsets may be committed: per topic-partition, messages in the order they were read, each
// done once every page it caused or was folded into is delivered or dead-lettered. The commit
// point is the first message not done yet (Kafka commits "the next offset to read").
export class OffsetTracker {
  private readonly parts = new Map<
    string,
    { topic: string; partition: number; items: { offset: bigint; done: boolean }[]; committed: bigint | null }
  >();

  /** Registers a message; returns the function that marks it done. */
  add(topic: string, partition: number, offset: string): () => void {
    const key = `${topic}\u0000${partition}`;
    let p = this.parts.get(key);
    if (!p) {
      p = { topic, partition, items: [], committed: null };
      this.parts.set(key, p);
    }
    const item = { offset: BigInt(offset), done: false };
    p.items.push(item);
    return () => {
      item.done = true;
    };
  }

  /** Offsets to commit now (only partitions whose commit point moved). */
  committable(): { topic: string; partition: number; offset: string }[] {
    const out: { topic: string; partition: number; offset: string }[] = [];
    for (const p of this.parts.values()) {
      let next: bigint | null = null;
      while (p.items.length > 0 && p.items[0]?.done)
        next = (p.items.shift() as { offset: bigint }).offset + 1n;
      if (next !== null && next !== p.committed) {
        p.committed = next;
        out.push({ topic: p.topic, partition: p.partition, offset: String(next) });
      }
    }
    return out;
  }

  /** Messages read and not yet committable. */
  get pending(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.items.length;
    return n;
  }

  /** Forgets partitions this member no longer owns (their messages are re-read by the new owner). */
  retain(assigned: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, p] of this.parts) if (!assigned[p.topic]?.includes(p.partition)) this.parts.delete(key);
  }
}
