// Leaks on id routes outside the built-in route table (issue 15): booking plugins, the patient
// portal's lab results and invoices, a prescriptions API, WooCommerce Subscriptions. The route
// table names none of them; their kind comes from the collection segment (`/bookings/{id}` →
// booking). One variant per id rule, intensity `outside-table`.
import { browserUa, toolUa } from '../agents.js';
import { outsideTable } from '../background-id-routes.js';
import { errorBytes, recordBytes } from '../platforms.js';
import { gets, ipEntities, routeEntity } from './common.js';
import { distinctRandom } from './distinct-resource-burst.js';
import { MIN, pace, type ScenarioClass, walk } from './types.js';

export const idRoutesSequential: ScenarioClass = {
  id: 'sequential-enumeration',
  variants: [
    {
      intensity: 'outside-table',
      platform: 'telehealth',
      durationMs: 12 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const session = rng.phpSessionId();
        const ua = browserUa(rng);
        const ids = walk(rng, rng.int(20_000, 29_000), rng.int(30, 60));
        const times = pace(rng, t0, ids.length, 3_000, 15_000, durationMs);
        const attack = gets(
          times,
          { ip, ua, session },
          (i) => outsideTable.booking(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'session', raw: session }, routeEntity(outsideTable.booking(1))],
          attack,
          description: `A logged-in patient walks ${ids.length} booking ids of a booking plugin's REST route (not in the route table)`,
        };
      },
    },
  ],
};

export const idRoutesProbing: ScenarioClass = {
  id: 'id-probing',
  variants: [
    {
      intensity: 'outside-table',
      platform: 'telehealth',
      durationMs: 8 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const ids = distinctRandom(rng, rng.int(35, 60), 1, 999_999);
        const times = pace(rng, t0, ids.length, 2_000, 10_000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => outsideTable.labResult(ids[i] as number),
          (status) => errorBytes(rng, status),
          () => (rng.chance(0.85) ? 404 : 403),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `${ids.length} lab result ids guessed on the patient portal, answered 404/403`,
        };
      },
    },
  ],
};

export const idRoutesBurst: ScenarioClass = {
  id: 'distinct-resource-burst',
  variants: [
    {
      intensity: 'outside-table',
      platform: 'telehealth',
      durationMs: 8 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const session = rng.phpSessionId();
        const ua = toolUa(rng);
        const ids = distinctRandom(rng, rng.int(50, 90), 60_000, 80_000);
        const times = pace(rng, t0, ids.length, 1_500, 8_000, durationMs);
        const attack = gets(
          times,
          { ip, ua, session },
          (i) => outsideTable.prescription(ids[i] as number),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'session', raw: session }],
          attack,
          description: `${ids.length} different prescriptions read in minutes through a prescriptions API (not in the route table)`,
        };
      },
    },
  ],
};

export const idRoutesDistributed: ScenarioClass = {
  id: 'distributed-enumeration',
  variants: [
    {
      intensity: 'outside-table',
      platform: 'telehealth',
      durationMs: 30 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const pool = ips.takeN(rng.int(30, 50));
        const ids = walk(rng, rng.int(5_000, 8_000), rng.int(60, 100));
        const times = pace(rng, t0, ids.length, 5_000, 30_000, durationMs);
        const ua = browserUa(rng);
        const attack = gets(
          times,
          (i) => ({ ip: pool[i % pool.length] as string, ua }),
          (i) => outsideTable.invoice(ids[i] as number),
          () => rng.int(40_000, 200_000),
        );
        return {
          entities: [routeEntity(outsideTable.invoice(1)), ...ipEntities(pool)],
          attack,
          description: `${ids.length} invoice PDFs walked in order over ${pool.length} addresses`,
        };
      },
    },
  ],
};

export const idRoutesUnauthenticated: ScenarioClass = {
  id: 'unauthenticated-sensitive',
  variants: [
    {
      intensity: 'outside-table',
      platform: 'woocommerce',
      durationMs: 2 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = toolUa(rng);
        const n = rng.int(2, 5);
        const times = pace(rng, t0, n, 3_000, 20_000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) =>
            i % 2 === 0
              ? outsideTable.subscription(rng.int(1_000, 9_000))
              : outsideTable.prescription(rng.int(60_000, 80_000)),
          () => recordBytes(rng),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }],
          attack,
          description: `Subscriptions and prescriptions served by the REST API with no login to ${ip}`,
        };
      },
    },
  ],
};

/** The registry's lines for these (scenarios/index.ts). */
export const ID_ROUTE_CLASSES: readonly ScenarioClass[] = Object.freeze([
  idRoutesSequential,
  idRoutesBurst,
  idRoutesProbing,
  idRoutesDistributed,
  idRoutesUnauthenticated,
]);
