// egress: an integration key or admin user with hours of normal history (a poll every 5 minutes,
// a few orders each) suddenly pulls 20–100× its usual bytes per 10 minutes, through the same
// API with large pages. The history is generated over the whole simulation (the baseline).
import { MAGENTO_CLIENT_UA, SHOPIFY_CLIENT_UA, WOO_CLIENT_UA } from '../agents.js';
import { line, req, type SimLine } from '../format.js';
import { publicIp } from '../ips.js';
import { listBytes, magento, type Platform, shopify, woo, wooAuth } from '../platforms.js';
import type { Rng } from '../prng.js';
import type { LabelEntity, ScenarioBuild, ScenarioClass, ScenarioVariant } from './types.js';
import { HOUR, MIN, type ScenarioContext } from './types.js';

const WINDOW = 10 * MIN;

interface EgressPlan {
  entity: LabelEntity;
  ip: string;
  user: string | null;
  ua: string;
  /** A normal poll (small page). */
  poll: (t: number) => string;
  /** Page p of the bulk pull. */
  bulk: (p: number) => string;
  /** Records per bulk page. */
  perPage: number;
  /** Target multiple of the usual bytes per 10 minutes. */
  multiple: [number, number];
}

function polls(rng: Rng, p: EgressPlan, from: number, to: number): SimLine[] {
  const out: SimLine[] = [];
  for (let t = from + rng.int(0, 300_000); t < to; t += 300_000 + rng.int(-4000, 4000)) {
    const n = rng.int(0, 6);
    out.push(
      line({
        ts: t,
        ip: p.ip,
        user: p.user,
        ua: p.ua,
        request: req('GET', p.poll(t)),
        status: 200,
        bytes: n === 0 ? 2 : listBytes(rng, n),
      }),
    );
  }
  return out;
}

function egress(ctx: ScenarioContext, p: EgressPlan, what: string): ScenarioBuild {
  const { rng, t0, simStart, simEnd, durationMs } = ctx;
  const history = polls(rng, p, simStart, simEnd);
  const before = history.filter((l) => l.ts < t0);
  const usualPerWindow = Math.max(
    5_000,
    (before.reduce((s, l) => s + l.bytes, 0) / Math.max(1, t0 - simStart)) * WINDOW,
  );
  const multiple = rng.float(p.multiple[0], p.multiple[1]);
  const windows = Math.max(1, Math.round(durationMs / WINDOW));
  const attack: SimLine[] = [];
  let page = 1;
  for (let w = 0; w < windows; w++) {
    const ws = t0 + w * WINDOW;
    const target = usualPerWindow * multiple;
    let sent = 0;
    // the pull of a window is a burst of pages a few seconds apart, somewhere in its first minutes
    let t = ws + (w === 0 ? 0 : rng.int(0, 4 * MIN));
    while (sent < target) {
      const bytes = listBytes(rng, p.perPage);
      attack.push(
        line({
          ts: t,
          ip: p.ip,
          user: p.user,
          ua: p.ua,
          request: req('GET', p.bulk(page++)),
          status: 200,
          bytes,
        }),
      );
      sent += bytes;
      t += rng.int(1500, 6000);
    }
  }
  const total = attack.reduce((s, l) => s + l.bytes, 0);
  return {
    entities: [p.entity],
    attack,
    history,
    description: `${what}: usual ~${Math.round(usualPerWindow / 1000)} kB per 10 min, then ${attack.length} pages of ${p.perPage} (${(total / 1e6).toFixed(1)} MB, ~${Math.round(multiple)}x per window over ${windows} window${windows > 1 ? 's' : ''})`,
  };
}

/** The poll window's start as the platforms' APIs take it: `2025-11-03T01:55:00`. */
function since(t: number): string {
  return new Date(t - 300_000).toISOString().slice(0, 19);
}

/** A needs-history variant whose build is `egress(ctx, plan(ctx), what)`. */
function variant(
  intensity: string,
  platform: Platform,
  durationMs: number,
  what: string,
  plan: (ctx: ScenarioContext) => EgressPlan,
): ScenarioVariant {
  return {
    intensity,
    platform,
    durationMs,
    needsHistory: true,
    build: (ctx) => egress(ctx, plan(ctx), what),
  };
}

export const egressScenarios: ScenarioClass = {
  id: 'egress',
  variants: [
    variant(
      'fast',
      'woocommerce',
      5 * MIN,
      'Reporting integration key (WooCommerce) dumps all orders',
      (ctx) => {
        const ck = ctx.rng.wooConsumerKey();
        const cs = ctx.rng.wooConsumerSecret();
        return {
          entity: { type: 'api_key', raw: ck },
          ip: publicIp(ctx.rng),
          user: null,
          ua: WOO_CLIENT_UA,
          poll: (t) => woo.orders(`status=completed&per_page=10&after=${since(t)}&${wooAuth(ck, cs)}`),
          bulk: (page) => woo.orders(`per_page=100&page=${page}&${wooAuth(ck, cs)}`),
          perPage: 100,
          multiple: [60, 100],
        };
      },
    ),
    variant(
      'slow',
      'magento',
      2 * HOUR,
      'Magento ERP account pulls the order history low and slow',
      (ctx) => ({
        entity: { type: 'user', raw: 'erp-reports' },
        ip: publicIp(ctx.rng),
        user: 'erp-reports',
        ua: MAGENTO_CLIENT_UA,
        poll: (t) => magento.ordersSearch(20, 1, since(t).replace('T', ' ')),
        bulk: (page) => magento.ordersSearch(100, page),
        perPage: 100,
        multiple: [20, 30],
      }),
    ),
    variant(
      'fast',
      'shopify',
      5 * MIN,
      'Shopify private-app key (basic auth) pages through every order',
      (ctx) => {
        const key = ctx.rng.hex(32);
        return {
          entity: { type: 'user', raw: key },
          ip: publicIp(ctx.rng),
          user: key,
          ua: SHOPIFY_CLIENT_UA,
          poll: (t) => shopify.orders(`status=any&updated_at_min=${since(t)}Z&limit=50`),
          bulk: (page) =>
            shopify.orders(
              page === 1
                ? 'status=any&limit=250'
                : `limit=250&page_info=${Buffer.from(`p${page}`).toString('base64url')}`,
            ),
          perPage: 250,
          multiple: [30, 60],
        };
      },
    ),
  ],
};
