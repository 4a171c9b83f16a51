// Feedback "legitimate" reaches a running detector without a restart: two users walk order ids in
// one window and both raise sequential-enumeration; a responder marks one alert legitimate through
// the API (real ClickHouse); within DETECTOR_POLICY_REFRESH_MS the detector reads the allow entry,
// and the next windows' walks raise alerts for the other user only.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Alert } from '#shared/avro/generated/alert.js';
import { command, createClickHouse, insertRows } from '#shared/clickhouse/client.js';
import { alertToRow } from '#shared/clickhouse/rows.js';
import { ident, sql, table } from '#shared/clickhouse/sql.js';
import { loadConfig } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import { build } from '../../services/api/app.js';
import { freePort, type ServiceProcess, startService } from '../support/processes.js';
import { getServices, uniqueName, waitFor } from '../support/services.js';
import {
  createTopics,
  orderReads,
  type Placed,
  produceEvents,
  readAlerts,
  streamEnv,
  streamTopics,
  testKafka,
} from '../support/streams.js';

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const HOUR = 3_600_000;
const RESPONDER = 'responder-token-0123456789abcdef';

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let env: Record<string, string>;
const procs: ServiceProcess[] = [];

/** Both users walk 25 order ids starting at `hour` hours after T0 (a fresh range each time). */
function walks(hour: number): Placed[] {
  const out: Placed[] = [];
  for (const [p, user] of ['walker-a', 'walker-b'].entries()) {
    for (const event of orderReads(user, 1000 * (hour + 1) + p * 500, 25, T0 + hour * HOUR + p * 100, 2000)) {
      out.push({ event, partition: p });
    }
  }
  return out.sort((a, b) => a.event.ts - b.event.ts);
}

async function alertsOf(user: string): Promise<Alert[]> {
  return (await readAlerts(admin, kafka, env['LEAKWATCH_TOPIC_ALERTS']!)).filter(
    (a) => a.entity.value === user && a.rule === 'sequential-enumeration',
  );
}

const distinctIds = (alerts: Alert[]) => new Set(alerts.map((a) => a.alert_id)).size;

before(async () => {
  const svc = await getServices();
  kafka = testKafka(svc.kafkaBrokers);
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await admin.connect();
  await producer.connect();
  env = {
    KAFKA_BROKERS: svc.kafkaBrokers.join(','),
    CLICKHOUSE_URL: svc.clickhouseUrl,
    CLICKHOUSE_DATABASE: uniqueName('feedback'),
    ...streamEnv('feedback', 2),
    DETECTOR_POLICY_REFRESH_MS: '1000',
    DETECTOR_HTTP_PORT: String(await freePort()),
    API_TOKENS: `alice:responder:${createHash('sha256').update(RESPONDER).digest('hex')}`,
    LOG_LEVEL: 'warn',
  };
  await createTopics(admin, streamTopics(env), 2);
  const migrate = startService('migrate', ['migrate'], env);
  assert.equal(await migrate.exited, 0, migrate.logs());
  procs.push(startService('detector', ['detector'], env));
});

after(async () => {
  for (const p of procs) await p.stop();
  await producer.disconnect();
  await admin.disconnect();
  const ch = createClickHouse(loadConfig({ env }));
  await command(ch, sql`DROP DATABASE IF EXISTS ${ident(env['CLICKHOUSE_DATABASE']!)}`);
  await ch.close();
});

test('feedback "legitimate" quiets that rule on that entity in the next windows, without a restart; the other entity still alerts', {
  timeout: 180_000,
}, async () => {
  await produceEvents(producer, env['LEAKWATCH_TOPIC_ACCESS']!, walks(0));
  const first = await waitFor(
    'both walkers alerted in the first window',
    async () => {
      const [a, b] = [await alertsOf('walker-a'), await alertsOf('walker-b')];
      return a.length > 0 && b.length > 0 ? a : null;
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );

  // The responder's view: the alert is in ClickHouse (the archiver's job, done by hand here).
  const cfg = loadConfig({ env });
  const ch = createClickHouse(cfg);
  await insertRows(ch, table(cfg.clickhouse.database, 'alerts'), [alertToRow(first.at(-1)!)]);
  const app = await build({ config: cfg, ch, log: createLogger('api', 'silent') });
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/alerts/${first[0]!.alert_id}/feedback`,
    headers: { authorization: `Bearer ${RESPONDER}` },
    payload: { verdict: 'legitimate', reason: 'nightly export job' },
  });
  await app.close();
  await ch.close();
  assert.equal(res.statusCode, 201, res.body);

  await new Promise((r) => setTimeout(r, 3000)); // > DETECTOR_POLICY_REFRESH_MS
  await produceEvents(producer, env['LEAKWATCH_TOPIC_ACCESS']!, [...walks(1), ...walks(2)]);
  await waitFor(
    'walker-b alerted in two more windows',
    async () => distinctIds(await alertsOf('walker-b')) >= 3,
    {
      timeoutMs: 90_000,
      intervalMs: 1000,
    },
  );
  await new Promise((r) => setTimeout(r, 2000)); // the detector had every event by now; let it finish
  const a = await alertsOf('walker-a');
  assert.equal(distinctIds(a), 1, `walker-a raised ${[...new Set(a.map((x) => x.alert_id))].join(', ')}`);
  assert.ok(a.every((x) => x.alert_id === first[0]!.alert_id));
  assert.equal(distinctIds(await alertsOf('walker-b')), 3);
});
