// Group commit for api_audit. Every audited answer waits for its row to be stored, but one
// ClickHouse insert per request would make a MergeTree part per request: dashboards polling
// audited reads could then outrun the merges ("too many parts"). So there is one insert at a time:
// a lone row goes at once, and the rows of answers ready while an insert runs go together in the
// next (optionally no sooner than `intervalMs` after the previous one started). Each caller's
// promise settles with its own batch, rejected if that insert failed, so no answer escapes the
// trail. Hand-written (~40 lines): batching libraries flush on a timer or a tick, not "when the
// previous write is done".

export type InsertRows<Row> = (rows: Row[]) => Promise<void>;

export interface AuditWriterOptions {
  /** Shortest time between the starts of two inserts, in ms (0: as soon as the previous ends). */
  intervalMs: number;
  /** Most rows in one insert; a longer queue goes in consecutive inserts. */
  maxBatch: number;
  /** Most rows waiting; beyond it `write` rejects at once (back-pressure, not an unbounded queue). */
  maxPending: number;
}

interface Waiting<Row> {
  row: Row;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class QueueFull extends Error {}

export class AuditWriter<Row> {
  readonly #insert: InsertRows<Row>;
  readonly #opts: AuditWriterOptions;
  #pending: Waiting<Row>[] = [];
  #running = false;
  #lastStart = Number.NEGATIVE_INFINITY;
  /** Inserts made so far (for tests and metrics). */
  inserts = 0;

  constructor(insert: InsertRows<Row>, opts: AuditWriterOptions) {
    this.#insert = insert;
    this.#opts = opts;
  }

  /** Resolves once `row` is stored; rejects with the insert's error, or QueueFull. */
  write(row: Row): Promise<void> {
    if (this.#pending.length >= this.#opts.maxPending) {
      return Promise.reject(new QueueFull(`${this.#pending.length} api_audit rows already waiting`));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending.length > 0) {
        const wait = this.#lastStart + this.#opts.intervalMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const batch = this.#pending.splice(0, this.#opts.maxBatch);
        this.#lastStart = Date.now();
        this.inserts++;
        try {
          await this.#insert(batch.map((w) => w.row));
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
