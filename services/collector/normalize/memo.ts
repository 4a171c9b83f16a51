// Memo for the per-string steps of recordToAccessEvent that are pure functions of their input:
// a request target's redaction and route (for one redactor and one route table), a user agent's
// redaction. Real logs repeat both heavily (the 10,000-line Apache sample has 1,498 distinct
// targets and 559 user agents), and those steps were about half of the normalisation time.
//
// Why not a Map: a Map hashes every character of a key that was just cut from a new line (about
// 150 ns for a 110-character user agent on Node 20, as much as the work saved). Here the slot comes
// from a hash of the length and at most 24 characters, and the key is then compared whole, so a
// collision costs a miss, never a wrong value.
//
// Like the redactor's token memo, a memo holds raw values (targets may carry PHI in their query)
// in this process's memory only; nothing here is logged or sent.
import { flatCopy } from '#shared/flat-copy.js';

/** Length and sampled characters: every one of a short key, ~16 spread over a long one, the last 8. */
function sampledHash(s: string): number {
  const n = s.length;
  let h = n;
  const step = n <= 16 ? 1 : (n >>> 4) + 1;
  for (let i = 0; i < n; i += step) h = Math.imul(h ^ s.charCodeAt(i), 0x9e3779b1);
  // Ids and query values sit at the end of targets: never skip those characters.
  if (step > 1) for (let i = n - 8; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x85ebca6b);
  return h ^ (h >>> 15);
}

/**
 * A bounded memo from string keys to computed values: a fixed table of two-entry sets (the most
 * recently used entry of a set first), keys longer than maxKeyLength never memoised. The value of
 * a new key is computed from a detached copy of it, so nothing kept refers to the caller's line.
 */
export class StringMemo<V> {
  readonly #keys: Array<string | undefined>;
  readonly #values: Array<V | undefined>;
  readonly #setMask: number;
  readonly #maxKeyLength: number;

  /** slots: a power of two (two per set). */
  constructor(slots: number, maxKeyLength: number) {
    if (!Number.isInteger(Math.log2(slots)) || slots < 2) throw new RangeError('slots: a power of two >= 2');
    this.#keys = new Array<string | undefined>(slots).fill(undefined);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
    this.#setMask = (slots - 1) & ~1;
    this.#maxKeyLength = maxKeyLength;
  }

  /** compute(key), memoised. compute must be a pure function of the key's characters. */
  get(key: string, compute: (key: string) => V): V {
    if (key.length > this.#maxKeyLength) return compute(key);
    const keys = this.#keys;
    const values = this.#values;
    const i = sampledHash(key) & this.#setMask;
    if (keys[i] === key) return values[i] as V;
    const k1 = keys[i + 1];
    if (k1 === key) {
      const v1 = values[i + 1] as V;
      keys[i + 1] = keys[i];
      values[i + 1] = values[i];
      keys[i] = k1;
      values[i] = v1;
      return v1;
    }
    const k = flatCopy(key);
    const v = compute(k);
    keys[i + 1] = keys[i];
    values[i + 1] = values[i];
    keys[i] = k;
    values[i] = v;
    return v;
  }
}
