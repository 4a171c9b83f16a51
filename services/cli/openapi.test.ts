// `leakwatch openapi` prints the document with no store running: ClickHouse and Kafka point at a
// closed port and the command still answers, quickly, with valid JSON listing the API's paths.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '#shared/paths.js';

test('leakwatch openapi prints the OpenAPI document without any store', () => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin/leakwatch.js'), 'openapi'], {
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'],
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      KAFKA_BROKERS: '127.0.0.1:1',
      LOG_LEVEL: 'silent',
      NODE_NO_WARNINGS: '1',
    },
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  assert.match(doc.openapi, /^3\./);
  assert.ok(doc.paths['/api/v1/alerts']?.['get'], 'lists the alert routes');
  assert.equal(doc.paths['/api/v1/alerts']!['get']!['x-leakwatch-role'], 'viewer');
  assert.equal(doc.paths['/healthz'], undefined, 'ops routes are hidden');
  assert.ok(Date.now() - t0 < 20_000);
});
