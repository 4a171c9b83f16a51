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

/**
 * A class of one variant: one connection from the scenario's host as `user`, reading `table` row by
 * row by id (`ids` drawn first), `gapMs` apart within `durationMs`.
 */
function idReadsClass(
  id: string,
  spec: {
    durationMs: number;
    user: string;
    table: string;
    ids: (rng: Rng) => number[];
    gapMs: [number, number];
    description: (n: number) => string;
  },
): DbScenarioClass {
  return {
    id,
    variants: [
      {
        intensity: 'outside-table',
        durationMs: spec.durationMs,
        build(rng, t0, host) {
          const ids = spec.ids(rng);
          const times = pace(rng, t0, ids.length, spec.gapMs[0], spec.gapMs[1], spec.durationMs);
          const queries = ids.map((v, i) => ({
            ts: times[i] as number,
            sql: `SELECT * FROM ${spec.table} WHERE id = ${v}`,
          }));
          return {
            sessions: [{ ts: t0, user: spec.user, host, queries }],
            host,
            description: spec.description(ids.length),
          };
        },
      },
    ],
  };
}

export const DB_LEAKS: readonly DbScenarioClass[] = Object.freeze([
  idReadsClass('sequential-enumeration', {
    durationMs: 20 * MIN,
    user: 'support',
    table: 'wp_clinic_referrals',
    ids: (rng) => walk(rng, rng.int(500, 2_000), rng.int(40, 80)),
    gapMs: [5_000, 25_000],
    description: (n) =>
      `A support account walks ${n} referral ids one by one (wp_clinic_referrals: not in the table map)`,
  }),
  idReadsClass('distinct-resource-burst', {
    durationMs: 6 * MIN,
    user: 'reporting',
    table: 'wp_gf_entry_notes',
    ids: (rng) => distinctRandom(rng, rng.int(50, 90), 1, 60_000),
    gapMs: [1_000, 6_000],
    description: (n) =>
      `${n} intake form entry notes read in minutes (wp_gf_entry_notes: not in the table map)`,
  }),
]);
