import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import { REAL_WEB_LOGS, readRealLines, realLogPath, sharedDir } from '../../../../test/support/real-logs.js';
import { daysFromCivil } from './civil-time.js';
import { type ParsedHttpLine, parseNginxCombined, parseTimeLocal } from './combined-line.js';
import { requestMethod, requestTarget } from './web-fields.js';

function ok(line: string): ParsedHttpLine {
  const r = parseNginxCombined(line);
  if (!r.ok) assert.fail(`rejected (${r.error.message}): ${line}`);
  return r.value;
}

function rejectCode(line: string): string {
  const r = parseNginxCombined(line);
  assert.equal(r.ok, false, `accepted: ${line}`);
  return r.ok ? '' : r.error.code;
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0';
const T = Date.UTC(2015, 4, 17, 10, 5, 3);

test('a plain combined line', () => {
  const v = ok(
    `83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a/b.png?x=1 HTTP/1.1" 200 203023 "http://s.com/p" "${UA}"`,
  );
  assert.deepEqual(v, {
    clientIp: '83.149.9.216',
    forwardedFor: [],
    remoteUser: null,
    tsMs: T,
    request: 'GET /a/b.png?x=1 HTTP/1.1',
    method: 'GET',
    target: '/a/b.png?x=1',
    protocol: 'HTTP/1.1',
    status: 200,
    bytes: 203023,
    referer: 'http://s.com/p',
    userAgent: UA,
    extra: [],
  });
});

test('table of real-world shapes', () => {
  const cases: Array<[string, string, Partial<ParsedHttpLine>]> = [
    [
      'IPv6 client, user, HTTP/2.0',
      `2001:db8::1 - alice [17/May/2015:10:05:03 +0000] "POST /wp-json/wc/v3/orders HTTP/2.0" 201 12 "-" "-"`,
      {
        clientIp: '2001:db8::1',
        remoteUser: 'alice',
        method: 'POST',
        protocol: 'HTTP/2.0',
        referer: null,
        userAgent: null,
      },
    ],
    [
      '- for bytes',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 304 - "-" "${UA}"`,
      { status: 304, bytes: 0 },
    ],
    [
      'escaped quotes inside request and user agent',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /q?a=\\"x\\" HTTP/1.1" 200 5 "-" "agent \\"quoted\\" \\\\ end"`,
      { target: '/q?a="x"', userAgent: 'agent "quoted" \\ end' },
    ],
    [
      'nginx \\xHH escapes are kept as written',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a\\x22b HTTP/1.1" 200 5 "-" "-"`,
      { target: '/a\\x22b' },
    ],
    [
      'empty request',
      `127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-"`,
      {
        request: '',
        method: null,
        target: null,
        protocol: null,
        status: 400,
        tsMs: Date.UTC(2018, 3, 12, 7, 48, 40),
      },
    ],
    [
      'TLS handshake on the HTTP port',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-"`,
      {
        method: null,
        target: null,
        status: 400,
        request: '\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03',
      },
    ],
    [
      'RDP probe with spaces',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "\\x03\\x00\\x00,'\\xE0\\x00Cookie: mstshash=Domain" 400 166 "-" "-"`,
      { method: null, target: null },
    ],
    [
      'HTTP/0.9 style request without protocol',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /" 200 5 "-" "-"`,
      { method: 'GET', target: '/', protocol: null },
    ],
    [
      'unencoded space in target',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a b HTTP/1.1" 404 5 "-" "-"`,
      { target: '/a b', protocol: 'HTTP/1.1' },
    ],
    [
      'appended "$http_x_forwarded_for"',
      `172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET /x HTTP/1.1" 404 612 "-" "${UA}" "-"`,
      { extra: ['-'], userAgent: UA },
    ],
    [
      'appended unquoted fields ($request_time $upstream_response_time)',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /x HTTP/1.1" 200 1 "-" "${UA}" 0.005 "10.0.0.9:80"`,
      { extra: ['0.005', '10.0.0.9:80'] },
    ],
    [
      'trailing space (Dreamhost)',
      `1.2.3.4 - - [25/Apr/2023:01:45:43 -0700] "HEAD / HTTP/1.1" 200 5640 "http://208.113.171.66" "DreamHost SiteMonitor 1.0" `,
      { userAgent: 'DreamHost SiteMonitor 1.0', extra: [], tsMs: Date.UTC(2023, 3, 25, 8, 45, 43) },
    ],
    [
      'CRLF',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}"\r\n`,
      { userAgent: UA },
    ],
    [
      'Apache common (no referer, no user agent)',
      `1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
      {
        remoteUser: 'frank',
        referer: null,
        userAgent: null,
        bytes: 2326,
        tsMs: Date.UTC(2000, 9, 10, 20, 55, 36),
      },
    ],
    [
      'address list before the ident (X-Forwarded-For as $remote_addr)',
      `10.0.0.2, 10.0.0.1, 85.181.35.98 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "-"`,
      { clientIp: '85.181.35.98', forwardedFor: ['10.0.0.2', '10.0.0.1'] },
    ],
    [
      'quoted forwarded list then the peer',
      `"10.5.102.222, 199.96.1.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /assets/xxxx?q=100 HTTP/1.1" 200 25507 "-" "Amazon CloudFront"`,
      { clientIp: '10.2.1.185', forwardedFor: ['10.5.102.222', '199.96.1.1', '204.246.1.1'] },
    ],
    [
      'IPv6 in a forwarded list',
      `2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - [30/Dec/2016:06:47:09 +0000] "GET /t HTTP/1.1" 404 8571 "-" "-"`,
      { clientIp: '10.2.2.121', forwardedFor: ['2a03:0000:10ff:f00f:0000:0000:0:8000', '10.225.192.17'] },
    ],
    [
      'non-dash ident field',
      `1.2.3.4 ident bob [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"`,
      { clientIp: '1.2.3.4', remoteUser: 'bob' },
    ],
    [
      'user name with a space',
      `1.2.3.4 - bob smith [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"`,
      { remoteUser: 'bob smith' },
    ],
    [
      'truncated user agent (closing quote lost)',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (compatible; Googlebot/2.1`,
      { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1' },
    ],
    [
      'unescaped quote inside the request (old nginx)',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a"b HTTP/1.1" 200 5 "-" "-"`,
      { target: '/a"b' },
    ],
    [
      'fractional seconds',
      `1.2.3.4 - - [17/May/2015:10:05:03.250 +0000] "GET / HTTP/1.1" 200 5 "-" "-"`,
      { tsMs: T + 250 },
    ],
    ['status -', `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" - 0 "-" "-"`, { status: null }],
    // Quoted fields are found with indexOf and read character by character only when a backslash
    // comes before the closing quote: both routes, and the switch between them.
    [
      'a backslash only in the last field',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 5 "http://r/" "agent \\"q\\""`,
      { target: '/a', referer: 'http://r/', userAgent: 'agent "q"' },
    ],
    [
      'an escaped quote and a status-like text inside the request',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a\\" 200 b HTTP/1.1" 200 5 "-" "-"`,
      { request: 'GET /a" 200 b HTTP/1.1', target: '/a" 200 b', protocol: 'HTTP/1.1', status: 200 },
    ],
    [
      'an unescaped quote inside the referer',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 5 "http://r/"x" "ua"`,
      { referer: 'http://r/"x', userAgent: 'ua' },
    ],
    [
      'a truncated user agent holding an escaped quote',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 5 "-" "Mozilla \\"x`,
      { userAgent: 'Mozilla "x' },
    ],
    [
      'spaces in the target, no protocol',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1 x" 200 5 "-" "-"`,
      { method: 'GET', target: '/a HTTP/1.1 x', protocol: null },
    ],
    [
      'escapes in a trailing extra field',
      `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua" "a\\\\b" 0.003`,
      { userAgent: 'ua', extra: ['a\\b', '0.003'] },
    ],
  ];
  for (const [name, line, want] of cases) {
    const v = ok(line);
    for (const [k, expected] of Object.entries(want)) {
      assert.deepEqual(v[k as keyof ParsedHttpLine], expected, `${name}: ${k}`);
    }
  }
});

test('rejects with typed errors; never throws', () => {
  const malformed = ParseMalformedLine.code;
  assert.equal(rejectCode(''), malformed);
  assert.equal(rejectCode('   \r\n'), malformed);
  assert.equal(rejectCode('not a log line at all'), malformed);
  assert.equal(rejectCode('1.2.3.4 - - [17/May/2015:10:05:03 +0000] GET / 200 5'), malformed);
  assert.equal(rejectCode('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1 200 5'), malformed);
  assert.equal(
    rejectCode('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" abc 5 "-" "-"'),
    malformed,
  );
  assert.equal(
    rejectCode('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 x "-" "-"'),
    malformed,
  );
  assert.equal(rejectCode('[17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), malformed);
  const bad = ParseBadTimestamp.code;
  assert.equal(rejectCode('1.2.3.4 - - [17/Foo/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), bad);
  assert.equal(rejectCode('1.2.3.4 - - [31/Apr/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), bad);
  assert.equal(rejectCode('1.2.3.4 - - [29/Feb/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), bad);
  assert.equal(rejectCode('1.2.3.4 - - [17/May/2015:25:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), bad);
  assert.equal(rejectCode('1.2.3.4 - - [17/May/2015:10:05:03 0000] "GET / HTTP/1.1" 200 5 "-" "-"'), bad);
  assert.equal(rejectCode('1.2.3.4 - - [17/May/2015:10:05:03] "GET / HTTP/1.1" 200 5 "-" "-"'), bad);
  // The reason is in the message, the code is what callers match.
  const r = parseNginxCombined('garbage');
  assert.ok(!r.ok && r.error.message.includes('no_timestamp'));
  // Hostile inputs stay linear and never throw.
  for (const s of ['"'.repeat(50_000), '['.repeat(50_000), ` [${'1'.repeat(50_000)}`, '\\'.repeat(50_000)]) {
    const t0 = performance.now();
    assert.equal(parseNginxCombined(s).ok, false);
    assert.ok(performance.now() - t0 < 200, 'linear time');
  }
});

test('$time_local honours the zone offset and agrees with Date for many dates', () => {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    const ms = rnd(2 ** 31) * 1000 + rnd(4) * 1000 * 2 ** 31; // 1970 .. ~2242
    const offMin = (rnd(27) - 12) * 60 + (rnd(2) ? 30 : 0);
    const local = new Date(ms + offMin * 60_000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const sign = offMin < 0 ? '-' : '+';
    const a = Math.abs(offMin);
    const s =
      `${p2(local.getUTCDate())}/${months[local.getUTCMonth()]}/${local.getUTCFullYear()}:` +
      `${p2(local.getUTCHours())}:${p2(local.getUTCMinutes())}:${p2(local.getUTCSeconds())} ` +
      `${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
    assert.equal(parseTimeLocal(s, 0, s.length), ms, s);
  }
  assert.equal(daysFromCivil(1970, 1, 1), 0);
  assert.equal(daysFromCivil(2000, 3, 1), 11017);
  assert.equal(daysFromCivil(1969, 12, 31), -1);
});

// ---- real logs from the shared folder ---------------------------------------------------------------

/** Rejects a person would also reject, per file (looked at one by one). */
const EXPECTED_REJECTS: Record<string, number> = {
  'apache-elastic-examples/apache_logs': 0,
  'nginx-hakathon-wap/access.log.gz': 0,
  'web-advertools/nginx_access.log': 0,
  'web-advertools/dreamhost_apache_access.log': 1, // a blank line (line 87)
  'nginx-edgecases-elastic-beats/test.log': 0,
};

for (const rel of REAL_WEB_LOGS) {
  const path = realLogPath(rel);
  test(`real log ${rel}: parsed + rejected = lines read`, {
    skip: path === null && `not found under ${sharedDir()}/data/real (set LEAKWATCH_SHARED_DIR)`,
  }, () => {
    const lines = readRealLines(path as string);
    let parsed = 0;
    const rejected: string[] = [];
    let unparsedRequests = 0;
    for (const line of lines) {
      const r = parseNginxCombined(line);
      if (r.ok) {
        parsed++;
        if (r.value.method === null) unparsedRequests++;
        assert.ok(Number.isFinite(r.value.tsMs));
        assert.ok(r.value.clientIp.length > 0);
      } else {
        rejected.push(`${r.error.code} ${r.error.message}: ${JSON.stringify(line.slice(0, 160))}`);
      }
    }
    console.log(
      `# ${rel}: ${lines.length} lines, ${parsed} parsed, ${rejected.length} rejected, ${unparsedRequests} with a non-HTTP request line`,
    );
    for (const r of rejected) console.log(`#   reject ${r}`);
    assert.equal(parsed + rejected.length, lines.length);
    assert.equal(rejected.length, EXPECTED_REJECTS[rel], rejected.join('\n'));
  });
}

test('request parts: cut from the line or from the unescaped request, the same as a split of the request', () => {
  const head = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "';
  const tail = '" 200 5 "-" "ua"';
  const cases: Array<[string, string | null, string | null, string | null]> = [
    // request as logged, method, target, protocol
    ['GET /a?b=1 HTTP/1.1', 'GET', '/a?b=1', 'HTTP/1.1'],
    ['PROPFIND /dav/ HTTP/1.1', 'PROPFIND', '/dav/', 'HTTP/1.1'],
    ['GETS /x HTTP/1.0', 'GETS', '/x', 'HTTP/1.0'],
    ['GET /x HTTP', 'GET', '/x HTTP', null], // no `HTTP/`: the closing quote after it is not part of it
    ['GET /x HTT', 'GET', '/x HTT', null],
    ['GET /a b HTTP/2.0', 'GET', '/a b', 'HTTP/2.0'],
    ['GET /', 'GET', '/', null],
    ['GET  HTTP/1.1', null, null, null], // an empty target
    ['GET ', null, null, null],
    [' GET /x', null, null, null],
    ['\\x16\\x03', null, null, null],
    ['GET /a\\"b HTTP/1.1', 'GET', '/a"b', 'HTTP/1.1'], // unescaped first
    ['POST /q\\"x\\" HTTP', 'POST', '/q"x" HTTP', null],
  ];
  for (const [req, method, target, protocol] of cases) {
    const v = ok(head + req + tail);
    assert.deepEqual([v.method, v.target, v.protocol], [method, target, protocol], req);
    // the layout parser's split of the (unescaped) request agrees
    assert.equal(requestTarget(v.request), target, req);
    assert.equal(requestMethod(v.request), method, req);
  }
  // The usual methods are shared constants, whatever line they come from.
  assert.equal(ok(`${head}DELETE /x HTTP/1.1${tail}`).method, 'DELETE');
});
