// distinct-resource-burst: many distinct, non-sequential records (random order ids, UUIDs) fetched
// quickly by one principal.
import { browserUa, toolUa } from '../agents.js';
import { recordBytes, shopify, telehealth, woo } from '../platforms.js';
import type { Rng } from '../prng.js';
import { gets, routeEntity } from './common.js';
import { MIN, pace, type ScenarioClass } from './types.js';

/** n distinct random integers in [lo, hi], in random order. */
export function distinctRandom(rng: Rng, n: number, lo: number, hi: number): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < n) {
    const v = rng.int(lo, hi);
    if (seen.has(v)) continue;
    seen.add(v);
    out.push(v);
  }
  return out;
}

export const distinctResourceBurst: ScenarioClass = {
  id: 'distinct-resource-burst',
  variants: [
    {
      intensity: 'fast',
      platform: 'woocommerce',
      durationMs: 4 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const user = 'shop-support';
        const ua = toolUa(rng);
        const ids = distinctRandom(rng, rng.int(150, 250), 20_000, 48_000);
        const times = pace(rng, t0, ids.length, 500, 1500, durationMs);
        const attack = gets(
          times,
          { ip, user, ua },
          (i) => woo.order(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'user', raw: user }, routeEntity(woo.order(1))],
          attack,
          description: `Compromised shop-manager account pulls ${ids.length} random WooCommerce orders in minutes`,
        };
      },
    },
    {
      intensity: 'fast',
      platform: 'telehealth',
      durationMs: 4 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const session = rng.phpSessionId();
        const ua = browserUa(rng);
        const n = rng.int(100, 200);
        const times = pace(rng, t0, n, 600, 1800, durationMs);
        const attack = gets(
          times,
          { ip, ua, session, referer: 'https://care.example.com/clinic/' },
          () => telehealth.patient(rng.uuid()),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'session', raw: session }, routeEntity(telehealth.patient(rng.uuid()))],
          attack,
          description: `One session fetches ${n} patient charts by UUID in a few minutes`,
        };
      },
    },
    {
      intensity: 'medium',
      platform: 'shopify',
      durationMs: 20 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const ids = distinctRandom(rng, rng.int(100, 140), 0, 999_999_999).map((v) => 5_000_000_000_000 + v);
        const times = pace(rng, t0, ids.length, 5000, 15_000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => shopify.order(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }, routeEntity(shopify.order(1))],
          attack,
          description: `${ids.length} random Shopify orders by id over ~20 minutes (one every 5-15 s) from ${ip}`,
        };
      },
    },
  ],
};
