// Leaks on object-store logs (S3 server access logs and CloudTrail data events), in the telehealth
// bucket of storage-background.ts:
// - unauthenticated-sensitive: recordings read anonymously (a bucket ACL or policy made public:
//   requester `-`), an anonymous listing of the recordings prefix, a nightly export read anonymously;
// - media-enumeration: intake call recordings (`call-000101.mp3`, `-000102`…) walked in order with a
//   leaked access key;
// - distinct-resource-burst: a compromised role reading dozens of recordings (UUID names) in minutes;
// - id-probing: recording keys guessed anonymously, refused 403;
// - egress: gigabytes of recordings and exports pulled with a leaked key in ten minutes.
import { browserUa, toolUa } from '../agents.js';
import { callKey, clipBytes, dayPath, exportKey, MEDIA_BUCKET, recordingKey } from '../storage-background.js';
import { STORAGE_ACCOUNT, storageLine } from '../storage-format.js';
import { routeEntity } from './common.js';
import type { StorageScenarioClass } from './storage-types.js';
import { MIN, pace } from './types.js';

const AWS_CLI_UA = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.cp';

/** The path-style target of a key (what route templates are made from). */
function objectTarget(key: string): string {
  return `/${MEDIA_BUCKET}/${key}`;
}

export const storageUnauthenticatedSensitive: StorageScenarioClass = {
  id: 'unauthenticated-sensitive',
  variants: [
    {
      intensity: 'anonymous-recordings',
      platform: 's3',
      durationMs: 5 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const n = rng.int(3, 8);
        const times = pace(rng, t0, n, 5_000, 40_000, durationMs);
        const attack = times.map((ts) =>
          storageLine({
            ts,
            ip,
            op: 'get',
            bucket: MEDIA_BUCKET,
            key: recordingKey(ts - rng.int(0, 3) * 86_400_000, rng.uuid()),
            status: 200,
            bytes: clipBytes(rng),
            ua,
          }),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `${n} consultation recordings (UUID names in date folders) read anonymously (requester -) from ${ip}`,
        };
      },
    },
    {
      intensity: 'anonymous-listing',
      platform: 's3',
      durationMs: 3 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const n = rng.int(2, 4);
        const times = pace(rng, t0, n, 3_000, 30_000, durationMs);
        const attack = times.map((ts, i) =>
          storageLine({
            ts,
            ip,
            op: 'list',
            bucket: MEDIA_BUCKET,
            prefix: i === 0 ? 'recordings/' : `recordings/${dayPath(ts - i * 86_400_000)}/`,
            status: 200,
            bytes: rng.int(20_000, 90_000),
            ua,
          }),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `Anonymous listing of the recordings prefix (${n} ListObjects) from ${ip}`,
        };
      },
    },
    {
      intensity: 'anonymous-export',
      platform: 's3',
      durationMs: 1 * MIN,
      build({ rng, ips, t0 }) {
        const ip = ips.take();
        const ua = browserUa(rng);
        const attack = [
          storageLine({
            ts: t0,
            ip,
            op: 'get',
            bucket: MEDIA_BUCKET,
            key: exportKey(t0 - 86_400_000, 'appointments.csv'),
            status: 200,
            bytes: rng.int(3_000_000, 40_000_000),
            ua,
          }),
        ];
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `Yesterday's appointments export read anonymously from ${ip}`,
        };
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
        const ip = `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`;
        const n = rng.int(25, 60);
        const first = rng.int(100, 300);
        const times = pace(rng, t0, n, 5_000, 40_000, durationMs);
        const attack = times.map((ts, i) =>
          storageLine({
            ts,
            ip,
            requester: user,
            accessKeyId: 'AKIAPBXSYNC0LEAKED9Z',
            op: 'get',
            bucket: MEDIA_BUCKET,
            key: callKey(t0, first + i),
            status: 200,
            bytes: rng.int(800_000, 9_000_000),
            ua: AWS_CLI_UA,
          }),
        );
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
      build({ rng, t0, durationMs }) {
        const role = `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/reporting/exfil-session`;
        const ip = `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`;
        const n = rng.int(50, 90);
        const times = pace(rng, t0, n, 2_000, 9_000, durationMs);
        const attack = times.map((ts) =>
          storageLine({
            ts,
            ip,
            requester: role,
            accessKeyId: 'ASIAREPORTINGEXF1L7Q',
            op: 'get',
            bucket: MEDIA_BUCKET,
            key: recordingKey(ts - rng.int(0, 20) * 86_400_000, rng.uuid()),
            status: 200,
            bytes: rng.int(2_000_000, 12_000_000),
            ua: AWS_CLI_UA,
          }),
        );
        return {
          entities: [{ type: 'user', raw: role }],
          attack,
          description: `${n} different recordings (UUID names) read in minutes by a compromised reporting role`,
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
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const n = rng.int(30, 60);
        const times = pace(rng, t0, n, 2_000, 10_000, durationMs);
        const attack = times.map((ts) =>
          storageLine({
            ts,
            ip,
            op: 'get',
            bucket: MEDIA_BUCKET,
            key: recordingKey(ts - rng.int(0, 30) * 86_400_000, rng.uuid()),
            status: 403,
            bytes: 243,
            ua,
          }),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `${n} recording keys guessed anonymously, all refused (403) from ${ip}`,
        };
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
      build({ rng, t0, durationMs }) {
        const user = `arn:aws:iam::${STORAGE_ACCOUNT}:user/analytics-ro`;
        const ip = `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`;
        const n = rng.int(14, 24);
        const times = pace(rng, t0, n, 10_000, 40_000, durationMs);
        // a few large objects: exports and recordings of past days, re-read (not a walk of new ids)
        const keys = [
          exportKey(t0 - 86_400_000, 'patients-full.csv'),
          exportKey(t0 - 86_400_000, 'orders-full.csv'),
        ];
        const attack = times.map((ts, i) =>
          storageLine({
            ts,
            ip,
            requester: user,
            accessKeyId: 'AKIAANALYTICSR0LEAK1',
            op: 'get',
            bucket: MEDIA_BUCKET,
            key: keys[i % keys.length] as string,
            status: 200,
            bytes: rng.int(200_000_000, 400_000_000),
            ua: AWS_CLI_UA,
          }),
        );
        const total = attack.reduce((a, l) => a + l.bytes, 0);
        return {
          entities: [{ type: 'user', raw: user }],
          attack,
          description: `${(total / 1024 ** 3).toFixed(1)} GiB of exports pulled in ten minutes with a leaked analytics key`,
        };
      },
    },
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
