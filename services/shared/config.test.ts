import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS, loadConfig } from './config.js';

test('defaults when nothing is set', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c, DEFAULTS);
  assert.ok(Object.isFrozen(c.kafka));
});

test('environment overrides YAML, YAML overrides defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-config-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'tenant: shop-a\nkafka:\n  brokers: ["k1:9092"]\napi:\n  port: 9000\n');
  const c = loadConfig({ env: { LEAKWATCH_CONFIG: file, API_PORT: '9001', KAFKA_BROKERS: 'a:1, b:2' } });
  assert.equal(c.tenant, 'shop-a');
  assert.equal(c.api.port, 9001);
  assert.deepEqual(c.kafka.brokers, ['a:1', 'b:2']);
});

test('every problem is reported at once, naming the env variable', () => {
  assert.throws(
    () =>
      loadConfig({ env: { API_PORT: 'eighty', KAFKA_BROKERS: 'no-port', CLICKHOUSE_DATABASE: 'x;drop' } }),
    (err: Error & { code?: string; details?: { problems: string[] } }) => {
      assert.equal(err.code, 'LW_ERR_CONFIG_INVALID');
      const p = err.details!.problems.join('\n');
      assert.match(p, /api\.port \(API_PORT\)/);
      assert.match(p, /kafka\.brokers\.0 \(KAFKA_BROKERS\)/);
      assert.match(p, /clickhouse\.database \(CLICKHOUSE_DATABASE\)/);
      return true;
    },
  );
});

test('unknown keys in the YAML file are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-config-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'kafka:\n  brokerz: ["x:1"]\n');
  assert.throws(() => loadConfig({ env: { LEAKWATCH_CONFIG: file } }), /LW_ERR_CONFIG_INVALID|kafka/);
});

test('API tokens are name:role:sha256 entries; the old plaintext token:role form is refused with the fix', () => {
  const h1 = 'a'.repeat(64);
  const h2 = '0123456789abcdef'.repeat(4);
  const c = loadConfig({ env: { API_TOKENS: `grafana:viewer:${h1},oncall:responder:${h2}` } });
  assert.deepEqual(c.api.tokens, [
    { name: 'grafana', role: 'viewer', sha256: h1 },
    { name: 'oncall', role: 'responder', sha256: h2 },
  ]);
  assert.throws(
    () => loadConfig({ env: { API_TOKENS: 'aaaaaaaaaaaaaaaa:viewer' } }),
    /API_TOKENS: .*old "token:role" form.*sha256.*leakwatch token create/,
  );
  assert.throws(() => loadConfig({ env: { API_TOKENS: `x:superuser:${h1}` } }), /api\.tokens/);
});
