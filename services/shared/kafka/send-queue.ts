// One request in flight at a time; what callers queue meanwhile goes out merged in the next request,
// up to a size limit (a caller's own items are never split). Each caller learns the outcome of the
// request that carried its items.

export type SendQueue<T> = (items: readonly T[], bytes: number) => Promise<void>;

interface Pending<T> {
  items: readonly T[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createSendQueue<T>(
  sendMerged: (items: T[]) => Promise<void>,
  maxMergedBytes: number,
): SendQueue<T> {
  const queue: Pending<T>[] = [];
  let sending = false;

  async function drain(): Promise<void> {
    sending = true;
    while (queue.length > 0) {
      const take = [queue.shift()!];
      let bytes = take[0]!.bytes;
      while (queue.length > 0 && bytes + queue[0]!.bytes <= maxMergedBytes) {
        bytes += queue[0]!.bytes;
        take.push(queue.shift()!);
      }
      const items: T[] = [];
      for (const p of take) for (const item of p.items) items.push(item);
      try {
        await sendMerged(items);
        for (const p of take) p.resolve();
      } catch (err) {
        for (const p of take) p.reject(err);
      }
    }
    sending = false;
  }

  return (items, bytes) => {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      queue.push({ items, bytes, resolve, reject });
      if (!sending) void drain();
    });
  };
}
