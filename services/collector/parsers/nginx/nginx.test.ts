import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigInvalid, ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import {
  parsedOne as one,
  oneResultPerLine,
  realWebLogTests,
  rejectedOne as rejectOf,
  feed as results,
} from '../../../../test/support/feed.js';
import { REAL_WEB_LOGS, readRealLines, realLogPath } from '../../../../test/support/real-logs.js';
import { parseNginxCombined } from '../lib/combined-line.js';
import { matchLayout, RecordDraft } from '../lib/web-fields.js';
import { compileNginxFormat, NGINX_COMBINED, nginxFormat } from './nginx.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0';
const T = Date.UTC(2015, 4, 17, 10, 5, 3);

// ---- default (combined) ---------------------------------------------------------------------------

test('combined (default): a plain line becomes a web AccessRecord', () => {
  const p = nginxFormat.create();
  const r = one(
    p,
    `83.149.9.216 - alice [17/May/2015:10:05:03 +0000] "GET /a/b.png?x=1 HTTP/1.1" 200 203023 "http://s.com/p" "${UA}"`,
  );
  assert.deepEqual(r, {
    tsMs: T,
    sourceKind: 'web',
    clientIp: '83.149.9.216',
    forwardedFor: [],
    user: 'alice',
    dbUser: null,
    userAgent: UA,
    referer: 'http://s.com/p',
    method: 'GET',
    target: '/a/b.png?x=1',
    sql: null,
    dbOperation: null,
    tables: [],
    status: 200,
    bytesOut: 203023,
    rowsOut: null,
    durationMs: null,
    headers: {},
    cookies: {},
    sessionId: null,
    apiKey: null,
    authenticated: null,
    attrs: {},
  });
  // Named or spelled out, the same fast path.
  for (const logFormat of ['combined', NGINX_COMBINED, ` ${NGINX_COMBINED} `]) {
    const q = nginxFormat.create({ logFormat });
    assert.deepEqual(
      one(q, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}" "extra"`).userAgent,
      UA,
    );
  }
});

test('combined: crafted edge cases', () => {
  const p = nginxFormat.create();
  const ipv6 = one(p, `2001:db8::1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/2.0" 200 5 "-" "-"`);
  assert.equal(ipv6.clientIp, '2001:db8::1');
  assert.equal(one(p, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 304 - "-" "-"`).bytesOut, 0);
  assert.equal(
    one(p, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "a \\"q\\" \\\\ b"`)
      .userAgent,
    'a "q" \\ b',
  );
  const longPath = `/search?q=${'x'.repeat(8192)}`;
  assert.equal(
    one(p, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET ${longPath} HTTP/1.1" 414 5 "-" "-"`).target,
    longPath,
  );
  // Invalid UTF-8 arrives decoded with U+FFFD: kept as is.
  assert.equal(
    one(p, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /\uFFFD HTTP/1.1" 200 5 "-" "bad \uFFFD\uFFFD"`)
      .userAgent,
    'bad \uFFFD\uFFFD',
  );
  // CRLF
  assert.equal(
    one(p, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}"\r`).userAgent,
    UA,
  );
  // Truncated last line: inside the user agent it is kept; inside the request it is rejected.
  assert.equal(
    one(p, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (Win`).userAgent,
    'Mozilla/5.0 (Win',
  );
  assert.match(
    rejectOf(p, '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /trunc').message,
    /unterminated_request/,
  );
  // Same day across a DST change: -0400 and -0500 are an hour apart in UTC.
  const edt = one(p, `1.2.3.4 - - [02/Nov/2025:01:30:00 -0400] "GET / HTTP/1.1" 200 5 "-" "-"`).tsMs;
  const est = one(p, `1.2.3.4 - - [02/Nov/2025:01:30:00 -0500] "GET / HTTP/1.1" 200 5 "-" "-"`).tsMs;
  assert.equal(edt, Date.UTC(2025, 10, 2, 5, 30));
  assert.equal(est - edt, 3_600_000);
  // Year boundary.
  assert.equal(
    one(p, `1.2.3.4 - - [31/Dec/2025:23:59:59 -0100] "GET / HTTP/1.1" 200 5 "-" "-"`).tsMs,
    Date.parse('2026-01-01T00:59:59Z'),
  );
  // X-Forwarded-For-prefixed variant
  const xff = one(
    p,
    `10.0.0.2, 10.0.0.1, 85.181.35.98 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "-"`,
  );
  assert.equal(xff.clientIp, '85.181.35.98');
  assert.deepEqual(xff.forwardedFor, ['10.0.0.2', '10.0.0.1']);
  // Errors are typed and positioned.
  const [bad] = results(p, [
    'x',
    '1.2.3.4 - - [31/Apr/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"',
  ]).slice(1);
  assert.ok(bad?.ok === false && bad.error.code === ParseBadTimestamp.code && bad.position === '2');
  assert.equal(rejectOf(p, 'garbage').code, ParseMalformedLine.code);
  // Blank lines are skipped, not rejected.
  assert.deepEqual(results(p, ['', '  \r']), [
    { ok: 'skip', kind: 'blank', position: '0', lines: 1 },
    { ok: 'skip', kind: 'blank', position: '1', lines: 1 },
  ]);
});

test('main: combined + "$http_x_forwarded_for" on the fast path', () => {
  const p = nginxFormat.create({ logFormat: 'main' });
  const r = one(
    p,
    `10.0.0.9 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}" "203.0.113.7, 198.51.100.2"`,
  );
  assert.equal(r.clientIp, '10.0.0.9');
  assert.deepEqual(r.forwardedFor, ['203.0.113.7', '198.51.100.2']);
  assert.deepEqual(r.headers, { 'x-forwarded-for': '203.0.113.7, 198.51.100.2' });
  assert.deepEqual(
    one(p, `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-" "-"`).headers,
    {},
  );
});

// ---- custom log_format -------------------------------------------------------------------------------

const CUSTOM =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ' +
  '"$http_user_agent" "$http_x_forwarded_for" rt=$request_time urt="$upstream_response_time" ' +
  'host=$host rid=$request_id "$http_x_api_key" sid=$cookie_PHPSESSID $ssl_protocol';

test('custom log_format: every kind of variable lands in its field', () => {
  const p = nginxFormat.create({ logFormat: CUSTOM });
  const r = one(
    p,
    `2001:db8::7 - bob [31/Dec/2025:23:59:59 -0100] "POST /api/patients/42?full=1 HTTP/1.1" 201 1234 "-" ` +
      `"agent \\"x\\" \\x22y" "203.0.113.7, 10.0.0.1" rt=0.250 urt="0.200, 0.048" host=ehr.example.org ` +
      `rid=7f3a "k-123" sid=abc123 TLSv1.3`,
  );
  assert.equal(r.tsMs, Date.parse('2026-01-01T00:59:59Z'));
  assert.equal(r.clientIp, '2001:db8::7');
  assert.equal(r.user, 'bob');
  assert.equal(r.method, 'POST');
  assert.equal(r.target, '/api/patients/42?full=1');
  assert.equal(r.status, 201);
  assert.equal(r.bytesOut, 1234);
  assert.equal(r.referer, null);
  assert.equal(r.userAgent, 'agent "x" \\x22y');
  assert.deepEqual(r.forwardedFor, ['203.0.113.7', '10.0.0.1']);
  assert.equal(r.durationMs, 250);
  assert.deepEqual(r.headers, { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-api-key': 'k-123' });
  assert.deepEqual(r.cookies, { PHPSESSID: 'abc123' });
  assert.deepEqual(r.attrs, {
    upstream_response_time: '0.200, 0.048',
    host: 'ehr.example.org',
    request_id: '7f3a',
    ssl_protocol: 'TLSv1.3',
  });
  assert.equal(r.sourceKind, 'web');
});

test('custom log_format: $time_iso8601, $msec, $request_method + $uri + $args, $bytes_sent', () => {
  const iso = nginxFormat.create({
    logFormat: '$time_iso8601 $remote_addr $request_method $uri $args $status $bytes_sent $request_time',
  });
  const r = one(iso, '2024-03-10T07:30:00+05:30 10.1.2.3 GET /a/b x=1&y=2 200 512 -');
  assert.equal(r.tsMs, Date.UTC(2024, 2, 10, 2, 0, 0));
  assert.equal(r.method, 'GET');
  assert.equal(r.target, '/a/b?x=1&y=2');
  assert.equal(r.bytesOut, 512);
  assert.equal(r.durationMs, null);
  assert.equal(one(iso, '2024-03-10T07:30:00+05:30 10.1.2.3 GET /a/b - 200 512 0.001').target, '/a/b');
  const msec = nginxFormat.create({ logFormat: '$msec $remote_addr "$request" $status' });
  assert.equal(one(msec, '1431857103.123 ::1 "GET / HTTP/1.1" 200').tsMs, 1431857103123);
  // A space inside $time_local before a space separator is stepped over.
  const tl = nginxFormat.create({ logFormat: '$time_local $remote_addr $status' });
  const t2 = one(tl, '17/May/2015:10:05:03 +0200 1.2.3.4 404');
  assert.equal(t2.tsMs, T - 2 * 3_600_000);
  assert.equal(t2.clientIp, '1.2.3.4');
  assert.equal(t2.status, 404);
  // ${var} syntax and a pasted nginx.conf fragment.
  const conf = nginxFormat.create({
    logFormat: `log_format edge '\${remote_addr} [$time_local] "$request" '\n    '$status $body_bytes_sent';`,
  });
  assert.equal(one(conf, '1.2.3.4 [17/May/2015:10:05:03 +0000] "GET /x HTTP/1.1" 200 7').target, '/x');
});

test('custom log_format: rejects and tolerated truncation', () => {
  const p = nginxFormat.create({ logFormat: CUSTOM });
  const head = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1"';
  assert.match(rejectOf(p, `${head} abc 5 "-" "-"`).message, /format_mismatch|bad_status/);
  assert.match(
    rejectOf(p, `${head} 200 x "-" "-" "-" rt=1 urt="-" host=h rid=r "-" sid=s -`).message,
    /bad_bytes/,
  );
  assert.match(rejectOf(p, 'nonsense').message, /format_mismatch/);
  assert.equal(
    rejectOf(p, `1.2.3.4 - - [17/May/2015:10:05:03] "GET / HTTP/1.1" 200 5 "-" "-"`).code,
    ParseBadTimestamp.code,
  );
  const tl = nginxFormat.create({ logFormat: '[$time_local] $remote_addr' });
  assert.equal(rejectOf(tl, '[32/May/2015:10:05:03 +0000] 1.2.3.4').code, ParseBadTimestamp.code);
  assert.match(rejectOf(tl, '[-] 1.2.3.4').message, /no_timestamp/);
  // (read from the line, not a slice: the same rejects, naming the same text)
  assert.match(rejectOf(tl, '[32/May/2015:10:05:03 +0000] 1.2.3.4').message, /32\/May\/2015:10:05:03 \+0000/);
  assert.equal(rejectOf(tl, '[x] 1.2.3.4').code, ParseBadTimestamp.code);
  assert.equal(one(tl, '[17/May/2015:10:05:03 +0100] 1.2.3.4').tsMs, Date.UTC(2015, 4, 17, 9, 5, 3));
  // A line cut inside the trailing quoted fields keeps what is there.
  const short = nginxFormat.create({
    logFormat:
      '$remote_addr [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
  });
  const cut = one(short, '1.2.3.4 [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (Lin');
  assert.equal(cut.userAgent, 'Mozilla/5.0 (Lin');
  const common = one(short, '1.2.3.4 [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5');
  assert.equal(common.bytesOut, 5);
  assert.equal(common.userAgent, null);
  assert.match(
    rejectOf(short, '1.2.3.4 [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200').message,
    /format_mismatch/,
  );
});

test('bad logFormat options throw ConfigInvalid listing every problem', () => {
  const cases: Array<[unknown, RegExp[]]> = [
    ['$remote_addr "$request $status', [/unbalanced double quotes/, /no time field/]],
    ['$remote_addr$remote_user [$time_local]', [/\$remote_addr and \$remote_user have no separator/]],
    ['$ [$time_local] ${bad-name}', [/column 1/, /bad variable name/]],
    ['log_format x escape=json \'{"t":"$time_iso8601"}\';', [/use the json format/]],
    ["log_format x '$time_local", [/unbalanced single quotes/]],
  ];
  for (const [logFormat, wants] of cases) {
    assert.throws(
      () => nginxFormat.create({ logFormat: logFormat as string }),
      (e: unknown) => {
        assert.ok(e instanceof Error && (e as { code?: string }).code === ConfigInvalid.code);
        for (const w of wants) assert.match(e.message, w);
        return true;
      },
    );
  }
  assert.throws(() => nginxFormat.create({ log_format: 'combined' } as never), /unknown option "log_format"/);
  assert.throws(() => nginxFormat.create({ logFormat: 42 } as never), /logFormat must be a string/);
});

// ---- sniff -------------------------------------------------------------------------------------------

test('sniff: high on nginx combined, low on other formats', () => {
  const combined = [
    `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}"`,
    `1.2.3.5 - - [17/May/2015:10:05:04 +0000] "GET /x HTTP/2.0" 404 0 "-" "-"`,
  ];
  assert.ok(nginxFormat.sniff(combined) >= 0.8);
  assert.ok(nginxFormat.sniff(['', ...combined]) >= 0.8);
  const others = [
    ['# Time: 071218 11:48:27', '# User@Host: root[root] @ localhost []', 'select 1;'],
    ['{"eventVersion":"1.05","eventTime":"2018-11-28T22:31:59Z","eventName":"AssumeRole"}'],
    ['2020-03-11 20:40:43 CET::@:[27212]:LOG:  database system is ready to accept connections'],
    ['{"time":"2024-01-01T00:00:00Z","remote_addr":"1.2.3.4","request":"GET / HTTP/1.1","status":200}'],
    [],
  ];
  for (const lines of others) assert.ok(nginxFormat.sniff(lines) < 0.3, lines.join('\n'));
});

// ---- never throws ---------------------------------------------------------------------------------------

const VALID = [
  `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}"`,
  `2001:db8::1 - bob [17/May/2015:10:05:03 -0700] "POST /a?b=\\"c\\" HTTP/1.1" 201 - "http://r/" "x" 0.1`,
];

function mutatedLine(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...VALID), fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 8 }))
    .map(([s, a, b, ins]) => {
      const i = a % (s.length + 1);
      const j = Math.min(s.length, i + (b % 6));
      return s.slice(0, i) + ins + s.slice(j);
    });
}

test('property: the nginx parsers never throw, and account for every line', () => {
  const parsers = () => [
    nginxFormat.create(),
    nginxFormat.create({ logFormat: 'main' }),
    nginxFormat.create({ logFormat: CUSTOM }),
    nginxFormat.create({ logFormat: '$time_iso8601 $remote_addr "$request" $status $request_time' }),
  ];
  const line = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    mutatedLine(),
    fc.string({ maxLength: 40 }),
  );
  oneResultPerLine(line, parsers, (lines) => nginxFormat.sniff(lines));
});

// ---- real logs -------------------------------------------------------------------------------------------

// The combined parser rejects none of these lines (see lib/combined-line.test.ts).
realWebLogTests('nginx', nginxFormat, (lines, rs) => {
  for (const r of rs) {
    if (r.ok !== true) continue;
    assert.ok(Number.isFinite(r.record.tsMs));
    assert.ok((r.record.clientIp ?? '').length > 0);
  }
  // Same verdicts as parseNginxCombined on every non-blank line.
  const combinedOk = lines.filter((l) => l.trim() !== '' && parseNginxCombined(l).ok).length;
  assert.equal(rs.filter((r) => r.ok === true).length, combinedOk);
});

test('real values: a few records checked by hand', {
  skip: realLogPath('nginx-hakathon-wap/access.log.gz') === null,
}, () => {
  const hak = results(
    nginxFormat.create(),
    readRealLines(realLogPath('nginx-hakathon-wap/access.log.gz') as string),
  );
  // 20.171.207.17 - - [17/Apr/2025:05:10:56 +0100] "GET /music/ HTTP/2.0" 200 10353 "-" "...GPTBot/1.2..."
  const r0 = hak[0];
  assert.ok(r0?.ok === true);
  assert.equal(r0.record.tsMs, Date.UTC(2025, 3, 17, 4, 10, 56));
  assert.equal(r0.record.clientIp, '20.171.207.17');
  assert.equal(r0.record.target, '/music/');
  assert.equal(r0.record.bytesOut, 10353);
  assert.match(r0.record.userAgent ?? '', /GPTBot\/1\.2/);
  const apache = results(
    nginxFormat.create(),
    readRealLines(realLogPath('apache-elastic-examples/apache_logs') as string).slice(0, 1),
  )[0];
  assert.ok(apache?.ok === true);
  assert.equal(apache.record.tsMs, Date.UTC(2015, 4, 17, 10, 5, 3));
  assert.equal(apache.record.bytesOut, 203023);
  assert.equal(apache.record.user, null);
  const edge = results(
    nginxFormat.create(),
    readRealLines(realLogPath('nginx-edgecases-elastic-beats/test.log') as string),
  );
  const quoted = edge[4];
  assert.ok(quoted?.ok === true);
  assert.equal(quoted.record.clientIp, '10.2.1.185');
  assert.deepEqual(quoted.record.forwardedFor, ['10.5.102.222', '199.96.1.1', '204.246.1.1']);
  const empty = edge[6];
  assert.ok(empty?.ok === true);
  assert.equal(empty.record.method, null);
  assert.equal(empty.record.status, 400);
  assert.equal(empty.record.tsMs, Date.UTC(2018, 3, 12, 7, 48, 40));
});

test('real logs: the generic log_format matcher agrees with the combined fast path', () => {
  // $bytes_sent instead of $body_bytes_sent: a different layout (no fast path), same lines.
  const generic =
    '$remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent "$http_referer" "$http_user_agent"';
  for (const rel of REAL_WEB_LOGS) {
    const path = realLogPath(rel);
    if (path === null || rel === 'nginx-edgecases-elastic-beats/test.log') continue; // XFF-prefixed: fast path only
    const lines = readRealLines(path);
    assert.deepEqual(
      results(nginxFormat.create({ logFormat: generic }), lines),
      results(nginxFormat.create(), lines),
      rel,
    );
  }
});

test('matchLayout stays linear on hostile lines', () => {
  const { layout } = compileNginxFormat(
    '$remote_addr [$time_local] "$request" $status "$http_referer" "$http_user_agent" $time_local',
  );
  const d = new RecordDraft();
  for (const s of [
    '"'.repeat(100_000),
    `1 [${'\\'.repeat(100_000)}`,
    `1.2.3.4 [17/May/2015:10:05:03 +0000] "${'" 1'.repeat(30_000)}`,
    `1.2.3.4 [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 "${'" "'.repeat(30_000)}`,
    ' ['.repeat(50_000),
  ]) {
    const t0 = performance.now();
    matchLayout(layout, d, s, 'nginx');
    assert.ok(performance.now() - t0 < 200, 'linear time');
  }
});

test('property: quoted values with escaped quotes and backslashes come back as written', () => {
  // nginx and Apache write `"` as `\"` and `\` as `\\` inside quotes; the matcher finds each
  // field's closing quote by the parity of the backslashes before it.
  const { layout } = compileNginxFormat(
    '$remote_addr [$time_local] "$request" $status "$http_referer" "$http_user_agent"',
  );
  const d = new RecordDraft();
  const value = fc
    .array(fc.constantFrom('a', ' ', '"', '\\', 'x', '" ', '\\"', '"\\'), { maxLength: 30 })
    .map((parts) => parts.join(''));
  const esc = (s: string) => s.replace(/[\\"]/g, (c) => `\\${c}`);
  fc.assert(
    fc.property(value, value, (referer, agent) => {
      const line = `10.0.0.1 [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 "${esc(referer)}" "${esc(agent)}"`;
      assert.equal(matchLayout(layout, d, line, 'nginx'), null, line);
      const r = d.build();
      assert.equal(r.referer, referer === '-' || referer === '' ? null : referer, line);
      assert.equal(r.userAgent, agent === '-' || agent === '' ? null : agent, line);
    }),
    { numRuns: 2000 },
  );
});
