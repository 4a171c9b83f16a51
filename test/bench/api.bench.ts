// The API over a large store (issue 13 "Done when"): 10,000,000 access events and 1,000,000 alerts,
// generated inside ClickHouse (INSERT ... SELECT FROM numbers(N): nothing goes through Node), then
// timed through a real `leakwatch api` process listening on a free loopback port:
//   * access history by resource and by principal over a 30-day range (one page, limit 100):
//     median and range of 5 requests, each on a different resource / principal (or, for the one
//     busy API key holding a tenth of all events, a different end of range);
//   * the accounting of disclosures and the entity view, the same way;
//   * the alert list (GET /api/v1/alerts, newest 100): a concurrent fetch loop for DURATION
//     seconds (CONCURRENCY requests in flight), p50/p99 latency and requests/s.
// Figures only, no assertions. The bench database is dropped at the end.
//
//   node dist/test/bench/api.bench.js [EVENTS=10000000] [ALERTS=1000000] [DURATION=10] [CONCURRENCY=10]
//
// ClickHouse: CLICKHOUSE_URL, else the one test/support/services.ts finds (deploy/local).
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { migrate } from '#shared/clickhouse/migrate.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { freePort } from '../support/processes.js';
import { getServices, uniqueName } from '../support/services.js';

const [eventsArg, alertsArg, durationArg, concArg] = process.argv.slice(2);
const EVENTS = Number(eventsArg ?? 10_000_000);
const ALERTS = Number(alertsArg ?? 1_000_000);
const DURATION_S = Number(durationArg ?? 10);
const CONCURRENCY = Number(concArg ?? 10);
const TOKEN = 'bench-viewer-token-0123456789abcdef';
const DAY_S = 86_400;
const SPAN_S = 30 * DAY_S;
const BASE_S = Math.floor(Date.UTC(2024, 4, 1) / 1000);
const PRINCIPALS = 9973; // users u0..u9972: ~900 events each; one API key (busy) has every 10th event
const ORDERS = 1_000_003; // orders: ~7 accesses each
const PATIENTS = 199_999; // patient tokens: ~17 accesses each

const svc = process.env['CLICKHOUSE_URL']
  ? { clickhouseUrl: process.env['CLICKHOUSE_URL'] }
  : await getServices();
const db = uniqueName('bench_api');
const ch = createClient({
  url: svc.clickhouseUrl,
  request_timeout: 1_800_000,
  clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
});

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  console.log(`${what}: ${fmt((performance.now() - t0) / 1000, 1)} s`);
  return r;
}

async function count(tbl: string): Promise<number> {
  const rs = await ch.query({ query: `SELECT count() AS n FROM ${db}.${tbl}`, format: 'JSONEachRow' });
  return Number(((await rs.json()) as { n: string }[])[0]!.n);
}

/** Waits (up to 5 minutes) until no merge of the bench database runs, so timings see settled parts. */
async function settle(): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const rs = await ch.query({
      query: `SELECT count() AS n FROM system.merges WHERE database = '${db}'`,
      format: 'JSONEachRow',
    });
    if (Number(((await rs.json()) as { n: string }[])[0]!.n) === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// ts = BASE + number * SPAN / EVENTS (rising with number, so each block covers a few days' partitions)
const TS_S = `(${BASE_S} + intDiv(number * ${SPAN_S}, ${EVENTS}))`;
const insertEvents = `INSERT INTO ${db}.access_events
SELECT
  concat('e', toString(number)) AS event_id,
  toDateTime(${TS_S}) AS ts,
  toUInt64(${TS_S}) * 1000 + number % 1000 AS ts_ms,
  'web' AS source_kind, 'nginx' AS source, 'bench' AS tenant,
  if(number % 10 = 0, 'api_key:busy', concat('user:u', toString(number % ${PRINCIPALS}))) AS principal,
  nullIf(if(number % 10 = 0, '', concat('u', toString(number % ${PRINCIPALS}))), '') AS user_id,
  toNullable(concat('s', toString(number % 50021))) AS session_hash,
  nullIf(if(number % 10 = 0, 'busy', ''), '') AS api_key_id,
  toNullable(concat('10.', toString(number % 251), '.', toString(number % 241), '.7')) AS client_ip,
  toNullable('Mozilla/5.0') AS user_agent,
  CAST(NULL AS Nullable(String)) AS db_user,
  1 AS authenticated, 0 AS emergency_access,
  toNullable('GET') AS http_method,
  CAST(NULL AS Nullable(String)) AS db_operation,
  if(number % 3 = 0, '/api/patients/{id}', '/wp-json/wc/v3/orders/{id}') AS route,
  toNullable(if(number % 3 = 0, concat('tok_mrn_', toString(number % ${PATIENTS})), toString(number % ${ORDERS}))) AS resource_id,
  toNullable(if(number % 3 = 0, 'patient', 'order')) AS resource_kind,
  toNullable(toInt32(if(number % 50 = 0, 404, 200))) AS status,
  toUInt64(500 + number % 5000) AS bytes_out,
  toNullable(toUInt64(number % 20)) AS rows_out,
  toNullable(toFloat64(number % 100)) AS duration_ms,
  CAST([] AS Array(String)) AS findings,
  CAST([] AS Array(String)) AS \`attrs.key\`,
  CAST([] AS Array(String)) AS \`attrs.value\`
FROM numbers(${EVENTS})`;

const FIRST_S = `(${BASE_S} + intDiv(number * ${SPAN_S}, ${ALERTS}))`;
const insertAlerts = `INSERT INTO ${db}.alerts
SELECT
  lower(hex(MD5(concat('a', toString(number))))) AS alert_id,
  lower(hex(MD5(concat('f', toString(number % 50000))))) AS fingerprint,
  ['egress', 'sequential-enumeration', 'id-probing', 'session-sharing'][number % 4 + 1] AS rule,
  ['info', 'low', 'medium', 'high', 'critical'][number % 5 + 1] AS severity,
  'user' AS entity_type, concat('u', toString(number % ${PRINCIPALS})) AS entity_value, 'bench' AS tenant,
  toDateTime(${FIRST_S}) AS first_seen, toUInt64(${FIRST_S}) * 1000 AS first_seen_ms,
  toDateTime(${FIRST_S} + 300) AS last_seen, toUInt64(${FIRST_S} + 300) * 1000 AS last_seen_ms,
  'open' AS status, concat('Egress by user:u', toString(number % ${PRINCIPALS})) AS title,
  'bytes_out' AS feature, toFloat64(number % 1000) AS observed, 3.5 AS score,
  '{"feature":"bytes_out","observed":1,"baseline":null,"score":3.5,"top_resources":[],"sample_event_ids":[]}' AS explanation,
  ['team'] AS \`labels.key\`, ['sec'] AS \`labels.value\`,
  toUInt64(${FIRST_S} + 300) * 1000 AS version
FROM numbers(${ALERTS})`;

const apis: ChildProcess[] = [];
try {
  await ch.command({ query: `CREATE DATABASE ${db}` });
  await migrate(ch, db);
  console.log(`== API bench: ${fmt(EVENTS)} access events, ${fmt(ALERTS)} alerts in ${db}`);
  await timed(
    `insert ${fmt(EVENTS)} access events (INSERT SELECT, views fill access_by_resource, entity_stats_5m)`,
    () => ch.command({ query: insertEvents }),
  );
  await timed(`insert ${fmt(ALERTS)} alerts`, () => ch.command({ query: insertAlerts }));
  await timed('background merges settle', settle);
  console.log(
    `stored: access_events ${fmt(await count('access_events'))}, access_by_resource ${fmt(await count('access_by_resource'))}, alerts ${fmt(await count('alerts'))}`,
  );

  /** A listening `leakwatch api` on a free loopback port, ready; `env` adds to its environment. */
  async function startApi(env: Record<string, string> = {}): Promise<{ proc: ChildProcess; base: string }> {
    const port = await freePort();
    const proc = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin/leakwatch.js'), 'api'], {
      env: {
        ...process.env,
        NODE_NO_WARNINGS: '1',
        LOG_LEVEL: 'warn',
        CLICKHOUSE_URL: svc.clickhouseUrl,
        CLICKHOUSE_DATABASE: db,
        LEAKWATCH_TENANT: 'bench',
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        API_TOKENS: `bench:viewer:${createHash('sha256').update(TOKEN).digest('hex')}`,
        // the bench is one token asking as fast as it can: no per-token limit in the way
        API_RATE_LIMIT_PER_MINUTE: '1000000',
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    apis.push(proc);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/readyz`)).ok) break;
      } catch {}
      if (proc.exitCode !== null) throw new Error(`the API exited (${proc.exitCode}): see above`);
      if (i > 300) throw new Error('the API did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { proc, base };
  }
  const { base } = await startApi();
  const headers = { authorization: `Bearer ${TOKEN}` };

  const from = BASE_S * 1000;
  const to = (BASE_S + SPAN_S) * 1000;
  async function timeRequests(what: string, paths: string[]): Promise<void> {
    const ms: number[] = [];
    const rows: number[] = [];
    await fetch(`${base}${paths[0]}`, { headers }).then((r) => r.arrayBuffer()); // warm-up, not counted
    for (const p of paths) {
      const t0 = performance.now();
      const res = await fetch(`${base}${p}`, { headers });
      const body = (await res.json()) as { rows?: unknown[]; principals?: unknown[]; alerts?: unknown[] };
      ms.push(performance.now() - t0);
      if (!res.ok) throw new Error(`${p}: ${res.status} ${JSON.stringify(body)}`);
      rows.push((body.rows ?? body.principals ?? body.alerts ?? []).length);
    }
    console.log(
      `${what}: median ${fmt(median(ms), 1)} ms (${fmt(Math.min(...ms), 1)}–${fmt(Math.max(...ms), 1)}) over ${paths.length} requests, ${rows.join('/')} rows`,
    );
  }
  const range = `from=${from}&to=${to}`;
  await timeRequests(
    'access by resource (order, 30 days, 1 page)',
    [11, 222, 3333, 44444, 555555].map((n) => `/api/v1/access?resource_kind=order&resource_id=${n}&${range}`),
  );
  await timeRequests(
    'access by resource (patient token, 30 days, 1 page)',
    [7, 88, 999, 1111, 22222].map(
      (n) => `/api/v1/access?resource_kind=patient&resource_id=tok_mrn_${n}&${range}`,
    ),
  );
  await timeRequests(
    'access by principal (user, ~900 events in range, newest 100)',
    [1, 22, 333, 4444, 5555].map((n) => `/api/v1/access?principal=user:u${n}&${range}`),
  );
  await timeRequests(
    `access by principal (one API key with ${fmt(EVENTS / 10)} events in range, newest 100)`,
    [0, 1, 2, 3, 4].map((n) => `/api/v1/access?principal=api_key:busy&from=${from}&to=${to - n * 3_600_000}`),
  );
  await timeRequests(
    'access by principal (user, newest 1,000)',
    [6, 77, 888, 6666, 7777].map((n) => `/api/v1/access?principal=user:u${n}&${range}&limit=1000`),
  );

  await timeRequests(
    'accounting of disclosures (patient token, 30 days)',
    [7, 88, 999, 1111, 22222].map((n) => `/api/v1/subjects/tok_mrn_${n}/accounting?${range}`),
  );
  await timeRequests(
    `entity view (user: baselines, 24 h of windows, its alerts among ${fmt(ALERTS)}; rows = alerts)`,
    [1, 22, 333, 4444, 5555].map((n) => `/api/v1/entities/user/u${n}?to=${to}`),
  );

  // The alert list under load: CONCURRENCY requests in flight for DURATION_S seconds, then one at a
  // time. Twice: as shipped (identical requests within API_ALERT_LIST_CACHE_MS share one answer: a
  // wall of dashboards polling the same page), and with that cache off (every request reads
  // ClickHouse: the cost of a page nobody else just asked for).
  async function alertList(what: string, listBase: string): Promise<void> {
    const url = `${listBase}/api/v1/alerts`;
    await fetch(url, { headers }).then((r) => r.arrayBuffer());
    const lat: number[] = [];
    let errors = 0;
    const end = performance.now() + DURATION_S * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          const res = await fetch(url, { headers });
          await res.arrayBuffer();
          if (res.ok) lat.push(performance.now() - s);
          else errors++;
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    console.log(
      `alert list ${what} (newest 100 of ${fmt(ALERTS)}, ${CONCURRENCY} in flight, ${DURATION_S} s): p50 ${fmt(pct(lat, 50), 1)} ms, p99 ${fmt(pct(lat, 99), 1)} ms, ${fmt(lat.length / secs, 1)} req/s, ${errors} errors`,
    );
    const single: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      await fetch(url, { headers }).then((r) => r.arrayBuffer());
      single.push(performance.now() - s);
    }
    single.sort((a, b) => a - b);
    console.log(
      `alert list ${what}, one request at a time (20): p50 ${fmt(pct(single, 50), 1)} ms, p99 ${fmt(pct(single, 99), 1)} ms`,
    );
  }
  await alertList('(shipped: API_ALERT_LIST_CACHE_MS=1000)', base);
  const uncached = await startApi({ API_ALERT_LIST_CACHE_MS: '0' });
  await alertList('(every request reads: API_ALERT_LIST_CACHE_MS=0)', uncached.base);
} finally {
  for (const api of apis) {
    if (api.exitCode !== null) continue;
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
  }
  await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await ch.close();
}
