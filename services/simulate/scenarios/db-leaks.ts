// Leaks in a MySQL general query log on tables the built-in table map does not name (issue 15):
// their kind is the table's (`wp_clinic_referrals` → clinic_referral), so they are id routes.
// id-probing, distributed enumeration and unauthenticated access do not apply to database logs
// (no 403/404, principals are connections from the app's hosts).
// DB_ROWS_LEAKS need row counts (`Rows_sent`), so only the slow query log family has them
// (`simulate --family mysql-slow`): a bulk dump, and the nightly job (scenarios/db-nightly.ts).
import type { DbQuery, DbSession } from '../db-log.js';
import type { Rng } from '../prng.js';
import { dbNightlyExport } from './db-nightly.js';
import { distinctRandom } from './distinct-resource-burst.js';
import { MIN, pace, SEC, walk } from './types.js';

export interface DbScenarioBuild {
  /** The attack's sessions (labelled); none: the scenario does not fit this simulation (left out). */
  sessions: DbSession[];
  /** The host's normal activity (background, unlabelled): a baseline needs history. */
  history?: DbSession[];
  host: string;
  description: string;
}

export interface DbScenarioVariant {
  intensity: string;
  durationMs: number;
  /** Sessions from `host` starting at t0 (span: the simulated span, epoch ms). */
  build(rng: Rng, t0: number, host: string, span: { simStart: number; simEnd: number }): DbScenarioBuild;
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

/** Tables a dump reads whole, with their usual row counts. */
const DUMP_TABLES: ReadonlyArray<readonly [table: string, rows: [number, number]]> = [
  ['wp_users', [8_000, 12_000]],
  ['wp_usermeta', [90_000, 140_000]],
  ['wp_wc_orders', [40_000, 50_000]],
  ['wp_wc_order_addresses', [80_000, 100_000]],
  ['wp_clinic_referrals', [2_500, 3_500]],
];

/** Only with row counts: the slow query log family. */
export const DB_ROWS_LEAKS: readonly DbScenarioClass[] = Object.freeze([
  {
    id: 'egress',
    variants: [
      {
        intensity: 'dump',
        durationMs: 5 * MIN,
        build(rng, t0, host) {
          const queries: DbQuery[] = [];
          let t = t0;
          for (const [table, [lo, hi]] of DUMP_TABLES) {
            const rows = rng.int(lo, hi);
            const durationMs = Math.round((rows / 60_000) * 1000 * rng.float(0.8, 1.2));
            queries.push({
              ts: t,
              sql: `SELECT /*!40001 SQL_NO_CACHE */ * FROM \`${table}\``,
              rows,
              examined: rows,
              durationMs,
            });
            t += durationMs + rng.int(1, 8) * SEC;
          }
          const total = queries.reduce((n, q) => n + (q.rows ?? 0), 0);
          return {
            sessions: [{ ts: t0, user: 'wp', host, queries }],
            host,
            description: `The app's database account, from a host that is not the app's, dumps ${DUMP_TABLES.length} tables whole (${total} rows: users, orders, addresses, referrals) as mysqldump does`,
          };
        },
      },
      dbNightlyExport,
    ],
  },
]);
