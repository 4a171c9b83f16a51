// Mergeable quantile sketches for baseline features (window totals: events, bytes, rows, distinct
// resources; never negative). DDSketch's logarithmic mapping (Masson, Rim, Lee, VLDB 2019) with a
// sparse store: a value v > 0 falls in bin k = ceil(log_g(v)), g = (1 + a) / (1 - a), so every value
// of a bin lies within a factor g of every other; zeros have a bin of their own. Each bin keeps its
// count and the sum of its values, and answers with their mean: exact whenever a bin holds one
// distinct value (small integers, repeated values: most windows), and within a relative error of
// g - 1 = 2a / (1 - a) of the true order statistic otherwise. With a = 0.005 that is 1.005%.
//
// A SketchSet holds many such sketches, one per slot (a feature, or an hour of week x a feature),
// in ONE sorted list of bins (one typed array), so that an entity's history is a handful of
// objects, not one per feature and hour: allocation is what a scan over 100,000 entities pays for.
//
// - add: a binary search over the bins and, for a value in a new bin, a shift of the bins above it.
//   The number of bins of a slot is bounded by the range of its values, not by how many were added
//   (log(max/min) / log(g): 1,382 bins for 1 .. 10^6), and never exceeds the values added.
// - merge: a linear merge of two sorted bin lists; sketches of disjoint sets of windows merge into
//   exactly the sketch of their union, in any order.
// - quantile(q): type-7 interpolation (the R and simple-statistics default) between the values at
//   ranks floor and ceil of q (n - 1), each read from its bin: one walk over the slot's bins.
// - mad(): the median of |x - median|, from the bins alone: the bins below the median, walked down,
//   and the bins above it, walked up, are each in increasing distance from the median, so merging
//   the two walks visits the deviations in order (no sort). Each deviation is off by at most the
//   error of its bin plus that of the median: |err| <= 1.005% x (x + median), hence the MAD is off
//   by at most about 1% x (2 x median + MAD). Relative to the MAD that is small whenever the MAD is
//   not much smaller than the median, which is the only case where the egress rule's threshold
//   (max(p95 x 10, median + 8 x 1.4826 x MAD)) is set by the MAD: there (MAD >= 0.75 x median)
//   the MAD is within ~3.7% (and exact when each bin holds one distinct value).
import type { BaselineSummary } from '#shared/avro/generated/alert.js';

/** Relative accuracy of the bin mapping (half the error bound of a bin's mean, see above). */
export const SKETCH_ALPHA = 0.005;
const GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
/** Values at or below this count as zero (features are whole numbers). */
const ZERO = 1e-9;
/** Bin keys of one slot: the zeros at 0, value bins at OFFSET + k for |k| < OFFSET (1e-35 .. 1e35). */
const OFFSET = 8192;
export const SLOT_SPAN = 2 * OFFSET;
/** Slots a set can hold (keys stay small integers). */
export const MAX_SLOTS = 1 << 16;

function binOf(v: number): number {
  if (!(v > ZERO)) return 0;
  const k = Math.ceil(Math.log(v) * INV_LN_GAMMA);
  return OFFSET + (k < 1 - OFFSET ? 1 - OFFSET : k >= OFFSET ? OFFSET - 1 : k);
}

const EMPTY = new Float64Array(0);
/** Bins a set makes room for at first. */
const MIN_BINS = 8;

export class SketchSet {
  /**
   * Bin i is (key, count, sum) at 3i, 3i + 1, 3i + 2; key = slot x SLOT_SPAN + bin, increasing.
   * One typed array, not three plain ones: a new bin shifts the bins above it with one copyWithin
   * (a memmove), where element-by-element moves of three arrays were half of what add() cost.
   * Keys and counts are small integers, exact in a double; sums are the doubles they always were.
   */
  private b: Float64Array = EMPTY;
  private size = 0;

  /** Bins held, every slot together. */
  get bins(): number {
    return this.size;
  }

  clear(): void {
    this.size = 0;
  }

  /** Room for `more` bins beyond size. */
  private reserve(more: number): void {
    const need = 3 * (this.size + more);
    if (need <= this.b.length) return;
    const grown = new Float64Array(Math.max(need, 2 * this.b.length, 3 * MIN_BINS));
    grown.set(this.b.subarray(0, 3 * this.size));
    this.b = grown;
  }

  /** First bin index with key >= key. */
  private lowerBound(key: number): number {
    const b = this.b;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((b[3 * mid] as number) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(slot: number, v: number): void {
    const key = slot * SLOT_SPAN + binOf(v);
    const size = this.size;
    // appends (a slot's largest value so far) are common: try the end first
    const at = size > 0 && (this.b[3 * size - 3] as number) < key ? size : this.lowerBound(key);
    if (at < size && this.b[3 * at] === key) {
      (this.b[3 * at + 1] as number)++;
      (this.b[3 * at + 2] as number) += v;
      return;
    }
    this.reserve(1);
    const b = this.b;
    if (at < size) b.copyWithin(3 * at + 3, 3 * at, 3 * size);
    b[3 * at] = key;
    b[3 * at + 1] = 1;
    b[3 * at + 2] = v;
    this.size = size + 1;
  }

  /** Appends a bin above every bin held (DenseSketchSet.writeTo). */
  appendBin(key: number, count: number, sum: number): void {
    this.reserve(1);
    const at = 3 * this.size;
    this.b[at] = key;
    this.b[at + 1] = count;
    this.b[at + 2] = sum;
    this.size++;
  }

  /** Adds other's slots [fromSlot, toSlot) as slots (slot - shift): a linear merge. */
  merge(other: SketchSet, fromSlot = 0, toSlot = MAX_SLOTS, shift = 0): void {
    const lo = fromSlot === 0 ? 0 : other.lowerBound(fromSlot * SLOT_SPAN);
    const hi = toSlot >= MAX_SLOTS ? other.size : other.lowerBound(toSlot * SLOT_SPAN);
    if (hi <= lo) return;
    const d = shift * SLOT_SPAN;
    const na = this.size;
    this.reserve(hi - lo);
    const a = this.b;
    const o = other.b;
    if (na === 0 || (a[3 * na - 3] as number) < (o[3 * lo] as number) - d) {
      a.set(o.subarray(3 * lo, 3 * hi), 3 * na);
      if (d !== 0) for (let w = 3 * na; w < 3 * (na + hi - lo); w += 3) (a[w] as number) -= d;
      this.size = na + (hi - lo);
      return;
    }
    // Merge from the top down in place (room for both reserved above).
    const total = na + (hi - lo);
    let i = na - 1;
    let j = hi - 1;
    let w = total - 1;
    while (j >= lo) {
      const kb = (o[3 * j] as number) - d;
      const ka = i >= 0 ? (a[3 * i] as number) : -1;
      if (ka > kb) {
        a[3 * w] = ka;
        a[3 * w + 1] = a[3 * i + 1] as number;
        a[3 * w + 2] = a[3 * i + 2] as number;
        i--;
      } else if (ka === kb) {
        a[3 * w] = kb;
        a[3 * w + 1] = (a[3 * i + 1] as number) + (o[3 * j + 1] as number);
        a[3 * w + 2] = (a[3 * i + 2] as number) + (o[3 * j + 2] as number);
        i--;
        j--;
      } else {
        a[3 * w] = kb;
        a[3 * w + 1] = o[3 * j + 1] as number;
        a[3 * w + 2] = o[3 * j + 2] as number;
        j--;
      }
      w--;
    }
    // Bins merged into one left a gap at the bottom: close it.
    const gap = w - i;
    if (gap > 0) a.copyWithin(3 * (w + 1 - gap), 3 * (w + 1), 3 * total);
    this.size = total - gap;
  }

  /** First bin index of a slot; its bins are [first(slot), first(slot + 1)). */
  private first(slot: number): number {
    return this.lowerBound(slot * SLOT_SPAN);
  }

  private value(i: number): number {
    return (this.b[3 * i + 2] as number) / (this.b[3 * i + 1] as number);
  }

  /** Values in a slot. */
  count(slot: number): number {
    const from = this.first(slot);
    const to = this.first(slot + 1);
    let n = 0;
    for (let i = from; i < to; i++) n += this.b[3 * i + 1] as number;
    return n;
  }

  /** The slot's q-quantile (0..1), type-7 interpolation; NaN when empty. */
  quantile(slot: number, q: number): number {
    const from = this.first(slot);
    const to = this.first(slot + 1);
    return this.quantileIn(from, to, this.countIn(from, to), q);
  }

  private countIn(from: number, to: number): number {
    let n = 0;
    for (let i = from; i < to; i++) n += this.b[3 * i + 1] as number;
    return n;
  }

  private quantileIn(from: number, to: number, n: number, q: number): number {
    if (n === 0) return Number.NaN;
    const r = q * (n - 1);
    const lo = Math.floor(r);
    const hi = Math.ceil(r);
    let seen = 0;
    let vLo = Number.NaN;
    for (let i = from; i < to; i++) {
      seen += this.b[3 * i + 1] as number;
      if (Number.isNaN(vLo) && seen > lo) vLo = this.value(i);
      if (seen > hi) return vLo + (this.value(i) - vLo) * (r - lo);
    }
    return this.value(to - 1);
  }

  private madIn(from: number, to: number, n: number, median: number): number {
    if (n === 0) return Number.NaN;
    // first bin above the median: bins below walk down, bins from it walk up
    let up = from;
    while (up < to && this.value(up) <= median) up++;
    let down = up - 1;
    const r = 0.5 * (n - 1);
    const lo = Math.floor(r);
    const hi = Math.ceil(r);
    let seen = 0;
    let dLo = Number.NaN;
    while (down >= from || up < to) {
      const dd = down >= from ? median - this.value(down) : Infinity;
      const du = up < to ? this.value(up) - median : Infinity;
      let d: number;
      if (dd <= du) {
        d = dd;
        seen += this.b[3 * down + 1] as number;
        down--;
      } else {
        d = du;
        seen += this.b[3 * up + 1] as number;
        up++;
      }
      if (Number.isNaN(dLo) && seen > lo) dLo = d;
      if (seen > hi) return dLo + (d - dLo) * (r - lo);
    }
    return Number.isNaN(dLo) ? 0 : dLo;
  }

  /** The slot's median absolute deviation. */
  mad(slot: number): number {
    const from = this.first(slot);
    const to = this.first(slot + 1);
    const n = this.countIn(from, to);
    return this.madIn(from, to, n, this.quantileIn(from, to, n, 0.5));
  }

  /** The slot's median, p95, MAD and n. */
  summary(slot: number): BaselineSummary {
    const from = this.first(slot);
    const to = this.first(slot + 1);
    const n = this.countIn(from, to);
    const p50 = this.quantileIn(from, to, n, 0.5);
    return { p50, p95: this.quantileIn(from, to, n, 0.95), mad: this.madIn(from, to, n, p50), n };
  }
}

/** Bins a dense slot grows by beyond the bin that did not fit (on each side). */
const DENSE_PAD = 64;

/**
 * The same sketches as a SketchSet of `slots` slots, for sets that take many values (the peer and
 * tenant groups: thousands of windows, a thousand bins a slot): each slot's bins are a dense
 * range of counts and sums indexed by bin (zeros apart), so add() is an index, not a binary search
 * and a shift. Read through writeTo(), which lays the bins out as the SketchSet that took the same
 * adds would hold them (same keys, counts and sums, in the same order).
 */
export class DenseSketchSet {
  /** Per slot: first bin of its range, and counts and sums over the range. */
  private readonly lo: number[];
  private readonly counts: Float64Array[];
  private readonly sums: Float64Array[];
  private readonly zeroCounts: number[];
  private readonly zeroSums: number[];

  constructor(private readonly slots: number) {
    this.lo = new Array<number>(slots).fill(0);
    this.counts = Array.from({ length: slots }, () => EMPTY);
    this.sums = Array.from({ length: slots }, () => EMPTY);
    this.zeroCounts = new Array<number>(slots).fill(0);
    this.zeroSums = new Array<number>(slots).fill(0);
  }

  clear(): void {
    for (let s = 0; s < this.slots; s++) {
      (this.counts[s] as Float64Array).fill(0);
      (this.sums[s] as Float64Array).fill(0);
      this.zeroCounts[s] = 0;
      this.zeroSums[s] = 0;
    }
  }

  add(slot: number, v: number): void {
    const bin = binOf(v);
    if (bin === 0) {
      // the first value is the sum as it is (a SketchSet's new bin holds v, not 0 + v)
      const c = this.zeroCounts[slot] as number;
      this.zeroSums[slot] = c === 0 ? v : (this.zeroSums[slot] as number) + v;
      this.zeroCounts[slot] = c + 1;
      return;
    }
    let counts = this.counts[slot] as Float64Array;
    let i = bin - (this.lo[slot] as number);
    if (i < 0 || i >= counts.length) {
      this.grow(slot, bin);
      counts = this.counts[slot] as Float64Array;
      i = bin - (this.lo[slot] as number);
    }
    const sums = this.sums[slot] as Float64Array;
    const c = counts[i] as number;
    sums[i] = c === 0 ? v : (sums[i] as number) + v;
    counts[i] = c + 1;
  }

  /** Widens a slot's range to hold bin. */
  private grow(slot: number, bin: number): void {
    const counts = this.counts[slot] as Float64Array;
    const lo = this.lo[slot] as number;
    const held = counts.length > 0;
    const from = Math.max(1, Math.min(held ? lo : bin, bin) - DENSE_PAD);
    const to = Math.min(SLOT_SPAN, Math.max(held ? lo + counts.length : bin + 1, bin + 1) + DENSE_PAD);
    const c = new Float64Array(to - from);
    const s = new Float64Array(to - from);
    if (held) {
      c.set(counts, lo - from);
      s.set(this.sums[slot] as Float64Array, lo - from);
    }
    this.lo[slot] = from;
    this.counts[slot] = c;
    this.sums[slot] = s;
  }

  /** Appends every slot's bins to `into` (empty, or holding only lower keys), in key order. */
  writeTo(into: SketchSet): void {
    for (let s = 0; s < this.slots; s++) {
      const base = s * SLOT_SPAN;
      const zc = this.zeroCounts[s] as number;
      if (zc > 0) into.appendBin(base, zc, this.zeroSums[s] as number);
      const counts = this.counts[s] as Float64Array;
      const sums = this.sums[s] as Float64Array;
      const lo = this.lo[s] as number;
      for (let i = 0; i < counts.length; i++) {
        const c = counts[i] as number;
        if (c > 0) into.appendBin(base + lo + i, c, sums[i] as number);
      }
    }
  }
}
