// Leaks in a MySQL general query log on tables the built-in table map does not name (issue 15):
// their kind is the table's (`wp_clinic_referrals` → clinic_referral), so they are id routes.
// id-probing, distributed enumeration and unauthenticated access do not apply to database logs
// (no 403/404, principals are connections from the app's hosts).
import type { DbSession } from '../db-log.js';
import type { Rng } from '../prng.js';
import { distinctRandom } from './distinct-resource-burst.js';
import { MIN, pace, walk } from './types.js';

export interface DbScenarioVariant {
  intensity: string;
  durationMs: number;
  /** Sessions from `host` starting at t0. */
  build(rng: Rng, t0: number, host: string): { sessions: DbSession[]; host: string; description: string };
}

export interface DbScenarioClass {
  id: string;
  variants: readonly DbScenarioVariant[];
}

export const DB_LEAKS: readonly DbScenarioClass[] = Object.freeze([
  {
    id: 'sequential-enumeration',
    variants: [
      {
        intensity: 'outside-table',
        durationMs: 20 * MIN,
        build(rng, t0, host) {
          const ids = walk(rng, rng.int(500, 2_000), rng.int(40, 80));
          const times = pace(rng, t0, ids.length, 5_000, 25_000, 20 * MIN);
          const queries = ids.map((id, i) => ({
            ts: times[i] as number,
            sql: `SELECT * FROM wp_clinic_referrals WHERE id = ${id}`,
          }));
          return {
            sessions: [{ ts: t0, user: 'support', host, queries }],
            host,
            description: `A support account walks ${ids.length} referral ids one by one (wp_clinic_referrals: not in the table map)`,
          };
        },
      },
    ],
  },
  {
    id: 'distinct-resource-burst',
    variants: [
      {
        intensity: 'outside-table',
        durationMs: 6 * MIN,
        build(rng, t0, host) {
          const ids = distinctRandom(rng, rng.int(50, 90), 1, 60_000);
          const times = pace(rng, t0, ids.length, 1_000, 6_000, 6 * MIN);
          const queries = ids.map((id, i) => ({
            ts: times[i] as number,
            sql: `SELECT * FROM wp_gf_entry_notes WHERE id = ${id}`,
          }));
          return {
            sessions: [{ ts: t0, user: 'reporting', host, queries }],
            host,
            description: `${ids.length} intake form entry notes read in minutes (wp_gf_entry_notes: not in the table map)`,
          };
        },
      },
    ],
  },
]);
