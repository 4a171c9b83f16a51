// egress/nightly: a scheduled job is not a leak, and its learnt size is its limit (issue 15).
// An off-site backup agent (HTTP basic auth, one address) downloads the site's backup archives
// (UpdraftPlus names: db, plugins, themes, uploads, others) every night at 02:00 UTC: ~6 GB in six
// files over a few minutes, one 10-minute window. The earlier nights are its normal history
// (background); the attack is the last night of the simulation, when it reads 3x its usual.
// egress alerts on the first two nights (nothing learnt: the absolute limit), is quiet from the
// third (learnt at this hour of day: egress.learntDays, baselines/hour-of-day.ts) and alerts on the
// 3x night. Needs 8 nights (`simulate --hours 192`); a shorter simulation leaves it out.
import { line, req, type SimLine } from '../format.js';
import { publicIp } from '../ips.js';
import type { Rng } from '../prng.js';
import { HOUR, MIN, type ScenarioContext, type ScenarioVariant, SEC } from './types.js';

const DAY = 24 * HOUR;
export const NIGHTLY_NIGHTS = 8;
const PARTS = ['db', 'plugins', 'themes', 'uploads', 'uploads2', 'others'] as const;
const USER = 'backup-offsite';
const UA = 'rclone/v1.68.2';

function night(rng: Rng, ip: string, t0: number, perFile: number, stamp: string): SimLine[] {
  const out: SimLine[] = [];
  let t = t0 + rng.int(0, 20) * SEC;
  for (const part of PARTS) {
    out.push(
      line({
        ts: t,
        ip,
        user: USER,
        ua: UA,
        request: req('GET', `/wp-content/updraft/backup_${stamp}-0200_Clinic_Shop_5f2c9a1e7b3d-${part}.zip`),
        status: 200,
        bytes: Math.round(perFile * rng.float(0.96, 1.04)),
      }),
    );
    t += rng.int(40, 75) * SEC;
  }
  return out;
}

export const nightlyBackup: ScenarioVariant = {
  intensity: 'nightly',
  platform: 'wordpress',
  durationMs: 10 * MIN,
  build(ctx: ScenarioContext) {
    const { rng, simStart, simEnd } = ctx;
    const ip = publicIp(rng);
    const first = Math.ceil((simStart - 2 * HOUR) / DAY) * DAY + 2 * HOUR; // first 02:00 UTC at or after the start
    const nights: number[] = [];
    for (let t = first; t + 10 * MIN < simEnd; t += DAY) nights.push(t);
    const usual = rng.float(0.95, 1.05) * 1024 ** 3; // per file: ~6 GB a night
    const description = `Off-site backup agent downloads ~${((6 * usual) / 1e9).toFixed(1)} GB at 02:00 every night for ${nights.length} nights, then 3x that on the last`;
    if (nights.length < NIGHTLY_NIGHTS) return { entities: [], attack: [], description };
    const stamp = (t: number) => new Date(t).toISOString().slice(0, 10);
    const history = nights.slice(0, -1).flatMap((t) => night(rng, ip, t, usual, stamp(t)));
    const last = nights[nights.length - 1] as number;
    return {
      entities: [{ type: 'user', raw: USER }],
      attack: night(rng, ip, last, 3 * usual, stamp(last)),
      history,
      description,
    };
  },
};
