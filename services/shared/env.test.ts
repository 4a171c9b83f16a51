import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.js';
import { configFileFromEnv, sensitiveKindsFromEnv } from './env.js';

test('LEAKWATCH_SENSITIVE_KINDS read alone: the list config.ts reads', () => {
  const env = { LEAKWATCH_SENSITIVE_KINDS: ' booking, lab_result ,,' };
  assert.deepEqual(sensitiveKindsFromEnv(env), ['booking', 'lab_result']);
  assert.deepEqual(sensitiveKindsFromEnv(env), loadConfig({ env }).detection.sensitiveKinds);
  assert.deepEqual(sensitiveKindsFromEnv({}), []);
});

test('a bad kind is refused alone with the problem config.ts reports', () => {
  const env = { LEAKWATCH_SENSITIVE_KINDS: 'booking,Lab Result' };
  const problems = (err: unknown) => (err as { details: { problems: string[] } }).details.problems;
  let alone: string[] = [];
  let whole: string[] = [];
  assert.throws(
    () => sensitiveKindsFromEnv(env),
    (err) => {
      alone = problems(err);
      return (err as { code: string }).code === 'LW_ERR_CONFIG_INVALID';
    },
  );
  assert.throws(
    () => loadConfig({ env }),
    (err) => {
      whole = problems(err);
      return true;
    },
  );
  assert.deepEqual(alone, whole);
});

test('LEAKWATCH_CONFIG names a file only when set and not empty', () => {
  assert.equal(configFileFromEnv({}), undefined);
  assert.equal(configFileFromEnv({ LEAKWATCH_CONFIG: '' }), undefined);
  assert.equal(configFileFromEnv({ LEAKWATCH_CONFIG: '/etc/leakwatch.yaml' }), '/etc/leakwatch.yaml');
});
