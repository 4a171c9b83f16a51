// What the collector's pipeline counted over some lines: read, parsed, rejected (by reason),
// skipped (by kind); `parse` and `scan` add the tallies of their files.

export interface Tally {
  lines: number;
  parsed: number;
  rejected: number;
  skipped: number;
  rejectReasons: Record<string, number>;
  skippedKinds: Record<string, number>;
}

export function emptyTally(): Tally {
  return { lines: 0, parsed: 0, rejected: 0, skipped: 0, rejectReasons: {}, skippedKinds: {} };
}

export function addTally(into: Tally, t: Tally): void {
  into.lines += t.lines;
  into.parsed += t.parsed;
  into.rejected += t.rejected;
  into.skipped += t.skipped;
  for (const [k, v] of Object.entries(t.rejectReasons))
    into.rejectReasons[k] = (into.rejectReasons[k] ?? 0) + v;
  for (const [k, v] of Object.entries(t.skippedKinds)) into.skippedKinds[k] = (into.skippedKinds[k] ?? 0) + v;
}

/** `parsed N, rejected M (reason: n, …), skipped K (kind: n, …)` */
export function formatTally(t: Tally): string {
  const list = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  let s = `parsed ${t.parsed}, rejected ${t.rejected}`;
  if (t.rejected > 0) s += ` (${list(t.rejectReasons)})`;
  if (t.skipped > 0) s += `, skipped ${t.skipped} (${list(t.skippedKinds)})`;
  return s + ` from ${t.lines} lines`;
}
