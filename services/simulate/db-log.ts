// `leakwatch simulate --family mysql`: a MySQL general query log (5.7+ ISO times, `--format
// mysql-general`) with labelled leaks on tables the built-in table map does not name (issue 15:
// an id on such a table is an id route, its kind the table's). The database sees principals as
// connections: `user@host`; normalisation keys them by client host.
// `--family mysql-slow`: the same traffic as a MySQL slow query log (long_query_time=0, `--format
// mysql-slow`): one entry per statement with `Rows_sent`, so row egress can be measured; it adds
// the scenarios that need rows (scenarios/db-leaks.ts DB_ROWS_LEAKS: a bulk dump, and with
// `--hours 192` the nightly export job, scenarios/db-nightly.ts).
//
// Background: the shop's PHP app (`wp@10.20.1.15`, one connection per page view) reading options,
// a post, now and then an order or a referral by id; a reporting tool (`metabase@10.20.5.9`)
// running aggregates every 15 minutes; a DBA's occasional processlist.
// Scenarios (scenarios/db-leaks.ts): a support account walking referral ids one by one, a
// reporting account reading dozens of form entries (intake answers) in minutes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arrivals, diurnal } from './background.js';
import type { LabelsHeader, ScenarioLabel } from './labels.js';
import { serializeLabels } from './labels.js';
import { hashSeed, type Rng, Rng as RngClass } from './prng.js';
import { DB_ROWS_LEAKS } from './scenarios/db-leaks.js';
import { DB_SCENARIO_CLASSES } from './scenarios/index.js';
import { HOUR, MIN } from './scenarios/types.js';
import { DEFAULT_HOURS, DEFAULT_START_MS, SimulateInvalid, type SimulateOptions } from './simulate.js';

/** A statement; rows, examined and duration are the slow log's (defaults by statement: slowStats). */
export interface DbQuery {
  ts: number;
  sql: string;
  rows?: number;
  examined?: number;
  durationMs?: number;
}

/** One connection: Connect, its statements, Quit. */
export interface DbSession {
  ts: number;
  user: string;
  host: string;
  queries: DbQuery[];
}

export const APP_HOST = '10.20.1.15';

function iso(ms: number, micros: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${String(micros).padStart(6, '0')}Z`);
}

/** The sessions as general-log lines (time order), each tagged with its session's index. */
export function renderGeneralLog(sessions: readonly DbSession[]): Array<{ text: string; session: number }> {
  const rows: Array<{ ts: number; seq: number; text: (thread: number) => string; session: number }> = [];
  let seq = 0;
  sessions.forEach((s, i) => {
    rows.push({
      ts: s.ts,
      seq: seq++,
      session: i,
      text: (th) =>
        `${iso(s.ts, th % 1000)} ${String(th).padStart(6)} Connect\t${s.user}@${s.host} on clinic using TCP/IP`,
    });
    for (const q of s.queries)
      rows.push({
        ts: q.ts,
        seq: seq++,
        session: i,
        text: (th) => `${iso(q.ts, 1000 + (th % 1000))} ${String(th).padStart(6)} Query\t${q.sql}`,
      });
    const end = s.queries.length > 0 ? (s.queries[s.queries.length - 1] as { ts: number }).ts : s.ts;
    rows.push({
      ts: end,
      seq: seq++,
      session: i,
      text: (th) => `${iso(end, 2000 + (th % 1000))} ${String(th).padStart(6)} Quit\t`,
    });
  });
  rows.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  // thread ids in order of connection
  const thread = new Map<number, number>();
  let next = 100;
  return rows.map((r) => {
    let th = thread.get(r.session);
    if (th === undefined) {
      th = next++;
      thread.set(r.session, th);
    }
    return { text: r.text(th), session: r.session };
  });
}

/** Rows sent, rows examined and duration (µs) of a background statement in the slow log. */
function slowStats(sql: string, rng: Rng): { rows: number; examined: number; micros: number } {
  if (sql.startsWith('SELECT option_name'))
    return { rows: 318, examined: 1_214, micros: rng.int(300, 1_500) };
  if (sql.startsWith('SELECT COUNT(*)'))
    return { rows: 1, examined: rng.int(46_000, 47_000), micros: rng.int(40_000, 160_000) };
  if (sql.includes('GROUP BY status'))
    return { rows: 6, examined: rng.int(2_900, 3_100), micros: rng.int(2_000, 9_000) };
  if (sql.startsWith('SHOW FULL PROCESSLIST'))
    return { rows: rng.int(4, 12), examined: 0, micros: rng.int(80, 400) };
  return { rows: 1, examined: 1, micros: rng.int(60, 900) }; // a row by its primary key
}

/** `2025-11-03T00:00:03.123456Z` from epoch microseconds. */
function isoMicros(us: number): string {
  const s = Math.floor(us / 1e6);
  return `${new Date(s * 1000).toISOString().slice(0, 19)}.${String(us - s * 1e6).padStart(6, '0')}Z`;
}

const SLOW_BANNER = [
  '/usr/sbin/mysqld, Version: 8.0.40 (MySQL Community Server - GPL). started with:',
  'Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock',
  'Time                 Id Command    Argument',
];

/**
 * The sessions as a MySQL 8 slow query log (long_query_time=0, log_timestamps=UTC, skip_name_resolve),
 * as the server writes it: an entry per statement when it ends (`# Time:`), `SET timestamp=` its
 * start, `use db;` once; each line tagged with its session's index (-1: the server banner).
 */
export function renderSlowLog(
  sessions: readonly DbSession[],
  rng: Rng,
): Array<{ text: string; session: number }> {
  const entries: Array<{
    end: number;
    seq: number;
    session: number;
    q: DbQuery;
    stats: ReturnType<typeof slowStats>;
  }> = [];
  let seq = 0;
  sessions.forEach((s, i) => {
    for (const q of s.queries) {
      const d = slowStats(q.sql, rng);
      const stats = {
        rows: q.rows ?? d.rows,
        examined: q.examined ?? d.examined,
        micros: q.durationMs !== undefined ? q.durationMs * 1000 + rng.int(0, 999) : d.micros,
      };
      entries.push({ end: Math.round(q.ts * 1000) + stats.micros, seq: seq++, session: i, q, stats });
    }
  });
  entries.sort((a, b) => a.end - b.end || a.seq - b.seq);
  const out: Array<{ text: string; session: number }> = SLOW_BANNER.map((text) => ({ text, session: -1 }));
  const thread = new Map<number, number>();
  let next = 100;
  let used = false;
  for (const e of entries) {
    let th = thread.get(e.session);
    if (th === undefined) {
      th = next++;
      thread.set(e.session, th);
    }
    const s = sessions[e.session] as DbSession;
    const lock = e.stats.rows > 1 ? rng.int(2, 90) : rng.int(1, 12);
    const push = (text: string) => out.push({ text, session: e.session });
    push(`# Time: ${isoMicros(e.end)}`);
    push(`# User@Host: ${s.user}[${s.user}] @  [${s.host}]  Id: ${String(th).padStart(5)}`);
    push(
      `# Query_time: ${(e.stats.micros / 1e6).toFixed(6)}  Lock_time: ${(lock / 1e6).toFixed(6)} Rows_sent: ${e.stats.rows}  Rows_examined: ${e.stats.examined}`,
    );
    if (!used) push('use clinic;');
    used = true;
    push(`SET timestamp=${Math.floor(e.q.ts / 1000)};`);
    push(`${e.q.sql};`);
  }
  return out;
}

export function generateDbBackground(rng: Rng, start: number, end: number): DbSession[] {
  const out: DbSession[] = [];
  const app = rng.fork('app');
  for (const t of arrivals(app, start, end, 150, diurnal)) {
    const queries = [
      { ts: t, sql: "SELECT option_name, option_value FROM wp_options WHERE autoload = 'yes'" },
      { ts: t + 3, sql: `SELECT * FROM wp_posts WHERE ID = ${app.int(1, 900)} LIMIT 1` },
    ];
    if (app.chance(0.1))
      queries.push({ ts: t + 6, sql: `SELECT * FROM wp_wc_orders WHERE id = ${app.int(40_000, 50_000)}` });
    if (app.chance(0.08))
      queries.push({ ts: t + 8, sql: `SELECT * FROM wp_clinic_referrals WHERE id = ${app.int(1, 3_000)}` });
    out.push({ ts: t, user: 'wp', host: APP_HOST, queries });
  }
  const rep = rng.fork('reporting');
  for (let t = start + rep.int(0, 15 * MIN); t < end; t += 15 * MIN) {
    out.push({
      ts: t,
      user: 'metabase',
      host: '10.20.5.9',
      queries: [
        {
          ts: t,
          sql: "SELECT COUNT(*), SUM(total_amount) FROM wp_wc_orders WHERE date_created_gmt > '2025-11-01'",
        },
        { ts: t + 200, sql: 'SELECT status, COUNT(*) FROM wp_clinic_referrals GROUP BY status' },
      ],
    });
  }
  const dba = rng.fork('dba');
  for (const t of arrivals(dba, start, end, 1, () => 1))
    out.push({ ts: t, user: 'dba', host: '10.20.5.2', queries: [{ ts: t, sql: 'SHOW FULL PROCESSLIST' }] });
  return out.filter((s) => s.ts >= start && s.ts < end);
}

export interface DbSimulation {
  lines: string[];
  header: LabelsHeader;
  scenarios: ScenarioLabel[];
  attackLines: number;
}

/** The two renderings of the database traffic: general query log, slow query log. */
export type DbLogKind = 'general' | 'slow';

const DB_LOGS: Readonly<Record<DbLogKind, { family: string; file: string; format: string }>> = {
  general: { family: 'mysql', file: 'mysql', format: 'mysql-general' },
  slow: { family: 'mysql-slow', file: 'mysql-slow', format: 'mysql-slow' },
};

export function simulateDb(
  opts: SimulateOptions,
  logPath = 'mysql.log',
  kind: DbLogKind = 'general',
): DbSimulation {
  if (!Number.isInteger(opts.seed)) throw new SimulateInvalid('--seed must be an integer');
  if (opts.background !== undefined)
    throw new SimulateInvalid(`--background is a web log: not with --family ${DB_LOGS[kind].family}`);
  const root = new RngClass(hashSeed('leakwatch-simulate-db', opts.seed));
  const simStart = Math.floor((opts.start ?? DEFAULT_START_MS) / 1000) * 1000;
  const simEnd = simStart + (opts.hours ?? DEFAULT_HOURS) * HOUR;
  const span = simEnd - simStart;
  const sessions = generateDbBackground(root.fork('background'), simStart, simEnd);
  const attackOf = new Map<number, string>(); // session index -> scenario
  const scenarios: ScenarioLabel[] = [];
  const keep = opts.classes && opts.classes.length > 0 ? new Set(opts.classes) : null;
  const classes = kind === 'slow' ? [...DB_SCENARIO_CLASSES, ...DB_ROWS_LEAKS] : DB_SCENARIO_CLASSES;
  let hostN = 0;
  for (const cls of classes) {
    for (const v of cls.variants) {
      const name = `${cls.id}/${v.intensity}/mysql`;
      const rng = root.fork(name);
      const earliest = simStart + 0.3 * span;
      const latest = Math.max(earliest, simEnd - Math.min(10 * MIN, 0.02 * span) - v.durationMs);
      const t0 = Math.floor((earliest + rng.next() * (latest - earliest)) / 1000) * 1000;
      const built = v.build(rng, t0, `10.20.${8 + hostN++}.${rng.int(2, 250)}`, { simStart, simEnd });
      if (keep !== null && !keep.has(cls.id)) continue;
      if (built.sessions.length === 0) continue; // does not fit this simulation (a nightly job in a short one)
      const first = sessions.length;
      sessions.push(...built.sessions);
      let lines = 0;
      let start = Number.POSITIVE_INFINITY;
      let end = Number.NEGATIVE_INFINITY;
      for (let i = first; i < sessions.length; i++) {
        attackOf.set(i, name);
        const s = sessions[i] as DbSession;
        lines += s.queries.length + 2;
        start = Math.min(start, s.ts);
        for (const q of s.queries) end = Math.max(end, q.ts);
      }
      sessions.push(...(built.history ?? []));
      scenarios.push({
        scenario: name,
        class: cls.id,
        intensity: v.intensity,
        platform: 'mysql',
        rules: [cls.id],
        entities: [{ type: 'client_ip', raw: built.host }],
        start_ts: Math.floor(start / 1000) * 1000,
        end_ts: Math.floor(end / 1000) * 1000,
        lines,
        description: built.description,
        ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
      });
    }
  }
  const rendered =
    kind === 'slow' ? renderSlowLog(sessions, root.fork('slow-log')) : renderGeneralLog(sessions);
  const attackLines = rendered.filter((r) => attackOf.has(r.session)).length;
  if (kind === 'slow') {
    // an entry per statement: count the scenario's lines as rendered
    const byName = new Map<string, number>();
    for (const r of rendered) {
      const n = attackOf.get(r.session);
      if (n !== undefined) byName.set(n, (byName.get(n) ?? 0) + 1);
    }
    for (const sc of scenarios) sc.lines = byName.get(sc.scenario) ?? 0;
  }
  const format = DB_LOGS[kind].format;
  const header: LabelsHeader = {
    kind: 'header',
    log_format: format,
    background_lines: rendered.length - attackLines,
    total_lines: rendered.length,
    seed: opts.seed,
    scan_hint: `leakwatch scan ${logPath} --format ${format} --dev`,
    start_ts: simStart,
    end_ts: simEnd,
    background: null,
    tenant: opts.tenant ?? null,
  };
  return { lines: rendered.map((r) => r.text), header, scenarios, attackLines };
}

export function writeDbSimulation(
  dir: string,
  opts: SimulateOptions,
  kind: DbLogKind = 'general',
): { logPath: string; labelsPath: string; simulation: DbSimulation } {
  mkdirSync(dir, { recursive: true });
  const file = DB_LOGS[kind].file;
  const logPath = join(dir, `${file}.log`);
  const labelsPath = join(dir, `${file}.labels.ndjson`);
  const sim = simulateDb(opts, logPath, kind);
  writeFileSync(logPath, sim.lines.join('\n') + '\n');
  writeFileSync(labelsPath, serializeLabels({ header: sim.header, scenarios: sim.scenarios }));
  return { logPath, labelsPath, simulation: sim };
}
