// Background object-store traffic of a telehealth shop (`simulate --family s3|cloudtrail`):
//
// - bucket `clinic-media`, private: consultation recordings `recordings/YYYY/MM/DD/<uuid>.mp4`
//   uploaded by the telehealth app role after each visit and watched by patients through
//   presigned URLs (signed by the portal's IAM user: every patient view has that requester);
//   intake call recordings `call-recordings/YYYY/MM/DD/call-NNNNNN.mp3` (numbered by the phone
//   system) listened to by intake staff, a few an hour, in no order; nightly exports
//   `exports/YYYY/MM/DD/<name>.csv` written by the export job and read once by finance; the app
//   lists the day's recordings prefix now and then; anonymous scanners get 403s.
//   Patients' uploaded documents `uploads/<uuid>.pdf` (insurance cards, referrals) written by the
//   app, opened by intake staff now and then. Read with credentials only: a private-class bucket.
// - bucket `clinic-website`, public: the static site, read anonymously by browsers.
// - bucket `clinic-assets`, public: the site's static assets with generated names
//   (`static/js/main.<hash>.js`, `img/<uuid>.webp`), read anonymously by every page view, written
//   by a deploy role, and checked with credentials by a monitoring role once an hour: a public
//   bucket with a few credentialed reads, whose anonymous reads of generic objects must stay quiet.

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
export const ASSETS_BUCKET = 'clinic-assets';
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
/** The telehealth app's requests: its instance role, from its address, with the SDK. */
const APP = { ip: '10.20.1.15', requester: APP_ROLE, accessKeyId: APP_KEY, ua: SDK_UA } as const;
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
          ...APP,
          op: 'put',
          bucket: MEDIA_BUCKET,
          key,
          status: 200,
          bytes: clipBytes(rng),
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
        ...APP,
        op: 'list',
        bucket: MEDIA_BUCKET,
        prefix: `recordings/${dayPath(ts)}/`,
        status: 200,
        bytes: lr.int(2_000, 40_000),
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
  out.push(
    ...anonymousVisits(rng.fork('website'), start, end, 400, WEBSITE_BUCKET, SITE, [1, 4], [200, 20_000]),
  );
  out.push(...patientUploads(rng.fork('uploads-docs'), start, end));
  out.push(...staticAssets(rng.fork('static-assets'), start, end));
  return out.filter((l) => l.ts >= start && l.ts < end);
}

/** Patients' documents uploaded through the app; intake staff open one now and then. */
function patientUploads(rng: Rng, start: number, end: number): StorageLine[] {
  const out: StorageLine[] = [];
  const keys: string[] = [];
  for (const ts of arrivals(rng, start, end, 3, officeHours)) {
    const key = `uploads/${rng.uuid()}.pdf`;
    keys.push(key);
    const bytes = rng.int(80_000, 3_000_000);
    const doc = { bucket: MEDIA_BUCKET, key, status: 200, bytes } as const;
    out.push(
      storageLine({
        ts,
        ...APP,
        op: 'put',
        ...doc,
      }),
    );
    if (rng.chance(0.5)) {
      const who = rng.pick(['maria', 'devon', 'aisha']);
      out.push(
        storageLine({
          ts: ts + rng.int(10, 120) * MIN,
          ip: '10.20.3.20',
          requester: `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/intake-staff/${who}`,
          accessKeyId: `ASIAINTAKE${who.toUpperCase().padEnd(10, 'X')}`,
          op: 'get',
          ua: CONSOLE_UA,
          ...doc,
        }),
      );
    }
  }
  return out;
}

/** The public static-assets bucket: generated names read anonymously, deployed and monitored with credentials. */
function staticAssets(rng: Rng, start: number, end: number): StorageLine[] {
  const out: StorageLine[] = [];
  const assets: Array<[string, number]> = [
    [`static/js/main.${rng.hex(16)}.js`, 240_000],
    [`static/js/vendor.${rng.hex(16)}.js`, 610_000],
    [`static/css/site.${rng.hex(16)}.css`, 48_000],
  ];
  for (let i = 0; i < 24; i++) assets.push([`img/${rng.uuid()}.webp`, rng.int(8_000, 220_000)]);
  const deployRole = `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/site-deploy/ci`;
  for (const ts of arrivals(rng.fork('deploys'), start, end, 0.1, officeHours)) {
    const [key, bytes] = rng.pick(assets);
    out.push(
      storageLine({
        ts,
        ip: '10.20.6.4',
        requester: deployRole,
        accessKeyId: 'ASIASITEDEPLOYC1X9Q',
        op: 'put',
        bucket: ASSETS_BUCKET,
        key,
        status: 200,
        bytes,
        ua: SDK_UA,
      }),
    );
  }
  for (let ts = Math.ceil(start / HOUR) * HOUR + 7 * MIN; ts < end; ts += HOUR) {
    out.push(
      storageLine({
        ts,
        ip: '10.20.6.9',
        requester: `arn:aws:sts::${STORAGE_ACCOUNT}:assumed-role/site-monitor/probe`,
        accessKeyId: 'ASIASITEMONITOR0P7B',
        op: 'get',
        bucket: ASSETS_BUCKET,
        key: (assets[0] as [string, number])[0],
        status: 200,
        bytes: 240_000,
        ua: SDK_UA,
      }),
    );
  }
  out.push(
    ...anonymousVisits(rng.fork('views'), start, end, 150, ASSETS_BUCKET, assets, [2, 6], [50, 2_000]),
  );
  return out;
}

/** Browsers reading a public bucket anonymously: `perHour` visits at the peak, a few files each. */
function anonymousVisits(
  rng: Rng,
  start: number,
  end: number,
  perHour: number,
  bucket: string,
  files: ReadonlyArray<readonly [string, number]>,
  perVisit: [number, number],
  gapMs: [number, number],
): StorageLine[] {
  const out: StorageLine[] = [];
  for (const ts of arrivals(rng, start, end, perHour, diurnal)) {
    const ip = publicIp(rng);
    const ua = rng.pick(BROWSER_UAS);
    const n = rng.int(perVisit[0], perVisit[1]);
    for (let k = 0; k < n; k++) {
      const [key, bytes] = rng.pick(files);
      const at = ts + k * rng.int(gapMs[0], gapMs[1]);
      out.push(storageLine({ ts: at, ip, op: 'get', bucket, key, status: 200, bytes, ua }));
    }
  }
  return out;
}
