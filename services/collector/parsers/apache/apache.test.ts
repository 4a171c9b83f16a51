import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigInvalid, ParseBadTimestamp } from '#shared/errors.js';
import {
  parsedOne as one,
  oneResultPerLine,
  realWebLogTests,
  rejectedOne as rejectOf,
  feed as results,
} from '../../../../test/support/feed.js';
import { readRealLines, realLogPath } from '../../../../test/support/real-logs.js';
import { FORMATS } from '../../formats/registry.js';
import { APACHE_COMBINED, apacheFormat } from './apache.js';

// Other formats, through the registry (a format's folder imports no other format's).
const nginxFormat = FORMATS.nginx;

const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0';

test('combined (default) and common: the fast path, apache in reject messages', () => {
  for (const logFormat of [undefined, 'combined', 'common', APACHE_COMBINED, '%h %l %u %t \\"%r\\" %>s %b']) {
    const p = apacheFormat.create(logFormat === undefined ? undefined : { logFormat });
    const r = one(p, '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326');
    assert.equal(r.tsMs, Date.UTC(2000, 9, 10, 20, 55, 36));
    assert.equal(r.user, 'frank');
    assert.equal(r.bytesOut, 2326);
    assert.equal(r.target, '/apache_pb.gif');
    assert.match(rejectOf(p, 'garbage').message, /malformed apache line: no_timestamp/);
  }
  const p = apacheFormat.create();
  const r = one(
    p,
    `::1 - - [10/Oct/2000:13:55:36 -0700] "GET /a?q=\\"x\\" HTTP/1.1" 200 - "http://ref/" "${UA} \\"q\\""`,
  );
  assert.equal(r.clientIp, '::1');
  assert.equal(r.bytesOut, 0);
  assert.equal(r.target, '/a?q="x"');
  assert.equal(r.referer, 'http://ref/');
  assert.equal(r.userAgent, `${UA} "q"`);
  assert.equal(
    one(p, `1.2.3.4 - - [31/Dec/2025:23:59:59 -0100] "GET / HTTP/1.1" 200 1 "-" "-"\r`).tsMs,
    Date.parse('2026-01-01T00:59:59Z'),
  );
  assert.deepEqual(results(p, [' ']), [{ ok: 'skip', kind: 'blank', position: '0', lines: 1 }]);
});

test('vhost_combined: %v:%p and %O', () => {
  const p = apacheFormat.create({ logFormat: 'vhost_combined' });
  const r = one(
    p,
    `www.example.org:443 2001:db8::2 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 2326 "-" "${UA}"`,
  );
  assert.equal(r.clientIp, '2001:db8::2');
  assert.equal(r.bytesOut, 2326);
  assert.deepEqual(r.attrs, { server_name: 'www.example.org', port: '443' });
  assert.equal(r.userAgent, UA);
});

test('custom LogFormat: every directive lands in its field', () => {
  const p = apacheFormat.create({
    logFormat:
      'LogFormat "%a %{c}a %l %u %{%Y-%m-%dT%H:%M:%S %z}t \\"%m %U%q %H\\" %>s %s %B %O %I %D ' +
      '\\"%{X-Forwarded-For}i\\" \\"%{Authorization}i\\" %{JSESSIONID}C %v %p %X %k %{Content-Type}o %%" custom',
  });
  const r = one(
    p,
    '203.0.113.9 10.0.0.1 - carol 2024-03-10T01:59:59 -0500 "GET /chart/7?full=1 HTTP/1.1" 200 302 512 900 ' +
      '88 1500 "198.51.100.1, 10.0.0.1" "Bearer abc" J123 ehr.example 443 + 0 text/html %',
  );
  assert.equal(r.tsMs, Date.UTC(2024, 2, 10, 6, 59, 59));
  assert.equal(r.clientIp, '203.0.113.9');
  assert.equal(r.user, 'carol');
  assert.equal(r.method, 'GET');
  assert.equal(r.target, '/chart/7?full=1');
  assert.equal(r.status, 200);
  assert.equal(r.bytesOut, 512);
  assert.equal(r.durationMs, 1.5);
  assert.deepEqual(r.forwardedFor, ['198.51.100.1', '10.0.0.1']);
  assert.deepEqual(r.headers, { 'x-forwarded-for': '198.51.100.1, 10.0.0.1', authorization: 'Bearer abc' });
  assert.deepEqual(r.cookies, { JSESSIONID: 'J123' });
  assert.deepEqual(r.attrs, {
    peer_ip: '10.0.0.1',
    protocol: 'HTTP/1.1',
    original_status: '302',
    bytes_received: '88',
    server_name: 'ehr.example',
    port: '443',
    conn_status: '+',
    keepalive: '0',
    'response.content-type': 'text/html',
  });
  // DST: the same wall-clock hour in -0400 and -0500.
  const t = apacheFormat.create({ logFormat: '%h %{%d/%b/%Y %T %z}t %>s' });
  const a = one(t, '1.2.3.4 02/Nov/2025 01:30:00 -0400 200').tsMs;
  const b = one(t, '1.2.3.4 02/Nov/2025 01:30:00 -0500 200').tsMs;
  assert.equal(b - a, 3_600_000);
  // %{sec}t, %{msec_frac}t, %T, %{ms}T, %b with -
  const e = apacheFormat.create({ logFormat: '%h [%{sec}t.%{msec_frac}t] %T %{ms}T "%r" %>s %b' });
  const er = one(e, '1.2.3.4 [1431857103.250] 2 1999 "POST /x HTTP/1.1" 201 -');
  assert.equal(er.tsMs, 1431857103250);
  assert.equal(er.durationMs, 1999); // the last duration written wins
  assert.equal(er.bytesOut, 0);
  // %h %l %u %t with the bracketed time containing a space
  const c = apacheFormat.create({ logFormat: '%t %h %>s' });
  assert.equal(one(c, '[10/Oct/2000:13:55:36 -0700] 1.2.3.4 404').status, 404);
  assert.equal(rejectOf(c, '[10/Oct/2000:13:55:36] 1.2.3.4 404').code, ParseBadTimestamp.code);
  assert.match(rejectOf(c, '[10/Oct/2000:13:55:36 -0700] 1.2.3.4 4x4').message, /bad_status/);
});

test('bad LogFormat options throw ConfigInvalid listing every problem', () => {
  assert.throws(
    () => apacheFormat.create({ logFormat: '%h %Z "%r %{Referer %' }),
    (e: unknown) => {
      assert.ok(e instanceof Error && (e as { code?: string }).code === ConfigInvalid.code);
      assert.match(e.message, /unknown directive %Z/);
      assert.match(e.message, /unbalanced double quotes/);
      assert.match(e.message, /unterminated %\{/);
      assert.match(e.message, /no time field/);
      return true;
    },
  );
  assert.throws(() => apacheFormat.create({ logFormat: '%h %{%Y-%m-%d %H:%M:%S}t' }), /has no zone/);
  assert.throws(() => apacheFormat.create({ logFormat: '%h%u %t' }), /%h and %u have no separator/);
  assert.throws(
    () => apacheFormat.create({ logFormat: '%h %t %{x}Q %' }),
    /unknown directive %\{x\}Q.*lone %/,
  );
  assert.throws(() => apacheFormat.create({ format: 'x' } as never), /unknown option "format"/);
});

test('sniff: Apache common and vhost lines prefer apache; other formats score low', () => {
  const common = ['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'];
  assert.ok(apacheFormat.sniff(common) >= 0.8);
  assert.ok(apacheFormat.sniff(common) > nginxFormat.sniff(common));
  const vhost = ['example.org:80 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "-"'];
  assert.ok(apacheFormat.sniff(vhost) > nginxFormat.sniff(vhost));
  const combined = [`1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}"`];
  assert.ok(apacheFormat.sniff(combined) >= 0.8);
  for (const lines of [
    ['# Time: 071218 11:48:27'],
    ['{"Records":[{"eventTime":"2018-11-28T22:31:59Z"}]}'],
    ['2020-03-11 20:40:43 CET::@:[27212]:LOG:  checkpoint starting: time'],
    [''],
  ])
    assert.ok(apacheFormat.sniff(lines) < 0.3, lines[0]);
});

const VALID = [
  `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}"`,
  'h:80 1.2.3.4 - u [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 - "-" "x \\"y\\""',
];

test('property: the apache parsers never throw, and account for every line', () => {
  const parsers = () => [
    apacheFormat.create(),
    apacheFormat.create({ logFormat: 'vhost_combined' }),
    apacheFormat.create({
      logFormat: '%a %{%Y-%m-%dT%H:%M:%S %z}t %D "%r" %>s %b "%{X-Forwarded-For}i" %{s}C',
    }),
  ];
  const mutated = fc
    .tuple(fc.constantFrom(...VALID), fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 8 }))
    .map(([s, a, b, ins]) => {
      const i = a % (s.length + 1);
      return s.slice(0, i) + ins + s.slice(Math.min(s.length, i + (b % 6)));
    });
  const line = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), mutated);
  oneResultPerLine(line, parsers, (lines) => apacheFormat.sniff(lines));
});

// The default goes through the same combined parser as nginx's: the same skips and rejects.
realWebLogTests('apache', apacheFormat, (lines, rs) => {
  // Records identical to the nginx default's.
  assert.deepEqual(rs, results(nginxFormat.create(), lines));
});

test('real values: dreamhost (Apache, -0700, trailing blank)', {
  skip: realLogPath('web-advertools/dreamhost_apache_access.log') === null,
}, () => {
  const rs = results(
    apacheFormat.create(),
    readRealLines(realLogPath('web-advertools/dreamhost_apache_access.log') as string),
  );
  // 107.20.105.74 - - [25/Apr/2023:01:45:43 -0700] "HEAD / HTTP/1.1" 200 5640 "http://208.113.171.66" "DreamHost SiteMonitor 1.0"
  const r = rs[0];
  assert.ok(r?.ok === true);
  assert.equal(r.record.tsMs, Date.UTC(2023, 3, 25, 8, 45, 43));
  assert.equal(r.record.method, 'HEAD');
  assert.equal(r.record.bytesOut, 5640);
  assert.equal(r.record.referer, 'http://208.113.171.66');
  assert.equal(r.record.userAgent, 'DreamHost SiteMonitor 1.0');
  assert.deepEqual(rs[86], { ok: 'skip', kind: 'blank', position: rs[86]?.position, lines: 1 });
});
