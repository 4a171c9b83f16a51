// How each bucket is read: the learnt state behind "an anonymous read in a private-class bucket"
// (issue 15). A bucket whose objects are read with credentials (IAM users and roles, presigned URLs)
// and an anonymous read served from it is a bucket made public by mistake (an ACL, a policy), even
// when the object's key says nothing (`files/3f2a.pdf`, `uploads/<uuid>`); a website or static
// assets bucket read anonymously all day is not. Which of the two a bucket is, only its history says.
//
// Kept per tenant + bucket (attrs.bucket, from S3 server access logs and CloudTrail data events):
// successful (2xx) reads (GET / HEAD objects, listings; CloudTrail GetObject, HeadObject,
// ListObjects*) counted as authenticated (a requester, a user, an access key: presigned URLs carry
// the signer's key) or anonymous. Refused requests (a scanner's 403s) are not reads and teach
// nothing. Writes neither. The rule decides what the counts mean (unauthenticated-sensitive:
// privateBucketMinReads, privateBucketMinShare); this only counts.
//
// The engine asks before it learns from the event (a read never vouches for itself), and hands the
// counts to the rules as `Baseline.bucket` on storage events. Bounded: at most `maxBuckets` buckets
// (least recently read dropped); a bucket's counts are halved when they reach `halveAt`, so a
// bucket that changes how it is read is re-learnt. In the streaming detector one history is shared
// by every access partition's engine of the process (the requests of a bucket are keyed by many
// principals, on many partitions), as the tenant groups are (tenant-groups.ts); `scan` and the
// golden cases have the engine's own.
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { isBucketRead } from '../rules/kinds.js';
import type { BucketReads } from '../rules/types.js';

export type { BucketReads };

export interface BucketHistoryOptions {
  /** Buckets kept at most (tenant + bucket). Default 10,000. */
  maxBuckets: number;
  /** A bucket's counts are halved when their sum reaches this. Default 100,000. */
  halveAt: number;
}

export const BUCKET_HISTORY_DEFAULTS: Readonly<BucketHistoryOptions> = Object.freeze({
  maxBuckets: 10_000,
  halveAt: 100_000,
});

/** The bucket of an object-store event (attrs.bucket); null for other events. */
export function bucketOf(e: AccessEvent): string | null {
  if (e.source_kind !== 'storage') return null;
  const b = e.attrs['bucket'];
  return b === undefined || b === '' ? null : b;
}

/** Read with credentials: a requester/user, an access key (presigned URL) or a session. */
export function isCredentialed(e: AccessEvent): boolean {
  return e.authenticated || e.user_id !== null || e.api_key_id !== null || e.session_hash !== null;
}

interface Counts {
  authenticated: number;
  anonymous: number;
  at: number;
}

export class BucketHistory {
  private readonly opts: BucketHistoryOptions;
  private readonly buckets = new Map<string, Counts>();
  private clock = 0;

  constructor(opts: Partial<BucketHistoryOptions> = {}) {
    this.opts = { ...BUCKET_HISTORY_DEFAULTS, ...opts };
  }

  /** Buckets with a history. */
  get size(): number {
    return this.buckets.size;
  }

  /** The counts so far for the event's bucket; undefined when it is not a storage event or unseen. */
  get(e: AccessEvent): BucketReads | undefined {
    const bucket = bucketOf(e);
    if (bucket === null) return undefined;
    const c = this.buckets.get(e.tenant + '\u0000' + bucket);
    return c === undefined ? undefined : { authenticated: c.authenticated, anonymous: c.anonymous };
  }

  /** Learns from one event: a successful read of a bucket counts; anything else is ignored. */
  observe(e: AccessEvent): void {
    const bucket = bucketOf(e);
    if (bucket === null || e.status === null || e.status < 200 || e.status >= 300 || !isBucketRead(e)) return;
    const key = e.tenant + '\u0000' + bucket;
    let c = this.buckets.get(key);
    if (c === undefined) {
      if (this.buckets.size >= this.opts.maxBuckets) this.evictStalest();
      c = { authenticated: 0, anonymous: 0, at: 0 };
      this.buckets.set(key, c);
    }
    c.at = ++this.clock;
    if (isCredentialed(e)) c.authenticated++;
    else c.anonymous++;
    if (c.authenticated + c.anonymous >= this.opts.halveAt) {
      c.authenticated = Math.floor(c.authenticated / 2);
      c.anonymous = Math.floor(c.anonymous / 2);
    }
  }

  private evictStalest(): void {
    let stalest: string | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const [k, c] of this.buckets)
      if (c.at < at) {
        at = c.at;
        stalest = k;
      }
    if (stalest !== undefined) this.buckets.delete(stalest);
  }
}
