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
import { test } from 'node:test';
import { assertSameAlerts, streamAndScan } from '../support/stream-parity.js';

test('the storage simulation streamed through collector, Kafka and detector raises the alert ids scan raises', {
  timeout: 300_000,
}, async () => {
  const r = await streamAndScan({
    name: 'parity-s3',
    tenant: 'clinic',
    redactionKey: 'stream-parity-storage-redaction-key-01234',
    simulate: ['--family', 's3', '--seed', '1'],
    logFile: 's3.log',
    scanFormat: ['--format', 's3'],
    collectorEnv: { COLLECTOR_FORMAT: 's3' },
  });
  assert.ok(r.scanned.size >= 8, `scan raises alerts (${r.scanned.size})`);
  assert.ok(
    [...r.scanned.values()].some((d) => d.startsWith('unauthenticated-sensitive client_ip:')),
    'anonymous reads alert',
  );
  assertSameAlerts(r);
});
