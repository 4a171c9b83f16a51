// Which id routes a rule's `kinds` setting lets count: `*` is every id route (a route whose
// events named a resource kind: the route table's, or one derived from the collection segment).

/** True when `kind` (null: not an id route) counts under `kinds`. */
export function kindCounts(kinds: readonly string[], kind: string | null): boolean {
  if (kind === null) return false;
  return kinds.includes('*') || kinds.includes(kind);
}
