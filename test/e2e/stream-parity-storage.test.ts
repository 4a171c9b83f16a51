// Streaming raises what scan raises, on object-store logs (issue 15): the S3 server access log of
// `leakwatch simulate --family s3 --seed 1` (24 h: a private media bucket read with credentials and
// presigned URLs, public website and assets buckets read anonymously, every storage scenario,
// private-bucket reads of generic objects included) goes through collector -> Kafka (6 partitions)
// -> detector and through `leakwatch scan`, with the same redaction key: the same alert ids.
//
// What this adds to stream-parity.test.ts: how a bucket is read (baselines/bucket-history.ts) is
// learnt from requests keyed by many principals, so on many partitions; the detector shares one
// history between its partitions' engines, and the anonymous reader's partition sees what the
// presigned readers' partitions taught it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Admin, Kafka } from 'kafkajs';
import type { Alert } from '#shared/avro/generated/alert.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
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
const PARTITIONS = 6;
const TENANT = 'clinic';
const KEY = 'stream-parity-storage-redaction-key-01234';

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
  dir = mkdtempSync(join(tmpdir(), 'lw-parity-s3-'));
});

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function simulate(): string {
  const sim = spawnSync(
    process.execPath,
    [LEAKWATCH, 'simulate', '--out', dir, '--family', 's3', '--seed', '1', '--tenant', TENANT],
    { encoding: 'utf8' },
  );
  assert.equal(sim.status, 0, sim.stderr);
  return join(dir, 's3.log');
}

/** alert_id -> "rule entity" of what `leakwatch scan` prints. */
function scanned(log: string): Map<string, string> {
  const r = spawnSync(
    process.execPath,
    [LEAKWATCH, 'scan', log, '--format', 's3', '--tenant', TENANT, '--redaction-key', KEY, '--no-progress'],
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

test('the storage simulation streamed through collector, Kafka and detector raises the alert ids scan raises', {
  timeout: 300_000,
}, async () => {
  const log = simulate();
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
  const env: Record<string, string> = {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: svc.clickhouseUrl,
    CLICKHOUSE_DATABASE: uniqueName('parity_s3'),
    LEAKWATCH_TENANT: TENANT,
    COLLECTOR_FORMAT: 's3',
    COLLECTOR_REDACTION_KEY: KEY,
    ...streamEnv('parity-s3', PARTITIONS),
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

  assert.ok(expected.size >= 8, `scan raises alerts (${expected.size})`);
  assert.ok(
    [...expected.values()].some((d) => d.startsWith('unauthenticated-sensitive client_ip:')),
    'anonymous reads alert',
  );
  const onlyScan = [...expected].filter(([id]) => !streamed.has(id)).map(([, d]) => d);
  const onlyStream = [...streamed].filter(([id]) => !expected.has(id)).map(([, d]) => d);
  assert.deepEqual(
    { onlyScan, onlyStream },
    { onlyScan: [], onlyStream: [] },
    `${lines} lines: ${expected.size} alerts from scan, ${streamed.size} streamed`,
  );
});
