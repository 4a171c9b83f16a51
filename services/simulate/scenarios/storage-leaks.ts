// Leaks on object-store logs (S3 server access logs and CloudTrail data events), in the telehealth
// bucket of storage-background.ts:
// - unauthenticated-sensitive: recordings read anonymously (a bucket ACL or policy made public:
//   requester `-`), an anonymous listing of the recordings prefix, a nightly export read anonymously;
// - media-enumeration: intake call recordings (`call-000101.mp3`, `-000102`…) walked in order with a
//   leaked access key;
// - distinct-resource-burst: a compromised role reading dozens of recordings (UUID names) in minutes;
// - id-probing: recording keys guessed anonymously, refused 403;
// - egress: gigabytes of recordings and exports pulled with a leaked key in ten minutes; and a
//   nightly backup copy that is quiet once learnt, until it reads 3x its usual (storage-nightly.ts).
// - unauthenticated-sensitive also: objects whose keys name nothing sensitive (`files/3f2a.pdf`,
//   `uploads/<uuid>.pdf`) read anonymously from the media bucket, which is otherwise read only
//   with credentials and presigned URLs (a private-class bucket made public). The public website
//   and static-assets buckets of the background are read anonymously all day and raise nothing.
import { browserUa, toolUa } from '../agents.js';
import type { IpAllocator } from '../ips.js';
import type { Rng } from '../prng.js';
import { callKey, clipBytes, dayPath, exportKey, MEDIA_BUCKET, recordingKey } from '../storage-background.js';
import { STORAGE_ACCOUNT, type StorageLine, storageLine } from '../storage-format.js';
import { routeEntity } from './common.js';
import { storageNightlyBackup } from './storage-nightly.js';
import type { StorageScenarioClass } from './storage-types.js';
import { type LabelEntity, MIN, pace, type ScenarioContext } from './types.js';

const AWS_CLI_UA = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.cp';

/** The path-style target of a key (what route templates are made from). */
function objectTarget(key: string): string {
  return `/${MEDIA_BUCKET}/${key}`;
}

/** Who sends a scenario's requests: an anonymous address, or an IAM principal with its key. */
interface Actor {
  ip: string;
  ua: string;
  requester?: string;
  accessKeyId?: string;
}

/** An anonymous client (requester `-`) from the allocator's next address. */
function anonymousActor(rng: Rng, ips: IpAllocator, ua = toolUa(rng)): Actor {
  return { ip: ips.take(), ua };
}

/** An IAM principal's leaked key used from an attacker's address, with the AWS CLI. */
function leakedKey(rng: Rng, requester: string, accessKeyId: string): Actor {
  return { ip: `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`, ua: AWS_CLI_UA, requester, accessKeyId };
}

/** What differs between a scenario's requests; a GET of the media bucket unless said otherwise. */
type Request = Pick<StorageLine, 'status' | 'bytes'> &
  Partial<Pick<StorageLine, 'op' | 'bucket' | 'key' | 'prefix'>>;

/** One request by `who` at each time; `each` says what it asks for. */
function requests(
  who: Actor,
  times: readonly number[],
  each: (ts: number, i: number) => Request,
): StorageLine[] {
  return times.map((ts, i) => {
    const r = each(ts, i);
    return storageLine({
      ts,
      ip: who.ip,
      ua: who.ua,
      ...(who.requester === undefined ? {} : { requester: who.requester }),
      ...(who.accessKeyId === undefined ? {} : { accessKeyId: who.accessKeyId }),
      op: 'get',
      bucket: MEDIA_BUCKET,
      ...r,
    });
  });
}

/** `count` requests by `who`, `gapMs` apart, squeezed into the variant's duration; `each` says what. */
function paced(
  { rng, t0, durationMs }: ScenarioContext,
  who: Actor,
  count: [number, number],
  gapMs: [number, number],
  each: (ts: number, i: number) => Request,
): StorageLine[] {
  const n = rng.int(count[0], count[1]);
  return requests(who, pace(rng, t0, n, gapMs[0], gapMs[1], durationMs), each);
}

/** An anonymous client's reads (label: its address). */
function anonymousReads(
  who: Actor,
  attack: StorageLine[],
  description: string,
): { entities: LabelEntity[]; attack: StorageLine[]; description: string } {
  return {
    entities: [{ type: 'client_ip', raw: who.ip }],
    attack,
    description: `${description} from ${who.ip}`,
  };
}

/** A generic object name: what a bucket holds besides recordings and exports (names no kind). */
function genericKey(rng: Rng, i: number): string {
  return i % 2 === 0 ? `files/${rng.hex(4)}.pdf` : `uploads/${rng.uuid()}.pdf`;
}

export const storageUnauthenticatedSensitive: StorageScenarioClass = {
  id: 'unauthenticated-sensitive',
  variants: [
    {
      intensity: 'anonymous-recordings',
      platform: 's3',
      durationMs: 5 * MIN,
      build(ctx) {
        const { rng } = ctx;
        const who = anonymousActor(rng, ctx.ips);
        const attack = paced(ctx, who, [3, 8], [5_000, 40_000], (ts) => ({
          key: recordingKey(ts - rng.int(0, 3) * 86_400_000, rng.uuid()),
          status: 200,
          bytes: clipBytes(rng),
        }));
        return anonymousReads(
          who,
          attack,
          `${attack.length} consultation recordings (UUID names in date folders) read anonymously (requester -)`,
        );
      },
    },
    {
      intensity: 'anonymous-listing',
      platform: 's3',
      durationMs: 3 * MIN,
      build(ctx) {
        const { rng } = ctx;
        const who = anonymousActor(rng, ctx.ips);
        const attack = paced(ctx, who, [2, 4], [3_000, 30_000], (ts, i) => ({
          op: 'list',
          prefix: i === 0 ? 'recordings/' : `recordings/${dayPath(ts - i * 86_400_000)}/`,
          status: 200,
          bytes: rng.int(20_000, 90_000),
        }));
        return anonymousReads(
          who,
          attack,
          `Anonymous listing of the recordings prefix (${attack.length} ListObjects)`,
        );
      },
    },
    {
      intensity: 'anonymous-export',
      platform: 's3',
      durationMs: 1 * MIN,
      build({ rng, ips, t0 }) {
        const who = anonymousActor(rng, ips, browserUa(rng));
        const attack = requests(who, [t0], () => ({
          key: exportKey(t0 - 86_400_000, 'appointments.csv'),
          status: 200,
          bytes: rng.int(3_000_000, 40_000_000),
        }));
        return anonymousReads(who, attack, `Yesterday's appointments export read anonymously`);
      },
    },
    {
      // The bucket is read with credentials (presigned URLs, staff roles) all day; an ACL or policy
      // change makes it public, and someone fetches objects whose keys name no sensitive kind.
      intensity: 'private-bucket-generic-objects',
      platform: 's3',
      durationMs: 4 * MIN,
      build(ctx) {
        const { rng } = ctx;
        const who = anonymousActor(rng, ctx.ips);
        const attack = paced(ctx, who, [2, 6], [5_000, 45_000], (_ts, i) => ({
          key: genericKey(rng, i),
          status: 200,
          bytes: rng.int(80_000, 3_000_000),
        }));
        return anonymousReads(
          who,
          attack,
          `${attack.length} documents (files/<hex>.pdf, uploads/<uuid>.pdf) of the private media bucket read anonymously`,
        );
      },
    },
  ],
};

export const storageMediaEnumeration: StorageScenarioClass = {
  id: 'media-enumeration',
  variants: [
    {
      intensity: 'leaked-key',
      platform: 's3',
      durationMs: 20 * MIN,
      build({ rng, t0, durationMs }) {
        const user = `arn:aws:iam::${STORAGE_ACCOUNT}:user/pbx-sync`;
        const who = leakedKey(rng, user, 'AKIAPBXSYNC0LEAKED9Z');
        const n = rng.int(25, 60);
        const first = rng.int(100, 300);
        const times = pace(rng, t0, n, 5_000, 40_000, durationMs);
        const attack = requests(who, times, (_ts, i) => ({
          key: callKey(t0, first + i),
          status: 200,
          bytes: rng.int(800_000, 9_000_000),
        }));
        return {
          entities: [{ type: 'user', raw: user }, routeEntity(objectTarget(callKey(t0, first)))],
          attack,
          description: `Intake call recordings call-${String(first).padStart(6, '0')}.mp3 on, ${n} in order, with a leaked access key`,
        };
      },
    },
  ],
};

export const storageDistinctResourceBurst: StorageScenarioClass = {
  id: 'distinct-resource-burst',
  variants: [
    {
      intensity: 'compromised-role',
      platform: 's3',
      durationMs: 8 * MIN,
      alsoRules: ['egress'],
      build(ctx) {
        const { rng } = ctx;
        const role = `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/reporting/exfil-session`;
        const who = leakedKey(rng, role, 'ASIAREPORTINGEXF1L7Q');
        const attack = paced(ctx, who, [50, 90], [2_000, 9_000], (ts) => ({
          key: recordingKey(ts - rng.int(0, 20) * 86_400_000, rng.uuid()),
          status: 200,
          bytes: rng.int(2_000_000, 12_000_000),
        }));
        return {
          entities: [{ type: 'user', raw: role }],
          attack,
          description: `${attack.length} different recordings (UUID names) read in minutes by a compromised reporting role`,
        };
      },
    },
  ],
};

export const storageIdProbing: StorageScenarioClass = {
  id: 'id-probing',
  variants: [
    {
      intensity: 'guessed-keys',
      platform: 's3',
      durationMs: 6 * MIN,
      build(ctx) {
        const { rng } = ctx;
        const who = anonymousActor(rng, ctx.ips);
        const attack = paced(ctx, who, [30, 60], [2_000, 10_000], (ts) => ({
          key: recordingKey(ts - rng.int(0, 30) * 86_400_000, rng.uuid()),
          status: 403,
          bytes: 243,
        }));
        return anonymousReads(
          who,
          attack,
          `${attack.length} recording keys guessed anonymously, all refused (403)`,
        );
      },
    },
  ],
};

export const storageEgress: StorageScenarioClass = {
  id: 'egress',
  variants: [
    {
      intensity: 'leaked-key-bulk',
      platform: 's3',
      durationMs: 10 * MIN,
      build(ctx) {
        const { rng, t0 } = ctx;
        const user = `arn:aws:iam::${STORAGE_ACCOUNT}:user/analytics-ro`;
        const who = leakedKey(rng, user, 'AKIAANALYTICSR0LEAK1');
        // a few large objects: exports and recordings of past days, re-read (not a walk of new ids)
        const keys = [
          exportKey(t0 - 86_400_000, 'patients-full.csv'),
          exportKey(t0 - 86_400_000, 'orders-full.csv'),
        ];
        const attack = paced(ctx, who, [14, 24], [10_000, 40_000], (_ts, i) => ({
          key: keys[i % keys.length] as string,
          status: 200,
          bytes: rng.int(200_000_000, 400_000_000),
        }));
        const total = attack.reduce((a, l) => a + l.bytes, 0);
        return {
          entities: [{ type: 'user', raw: user }],
          attack,
          description: `${(total / 1024 ** 3).toFixed(1)} GiB of exports pulled in ten minutes with a leaked analytics key`,
        };
      },
    },
    // egress/nightly: a backup copy read every night, judged by what it learnt (storage-nightly.ts)
    storageNightlyBackup,
  ],
};

/** Every storage scenario class (the registry: scenarios/index.ts re-exports it). */
export const STORAGE_LEAKS: readonly StorageScenarioClass[] = Object.freeze([
  storageEgress,
  storageDistinctResourceBurst,
  storageIdProbing,
  storageMediaEnumeration,
  storageUnauthenticatedSensitive,
]);
