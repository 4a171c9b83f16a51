// Every error code is documented in the README's table (fastify's errors.test.js idea).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as errors from './errors.js';
import { PACKAGE_ROOT } from './paths.js';

test('every error code is documented in README.md', () => {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const codes = Object.values(errors)
    .filter((v): v is errors.ErrorFactory => typeof v === 'function' && 'code' in v)
    .map((f) => f.code);
  assert.ok(codes.length >= 10);
  for (const code of codes) assert.ok(readme.includes(`\`${code}\``), `${code} is not in README.md`);
});

test('errors carry code, status and retriable', () => {
  const e = errors.KafkaUnavailable('127.0.0.1:19092', { cause: new Error('ECONNREFUSED') });
  assert.equal(e.code, 'LW_ERR_KAFKA_UNAVAILABLE');
  assert.equal(e.statusCode, 503);
  assert.equal(e.retriable, true);
  assert.equal(e.message, 'Kafka unreachable at 127.0.0.1:19092');
  assert.ok(e.cause instanceof Error);
  assert.equal(errors.isRetriable(new TypeError('x')), false);
});

test('argNames keep the message arguments in details: callers match data, not text', () => {
  const e = errors.ParseMalformedLine('nginx', 'format_mismatch');
  assert.deepEqual(e.details, { format: 'nginx', reason: 'format_mismatch' });
  assert.equal(e.message, 'malformed nginx line: format_mismatch');
  const withOwn = errors.ParseMalformedLine('postgres', 'no_prefix', { details: { offset: 3 } });
  assert.deepEqual(withOwn.details, { format: 'postgres', reason: 'no_prefix', offset: 3 });
});
