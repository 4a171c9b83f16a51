// Packs runs of consecutive messages of one key on one partition into one record (the producer's
// pack option; access-batch.ts is the access topic's packer). A partition receives the same
// values in the same order as unpacked; only record boundaries move, so consumers that split the
// records see exactly the stream they saw before.

/** A message as the producer takes it (see producer.ts). */
export interface PackableMessage {
  key: string;
  value: Buffer | string;
  headers?: Readonly<Record<string, string>>;
}

export interface Packer {
  /** Values per record at most (1: no packing). */
  maxValues: number;
  /** Value bytes per record at most (a run stops before it would pass this). */
  maxBytes: number;
  /** One record value holding `values`, in order. */
  pack(values: readonly Buffer[]): Buffer;
}

interface Run {
  key: string;
  values: Buffer[];
  bytes: number;
  /** Where the run's record goes in the output. */
  at: number;
}

/**
 * Records for `messages`: each maximal run (at most packer.maxValues values and maxBytes bytes) of
 * messages with the same key and no other message on their partition in between becomes one
 * record, keyed as they were, at the place of its first message; a run of one stays as it was.
 * Messages with headers or string values are never packed (their headers would be lost).
 */
export function packRuns<M extends PackableMessage>(
  messages: readonly M[],
  partitionOf: (key: string) => number,
  packer: Packer,
): PackableMessage[] {
  const out: PackableMessage[] = [];
  const runs: Run[] = [];
  /** The latest run on each partition (by partition number). */
  const open = new Map<number, Run | null>();
  for (const m of messages) {
    const p = partitionOf(m.key);
    if (m.headers !== undefined || typeof m.value === 'string') {
      open.set(p, null); // a message that is not packed ends the partition's run
      out.push(m);
      continue;
    }
    const run = open.get(p);
    if (
      run !== undefined &&
      run !== null &&
      run.key === m.key &&
      run.values.length < packer.maxValues &&
      run.bytes + m.value.length <= packer.maxBytes
    ) {
      run.values.push(m.value);
      run.bytes += m.value.length;
      continue;
    }
    const next: Run = { key: m.key, values: [m.value], bytes: m.value.length, at: out.length };
    open.set(p, next);
    runs.push(next);
    out.push(m);
  }
  for (const run of runs) {
    if (run.values.length > 1) out[run.at] = { key: run.key, value: packer.pack(run.values) };
  }
  return out;
}
