// distributed-enumeration: one id walk on one route where consecutive requests come from different
// addresses of a pool of 20–200 (botnet / rotating proxies). The alert entity is the route.
import { BROWSER_UAS, TOOL_UAS } from '../agents.js';
import { magento, recordBytes, shopify, woo } from '../platforms.js';
import type { Rng } from '../prng.js';
import { type Client, gets, ipEntities, routeEntity } from './common.js';
import { HOUR, MIN, pace, type ScenarioClass, walk } from './types.js';

/** Round-robin over a shuffled pool, reshuffled each pass, never the same address twice in a row. */
function rotation(rng: Rng, pool: readonly string[], n: number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const pass = rng.shuffle(pool.slice());
    if (out.length > 0 && pass[0] === out[out.length - 1] && pass.length > 1)
      pass.push(pass.shift() as string);
    out.push(...pass);
  }
  return out.slice(0, n);
}

/** Each proxy has its own user agent (rotating-proxy kits randomise them). */
function uaFor(rng: Rng, pool: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const ip of pool) m.set(ip, rng.chance(0.7) ? rng.pick(BROWSER_UAS) : rng.pick(TOOL_UAS));
  return m;
}

/** The i-th request's sender: its address in the rotation, with that proxy's user agent. */
function proxy(who: readonly string[], uas: ReadonlyMap<string, string>, i: number): Client {
  const ip = who[i] as string;
  return { ip, ua: uas.get(ip) ?? null };
}

export const distributedEnumeration: ScenarioClass = {
  id: 'distributed-enumeration',
  variants: [
    {
      intensity: 'fast',
      platform: 'woocommerce',
      durationMs: 3 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const pool = ips.takeN(rng.int(150, 200));
        const uas = uaFor(rng, pool);
        const ids = walk(rng, rng.int(20_000, 40_000), rng.int(200, 300));
        const who = rotation(rng, pool, ids.length);
        const times = pace(rng, t0, ids.length, 250, 500, durationMs);
        const attack = gets(
          times,
          (i) => proxy(who, uas, i),
          (i) => woo.orderReceived(ids[i] as number, `wc_order_${rng.hex(13)}`),
          () => rng.int(28_000, 52_000),
        );
        return {
          entities: [routeEntity(woo.orderReceived(1, 'x')), ...ipEntities(pool)],
          attack,
          description: `${ids.length} WooCommerce order-received pages walked in id order at 2-4 req/s, each request from another of ${pool.length} IPs`,
        };
      },
    },
    {
      intensity: 'slow',
      platform: 'magento',
      durationMs: 2 * HOUR,
      build({ rng, ips, t0, durationMs }) {
        const pool = ips.takeN(rng.int(40, 60));
        const uas = uaFor(rng, pool);
        const ids = walk(rng, rng.int(100_000, 300_000), rng.int(140, 180));
        const who = rotation(rng, pool, ids.length);
        const times = pace(rng, t0, ids.length, 20_000, 60_000, durationMs);
        const attack = gets(
          times,
          (i) => proxy(who, uas, i),
          (i) => magento.order(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [routeEntity(magento.order(1)), ...ipEntities(pool)],
          attack,
          description: `Low-and-slow Magento order walk (${ids.length} ids, one every 20-60 s) spread over ${pool.length} IPs`,
        };
      },
    },
    {
      intensity: 'fast',
      platform: 'shopify',
      durationMs: 2 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const pool = ips.takeN(rng.int(20, 30));
        const uas = uaFor(rng, pool);
        const ids = walk(rng, 5_000_000_000_000 + rng.int(0, 900_000_000), rng.int(120, 200));
        const who = rotation(rng, pool, ids.length);
        const times = pace(rng, t0, ids.length, 333, 1000, durationMs);
        const attack = gets(
          times,
          (i) => proxy(who, uas, i),
          (i) => shopify.order(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [routeEntity(shopify.order(1)), ...ipEntities(pool)],
          attack,
          description: `Shopify order walk (${ids.length} ids at 1-3 req/s) rotated over ${pool.length} proxy IPs`,
        };
      },
    },
  ],
};
