// Issue 18's "done when": Grafana cannot run here, so this test does what Grafana would. It streams the
// demo's simulation (`leakwatch simulate --hours 1 --seed 7`, nginx with the simulation's log format)
// through the real services on real Kafka and a ClickHouse of its own (deploy/local/up.sh with this
// checkout's users.xml, so the read-only `grafana_ro` user is the one the set-up creates), starts a real
// Prometheus (Debian's package) scraping them, then loads every dashboard in dashboards/, extracts every
// query (panels, template variables, annotations) and runs it against the live API (Infinity: URL with
// variables substituted, bearer token of a viewer), ClickHouse (as grafana_ro, the plugin's macros
// expanded) and Prometheus (PromQL, range or instant as the panel asks). Each must answer, return the
// fields the panel reads (Infinity `columns` selectors; the SQL's column aliases; PromQL: a vector or
// matrix), and return data wherever the simulation must have produced some (EMPTY_OK lists the others).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { PACKAGE_ROOT } from '#shared/paths.js';
import {
  allPanels,
  type ClickHouseTarget,
  type Dashboard,
  type DataSourceRef,
  expandClickHouseMacros,
  type InfinityTarget,
  infinityRows,
  infinityUrl,
  type PromTarget,
  select,
  selectAliases,
  substituteVariables,
  type Target,
  targetDataSource,
} from '../support/grafana.js';
import { type PrivateClickHouse, startPrivateClickHouse } from '../support/private-clickhouse.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, uniqueName, waitFor } from '../support/services.js';

const SIM_START = Date.UTC(2025, 10, 3, 0, 0, 0); // `leakwatch simulate`'s default start
const RANGE = { fromMs: SIM_START - 3600_000, toMs: SIM_START + 2 * 3600_000 };
const INTERVAL = { grafana: '5m', seconds: 300 };
const READ_ONLY_USER = 'grafana_ro';
const token = 'dashboards-viewer-token-0123456789';
const db = uniqueName('e2e_dash');
const topicBase = uniqueName('e2e-dash').replace(/_/g, '-');

/**
 * Queries that may come back empty after the simulation, and why. Keyed `dashboard uid / panel title /
 * refId`. Everything else must return data.
 */
const EMPTY_OK: Record<string, string> = {
  'leakwatch-compliance / Overdue incidents / A': 'the 72-hour clocks started minutes ago',
  'leakwatch-compliance / Overdue (clock running past the shortest deadline) / A': 'as above',
  'leakwatch-compliance / Notified and closed (clock stopped) / A': 'nobody notified or closed anything',
  'leakwatch-pipeline / Kafka retries (failed sends, retried) / C':
    'the notifier has no receiver: no attempts',
  'leakwatch-pipeline / ClickHouse retries (failed writes, retried) and back-pressure / A':
    'the failure counter is labelled by table and appears at the first failure; ClickHouse never failed',
};

let ch: PrivateClickHouse;
let apiPort: number;
let promPort: number;
let prom: ChildProcess | undefined;
let promDir: string;
let simDir: string;
let promStartedAt: number;
const procs: ServiceProcess[] = [];

function simLogFormat(): string {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { SIM_LOG_FORMAT } from '${join(PACKAGE_ROOT, 'dist/services/simulate/format.js')}'; process.stdout.write(SIM_LOG_FORMAT)`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Debian's prometheus (deploy/local/observability.sh installs it with promtool when missing). */
function prometheusBinary(): string {
  const r = spawnSync('bash', [join(PACKAGE_ROOT, 'deploy/local/observability.sh'), 'ensure'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `observability.sh ensure:\n${r.stdout}\n${r.stderr}`);
  const m = /^prometheus=(\/\S+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  return m[1] as string;
}

async function promQuery(
  path: string,
  params: Record<string, string>,
): Promise<{ resultType: string; result: unknown[] }> {
  const res = await fetch(`http://127.0.0.1:${promPort}${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: unknown[] };
  };
  if (res.status !== 200 || body.status !== 'success')
    throw new Error(`Prometheus ${res.status}: ${body.error}`);
  return body.data;
}

async function chQuery(
  sql: string,
  user = READ_ONLY_USER,
  settings: Record<string, string> = {},
): Promise<{ meta: { name: string; type: string }[]; data: Record<string, unknown>[] }> {
  const url = new URL(ch.url);
  url.searchParams.set('user', user);
  url.searchParams.set('database', db);
  // What the plugin's client (clickhouse-go) sets on every query: allowed by the read-only profile.
  url.searchParams.set('max_execution_time', '30');
  for (const [k, v] of Object.entries(settings)) url.searchParams.set(k, v);
  const select = /^\s*SELECT\b/i.test(sql);
  const res = await fetch(url, { method: 'POST', body: select ? `${sql}\nFORMAT JSON` : sql });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`ClickHouse ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

async function api(path: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`API ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

before(async () => {
  const t0 = Date.now();
  const svc = await getServices();
  ch = await startPrivateClickHouse();
  apiPort = await freePort();
  promPort = await freePort();
  const ports = {
    collector: await freePort(),
    detector: await freePort(),
    archiver: await freePort(),
    incidents: await freePort(),
    notifier: await freePort(),
  };
  const env: Record<string, string> = {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: ch.url,
    CLICKHOUSE_DATABASE: db,
    LEAKWATCH_TENANT: 'demo-shop',
    LEAKWATCH_TOPIC_ACCESS: `${topicBase}.access`,
    LEAKWATCH_TOPIC_ACCESS_BY_ROUTE: `${topicBase}.access-by-route`,
    LEAKWATCH_TOPIC_ALERTS: `${topicBase}.alerts`,
    LEAKWATCH_TOPIC_STATUS: `${topicBase}.status`,
    LEAKWATCH_TOPIC_DEADLETTER: `${topicBase}.deadletter`,
    LEAKWATCH_TOPIC_PARTITIONS: '3',
    DETECTOR_GROUP_ID: `${topicBase}-detector`,
    ARCHIVER_GROUP_ID: `${topicBase}-archiver`,
    INCIDENTS_GROUP_ID: `${topicBase}-incidents`,
    NOTIFIER_GROUP_ID: `${topicBase}-notifier`,
    COLLECTOR_REDACTION_KEY: 'dashboards-redaction-key-0123456789',
    COLLECTOR_FORMAT: 'nginx',
    COLLECTOR_LOG_FORMAT: simLogFormat(),
    COLLECTOR_HTTP_PORT: String(ports.collector),
    DETECTOR_HTTP_PORT: String(ports.detector),
    ARCHIVER_HTTP_PORT: String(ports.archiver),
    INCIDENTS_HTTP_PORT: String(ports.incidents),
    NOTIFIER_HTTP_PORT: String(ports.notifier),
    API_PORT: String(apiPort),
    API_TOKENS: `grafana:viewer:${createHash('sha256').update(token).digest('hex')}`,
  };
  const migrate = startService('migrate', ['migrate'], env);
  assert.equal(await migrate.exited, 0, migrate.logs());

  // The demo's simulation, one hour of it, plus one line no parser reads (a dead letter to show).
  simDir = mkdtempSync(join(tmpdir(), 'lw-dash-sim-'));
  const sim = startService(
    'simulate',
    ['simulate', '--out', simDir, '--hours', '1', '--seed', '7', '--tenant', 'demo-shop'],
    env,
  );
  assert.equal(await sim.exited, 0, sim.logs());
  const simLog = join(simDir, 'sim.log');
  appendFileSync(simLog, 'this is not an access log line at all\n');
  const goodLines = readFileSync(simLog, 'utf8').split('\n').filter(Boolean).length - 1;

  // Prometheus first, so it scrapes the services while the simulation streams through (rates, latency).
  promDir = mkdtempSync(join(tmpdir(), 'lw-dash-prom-'));
  const jobs = { ...ports, api: apiPort };
  const scrape = Object.entries(jobs)
    .map(
      ([job, port]) =>
        `  - job_name: leakwatch-${job}\n    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
    )
    .join('\n');
  writeFileSync(
    join(promDir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${scrape}\n`,
  );
  mkdirSync(join(promDir, 'data'));
  prom = spawn(
    prometheusBinary(),
    [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let promLog = '';
  prom.stderr!.on('data', (d: Buffer) => {
    promLog = (promLog + d.toString()).slice(-4000);
  });
  promStartedAt = Date.now();

  for (const s of ['detector', 'archiver', 'incidents', 'notifier', 'api'])
    procs.push(startService(s, [s], env));
  await waitFor(
    'Prometheus scraping the five consumers and the API',
    async () => {
      try {
        const up = await promQuery('/api/v1/query', { query: 'sum(up{job=~"leakwatch-.*"})' });
        const v = (up.result[0] as { value?: [number, string] } | undefined)?.value?.[1];
        return Number(v) === 5;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  ).catch((err) => {
    throw new Error(`${err}\nprometheus:\n${promLog}`);
  });
  procs.push(startService('collector', ['collector', simLog], env));

  // Streamed through: every good line archived, alerts and incidents there and no longer changing.
  await waitFor(
    'the simulation archived',
    async () => {
      const { data } = await chQuery('SELECT count() AS n FROM access_events', 'default');
      return Number(data[0]?.['n']) >= goodLines;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  let last = '';
  let settled = '';
  let stableSince = Date.now();
  await waitFor(
    'alerts and incidents settled',
    async () => {
      const alerts = (await api(
        `/api/v1/alerts?from=${RANGE.fromMs}&to=${RANGE.toMs}&limit=1000`,
      )) as unknown[];
      const incidents = ((await api('/api/v1/incidents?limit=500')) as { incidents: { version: number }[] })
        .incidents;
      const now = `${alerts.length} alerts, ${incidents.length} incidents`;
      const versions = incidents.map((i) => i.version).join(',');
      if (now + versions !== last) {
        last = now + versions;
        settled = now;
        stableSince = Date.now();
      }
      return alerts.length > 0 && incidents.length > 0 && Date.now() - stableSince >= 3000;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  // Baselines on the archived rollups now (the archiver's schedule runs hourly).
  const baselines = startService('baselines', ['baselines'], env);
  assert.equal(await baselines.exited, 0, baselines.logs());
  // A few more scrapes after the stream.
  await new Promise((r) => setTimeout(r, 3000));
  console.log(`set-up: ${goodLines} lines streamed, ${settled}, ${Date.now() - t0} ms`);
});

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  ch?.destroy();
  for (const d of [promDir, simDir]) if (d) rmSync(d, { recursive: true, force: true });
});

function loadDashboards(): { file: string; dash: Dashboard }[] {
  const dir = join(PACKAGE_ROOT, 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dash: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

interface Outcome {
  rows: number;
}

async function runTarget(
  ds: string,
  t: Target,
  vars: Record<string, string>,
  where: string,
): Promise<Outcome> {
  if (ds === 'leakwatch-api') {
    const it = t as InfinityTarget;
    assert.equal(it.source, 'url', `${where}: Infinity source`);
    assert.equal(it.type, 'json', `${where}: Infinity type`);
    assert.ok(it.columns?.length, `${where}: declares no columns`);
    const url = infinityUrl(it, `http://127.0.0.1:${apiPort}`, vars);
    assert.ok(url.pathname.startsWith('/api/v1/'), `${where}: ${url}`);
    const body = await api(url.pathname + url.search).catch((err) => assert.fail(`${where}: ${err}`));
    const rows = infinityRows(body, it.root_selector);
    for (const [i, row] of rows.entries())
      for (const c of it.columns ?? [])
        assert.notEqual(
          select(row, c.selector),
          undefined,
          `${where}: row ${i} has no ${c.selector} (${url})`,
        );
    return { rows: rows.length };
  }
  if (ds === 'leakwatch-clickhouse') {
    const ct = t as ClickHouseTarget;
    const sql = expandClickHouseMacros(substituteVariables(ct.rawSql, vars), {
      fromMs: RANGE.fromMs,
      toMs: RANGE.toMs,
      intervalS: INTERVAL.seconds,
    });
    const res = await chQuery(sql).catch((err) => assert.fail(`${where}: ${err}\n${sql}`));
    assert.deepEqual(
      res.meta.map((m) => m.name),
      selectAliases(ct.rawSql),
      `${where}: the columns returned are not the aliases the panel reads`,
    );
    if (ct.format === 0) {
      const time = res.meta.find((m) => m.name === 'time');
      assert.ok(
        time && /DateTime/.test(time.type),
        `${where}: a time series needs a DateTime column named time`,
      );
    }
    return { rows: res.data.length };
  }
  const pt = t as PromTarget;
  const expr = substituteVariables(pt.expr, vars);
  const now = Date.now() / 1000;
  const data = await (pt.instant && !pt.range
    ? promQuery('/api/v1/query', { query: expr, time: String(now) })
    : promQuery('/api/v1/query_range', {
        query: expr,
        start: String(Math.floor(promStartedAt / 1000)),
        end: String(now),
        step: '2',
      })
  ).catch((err) => assert.fail(`${where}: ${err}\n${expr}`));
  assert.ok(['vector', 'matrix'].includes(data.resultType), `${where}: ${data.resultType}`);
  // A series of NaN only (a quantile of no observations) is no data.
  const finite = data.result.filter((s) => {
    const r = s as { value?: [number, string]; values?: [number, string][] };
    return (r.values ?? (r.value ? [r.value] : [])).some(([, v]) => Number.isFinite(Number(v)));
  });
  return { rows: finite.length };
}

test('the Grafana emulation: variables, macros, selectors', () => {
  const vars = { __from: '1000', __to: '2000', incident: 'abc' };
  assert.equal(
    substituteVariables('/x/${incident}?from=${__from}&to=$__to', vars),
    '/x/abc?from=1000&to=2000',
  );
  assert.equal(
    substituteVariables('$__interval_s and $__timeFilter(ts)', vars),
    '$__interval_s and $__timeFilter(ts)',
  );
  assert.throws(() => substituteVariables('${nope}', vars), /unknown variable/);
  assert.equal(
    expandClickHouseMacros('WHERE $__timeFilter(ts) AND b < $__toTime GROUP BY intDiv(x, $__interval_s)', {
      fromMs: 1_000_500,
      toMs: 2_000_999,
      intervalS: 60,
    }),
    'WHERE ts >= toDateTime(1000) AND ts <= toDateTime(2000) AND b < toDateTime(2000) GROUP BY intDiv(x, 60)',
  );
  assert.throws(
    () => expandClickHouseMacros('$__timeInterval(ts)', { fromMs: 0, toMs: 0, intervalS: 1 }),
    /not expanded/,
  );
  assert.deepEqual(selectAliases("SELECT a AS x, f(b, ',') AS y, t.c, d\nFROM (SELECT 1 AS z)\nWHERE 1"), [
    'x',
    'y',
    'c',
    'd',
  ]);
  assert.equal(select({ a: [{ b: 2 }] }, 'a.0.b'), 2);
  assert.deepEqual(infinityRows({ a: { b: 1 } }, 'a'), [{ b: 1 }]);
});

test('every dashboard: schema 39, datasources by uid, time from Grafana variables, unique panel ids', () => {
  const dashboards = loadDashboards();
  assert.deepEqual(
    dashboards.map((d) => d.dash.uid),
    [
      'leakwatch-alerts',
      'leakwatch-compliance',
      'leakwatch-entity',
      'leakwatch-incident',
      'leakwatch-pipeline',
      'leakwatch-soc-overview',
    ],
  );
  for (const { file, dash } of dashboards) {
    assert.ok(dash.schemaVersion >= 36, `${file}: schemaVersion ${dash.schemaVersion}`);
    const ids = allPanels(dash).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel ids`);
    for (const p of allPanels(dash)) {
      if (p.type === 'row') continue;
      assert.ok(p.targets?.length, `${file} / ${p.title}: no query`);
      for (const t of p.targets ?? []) {
        const ds = targetDataSource(p, t);
        const text = JSON.stringify(t);
        // Nothing hard-wired: no epoch ms and no host in a query.
        assert.doesNotMatch(text, /\b1\d{12}\b/, `${file} / ${p.title}: a literal timestamp`);
        assert.doesNotMatch(
          text,
          /https?:\/\//,
          `${file} / ${p.title}: a literal URL (the datasource holds it)`,
        );
        if (
          ds === 'leakwatch-api' &&
          /\/(alerts|series|access|annotations)\b/.test((t as InfinityTarget).url)
        )
          assert.match((t as InfinityTarget).url, /from=\$\{__from\}&to=\$\{__to\}/, `${file} / ${p.title}`);
      }
    }
  }
});

test('every query of every dashboard answers on the live API, ClickHouse (read-only) and Prometheus with the fields its panel reads, and with data where the simulation made some', async () => {
  const counts: Record<string, number> = {
    'leakwatch-api': 0,
    'leakwatch-clickhouse': 0,
    'leakwatch-prometheus': 0,
  };
  const empty: string[] = [];
  const failed: string[] = [];
  const seenEmptyOk = new Set<string>();
  for (const { file, dash } of loadDashboards()) {
    const vars: Record<string, string> = {
      __from: String(RANGE.fromMs),
      __to: String(RANGE.toMs),
      __interval: INTERVAL.grafana,
      __interval_ms: String(INTERVAL.seconds * 1000),
      __rate_interval: '10s',
    };
    // Template variables in order, as Grafana resolves them: a query variable takes its first value.
    for (const v of dash.templating?.list ?? []) {
      const where = `${dash.uid} / variable ${v.name}`;
      if (v.type === 'custom' || v.type === 'constant') {
        vars[v.name] =
          v.current?.value ??
          (v.options?.find((o) => o.selected) ?? v.options?.[0])?.value ??
          String(v.query);
      } else if (v.type === 'query') {
        const ds = targetDataSource(v, { refId: v.name, datasource: v.datasource } as Target);
        assert.equal(ds, 'leakwatch-clickhouse', `${where}: only ClickHouse query variables are emulated`);
        const sql = expandClickHouseMacros(substituteVariables(String(v.query), vars), {
          fromMs: RANGE.fromMs,
          toMs: RANGE.toMs,
          intervalS: INTERVAL.seconds,
        });
        const res = await chQuery(sql).catch((err) => assert.fail(`${where}: ${err}`));
        assert.equal(res.meta.length, 1, `${where}: a variable query returns one column`);
        assert.ok(res.data.length > 0, `${where}: no values`);
        vars[v.name] = String(Object.values(res.data[0]!)[0]);
        counts[ds]!++;
      } else assert.fail(`${where}: variable type ${v.type} is not emulated`);
    }
    const queries: { title: string; ds: string; target: Target }[] = [];
    for (const p of allPanels(dash))
      for (const t of p.targets ?? [])
        queries.push({ title: p.title, ds: targetDataSource(p, t), target: t });
    for (const a of dash.annotations?.list ?? [])
      if (a.target)
        queries.push({
          title: `annotation ${a.name}`,
          ds: targetDataSource(a as { datasource?: DataSourceRef }, a.target),
          target: a.target,
        });
    for (const q of queries) {
      const key = `${dash.uid} / ${q.title} / ${q.target.refId}`;
      try {
        const { rows } = await runTarget(q.ds, q.target, vars, `${file}: ${key}`);
        if (process.env['LW_DASHBOARDS_VERBOSE']) console.log(`${key}: ${rows} row(s)/series`);
        counts[q.ds]!++;
        if (key in EMPTY_OK) seenEmptyOk.add(key);
        else if (rows === 0) empty.push(key);
      } catch (err) {
        failed.push(String((err as Error).message ?? err));
      }
    }
  }
  assert.deepEqual(failed, [], 'queries that failed');
  assert.deepEqual(empty, [], 'queries that returned no data although the simulation made some');
  assert.deepEqual(
    [...seenEmptyOk].sort(),
    Object.keys(EMPTY_OK).sort(),
    'EMPTY_OK names a query that no longer exists',
  );
  console.log(`queries run: ${JSON.stringify(counts)}`);
  for (const n of Object.values(counts)) assert.ok(n > 0);
});

test('the read-only ClickHouse user reads, may set max_execution_time, and cannot write, create or drop', async () => {
  assert.ok(Number((await chQuery('SELECT count() AS n FROM alerts')).data[0]?.['n']) > 0);
  for (const sql of [
    "INSERT INTO incident_events (tenant) VALUES ('x')",
    'CREATE TABLE grafana_was_here (a UInt8) ENGINE = Memory',
    'DROP TABLE alerts',
    'ALTER TABLE alerts DELETE WHERE 1',
  ])
    await assert.rejects(chQuery(sql), /Code: 164/, sql);
  // ... nor lift its own read-only setting.
  await assert.rejects(chQuery('SELECT 1', READ_ONLY_USER, { readonly: '0' }), /Code: 164/);
});

test('provisioning: the three datasources by the uids the dashboards use, a provider for dashboards/, wired into compose', () => {
  const dir = join(PACKAGE_ROOT, 'deploy/grafana/provisioning');
  const ds = parseYaml(readFileSync(join(dir, 'datasources/leakwatch.yml'), 'utf8')) as {
    datasources: {
      uid: string;
      type: string;
      url?: string;
      jsonData?: Record<string, unknown>;
      secureJsonData?: Record<string, string>;
    }[];
  };
  assert.deepEqual(
    ds.datasources.map((d) => [d.uid, d.type]),
    [
      ['leakwatch-api', 'yesoreyeram-infinity-datasource'],
      ['leakwatch-clickhouse', 'grafana-clickhouse-datasource'],
      ['leakwatch-prometheus', 'prometheus'],
    ],
  );
  const [apiDs, chDs] = ds.datasources;
  assert.equal(apiDs!.jsonData?.['auth_method'], 'bearerToken');
  assert.equal(apiDs!.secureJsonData?.['bearerToken'], '${LEAKWATCH_GRAFANA_API_TOKEN}');
  assert.deepEqual(apiDs!.jsonData?.['allowedHosts'], [apiDs!.url]);
  assert.equal(chDs!.jsonData?.['username'], '${CLICKHOUSE_GRAFANA_USER}');

  const provider = parseYaml(readFileSync(join(dir, 'dashboards/leakwatch.yml'), 'utf8')) as {
    providers: { type: string; options: { path: string } }[];
  };
  assert.equal(provider.providers[0]?.options.path, '/var/lib/grafana/dashboards/leakwatch');

  const compose = parseYaml(
    readFileSync(join(PACKAGE_ROOT, 'deploy/compose/docker-compose.yml'), 'utf8'),
  ) as {
    services: Record<
      string,
      {
        environment?: Record<string, string>;
        volumes?: string[];
        configs?: { source: string; target: string }[];
      }
    >;
    configs: Record<string, { content: string }>;
  };
  const grafana = compose.services['grafana']!;
  assert.deepEqual(grafana.environment?.['GF_INSTALL_PLUGINS']?.split(',').sort(), [
    'grafana-clickhouse-datasource',
    'yesoreyeram-infinity-datasource',
  ]);
  assert.equal(grafana.environment?.['CLICKHOUSE_GRAFANA_USER'], READ_ONLY_USER);
  // Every variable the provisioning file reads is set for Grafana.
  const settings = readFileSync(join(dir, 'datasources/leakwatch.yml'), 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');
  const wanted = [...settings.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
  assert.ok(wanted.length >= 5, wanted.join());
  for (const v of wanted) assert.ok(v in (grafana.environment ?? {}), `compose grafana does not set ${v}`);
  assert.ok(grafana.volumes?.includes('../grafana/provisioning:/etc/grafana/provisioning:ro'));
  assert.ok(grafana.volumes?.includes('../../dashboards:/var/lib/grafana/dashboards/leakwatch:ro'));
  // compose's ClickHouse (24.x) gets the same read-only user from users.d.
  const chUsers = compose.services['clickhouse']!.configs?.find((c) =>
    c.target.endsWith('/users.d/grafana-ro.xml'),
  );
  assert.ok(chUsers);
  const xml = compose.configs[chUsers.source]!.content;
  assert.match(xml, new RegExp(`<${READ_ONLY_USER}>[\\s\\S]*<profile>grafana_readonly</profile>`));
  assert.match(xml, /<grafana_readonly>\s*<readonly>2<\/readonly>/);
});
