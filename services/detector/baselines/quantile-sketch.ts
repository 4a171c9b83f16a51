// Mergeable quantile sketches for baseline features (window totals: events, bytes, rows, distinct
// resources; never negative). DDSketch's logarithmic mapping (Masson, Rim, Lee, VLDB 2019) with a
// sparse store: a value v > 0 falls in bin k = ceil(log_g(v)), g = (1 + a) / (1 - a), so every value
// of a bin lies within a factor g of every other; zeros have a bin of their own. Each bin keeps its
// count and the sum of its values, and answers with their mean: exact whenever a bin holds one
// distinct value (small integers, repeated values: most windows), and within a relative error of
// g - 1 = 2a / (1 - a) of the true order statistic otherwise. With a = 0.005 that is 1.005%.
//
// A SketchSet holds many such sketches, one per slot (a feature, or an hour of week x a feature),
// in ONE sorted list of bins (three plain arrays), so that an entity's history is a handful of
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

export class SketchSet {
  /** slot x SLOT_SPAN + bin, increasing. */
  private keys: number[] = [];
  private counts: number[] = [];
  private sums: number[] = [];

  /** Bins held, every slot together. */
  get bins(): number {
    return this.keys.length;
  }

  clear(): void {
    this.keys.length = 0;
    this.counts.length = 0;
    this.sums.length = 0;
  }

  /** First bin index with key >= key. */
  private lowerBound(key: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as number) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(slot: number, v: number): void {
    const key = slot * SLOT_SPAN + binOf(v);
    const keys = this.keys;
    const size = keys.length;
    // appends (a slot's largest value so far) are common: try the end first
    const at = size > 0 && (keys[size - 1] as number) < key ? size : this.lowerBound(key);
    if (at < size && keys[at] === key) {
      (this.counts[at] as number)++;
      (this.sums[at] as number) += v;
      return;
    }
    keys.push(key);
    this.counts.push(1);
    this.sums.push(v);
    if (at === size) return;
    const counts = this.counts;
    const sums = this.sums;
    for (let i = size; i > at; i--) {
      keys[i] = keys[i - 1] as number;
      counts[i] = counts[i - 1] as number;
      sums[i] = sums[i - 1] as number;
    }
    keys[at] = key;
    counts[at] = 1;
    sums[at] = v;
  }

  /** Adds other's slots [fromSlot, toSlot) as slots (slot - shift): a linear merge. */
  merge(other: SketchSet, fromSlot = 0, toSlot = MAX_SLOTS, shift = 0): void {
    const lo = fromSlot === 0 ? 0 : other.lowerBound(fromSlot * SLOT_SPAN);
    const hi = toSlot >= MAX_SLOTS ? other.keys.length : other.lowerBound(toSlot * SLOT_SPAN);
    if (hi <= lo) return;
    const d = shift * SLOT_SPAN;
    const ak = this.keys;
    const ac = this.counts;
    const as = this.sums;
    const bk = other.keys;
    const bc = other.counts;
    const bs = other.sums;
    const na = ak.length;
    if (na === 0 || (ak[na - 1] as number) < (bk[lo] as number) - d) {
      for (let j = lo; j < hi; j++) {
        ak.push((bk[j] as number) - d);
        ac.push(bc[j] as number);
        as.push(bs[j] as number);
      }
      return;
    }
    // Merge from the top down in place: room for both first.
    const total = na + (hi - lo);
    for (let j = lo; j < hi; j++) {
      ak.push(0);
      ac.push(0);
      as.push(0);
    }
    let i = na - 1;
    let j = hi - 1;
    let w = total - 1;
    while (j >= lo) {
      const kb = (bk[j] as number) - d;
      const ka = i >= 0 ? (ak[i] as number) : -1;
      if (ka > kb) {
        ak[w] = ka;
        ac[w] = ac[i] as number;
        as[w] = as[i] as number;
        i--;
      } else if (ka === kb) {
        ak[w] = kb;
        ac[w] = (ac[i] as number) + (bc[j] as number);
        as[w] = (as[i] as number) + (bs[j] as number);
        i--;
        j--;
      } else {
        ak[w] = kb;
        ac[w] = bc[j] as number;
        as[w] = bs[j] as number;
        j--;
      }
      w--;
    }
    // Bins merged into one left a gap at the bottom: close it.
    const gap = w - i;
    if (gap > 0) {
      for (let t = w + 1; t < total; t++) {
        ak[t - gap] = ak[t] as number;
        ac[t - gap] = ac[t] as number;
        as[t - gap] = as[t] as number;
      }
      ak.length = total - gap;
      ac.length = total - gap;
      as.length = total - gap;
    }
  }

  /** Bin index range [from, to) of a slot. */
  private range(slot: number): [number, number] {
    return [this.lowerBound(slot * SLOT_SPAN), this.lowerBound((slot + 1) * SLOT_SPAN)];
  }

  private value(i: number): number {
    return (this.sums[i] as number) / (this.counts[i] as number);
  }

  /** Values in a slot. */
  count(slot: number): number {
    const [from, to] = this.range(slot);
    let n = 0;
    for (let i = from; i < to; i++) n += this.counts[i] as number;
    return n;
  }

  /** The slot's q-quantile (0..1), type-7 interpolation; NaN when empty. */
  quantile(slot: number, q: number): number {
    const [from, to] = this.range(slot);
    return this.quantileIn(from, to, this.countIn(from, to), q);
  }

  private countIn(from: number, to: number): number {
    let n = 0;
    for (let i = from; i < to; i++) n += this.counts[i] as number;
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
      seen += this.counts[i] as number;
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
        seen += this.counts[down] as number;
        down--;
      } else {
        d = du;
        seen += this.counts[up] as number;
        up++;
      }
      if (Number.isNaN(dLo) && seen > lo) dLo = d;
      if (seen > hi) return dLo + (d - dLo) * (r - lo);
    }
    return Number.isNaN(dLo) ? 0 : dLo;
  }

  /** The slot's median absolute deviation. */
  mad(slot: number): number {
    const [from, to] = this.range(slot);
    const n = this.countIn(from, to);
    return this.madIn(from, to, n, this.quantileIn(from, to, n, 0.5));
  }

  /** The slot's median, p95, MAD and n. */
  summary(slot: number): BaselineSummary {
    const [from, to] = this.range(slot);
    const n = this.countIn(from, to);
    const p50 = this.quantileIn(from, to, n, 0.5);
    return { p50, p95: this.quantileIn(from, to, n, 0.95), mad: this.madIn(from, to, n, p50), n };
  }
}
