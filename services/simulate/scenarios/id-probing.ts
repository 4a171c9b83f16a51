// id-probing: ID routes tried with mostly 404/403 answers (guessing which records exist).
import { browserUa, toolUa } from '../agents.js';
import { line, req } from '../format.js';
import { errorBytes, magento, recordBytes, shopify, woo } from '../platforms.js';
import type { Rng } from '../prng.js';
import { gets, routeEntity } from './common.js';
import { HOUR, MIN, pace, type ScenarioClass } from './types.js';

function probeStatus(rng: Rng, denied: number): number {
  const r = rng.next();
  if (r < denied * 0.7) return 404;
  if (r < denied) return 403;
  return 200;
}

export const idProbing: ScenarioClass = {
  id: 'id-probing',
  variants: [
    {
      intensity: 'fast',
      platform: 'woocommerce',
      durationMs: 3 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const session = rng.phpSessionId();
        const ua = browserUa(rng);
        const n = rng.int(60, 120);
        const times = pace(rng, t0, n, 800, 2500, durationMs);
        const attack = gets(
          times,
          { ip, ua, session, referer: 'https://shop.example.com/my-account/orders/' },
          () => woo.viewOrder(rng.int(1, 60_000)),
          (status) => (status === 200 ? rng.int(25_000, 40_000) : errorBytes(rng, status)),
          () => probeStatus(rng, 0.88),
        );
        return {
          entities: [{ type: 'session', raw: session }, routeEntity(woo.viewOrder(1))],
          attack,
          description: `A logged-in customer tries ${n} other order ids on my-account/view-order, ~88% 404/403`,
        };
      },
    },
    {
      intensity: 'slow',
      platform: 'shopify',
      durationMs: 2 * HOUR,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const n = rng.int(80, 120);
        const times = pace(rng, t0, n, 20_000, 60_000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          () => shopify.order(5_000_000_000_000 + rng.int(0, 999_999_999)),
          (status) => (status === 200 ? recordBytes(rng) : errorBytes(rng, status)),
          () => {
            const r = rng.next();
            return r < 0.85 ? 404 : r < 0.93 ? 403 : 200;
          },
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }, routeEntity(shopify.order(1))],
          attack,
          description: `Slow guessing of Shopify order ids (${n}, one every 20-60 s), ~93% 404/403`,
        };
      },
    },
    {
      intensity: 'fast',
      platform: 'magento',
      durationMs: 2 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const n = rng.int(50, 90);
        const times = pace(rng, t0, n, 700, 2000, durationMs);
        let id = rng.int(1000, 5000);
        const attack = times.map((ts) => {
          id += rng.int(7, 40);
          const status = probeStatus(rng, 0.9);
          return line({
            ts,
            ip,
            ua,
            request: req('GET', magento.customer(id)),
            status,
            bytes: status === 200 ? recordBytes(rng) : errorBytes(rng, status),
          });
        });
        return {
          entities: [{ type: 'client_ip', raw: ip }, routeEntity(magento.customer(1))],
          attack,
          description: `Sparse sweep of ${n} Magento customer ids in ~2 minutes, ~90% 404/403`,
        };
      },
    },
  ],
};
