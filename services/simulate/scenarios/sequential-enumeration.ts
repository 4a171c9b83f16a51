// sequential-enumeration: one principal walks record ids one after another (small gaps,
// swapped neighbours, retries), fast (1–3 req/s) or low-and-slow (one every 30–120 s for hours).
import { toolUa } from '../agents.js';
import { magento, recordBytes, shopify, telehealth, woo, wooAuth } from '../platforms.js';
import { gets, routeEntity } from './common.js';
import { HOUR, MIN, pace, type ScenarioClass, walk } from './types.js';

export const sequentialEnumeration: ScenarioClass = {
  id: 'sequential-enumeration',
  variants: [
    {
      intensity: 'fast',
      platform: 'woocommerce',
      durationMs: 3 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ck = rng.wooConsumerKey();
        const cs = rng.wooConsumerSecret();
        const ua = toolUa(rng);
        const ids = walk(rng, rng.int(30_000, 44_000), rng.int(120, 200));
        const times = pace(rng, t0, ids.length, 333, 1000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => `${woo.order(ids[i] as number)}?${wooAuth(ck, cs)}`,
          (status) => (status === 200 ? recordBytes(rng) : 146),
          () => (rng.chance(0.03) ? 404 : 200),
        );
        return {
          entities: [{ type: 'api_key', raw: ck }, routeEntity(woo.order(1))],
          attack,
          description: `Leaked WooCommerce consumer key walks ${ids.length} orders one by one at 1-3 req/s from ${ip}`,
        };
      },
    },
    {
      intensity: 'slow',
      platform: 'magento',
      durationMs: 4 * HOUR,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const ids = walk(rng, rng.int(100_000, 300_000), rng.int(120, 180));
        const times = pace(rng, t0, ids.length, 30_000, 120_000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => magento.order(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }, routeEntity(magento.order(1))],
          attack,
          description: `Low-and-slow walk of ${ids.length} Magento orders, one every 30-120 s, from ${ip}`,
        };
      },
    },
    {
      intensity: 'fast',
      platform: 'shopify',
      durationMs: 2 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const ids = walk(rng, 7_104_000_000_000 + rng.int(0, 9_000_000), rng.int(80, 150));
        const times = pace(rng, t0, ids.length, 333, 1000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => shopify.customer(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }, routeEntity(shopify.customer(1))],
          attack,
          description: `Shopify customers walked id by id (${ids.length}) at 1-3 req/s from ${ip}`,
        };
      },
    },
    {
      intensity: 'slow',
      platform: 'telehealth',
      durationMs: 3 * HOUR,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const session = rng.phpSessionId();
        const ua = rng.pick([
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
        ]);
        const ids = walk(rng, rng.int(40_000, 58_000), rng.int(100, 150));
        const times = pace(rng, t0, ids.length, 30_000, 120_000, durationMs);
        const attack = gets(
          times,
          { ip, ua, session, referer: 'https://care.example.com/portal/' },
          (i) => telehealth.appointment(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'session', raw: session }, routeEntity(telehealth.appointment(1))],
          attack,
          description: `A logged-in patient session walks ${ids.length} other patients' appointments, one every 30-120 s`,
        };
      },
    },
  ],
};
