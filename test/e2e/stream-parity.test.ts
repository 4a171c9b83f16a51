// Streaming raises what scan raises (issue 15). The demo's simulation (every leak scenario mixed into
// 3 hours of a real access log, `leakwatch simulate --hours 3 --seed 7`) goes through the real
// services, collector -> Kafka (6 partitions, as deployed) -> detector -> alerts topic, with a fresh
// ClickHouse database (empty `baselines`: the detector learns from the stream, as `make demo`), and
// through `leakwatch scan` on the same file with the same redaction key. The alert ids must be the
// same set.
//
// What makes them equal: the by-route stream is aligned on event time across the access partitions
// (partitions.ts ForwardAligner), so route-keyed state sees a spread-out walk in the order it
// happened; stream-learnt peer and tenant groups are learnt once per detector process from every
// partition (baselines/tenant-groups.ts), so a peer threshold does not depend on which principals
// hash to the same partition. One detector instance owns every partition here; with several, each
// aligns only its own partitions (README "Streaming and scan").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Admin, Kafka } from 'kafkajs';
import type { Alert } from '#shared/avro/generated/alert.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { SIM_LOG_FORMAT } from '../../services/simulate/format.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, type TestServices, uniqueName, waitFor } from '../support/services.js';
import {
  collectorPublished,
  createTopics,
  readAlerts,
  streamEnv,
  streamTopics,
  testKafka,
  waitCaughtUp,
} from '../support/streams.js';

const LEAKWATCH = join(PACKAGE_ROOT, 'bin/leakwatch.js');
const REAL_LOG = join(PACKAGE_ROOT, '../shared/data/real/apache-elastic-examples/apache_logs');
const PARTITIONS = 6;
const TENANT = 'demo-shop';
const KEY = 'stream-parity-redaction-key-0123456789';

let svc: TestServices;
let kafka: Kafka;
let admin: Admin;
let dir: string;
const procs: ServiceProcess[] = [];

before(async () => {
  svc = await getServices();
  kafka = testKafka(svc.kafkaBrokers);
  admin = kafka.admin();
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'lw-parity-'));
});

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function simulate(): string {
  const background = existsSync(REAL_LOG) ? ['--background', REAL_LOG] : [];
  const sim = spawnSync(
    process.execPath,
    [LEAKWATCH, 'simulate', '--out', dir, '--hours', '3', '--seed', '7', '--tenant', TENANT, ...background],
    { encoding: 'utf8' },
  );
  assert.equal(sim.status, 0, sim.stderr);
  return join(dir, 'sim.log');
}

/** alert_id -> "rule entity" of what `leakwatch scan` prints. */
function scanned(log: string): Map<string, string> {
  const r = spawnSync(
    process.execPath,
    [
      LEAKWATCH,
      'scan',
      log,
      '--format',
      'nginx',
      '--log-format',
      SIM_LOG_FORMAT,
      '--tenant',
      TENANT,
      '--redaction-key',
      KEY,
      '--no-progress',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, string>();
  for (const l of r.stdout.split('\n').filter(Boolean)) {
    const a = JSON.parse(l) as Alert;
    out.set(a.alert_id, describe(a));
  }
  return out;
}

function describe(a: Alert): string {
  return `${a.rule} ${a.entity.type}:${a.entity.value}`;
}

test('the demo simulation streamed through collector, Kafka and detector raises the alert ids scan raises', {
  timeout: 300_000,
}, async () => {
  const log = simulate();
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
  const env: Record<string, string> = {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: svc.clickhouseUrl,
    CLICKHOUSE_DATABASE: uniqueName('parity'),
    LEAKWATCH_TENANT: TENANT,
    COLLECTOR_FORMAT: 'nginx',
    COLLECTOR_LOG_FORMAT: SIM_LOG_FORMAT,
    COLLECTOR_REDACTION_KEY: KEY,
    ...streamEnv('parity', PARTITIONS),
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
  const expected = scanned(log);

  assert.ok(expected.size > 100, `scan raises alerts (${expected.size})`);
  const onlyScan = [...expected].filter(([id]) => !streamed.has(id)).map(([, d]) => d);
  const onlyStream = [...streamed].filter(([id]) => !expected.has(id)).map(([, d]) => d);
  assert.deepEqual(
    { onlyScan, onlyStream },
    { onlyScan: [], onlyStream: [] },
    `${lines} lines: ${expected.size} alerts from scan, ${streamed.size} streamed`,
  );
});
