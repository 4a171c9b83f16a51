// Background object-store traffic of a telehealth shop (`simulate --family s3|cloudtrail`):
//
// - bucket `clinic-media`, private: consultation recordings `recordings/YYYY/MM/DD/<uuid>.mp4`
//   uploaded by the telehealth app role after each visit and watched by patients through
//   presigned URLs (signed by the portal's IAM user: every patient view has that requester);
//   intake call recordings `call-recordings/YYYY/MM/DD/call-NNNNNN.mp3` (numbered by the phone
//   system) listened to by intake staff, a few an hour, in no order; nightly exports
//   `exports/YYYY/MM/DD/<name>.csv` written by the export job and read once by finance; the app
//   lists the day's recordings prefix now and then; anonymous scanners get 403s.
// - bucket `clinic-website`, public: the static site, read anonymously by browsers.

import { BROWSER_UAS, browserUa, TOOL_UAS } from './agents.js';
import { arrivals, diurnal } from './background.js';
import { publicIp } from './ips.js';
import type { Rng } from './prng.js';
import { STORAGE_ACCOUNT, type StorageLine, storageLine } from './storage-format.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const MEDIA_BUCKET = 'clinic-media';
export const WEBSITE_BUCKET = 'clinic-website';
export const PORTAL_SIGNER = `arn:aws:iam::${STORAGE_ACCOUNT}:user/portal-signer`;
export const PORTAL_SIGNER_KEY = 'AKIAPORTALSIGNER7Q2X';
const APP_ROLE = `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/telehealth-app/i-0a1b2c3d4e5f67890`;
const APP_KEY = 'ASIATELEHEALTHAPP4K9';
const EXPORT_ROLE = `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/export-job/nightly`;
const EXPORT_KEY = 'ASIAEXPORTJOB00N1GHT';
const FINANCE_USER = `arn:aws:iam::${STORAGE_ACCOUNT}:user/finance-jane`;
const FINANCE_KEY = 'AKIAFINANCEJANE00X7Q';
const AWS_CLI_UA = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.cp';
const SDK_UA = 'aws-sdk-js/3.556.0 ua/2.0 os/linux#6.1 lang/js md/nodejs#20.12.2 api/s3#3.556.0';
const CONSOLE_UA = 'S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYY/MM/DD` of a time (UTC). */
export function dayPath(ts: number): string {
  const d = new Date(ts);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}

export function recordingKey(ts: number, uuid: string): string {
  return `recordings/${dayPath(ts)}/${uuid}.mp4`;
}

export function callKey(ts: number, n: number): string {
  return `call-recordings/${dayPath(ts)}/call-${pad(n, 6)}.mp3`;
}

export function exportKey(ts: number, name: string): string {
  return `exports/${dayPath(ts)}/${name}`;
}

/** Office hours (07–19 UTC): 1, else a trickle. */
function officeHours(ts: number): number {
  const h = (ts % DAY) / HOUR;
  return h >= 7 && h < 19 ? 1 : 0.05;
}

/** A short consultation clip as patients download it (480p). */
export function clipBytes(rng: Rng): number {
  return rng.int(20_000_000, 120_000_000);
}

export function generateStorageBackground(rng: Rng, start: number, end: number): StorageLine[] {
  const out: StorageLine[] = [];
  // Recordings uploaded after visits; patients watch recent ones through presigned URLs.
  const uploaded: Array<{ ts: number; key: string }> = [];
  // recordings from the days before the simulation, so early views have something to watch
  for (let i = 0; i < 40; i++) {
    const ts = start - rng.int(1, 5) * DAY;
    uploaded.push({ ts, key: recordingKey(ts, rng.uuid()) });
  }
  const uploads = arrivals(rng.fork('uploads'), start, end, 8, officeHours);
  const views = arrivals(rng.fork('views'), start, end, 30, diurnal);
  const vr = rng.fork('view-pick');
  for (const ts of [...uploads.map((t) => ({ t, up: true })), ...views.map((t) => ({ t, up: false }))].sort(
    (a, b) => a.t - b.t,
  )) {
    if (ts.up) {
      const key = recordingKey(ts.t, rng.uuid());
      uploaded.push({ ts: ts.t, key });
      out.push(
        storageLine({
          ts: ts.t,
          ip: '10.20.1.15',
          requester: APP_ROLE,
          accessKeyId: APP_KEY,
          op: 'put',
          bucket: MEDIA_BUCKET,
          key,
          status: 200,
          bytes: clipBytes(rng),
          ua: SDK_UA,
        }),
      );
      continue;
    }
    // a patient watches one of the latest recordings (their own), sometimes twice
    const pick = uploaded[Math.max(0, uploaded.length - 1 - vr.int(0, 30))] as { key: string };
    const ip = publicIp(vr);
    const ua = browserUa(vr);
    const n = vr.chance(0.2) ? 2 : 1;
    for (let k = 0; k < n; k++) {
      out.push(
        storageLine({
          ts: ts.t + k * vr.int(30_000, 300_000),
          ip,
          requester: PORTAL_SIGNER,
          accessKeyId: PORTAL_SIGNER_KEY,
          presigned: true,
          op: 'get',
          bucket: MEDIA_BUCKET,
          key: pick.key,
          status: 200,
          bytes: clipBytes(vr),
          ua,
        }),
      );
    }
  }

  // Intake staff listen to a few call recordings an hour, in no order.
  const staff = ['maria', 'devon', 'aisha'];
  const cr = rng.fork('calls');
  for (const ts of arrivals(cr, start, end, 10, officeHours)) {
    const who = cr.pick(staff);
    out.push(
      storageLine({
        ts,
        ip: `10.20.3.${10 + staff.indexOf(who)}`,
        requester: `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/intake-staff/${who}`,
        accessKeyId: `ASIAINTAKE${who.toUpperCase().padEnd(10, 'X')}`,
        op: 'get',
        bucket: MEDIA_BUCKET,
        key: callKey(ts, cr.int(1, 400)),
        status: 200,
        bytes: cr.int(800_000, 9_000_000),
        ua: CONSOLE_UA,
      }),
    );
  }

  // The app lists today's recordings now and then.
  const lr = rng.fork('app-list');
  for (const ts of arrivals(lr, start, end, 2, officeHours)) {
    out.push(
      storageLine({
        ts,
        ip: '10.20.1.15',
        requester: APP_ROLE,
        accessKeyId: APP_KEY,
        op: 'list',
        bucket: MEDIA_BUCKET,
        prefix: `recordings/${dayPath(ts)}/`,
        status: 200,
        bytes: lr.int(2_000, 40_000),
        ua: SDK_UA,
      }),
    );
  }

  // Nightly exports at 01:00, read by finance in the morning.
  const er = rng.fork('exports');
  for (let day = Math.floor(start / DAY) * DAY; day < end; day += DAY) {
    for (const name of ['orders.csv', 'appointments.csv']) {
      const put = day + HOUR + er.int(0, 10 * MIN);
      const key = exportKey(put, name);
      const bytes = er.int(3_000_000, 40_000_000);
      if (put >= start && put < end)
        out.push(
          storageLine({
            ts: put,
            ip: '10.20.2.7',
            requester: EXPORT_ROLE,
            accessKeyId: EXPORT_KEY,
            op: 'put',
            bucket: MEDIA_BUCKET,
            key,
            status: 200,
            bytes,
            ua: SDK_UA,
          }),
        );
      const get = day + 9 * HOUR + er.int(0, 90 * MIN);
      if (get >= start && get < end)
        out.push(
          storageLine({
            ts: get,
            ip: '10.20.4.21',
            requester: FINANCE_USER,
            accessKeyId: FINANCE_KEY,
            op: 'get',
            bucket: MEDIA_BUCKET,
            key,
            status: 200,
            bytes,
            ua: AWS_CLI_UA,
          }),
        );
    }
  }

  // Anonymous scanners: a guess now and then, refused.
  const sr = rng.fork('scanners');
  for (const ts of arrivals(sr, start, end, 3, () => 1)) {
    const list = sr.chance(0.4);
    out.push(
      storageLine({
        ts,
        ip: publicIp(sr),
        op: list ? 'list' : 'get',
        bucket: MEDIA_BUCKET,
        key: list ? null : sr.pick(['backup.zip', '.env', 'config.json', 'db.sql', 'index.html']),
        status: 403,
        bytes: 243,
        ua: sr.pick(TOOL_UAS),
      }),
    );
  }

  // The public website bucket: browsers read the static site anonymously.
  const SITE = [
    ['index.html', 18_000],
    ['css/site.css', 42_000],
    ['js/app.js', 120_000],
    ['img/logo.png', 9_000],
    ['img/team/dr-lee.jpg', 85_000],
    ['img/team/dr-okafor.jpg', 91_000],
    ['services/telehealth.html', 21_000],
    ['robots.txt', 120],
  ] as const;
  const wr = rng.fork('website');
  for (const ts of arrivals(wr, start, end, 400, diurnal)) {
    const ip = publicIp(wr);
    const ua = wr.pick(BROWSER_UAS);
    const pages = wr.int(1, 4);
    for (let k = 0; k < pages; k++) {
      const [key, bytes] = wr.pick(SITE);
      out.push(
        storageLine({
          ts: ts + k * wr.int(200, 20_000),
          ip,
          op: 'get',
          bucket: WEBSITE_BUCKET,
          key,
          status: 200,
          bytes,
          ua,
        }),
      );
    }
  }
  return out.filter((l) => l.ts >= start && l.ts < end);
}
