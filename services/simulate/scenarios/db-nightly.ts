// egress/nightly on a database (issue 15, `simulate --family mysql-slow --hours 192`): a scheduled
// job is not a leak, and its learnt size is its limit. A reporting ETL account (`report_etl`, one
// host) exports orders, their addresses, referrals and intake form answers every night at 03:00
// UTC: ~300,000 rows (`Rows_sent` in the slow log) in four statements over a few minutes, one
// 10-minute window, within ±1.5% from night to night. The earlier nights are its normal history
// (background); the attack is the last night of the simulation, when it reads 3x its usual rows.
// egress (rows per principal: the job's client address) alerts on the first two nights (nothing
// learnt: the absolute limit, egress.absoluteRows), is quiet from the third (learnt at this hour
// of day: egress.learntDays, baselines/hour-of-day.ts) and alerts on the 3x night. Needs 8 nights;
// a shorter simulation leaves it out. The web family's twin: scenarios/nightly-job.ts.
import type { DbQuery, DbSession } from '../db-log.js';
import type { Rng } from '../prng.js';
import type { DbScenarioVariant } from './db-leaks.js';
import { HOUR, SEC } from './types.js';

const DAY = 24 * HOUR;
export const DB_NIGHTLY_NIGHTS = 8;
export const DB_NIGHTLY_USER = 'report_etl';
/** The job's hour (UTC). */
const AT_HOUR = 3;

/** The export's statements and each one's share of the night's rows. */
const EXPORTS: ReadonlyArray<readonly [share: number, sql: (day: string) => string]> = [
  [0.3, (d) => `SELECT * FROM wp_wc_orders WHERE date_created_gmt < '${d}'`],
  [
    0.35,
    (d) =>
      `SELECT * FROM wp_wc_order_addresses WHERE order_id IN (SELECT id FROM wp_wc_orders WHERE date_created_gmt < '${d}')`,
  ],
  [0.15, () => 'SELECT * FROM wp_clinic_referrals'],
  [0.2, () => 'SELECT * FROM wp_gf_entry_meta WHERE form_id IN (3, 7, 12)'],
];

/** One night's export from `t0`: rows per statement ~ share x total; ~80,000 rows a second. */
function night(rng: Rng, host: string, t0: number, total: number): DbSession {
  const day = new Date(t0).toISOString().slice(0, 10);
  const queries: DbQuery[] = [];
  let t = t0 + rng.int(0, 20) * SEC;
  for (const [share, sql] of EXPORTS) {
    const rows = Math.round(total * share * rng.float(0.985, 1.015));
    const durationMs = Math.round((rows / 80_000) * 1000 * rng.float(0.8, 1.2));
    queries.push({ ts: t, sql: sql(day), rows, examined: rows, durationMs });
    t += durationMs + rng.int(5, 30) * SEC;
  }
  return { ts: queries[0]?.ts ?? t0, user: DB_NIGHTLY_USER, host, queries };
}

export const dbNightlyExport: DbScenarioVariant = {
  intensity: 'nightly',
  durationMs: 10 * 60 * SEC,
  build(rng, _t0, host, span) {
    const first = Math.ceil((span.simStart - AT_HOUR * HOUR) / DAY) * DAY + AT_HOUR * HOUR; // first 03:00 UTC
    const nights: number[] = [];
    for (let t = first; t + 10 * 60 * SEC < span.simEnd; t += DAY) nights.push(t);
    const usual = Math.round(rng.float(270_000, 330_000));
    const description = `Reporting ETL job (${DB_NIGHTLY_USER}) exports ~${Math.round(usual / 1000)}k rows at 03:00 every night for ${nights.length} nights, then 3x that on the last`;
    if (nights.length < DB_NIGHTLY_NIGHTS) return { sessions: [], host, description };
    const last = nights[nights.length - 1] as number;
    return {
      history: nights.slice(0, -1).map((t) => night(rng, host, t, usual)),
      sessions: [night(rng, host, last, 3 * usual)],
      host,
      description,
    };
  },
};
