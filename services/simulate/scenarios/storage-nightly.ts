// egress/nightly on object-store logs: a scheduled job is not a leak, and its learnt size is its
// limit (issue 15), as the web family's nightly backup (nightly-job.ts). A backup role copies the
// media bucket's nightly backup set (a database dump, the uploads and the recordings index: ~6 GB
// in six objects under `backups/YYYY/MM/DD/`) to another account at 02:00 UTC every night, one
// 10-minute window. The earlier nights are its history (background); the attack is the last night,
// when it reads 3x its usual. egress alerts on the first two nights (nothing learnt: the absolute
// limit), is quiet from the third (learnt at this hour of day: egress.learntDays,
// baselines/hour-of-day.ts) and alerts on the 3x night. Needs 8 nights (`simulate --family s3
// --hours 192`); a shorter simulation leaves it out.
import { MEDIA_BUCKET } from '../storage-background.js';
import { STORAGE_ACCOUNT, type StorageLine, storageLine } from '../storage-format.js';
import type { StorageScenarioVariant } from './storage-types.js';
import { HOUR, MIN, SEC } from './types.js';

const DAY = 24 * HOUR;
export const STORAGE_NIGHTLY_NIGHTS = 8;
const ROLE = `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/backup-copy/nightly`;
const KEY = 'ASIABACKUPCOPY0N1GHT';
const IP = '10.20.5.30';
const UA = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.sync';
const PARTS = [
  'db.sql.gz',
  'uploads-1.tar',
  'uploads-2.tar',
  'recordings-index.tar',
  'config.tar',
  'logs.tar',
];

export const storageNightlyBackup: StorageScenarioVariant = {
  intensity: 'nightly',
  platform: 's3',
  durationMs: 10 * MIN,
  build({ rng, simStart, simEnd }) {
    const first = Math.ceil((simStart - 2 * HOUR) / DAY) * DAY + 2 * HOUR; // first 02:00 UTC at or after the start
    const nights: number[] = [];
    for (let t = first; t + 10 * MIN < simEnd; t += DAY) nights.push(t);
    const usual = rng.float(0.95, 1.05) * 1024 ** 3; // per object: ~6 GB a night
    const description = `Backup role copies ~${((PARTS.length * usual) / 1e9).toFixed(1)} GB of backups/ at 02:00 every night for ${nights.length} nights, then 3x that on the last`;
    if (nights.length < STORAGE_NIGHTLY_NIGHTS) return { entities: [], attack: [], description };
    const night = (t0: number, perObject: number): StorageLine[] => {
      const day = new Date(t0 - DAY).toISOString().slice(0, 10).replaceAll('-', '/');
      let t = t0 + rng.int(0, 20) * SEC;
      return PARTS.map((part) => {
        const l = storageLine({
          ts: t,
          ip: IP,
          requester: ROLE,
          accessKeyId: KEY,
          op: 'get',
          bucket: MEDIA_BUCKET,
          key: `backups/${day}/${part}`,
          status: 200,
          bytes: Math.round(perObject * rng.float(0.96, 1.04)),
          ua: UA,
        });
        t += rng.int(40, 75) * SEC;
        return l;
      });
    };
    const history = nights.slice(0, -1).flatMap((t) => night(t, usual));
    return {
      entities: [{ type: 'user', raw: ROLE }],
      attack: night(nights[nights.length - 1] as number, 3 * usual),
      history,
      description,
    };
  },
};
