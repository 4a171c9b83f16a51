import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { requestMethod, requestTarget, splitForwardedFor } from './web-fields.js';
import {
  compileStrftime,
  epochToMs,
  parseAnyTimestamp,
  parseDecimal,
  parseIso8601,
  parseStrftime,
} from './web-time.js';

test('parseIso8601: zones, fractions, rejects', () => {
  const at = Date.UTC(2024, 2, 10, 2, 0, 0);
  assert.equal(parseIso8601('2024-03-10T07:30:00+05:30'), at);
  assert.equal(parseIso8601('2024-03-10T07:30:00+0530'), at);
  assert.equal(parseIso8601('2024-03-10T02:00:00Z'), at);
  assert.equal(parseIso8601('2024-03-10 02:00:00z'), at);
  assert.equal(parseIso8601('2024-03-10T07:00:00+05'), at);
  assert.equal(parseIso8601('2024-03-10T02:00Z'), at);
  assert.equal(parseIso8601('2024-03-10T02:00:00.123456789Z'), at + 123);
  assert.equal(parseIso8601('2025-12-31T23:59:59-01:00'), Date.parse('2026-01-01T00:59:59Z'));
  for (const bad of [
    '2024-03-10T02:00:00', // no zone
    '2024-02-30T02:00:00Z',
    '2023-02-29T02:00:00Z',
    '2024-03-10T24:00:00Z',
    '2024-03-10T02:00:00+2400',
    '2024-03-10T02:00:00Zjunk',
    '2024/03/10T02:00:00Z',
    '',
  ])
    assert.ok(Number.isNaN(parseIso8601(bad)), bad);
});

test('parseIso8601 agrees with Date.parse on random instants and offsets', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.integer({ min: -14 * 4, max: 14 * 4 }),
      (ms, q) => {
        const off = q * 15;
        const local = new Date(ms + off * 60_000).toISOString().slice(0, 23);
        const a = Math.abs(off);
        const z = `${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
        assert.equal(parseIso8601(local + z), ms);
      },
    ),
    { numRuns: 1000 },
  );
});

test('epochToMs: the unit from the magnitude', () => {
  assert.equal(epochToMs(1431857103), 1431857103000);
  assert.equal(epochToMs(1431857103.5), 1431857103500);
  assert.equal(epochToMs(1431857103123), 1431857103123);
  assert.equal(epochToMs(1431857103123456), 1431857103123);
  assert.equal(epochToMs(1431857103123e6), 1431857103123);
  assert.ok(Number.isNaN(epochToMs(-1)));
  assert.ok(Number.isNaN(epochToMs(Number.POSITIVE_INFINITY)));
  assert.equal(parseDecimal('0.250'), 0.25);
  assert.ok(Number.isNaN(parseDecimal('1e3')));
  assert.ok(Number.isNaN(parseDecimal('1.')));
  assert.equal(parseAnyTimestamp('[17/May/2015:10:05:03 +0000]'), Date.UTC(2015, 4, 17, 10, 5, 3));
  assert.equal(parseAnyTimestamp('17/May/2015:10:05:03 +0000'), Date.UTC(2015, 4, 17, 10, 5, 3));
  assert.equal(parseAnyTimestamp('1431857103.250'), 1431857103250);
});

test('strftime programs (Apache %{...}t)', () => {
  const problems: string[] = [];
  const iso = compileStrftime('%Y-%m-%dT%H:%M:%S %z', 't', problems);
  assert.equal(parseStrftime(iso, '2024-03-10T01:59:59 -0500'), Date.UTC(2024, 2, 10, 6, 59, 59));
  assert.equal(parseStrftime(iso, '2024-03-10T01:59:59 -05:00'), Date.UTC(2024, 2, 10, 6, 59, 59));
  assert.ok(Number.isNaN(parseStrftime(iso, '2024-03-10T01:59:59')));
  assert.ok(Number.isNaN(parseStrftime(iso, '2024-03-10T01:59:59 -0500 x')));
  const clf = compileStrftime('%d/%b/%Y:%T %z', 't', problems);
  assert.equal(parseStrftime(clf, '31/Dec/2025:23:59:59 -0100'), Date.parse('2026-01-01T00:59:59Z'));
  const named = compileStrftime('%a, %e %B %Y %H:%M:%S %Z', 't', problems);
  assert.equal(parseStrftime(named, 'Sun,  7 January 2024 10:00:00 GMT'), Date.UTC(2024, 0, 7, 10));
  assert.ok(Number.isNaN(parseStrftime(named, 'Sun,  7 January 2024 10:00:00 CET')));
  const epoch = compileStrftime('%s', 't', problems);
  assert.equal(parseStrftime(epoch, '1431857103'), 1431857103000);
  assert.deepEqual(problems, []);
  compileStrftime('%Y-%m-%d %H:%M:%S', 'x', problems);
  compileStrftime('%Q %z', 'y', problems);
  assert.equal(problems.length, 3);
  assert.match(problems[0] ?? '', /no zone/);
  assert.match(problems[1] ?? '', /%Q is not supported/);
});

test('request lines and forwarded-for lists', () => {
  assert.equal(requestMethod('GET /a?b HTTP/1.1'), 'GET');
  assert.equal(requestTarget('GET /a?b HTTP/1.1'), '/a?b');
  assert.equal(requestTarget('GET /a b HTTP/2.0'), '/a b');
  assert.equal(requestTarget('GET /'), '/');
  assert.equal(requestMethod('\\x16\\x03\\x01'), null);
  assert.equal(requestTarget(''), null);
  assert.equal(requestMethod('GET '), null);
  assert.deepEqual(splitForwardedFor('203.0.113.7, unknown,10.0.0.1  2001:db8::1'), [
    '203.0.113.7',
    '10.0.0.1',
    '2001:db8::1',
  ]);
  assert.deepEqual(splitForwardedFor('-'), []);
});

test('property: time parsers never throw and return NaN or a finite number', () => {
  const p = compileStrftime('%d/%b/%Y:%H:%M:%S %z', 't', []);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      for (const v of [parseAnyTimestamp(s), parseIso8601(s), parseStrftime(p, s)])
        assert.ok(Number.isNaN(v) || Number.isFinite(v));
    }),
    { numRuns: 1000 },
  );
});
