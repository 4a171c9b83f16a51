// Finds real Kafka and ClickHouse for integration and end-to-end tests (kafkajs testHelpers' role):
//  1. KAFKA_BROKERS and CLICKHOUSE_URL when both are set;
//  2. else testcontainers, when a Docker engine answers;
//  3. else the project's local services from deploy/local (started if they are not running).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '#shared/paths.js';

export interface TestServices {
  kafkaBrokers: string[];
  clickhouseUrl: string;
  via: 'env' | 'testcontainers' | 'local';
}

let cached: Promise<TestServices> | undefined;

export function getServices(): Promise<TestServices> {
  cached ??= discover();
  return cached;
}

async function discover(): Promise<TestServices> {
  const brokers = process.env['KAFKA_BROKERS'];
  const chUrl = process.env['CLICKHOUSE_URL'];
  if (brokers && chUrl) return { kafkaBrokers: brokers.split(','), clickhouseUrl: chUrl, via: 'env' };
  if (await dockerReachable()) return startContainers();
  const r = spawnSync('bash', [join(PACKAGE_ROOT, 'deploy/local/up.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) {
    throw new Error(`deploy/local/up.sh failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { kafkaBrokers: ['127.0.0.1:19092'], clickhouseUrl: 'http://127.0.0.1:18123', via: 'local' };
}

function dockerReachable(): Promise<boolean> {
  const socketPath = '/var/run/docker.sock';
  if (process.env['LEAKWATCH_NO_DOCKER'] || !existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

// Not exercised on machines without Docker (ours); kept to the images deploy/compose uses.
async function startContainers(): Promise<TestServices> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer('apache/kafka:4.1.0')
    .withExposedPorts({ container: 19092, host: 19092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:19092,CONTROLLER://:19093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:19093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const ch = await new GenericContainer('clickhouse/clickhouse-server:24.8')
    .withExposedPorts(8123)
    .withWaitStrategy(Wait.forHttp('/ping', 8123))
    .start();
  return {
    kafkaBrokers: [`${kafka.getHost()}:19092`],
    clickhouseUrl: `http://${ch.getHost()}:${ch.getMappedPort(8123)}`,
    via: 'testcontainers',
  };
}

/** A name no other test run uses: topics, databases, consumer groups. */
export function uniqueName(prefix: string): string {
  return `lwtest_${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
