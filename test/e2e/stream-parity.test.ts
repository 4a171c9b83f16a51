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
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { SIM_LOG_FORMAT } from '../../services/simulate/format.js';
import { assertSameAlerts, streamAndScan } from '../support/stream-parity.js';

const REAL_LOG = join(PACKAGE_ROOT, '../shared/data/real/apache-elastic-examples/apache_logs');

test('the demo simulation streamed through collector, Kafka and detector raises the alert ids scan raises', {
  timeout: 300_000,
}, async () => {
  const r = await streamAndScan({
    name: 'parity',
    tenant: 'demo-shop',
    redactionKey: 'stream-parity-redaction-key-0123456789',
    simulate: ['--hours', '3', '--seed', '7', ...(existsSync(REAL_LOG) ? ['--background', REAL_LOG] : [])],
    logFile: 'sim.log',
    scanFormat: ['--format', 'nginx', '--log-format', SIM_LOG_FORMAT],
    collectorEnv: { COLLECTOR_FORMAT: 'nginx', COLLECTOR_LOG_FORMAT: SIM_LOG_FORMAT },
  });
  assert.ok(r.scanned.size > 100, `scan raises alerts (${r.scanned.size})`);
  assertSameAlerts(r);
});
