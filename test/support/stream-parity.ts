// What the stream-parity e2e tests share: one simulated log through the real services (collector ->
// Kafka, 6 partitions -> detector, a fresh ClickHouse database with empty baselines) and through
// `leakwatch scan` with the same redaction key; each test asserts the two alert-id sets are equal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '#shared/avro/generated/alert.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { freePort, type ServiceProcess, startService } from './processes.js';
import { getServices, uniqueName, waitFor } from './services.js';
import {
  collectorPublished,
  createTopics,
  readAlerts,
  streamEnv,
  streamTopics,
  testKafka,
  waitCaughtUp,
} from './streams.js';

const LEAKWATCH = join(PACKAGE_ROOT, 'bin/leakwatch.js');
const PARTITIONS = 6;

export interface ParityCase {
  /** Names the topics, group and database (with a unique suffix). */
  name: string;
  tenant: string;
  redactionKey: string;
  /** `leakwatch simulate` arguments after `--out DIR` and `--tenant`. */
  simulate: string[];
  /** The file simulate writes in DIR. */
  logFile: string;
  /** `leakwatch scan` format arguments (`--format …`, `--log-format …`). */
  scanFormat: string[];
  /** The collector's format settings (COLLECTOR_FORMAT, COLLECTOR_LOG_FORMAT). */
  collectorEnv: Record<string, string>;
}

export interface ParityResult {
  lines: number;
  /** alert_id -> "rule type:value", from `leakwatch scan`. */
  scanned: Map<string, string>;
  /** The same, from the detector's alerts topic. */
  streamed: Map<string, string>;
}

function describe(a: Alert): string {
  return `${a.rule} ${a.entity.type}:${a.entity.value}`;
}

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [LEAKWATCH, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Simulates, streams and scans `c`; stops its services and removes its files before returning. */
export async function streamAndScan(c: ParityCase): Promise<ParityResult> {
  const svc = await getServices();
  const kafka = testKafka(svc.kafkaBrokers);
  const admin = kafka.admin();
  await admin.connect();
  const dir = mkdtempSync(join(tmpdir(), `lw-${c.name}-`));
  const procs: ServiceProcess[] = [];
  try {
    run(['simulate', '--out', dir, '--tenant', c.tenant, ...c.simulate]);
    const log = join(dir, c.logFile);
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const env: Record<string, string> = {
      KAFKA_BROKERS: svc.kafkaBrokers.join(','),
      CLICKHOUSE_URL: svc.clickhouseUrl,
      CLICKHOUSE_DATABASE: uniqueName(c.name.replace(/-/g, '_')),
      LEAKWATCH_TENANT: c.tenant,
      COLLECTOR_REDACTION_KEY: c.redactionKey,
      ...c.collectorEnv,
      ...streamEnv(c.name, PARTITIONS),
    };
    await createTopics(admin, streamTopics(env), PARTITIONS);
    const migrate = startService('migrate', ['migrate'], env);
    assert.equal(await migrate.exited, 0, migrate.logs());
    procs.push(
      startService('detector', ['detector'], { ...env, DETECTOR_HTTP_PORT: String(await freePort()) }),
    );
    const collectorPort = await freePort();
    procs.push(
      startService('collector', ['collector', log], { ...env, COLLECTOR_HTTP_PORT: String(collectorPort) }),
    );
    await waitFor(
      'every line in the access topic',
      async () => (await collectorPublished(collectorPort)) >= lines,
      {
        timeoutMs: 120_000,
        intervalMs: 250,
      },
    );
    await waitCaughtUp(admin, env['DETECTOR_GROUP_ID']!, [
      env['LEAKWATCH_TOPIC_ACCESS']!,
      env['LEAKWATCH_TOPIC_ACCESS_BY_ROUTE']!,
    ]);
    const streamed = new Map<string, string>();
    for (const a of await readAlerts(admin, kafka, env['LEAKWATCH_TOPIC_ALERTS']!))
      streamed.set(a.alert_id, describe(a));
    const scanned = new Map<string, string>();
    const out = run([
      'scan',
      log,
      ...c.scanFormat,
      '--tenant',
      c.tenant,
      '--redaction-key',
      c.redactionKey,
      '--no-progress',
    ]);
    for (const l of out.split('\n').filter(Boolean)) {
      const a = JSON.parse(l) as Alert;
      scanned.set(a.alert_id, describe(a));
    }
    return { lines, scanned, streamed };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts both sets hold the same alert ids, listing what only one side raised. */
export function assertSameAlerts(r: ParityResult): void {
  const onlyScan = [...r.scanned].filter(([id]) => !r.streamed.has(id)).map(([, d]) => d);
  const onlyStream = [...r.streamed].filter(([id]) => !r.scanned.has(id)).map(([, d]) => d);
  assert.deepEqual(
    { onlyScan, onlyStream },
    { onlyScan: [], onlyStream: [] },
    `${r.lines} lines: ${r.scanned.size} alerts from scan, ${r.streamed.size} streamed`,
  );
}
