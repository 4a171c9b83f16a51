// break-glass: a clinician's emergency access (`X-Break-Glass: 1`) used far above their usual few
// charts an hour, or outside the patient routes. Their normal history is generated first.
import { BROWSER_UAS } from '../agents.js';
import { line, req, type SimLine } from '../format.js';
import { publicIp } from '../ips.js';
import { listBytes, recordBytes, TELEHEALTH_API, telehealth, woo } from '../platforms.js';
import type { Rng } from '../prng.js';
import { gets } from './common.js';
import { distinctRandom } from './distinct-resource-burst.js';
import { HOUR, MIN, pace, type ScenarioBuild, type ScenarioClass, type ScenarioContext } from './types.js';

const CLINIC = 'https://care.example.com/clinic/';

interface Clinician {
  user: string;
  ip: string;
  ua: string;
  session: string;
}

/** 2–6 chart reads an hour (no break-glass) from simStart to simEnd, skipping the attack. */
function normalDays(rng: Rng, c: Clinician, ctx: ScenarioContext, attackEnd: number): SimLine[] {
  const out: SimLine[] = [];
  for (let h = ctx.simStart; h < ctx.simEnd; h += HOUR) {
    for (let k = rng.int(2, 6); k > 0; k--) {
      const ts = h + rng.int(0, HOUR - 1);
      if ((ts >= ctx.t0 && ts <= attackEnd) || ts >= ctx.simEnd) continue;
      const request = req('GET', telehealth.patient(rng.int(1000, 90_000)));
      out.push(line({ ts, ...c, referer: CLINIC, request, status: 200, bytes: recordBytes(rng) }));
    }
  }
  return out;
}

function clinician(rng: Rng, user: string): Clinician {
  return { user, ip: publicIp(rng), ua: rng.pick(BROWSER_UAS.slice(0, 4)), session: rng.phpSessionId() };
}

function charts(
  ctx: ScenarioContext,
  user: string,
  n: [number, number],
  gap: [number, number],
): ScenarioBuild {
  const { rng, t0, durationMs } = ctx;
  const c = clinician(rng, user);
  const ids = distinctRandom(rng, rng.int(n[0], n[1]), 1000, 90_000);
  const times = pace(rng, t0, ids.length, gap[0], gap[1], durationMs);
  const attack = gets(
    times,
    { ...c, referer: CLINIC, breakGlass: '1' },
    (i) => telehealth.patient(ids[i] as number),
    () => recordBytes(rng),
  );
  const end = attack[attack.length - 1]?.ts ?? t0;
  const hours = Math.max(1, (end - t0) / HOUR);
  return {
    entities: [{ type: 'user', raw: c.user }],
    attack,
    history: normalDays(rng, c, ctx, end),
    description: `${c.user} reads ${ids.length} patient charts under break-glass (~${Math.round(ids.length / hours)}/h; usual 2-6/h)`,
  };
}

export const breakGlass: ScenarioClass = {
  id: 'break-glass',
  variants: [
    {
      intensity: 'fast',
      platform: 'telehealth',
      durationMs: 25 * MIN,
      needsHistory: true,
      build: (ctx) => charts(ctx, 'dr.vasquez', [150, 400], [3000, 8000]),
    },
    {
      intensity: 'slow',
      platform: 'telehealth',
      durationMs: 3 * HOUR,
      needsHistory: true,
      build: (ctx) => charts(ctx, 'np.brennan', [50, 90], [90_000, 240_000]),
    },
    {
      intensity: 'scope',
      platform: 'wordpress',
      durationMs: 10 * MIN,
      needsHistory: true,
      build(ctx) {
        const { rng, t0, durationMs } = ctx;
        const c = clinician(rng, 'dr.achebe');
        const targets = [
          '/wp-admin/admin.php?page=wc-reports&tab=customers&report=customer_list',
          woo.export('customers-2025-11.csv'),
          `${TELEHEALTH_API}/exports/patients.csv`,
        ];
        const n = rng.int(5, 15);
        for (let p = 1; targets.length < n; p++) targets.push(woo.orders(`per_page=100&page=${p}`));
        const times = pace(rng, t0, targets.length, 20_000, 60_000, durationMs);
        const attack = gets(
          times,
          { ...c, referer: 'https://care.example.com/wp-admin/', breakGlass: '1' },
          (i) => targets[i] as string,
          (_, i) => (targets[i]?.endsWith('.csv') ? rng.int(1_000_000, 12_000_000) : listBytes(rng, 100)),
        );
        const end = attack[attack.length - 1]?.ts ?? t0;
        return {
          entities: [{ type: 'user', raw: c.user }],
          attack,
          history: normalDays(rng, c, ctx, end),
          description: `${c.user} uses break-glass outside patient charts: shop reports, customer exports, order lists (${n} requests)`,
        };
      },
    },
  ],
};
