// Background traffic: either a real access log re-rendered in SIM_LOG_FORMAT (time order kept,
// optionally shifted to a start time), or generated traffic of a healthcare shop:
// storefront browsing, checkouts and my-account pages, crawlers, wp-cron, logged-in admins, an
// ERP integration polling orders every 5 minutes with a WooCommerce API key, Magento and
// Shopify-style integrations polling their REST APIs, telehealth patients fetching their own
// appointment and recording, clinicians reading a few charts an hour, and scanner noise.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseNginxCombined } from '../collector/index.js';
import {
  BROWSER_UAS,
  browserUa,
  CRAWLER_UAS,
  MAGENTO_CLIENT_UA,
  SHOPIFY_CLIENT_UA,
  TOOL_UAS,
  WOO_CLIENT_UA,
  WP_CRON_UA,
} from './agents.js';
import { idRouteBackground } from './background-id-routes.js';
import { line, req, type SimLine } from './format.js';
import { publicIp } from './ips.js';
import {
  categorySlug,
  errorBytes,
  listBytes,
  magento,
  productSlug,
  recordBytes,
  recordingBytes,
  STATIC_ASSETS,
  shopify,
  TELEHEALTH_API,
  telehealth,
  woo,
  wooAuth,
} from './platforms.js';
import type { Rng } from './prng.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

// ---- real background ------------------------------------------------------------------------------

export interface ReadBackgroundOptions {
  /** Shift every timestamp so the earliest line is at this time (epoch ms). */
  startMs?: number;
  /** Keep only the first `hours` hours (after the shift). */
  hours?: number;
}

export interface RealBackground {
  lines: SimLine[];
  /** Lines the parser rejected (not copied). */
  skipped: number;
  /** Event-time span of the kept lines, epoch ms. */
  firstTs: number;
  lastTs: number;
}

/** Reads an nginx/Apache combined log (gunzipped when it ends in .gz). Throws when unreadable. */
export function readBackground(path: string, opts: ReadBackgroundOptions = {}): RealBackground {
  let buf = readFileSync(path);
  if (path.endsWith('.gz')) buf = gunzipSync(buf);
  const text = buf.toString('utf8');
  const lines: SimLine[] = [];
  let skipped = 0;
  let minTs = Number.POSITIVE_INFINITY;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const r = parseNginxCombined(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if (!r.ok) {
      skipped++;
      continue;
    }
    const p = r.value;
    if (p.tsMs < minTs) minTs = p.tsMs;
    lines.push(
      line({
        ts: p.tsMs,
        ip: p.clientIp,
        user: p.remoteUser,
        request: p.request,
        status: p.status ?? 0,
        bytes: p.bytes,
        referer: p.referer,
        ua: p.userAgent,
        xff: p.forwardedFor.length > 0 ? p.forwardedFor.join(', ') : null,
      }),
    );
  }
  if (lines.length === 0) return { lines, skipped, firstTs: opts.startMs ?? 0, lastTs: opts.startMs ?? 0 };
  const shift = opts.startMs === undefined ? 0 : opts.startMs - minTs;
  const first = minTs + shift;
  const until = opts.hours === undefined ? Number.POSITIVE_INFINITY : first + opts.hours * HOUR;
  const kept: SimLine[] = [];
  let lastTs = first;
  for (const l of lines) {
    l.ts = Math.floor((l.ts + shift) / 1000) * 1000;
    if (l.ts >= until) continue;
    if (l.ts > lastTs) lastTs = l.ts;
    kept.push(l);
  }
  return { lines: kept, skipped, firstTs: first, lastTs };
}

// ---- generated background --------------------------------------------------------------------------

/** Relative traffic by UTC hour: quiet at night, peak mid-afternoon. */
export function diurnal(ts: number): number {
  const h = (ts % (24 * HOUR)) / HOUR;
  return 0.2 + 0.8 * Math.max(0, Math.sin((Math.PI * (h - 6)) / 16));
}

/** Poisson arrivals in [start, end) at `peakPerHour` × shape(t) (thinning). */
export function arrivals(
  rng: Rng,
  start: number,
  end: number,
  peakPerHour: number,
  shape: (ts: number) => number = diurnal,
): number[] {
  const out: number[] = [];
  const mean = HOUR / peakPerHour;
  for (let t = start + rng.exp(mean); t < end; t += rng.exp(mean)) {
    if (rng.next() < shape(t)) out.push(t);
  }
  return out;
}

/** Working hours (07–19 UTC): 1, else a trickle. */
function officeHours(ts: number): number {
  const h = (ts % (24 * HOUR)) / HOUR;
  return h >= 7 && h < 19 ? 1 : 0.05;
}

function pushAssets(
  out: SimLine[],
  rng: Rng,
  t: number,
  base: Omit<SimLine, 'ts' | 'request' | 'status' | 'bytes'>,
) {
  const n = rng.int(0, 3);
  for (let i = 0; i < n; i++) {
    out.push({
      ...base,
      ts: t + rng.int(100, 1500),
      request: req('GET', rng.pick(STATIC_ASSETS)),
      status: rng.chance(0.6) ? 304 : 200,
      bytes: rng.int(0, 90_000),
      referer: 'https://shop.example.com/',
    });
  }
}

/** Storefront visits: browsing, search, cart, checkout (guest or logged in), my-account. */
function storefront(rng: Rng, start: number, end: number, out: SimLine[]): void {
  let orderSeq = 0;
  for (const t0 of arrivals(rng, start, end, 90)) {
    const ip = publicIp(rng);
    const ua = browserUa(rng);
    let session: string | null = null;
    let t = t0;
    const pages = rng.int(2, 12);
    const buyer = rng.chance(0.12);
    const member = rng.chance(0.1);
    if (member) session = rng.phpSessionId();
    let referer: string | null = rng.pick([null, 'https://www.google.com/', 'https://www.bing.com/', null]);
    for (let p = 0; p < pages && t < end; p++) {
      const page = rng.weighted<string>([
        ['/', 3],
        ['/shop/', 2],
        [`/product-category/${categorySlug(rng)}/`, 3],
        [`/product/${productSlug(rng)}/`, 6],
        [`/shop/page/${rng.int(2, 6)}/`, 1],
        [`/?s=${rng.pick(['vitamin', 'thermometer', 'gloves', 'brace', 'sleep'])}&post_type=product`, 1],
        ['/blog/', 0.5],
      ]);
      out.push(
        line({
          ts: t,
          ip,
          session,
          ua,
          referer,
          request: req('GET', page),
          status: 200,
          bytes: rng.int(18_000, 95_000),
        }),
      );
      pushAssets(out, rng, t, { ip, user: null, referer: null, ua, xff: null, session, breakGlass: null });
      referer = `https://shop.example.com${page.split('?')[0]}`;
      t += rng.exp(25_000) + 2000;
    }
    if (buyer && t < end) {
      session ??= rng.phpSessionId();
      const steps: Array<[string, string, number]> = [
        ['POST', '/?wc-ajax=add_to_cart', 200],
        ['GET', '/cart/', 200],
        ['GET', '/checkout/', 200],
        ['POST', '/?wc-ajax=update_order_review', 200],
        ['POST', '/?wc-ajax=checkout', 200],
      ];
      for (const [m, target, status] of steps) {
        out.push(
          line({
            ts: t,
            ip,
            session,
            ua,
            referer,
            request: req(m, target),
            status,
            bytes: rng.int(300, 60_000),
          }),
        );
        t += rng.exp(15_000) + 1500;
      }
      const id = 48_000 + orderSeq++;
      out.push(
        line({
          ts: t,
          ip,
          session,
          ua,
          referer: 'https://shop.example.com/checkout/',
          request: req('GET', woo.orderReceived(id, `wc_order_${rng.hex(13)}`)),
          status: 200,
          bytes: rng.int(30_000, 60_000),
        }),
      );
    }
    if (member && t < end) {
      const own = rng.int(20_000, 47_000);
      for (const page of ['/my-account/', '/my-account/orders/', woo.viewOrder(own)]) {
        out.push(
          line({
            ts: t,
            ip,
            session,
            ua,
            referer,
            request: req('GET', page),
            status: 200,
            bytes: rng.int(20_000, 45_000),
          }),
        );
        t += rng.exp(12_000) + 1500;
      }
    }
  }
}

const CRAWLERS: ReadonlyArray<{ ua: string; net: string; perHour: number }> = [
  { ua: CRAWLER_UAS[0] as string, net: '66.249.66', perHour: 90 },
  { ua: CRAWLER_UAS[1] as string, net: '40.77.167', perHour: 60 },
  { ua: CRAWLER_UAS[2] as string, net: '20.171.207', perHour: 40 },
  { ua: CRAWLER_UAS[3] as string, net: '54.36.148', perHour: 30 },
  { ua: CRAWLER_UAS[5] as string, net: '185.191.171', perHour: 20 },
];

function crawlers(rng: Rng, start: number, end: number, out: SimLine[]): void {
  for (const c of CRAWLERS) {
    let page = 1;
    for (const t of arrivals(rng, start, end, c.perHour, () => 1)) {
      const target = rng.weighted<string>([
        [`/product/${productSlug(rng)}/`, 5],
        [`/product-category/${categorySlug(rng)}/`, 2],
        [`/shop/page/${page}/`, 2],
        ['/robots.txt', 0.5],
        ['/sitemap_index.xml', 0.5],
        ['/product-sitemap.xml', 0.5],
        [`/?p=${rng.int(10, 900)}`, 1],
        ['/feed/', 0.5],
      ]);
      if (target.startsWith('/shop/page/')) page = page >= 12 ? 1 : page + 1;
      const status = rng.weighted<number>([
        [200, 90],
        [301, 5],
        [404, 5],
      ]);
      out.push(
        line({
          ts: t,
          ip: `${c.net}.${rng.int(2, 250)}`,
          ua: c.ua,
          request: req('GET', target),
          status,
          bytes: status === 200 ? rng.int(2_000, 90_000) : rng.int(150, 600),
        }),
      );
    }
  }
}

function wpCron(rng: Rng, start: number, end: number, out: SimLine[]): void {
  for (let t = start + rng.int(0, 120_000); t < end; t += rng.int(60_000, 300_000)) {
    const sec = Math.floor(t / 1000);
    out.push(
      line({
        ts: t,
        ip: '84.203.1.217',
        ua: WP_CRON_UA,
        request: req(
          'POST',
          `/wp-cron.php?doing_wp_cron=${sec}.${String(rng.int(0, 999_999)).padStart(6, '0')}`,
        ),
        status: 200,
        bytes: 0,
      }),
    );
  }
}

const ADMINS = ['shopadmin', 'maria.k', 'fulfilment'] as const;

function admins(rng: Rng, start: number, end: number, out: SimLine[]): void {
  for (const user of ADMINS) {
    const ip = publicIp(rng);
    const ua = rng.pick(BROWSER_UAS.slice(0, 4));
    for (const s0 of arrivals(rng, start, end, 0.35, officeHours)) {
      const session = rng.phpSessionId();
      const s1 = Math.min(end, s0 + rng.int(15, 90) * MIN);
      for (let t = s0; t < s1; t += 60_000 + rng.int(-2000, 2000)) {
        out.push(
          line({
            ts: t,
            ip,
            user,
            session,
            ua,
            referer: 'https://shop.example.com/wp-admin/',
            request: req('POST', '/wp-admin/admin-ajax.php'),
            status: 200,
            bytes: rng.int(60, 400),
          }),
        );
        if (rng.chance(0.45)) {
          const target = rng.weighted<string>([
            ['/wp-admin/edit.php?post_type=shop_order', 3],
            [`/wp-admin/post.php?post=${rng.int(20_000, 48_000)}&action=edit`, 4],
            ['/wp-admin/index.php', 1],
            ['/wp-admin/admin.php?page=wc-reports', 0.5],
            [`/wp-admin/edit.php?post_type=product&paged=${rng.int(1, 4)}`, 1],
            ['/wp-json/wc-analytics/reports/orders/stats?interval=day&_locale=user', 1],
          ]);
          out.push(
            line({
              ts: t + rng.int(3000, 50_000),
              ip,
              user,
              session,
              ua,
              referer: 'https://shop.example.com/wp-admin/',
              request: req('GET', target),
              status: 200,
              bytes: rng.int(25_000, 160_000),
            }),
          );
        }
      }
    }
  }
}

/** Integrations: every 5 minutes (± a few seconds), all day. */
function integrations(rng: Rng, start: number, end: number, out: SimLine[]): void {
  const ck = rng.wooConsumerKey();
  const cs = rng.wooConsumerSecret();
  const erpIp = '52.29.114.7';
  const shopifyKey = rng.hex(32);
  for (let t = start + rng.int(0, 300_000); t < end; t += 300_000 + rng.int(-4000, 4000)) {
    const n = rng.int(0, 12);
    out.push(
      line({
        ts: t,
        ip: erpIp,
        ua: WOO_CLIENT_UA,
        request: req('GET', woo.orders(`status=processing&per_page=20&${wooAuth(ck, cs)}`)),
        status: 200,
        bytes: n === 0 ? 2 : listBytes(rng, n),
      }),
    );
    if (n > 0 && rng.chance(0.3)) {
      out.push(
        line({
          ts: t + rng.int(2000, 9000),
          ip: erpIp,
          ua: WOO_CLIENT_UA,
          request: req('PUT', `${woo.order(rng.int(44_000, 48_000))}?${wooAuth(ck, cs)}`),
          status: 200,
          bytes: recordBytes(rng),
        }),
      );
    }
    const since = new Date(t - 300_000).toISOString().slice(0, 19).replace('T', ' ');
    out.push(
      line({
        ts: t + rng.int(20_000, 40_000),
        ip: '35.158.40.12',
        user: 'erp-sync',
        ua: MAGENTO_CLIENT_UA,
        request: req('GET', magento.ordersSearch(20, 1, since)),
        status: 200,
        bytes: listBytes(rng, rng.int(0, 6)),
      }),
    );
    out.push(
      line({
        ts: t + rng.int(60_000, 90_000),
        ip: '34.102.136.180',
        user: shopifyKey,
        ua: SHOPIFY_CLIENT_UA,
        request: req(
          'GET',
          shopify.orders(
            `status=any&updated_at_min=${new Date(t - 300_000).toISOString().slice(0, 19)}Z&limit=50`,
          ),
        ),
        status: 200,
        bytes: listBytes(rng, rng.int(0, 8)),
      }),
    );
  }
}

/** Telehealth patients: their own appointment, profile and (sometimes) their recording. */
function patients(rng: Rng, start: number, end: number, out: SimLine[]): void {
  for (const t0 of arrivals(rng, start, end, 30)) {
    const ip = publicIp(rng);
    const ua = browserUa(rng);
    const session = rng.phpSessionId();
    const appt = rng.int(40_000, 60_000);
    let t = t0;
    const targets = [
      '/portal/',
      `${TELEHEALTH_API}/patients/me`,
      telehealth.appointment(appt),
      `${TELEHEALTH_API}/appointments?patient=me&status=upcoming`,
    ];
    if (rng.chance(0.4)) targets.push(telehealth.appointment(appt));
    for (const target of targets) {
      out.push(
        line({
          ts: t,
          ip,
          session,
          ua,
          referer: 'https://care.example.com/portal/',
          request: req('GET', target),
          status: 200,
          bytes: target === '/portal/' ? rng.int(30_000, 70_000) : recordBytes(rng),
        }),
      );
      t += rng.exp(20_000) + 1000;
    }
    if (rng.chance(0.25)) {
      const partial = rng.chance(0.5);
      out.push(
        line({
          ts: t,
          ip,
          session,
          ua,
          referer: 'https://care.example.com/portal/',
          request: req('GET', telehealth.wpRecording(rng.int(1, 3000))),
          status: partial ? 206 : 200,
          bytes: partial ? rng.int(1_000_000, 8_000_000) : recordingBytes(rng),
        }),
      );
    }
  }
}

const CLINICIANS = ['dr.okafor', 'np.lindqvist', 'dr.haddad', 'dr.moreau'] as const;

/** Clinicians: a few charts an hour in office hours; very rarely one break-glass read. */
function clinicians(rng: Rng, start: number, end: number, out: SimLine[]): void {
  for (const user of CLINICIANS) {
    const ip = publicIp(rng);
    const ua = rng.pick(BROWSER_UAS.slice(0, 4));
    const session = rng.phpSessionId();
    for (const t of arrivals(rng, start, end, 5, officeHours)) {
      const bg = rng.chance(0.01);
      out.push(
        line({
          ts: t,
          ip,
          user,
          session,
          ua,
          referer: 'https://care.example.com/clinic/',
          request: req('GET', telehealth.patient(rng.int(1000, 90_000))),
          status: 200,
          bytes: recordBytes(rng),
          breakGlass: bg ? '1' : null,
        }),
      );
      if (rng.chance(0.3)) {
        out.push(
          line({
            ts: t + rng.int(5000, 60_000),
            ip,
            user,
            session,
            ua,
            referer: 'https://care.example.com/clinic/',
            request: req('GET', `${TELEHEALTH_API}/appointments?clinician=me&date=today`),
            status: 200,
            bytes: listBytes(rng, rng.int(3, 12)),
          }),
        );
      }
    }
  }
}

const PROBES: ReadonlyArray<readonly [string, string, number]> = [
  ['GET', '/.env', 404],
  ['GET', '/wp-config.php.bak', 404],
  ['GET', '/.git/config', 404],
  ['POST', '/xmlrpc.php', 405],
  ['GET', '/?author=1', 301],
  ['POST', '/wp-login.php', 200],
  ['GET', '/wp-login.php', 200],
  ['GET', '/phpmyadmin/', 404],
  ['GET', '/wp-content/plugins/revslider/readme.txt', 404],
  ['GET', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', 404],
];

/** Vulnerability scanners and login brute-forcers: short bursts, mostly 404. */
function scanners(rng: Rng, start: number, end: number, out: SimLine[]): void {
  for (const t0 of arrivals(rng, start, end, 1.5, () => 1)) {
    const ip = publicIp(rng);
    const ua = rng.chance(0.5) ? rng.pick(TOOL_UAS) : rng.pick(BROWSER_UAS);
    const n = rng.int(5, 40);
    let t = t0;
    for (let i = 0; i < n && t < end; i++) {
      const [m, target, status] = rng.pick(PROBES);
      out.push(line({ ts: t, ip, ua, request: req(m, target), status, bytes: errorBytes(rng, status) }));
      t += rng.int(200, 3000);
    }
  }
}

/** Generated shop background in [start, end), sorted by time, whole seconds. */
export function generateBackground(rng: Rng, start: number, end: number): SimLine[] {
  const out: SimLine[] = [];
  storefront(rng.fork('storefront'), start, end, out);
  crawlers(rng.fork('crawlers'), start, end, out);
  wpCron(rng.fork('cron'), start, end, out);
  admins(rng.fork('admins'), start, end, out);
  integrations(rng.fork('integrations'), start, end, out);
  patients(rng.fork('patients'), start, end, out);
  clinicians(rng.fork('clinicians'), start, end, out);
  scanners(rng.fork('scanners'), start, end, out);
  idRouteBackground(rng.fork('outside-table'), start, end, out); // issue 15: id routes outside the table
  const kept = out.filter((l) => l.ts < end);
  for (const l of kept) l.ts = Math.floor(l.ts / 1000) * 1000;
  return kept.sort((a, b) => a.ts - b.ts);
}
