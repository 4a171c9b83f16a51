// Helpers for the scenario tests.

/** Longest run in the distinct ids (sorted) where consecutive ids differ by at most maxGap. */
export function longestRunLength(ids: readonly number[], maxGap: number): number {
  const s = [...new Set(ids)].sort((a, b) => a - b);
  let best = s.length > 0 ? 1 : 0;
  let run = 1;
  for (let i = 1; i < s.length; i++) {
    run = (s[i] as number) - (s[i - 1] as number) <= maxGap ? run + 1 : 1;
    if (run > best) best = run;
  }
  return best;
}
