// unauthenticated-sensitive: exports, recordings, patient and order records served 200 to a client
// with no user, API key or session (open directories, public buckets, missing auth checks).
import { browserUa, toolUa } from '../agents.js';
import { recordBytes, recordingBytes, telehealth, woo } from '../platforms.js';
import { gets } from './common.js';
import { distinctRandom } from './distinct-resource-burst.js';
import { HOUR, MIN, pace, type ScenarioClass } from './types.js';

export const unauthenticatedSensitive: ScenarioClass = {
  id: 'unauthenticated-sensitive',
  variants: [
    {
      intensity: 'single',
      platform: 'woocommerce',
      durationMs: 1 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = browserUa(rng);
        const files = ['orders-2025-11.csv', 'customers-2025-11.csv', 'orders-2025-10.csv'].slice(
          0,
          rng.int(1, 3),
        );
        const times = pace(rng, t0, files.length, 3000, 20_000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => woo.export(files[i] as string),
          () => rng.int(2_000_000, 30_000_000),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `Order/customer CSV exports (${files.join(', ')}) downloaded without any login from ${ip}`,
        };
      },
    },
    {
      intensity: 'slow',
      platform: 'telehealth',
      durationMs: 3 * HOUR,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const nums = distinctRandom(rng, rng.int(5, 8), 1, 3000);
        const times = pace(rng, t0, nums.length, 15 * MIN, 40 * MIN, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => telehealth.wpRecording(nums[i] as number),
          () => recordingBytes(rng),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `${nums.length} consultation recordings (scattered names) fetched over hours without a session from ${ip}`,
        };
      },
    },
    {
      intensity: 'fast',
      platform: 'telehealth',
      durationMs: 1 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const ids = distinctRandom(rng, rng.int(6, 12), 1000, 90_000);
        const times = pace(rng, t0, ids.length, 1000, 5000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => telehealth.patient(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `Patient API answers 200 to ${ids.length} anonymous chart requests from ${ip} (missing auth check)`,
        };
      },
    },
    {
      intensity: 'single',
      platform: 'magento',
      durationMs: 1 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const files = ['customer_export_2025-11-03.csv', 'sales_order_grid_2025-11.csv'].slice(
          0,
          rng.int(1, 2),
        );
        const times = pace(rng, t0, files.length, 2000, 10_000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => `/media/exports/${files[i] as string}`,
          () => rng.int(1_000_000, 20_000_000),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `Magento exports left in /media/exports (${files.join(', ')}) fetched anonymously from ${ip}`,
        };
      },
    },
  ],
};
