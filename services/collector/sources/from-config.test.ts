import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '#shared/config.js';
import { isLeakwatchError } from '#shared/errors.js';
import { inputKindOf, inputsFromConfig } from './from-config.js';

const TOKEN = 'fluent-bit-token-0123456789';

function problems(env: Record<string, string>): string[] {
  try {
    inputsFromConfig(loadConfig({ env }).collector);
  } catch (err) {
    assert.ok(isLeakwatchError(err) && err.code === 'LW_ERR_CONFIG_INVALID', String(err));
    return err.details?.['problems'] as string[];
  }
  return [];
}

test('env names reach the inputs: syslog UDP+TCP, HTTP ingest with named tokens, body limit, 127.0.0.1 by default', () => {
  const cfg = loadConfig({
    env: {
      COLLECTOR_FILES: '/var/log/nginx/access.log',
      COLLECTOR_SYSLOG_UDP_PORT: '5514',
      COLLECTOR_SYSLOG_TCP_PORT: '5514',
      COLLECTOR_INGEST_PORT: '9880',
      COLLECTOR_INGEST_TOKENS: `fluentbit:${TOKEN},other-token-abcdefghij`,
      COLLECTOR_INGEST_MAX_BODY_BYTES: '1048576',
    },
  });
  const { options } = inputsFromConfig(cfg.collector);
  assert.deepEqual(options.syslog, {
    udp: { host: '127.0.0.1', port: 5514 },
    tcp: { host: '127.0.0.1', port: 5514 },
    maxMessageBytes: 65536,
  });
  assert.deepEqual(options.http, {
    host: '127.0.0.1',
    port: 9880,
    tokens: [{ name: 'fluentbit', token: TOKEN }, 'other-token-abcdefghij'],
    maxBodyBytes: 1048576,
  });
  assert.deepEqual(options.files, ['/var/log/nginx/access.log']);
});

test('listeners alone are enough input; no input at all is refused', () => {
  assert.deepEqual(problems({ COLLECTOR_SYSLOG_TCP_PORT: '0' }), []);
  assert.match(problems({}).join(), /no input/);
});

test('HTTP ingest without a token is refused, as are duplicate tokens and names', () => {
  assert.match(problems({ COLLECTOR_INGEST_PORT: '9880' }).join(), /needs a bearer token/);
  const dup = problems({
    COLLECTOR_INGEST_PORT: '9880',
    COLLECTOR_INGEST_TOKENS: `a:${TOKEN},a:${TOKEN}x,${TOKEN}`,
  });
  assert.equal(dup.length, 2, dup.join('; '));
  // a short token is the schema's problem, reported by loadConfig without echoing it
  assert.throws(
    () => loadConfig({ env: { COLLECTOR_INGEST_TOKENS: 'short' } }),
    (err: unknown) =>
      isLeakwatchError(err) && /COLLECTOR_INGEST_TOKENS/.test(err.message) && !/short/.test(err.message),
  );
});

test('each input reads its own format when it names one, else the collector format', () => {
  const cfg = loadConfig({
    env: {
      COLLECTOR_FILES: '/x.log',
      COLLECTOR_LOG_FORMAT: '$remote_addr [$time_local] "$request" $status $body_bytes_sent',
      COLLECTOR_SYSLOG_UDP_PORT: '0',
      COLLECTOR_SYSLOG_FORMAT: 'postgres',
      COLLECTOR_INGEST_PORT: '0',
      COLLECTOR_INGEST_TOKENS: TOKEN,
    },
  });
  const { formats } = inputsFromConfig(cfg.collector);
  assert.equal(formats.syslog.format, 'postgres');
  assert.equal(formats.syslog.logFormat, undefined, 'the nginx log_format is not handed to postgres');
  assert.equal(formats.ingest.format, 'nginx');
  assert.equal(formats.ingest.logFormat, formats.files.logFormat);
  assert.match(
    problems({ COLLECTOR_SYSLOG_TCP_PORT: '0', COLLECTOR_SYSLOG_LOG_FORMAT: '%h %t' }).join(),
    /logFormat needs/,
  );
});

test('a batch is routed to its input by its source name', () => {
  assert.equal(inputKindOf('/var/log/nginx/access.log'), 'files');
  assert.equal(inputKindOf('stdin'), 'files');
  assert.equal(inputKindOf('syslog:10.0.0.7'), 'syslog');
  assert.equal(inputKindOf('http:fluentbit'), 'ingest');
});

test('COLLECTOR_MAX_LINE_BYTES sets the line limit of files and stdin (default 64 KiB); below 256 is refused', () => {
  const files = { COLLECTOR_FILES: '/var/log/nginx/access.log' };
  assert.equal(inputsFromConfig(loadConfig({ env: files }).collector).options.maxLineBytes, 65536);
  const cfg = loadConfig({ env: { ...files, COLLECTOR_MAX_LINE_BYTES: '1048576' } });
  assert.equal(inputsFromConfig(cfg.collector).options.maxLineBytes, 1048576);
  assert.throws(() => loadConfig({ env: { ...files, COLLECTOR_MAX_LINE_BYTES: '10' } }), /maxLineBytes/);
});
