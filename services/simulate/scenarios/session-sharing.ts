// session-sharing: one PHPSESSID used from 5–30 addresses and several user agents within minutes
// (a stolen or sold session cookie). The owner used it normally before.
import { BROWSER_UAS, TOOL_UAS } from '../agents.js';
import { line, req, type SimLine } from '../format.js';
import { publicIp } from '../ips.js';
import { TELEHEALTH_API, woo } from '../platforms.js';
import type { Rng } from '../prng.js';
import { gets } from './common.js';
import { MIN, pace, type ScenarioBuild, type ScenarioClass, type ScenarioContext } from './types.js';

function shared(
  ctx: ScenarioContext,
  nIps: [number, number],
  gapMs: [number, number],
  pages: (rng: Rng) => string,
  what: string,
): ScenarioBuild {
  const { rng, ips, t0, durationMs } = ctx;
  const session = rng.phpSessionId();
  const owner = publicIp(rng);
  const ownerUa = rng.pick(BROWSER_UAS);
  const history: SimLine[] = [];
  let t = t0 - rng.int(20, 60) * MIN;
  for (let i = 0, n = rng.int(4, 10); i < n; i++) {
    history.push(
      line({
        ts: t,
        ip: owner,
        ua: ownerUa,
        session,
        request: req('GET', pages(rng)),
        status: 200,
        bytes: rng.int(15_000, 45_000),
      }),
    );
    t += rng.int(20_000, 180_000);
  }
  const others = ips.takeN(rng.int(nIps[0], nIps[1]));
  const uaPool = [
    ownerUa,
    ...rng
      .shuffle([...BROWSER_UAS.filter((u) => u !== ownerUa), ...TOOL_UAS.slice(0, 3)])
      .slice(0, rng.int(2, 4)),
  ];
  const who: Array<[string, string]> = [[owner, ownerUa]];
  for (const ip of others) {
    const ua = rng.pick(uaPool);
    for (let k = rng.int(2, 5); k > 0; k--) who.push([ip, ua]);
  }
  rng.shuffle(who);
  const times = pace(rng, t0, who.length, gapMs[0], gapMs[1], durationMs);
  const attack = gets(
    times,
    (i) => {
      const [ip, ua] = who[i] as [string, string];
      return { ip, ua, session };
    },
    () => pages(rng),
    () => rng.int(15_000, 45_000),
  );
  return {
    entities: [{ type: 'session', raw: session }],
    attack,
    history,
    description: `${what} session cookie replayed from ${others.length + 1} IPs and ${new Set(who.map((w) => w[1])).size} user agents within ${Math.round((attack[attack.length - 1]!.ts - t0) / MIN)} min`,
  };
}

export const sessionSharing: ScenarioClass = {
  id: 'session-sharing',
  variants: [
    {
      intensity: 'fast',
      platform: 'woocommerce',
      durationMs: 5 * MIN,
      build(ctx) {
        const own = ctx.rng.int(20_000, 47_000);
        return shared(
          ctx,
          [10, 15],
          [1000, 15_000],
          (rng) =>
            rng.pick([
              '/my-account/',
              '/my-account/orders/',
              woo.viewOrder(own),
              '/my-account/edit-address/',
            ]),
          'A WooCommerce customer',
        );
      },
    },
    {
      intensity: 'slow',
      platform: 'telehealth',
      durationMs: 25 * MIN,
      build(ctx) {
        const appt = ctx.rng.int(40_000, 60_000);
        return shared(
          ctx,
          [6, 9],
          [20_000, 80_000],
          (rng) =>
            rng.pick([
              '/portal/',
              `${TELEHEALTH_API}/patients/me`,
              `${TELEHEALTH_API}/appointments/${appt}`,
              '/portal/messages/',
            ]),
          'A telehealth patient',
        );
      },
    },
    {
      intensity: 'fast',
      platform: 'magento',
      durationMs: 3 * MIN,
      build(ctx) {
        const own = ctx.rng.int(100_000, 300_000);
        return shared(
          ctx,
          [4, 6],
          [1000, 12_000],
          (rng) =>
            rng.pick(['/customer/account/', '/sales/order/history/', `/sales/order/view/order_id/${own}/`]),
          'A Magento customer',
        );
      },
    },
  ],
};
