// Which id routes a rule's `kinds` setting lets count: `*` is every id route (a route whose
// events named a resource kind: the route table's, or one derived from the collection segment).
// And which object-store requests read a bucket (unauthenticated-sensitive, baselines/bucket-history.ts).
import type { AccessEvent } from '#shared/avro/generated/access-event.js';

/** True when `kind` (null: not an id route) counts under `kinds`. */
export function kindCounts(kinds: readonly string[], kind: string | null): boolean {
  if (kind === null) return false;
  return kinds.includes('*') || kinds.includes(kind);
}

/** HTTP methods (S3 access logs) and CloudTrail event names that read objects or list keys. */
const READS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'GetObject',
  'HeadObject',
  'GetObjectAttributes',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
]);

/** An object read or listing (not a write), whatever its status. */
export function isBucketRead(e: AccessEvent): boolean {
  return e.http_method !== null && READS.has(e.http_method);
}
