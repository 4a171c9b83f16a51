import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { ConfigInvalid, ParseBadTimestamp, ParseMalformedLine } from '#shared/errors.js';
import {
  parsedOne as one,
  oneResultPerLine,
  rejectedOne as rejectOf,
  feed as results,
} from '../../../../test/support/feed.js';
import { REAL_WEB_LOGS, readRealLines, realLogPath } from '../../../../test/support/real-logs.js';
import { FORMATS } from '../../formats/registry.js';
import { jsonAccessFormat, parsePath } from './json-access.js';

// Other formats, through the registry (a format's folder imports no other format's).
const apacheFormat = FORMATS.apache;
const nginxFormat = FORMATS.nginx;

// Shapes as written by each server (values made up, key names as documented by each project).
const NGINX_JSON = JSON.stringify({
  time_iso8601: '2024-05-01T10:00:00+05:30',
  remote_addr: '2001:db8::5',
  remote_user: 'dr.who',
  request: 'POST /api/patients/12/notes?draft=1 HTTP/1.1',
  status: '201',
  body_bytes_sent: '1234',
  request_time: '0.250',
  http_referer: '',
  http_user_agent: 'okhttp/4.9 "quoted"',
  http_x_forwarded_for: '203.0.113.7, 10.0.0.1',
  http_x_api_key: 'key-1',
  cookie_session: 's-1',
  host: 'ehr.example.org',
  request_id: 'abc',
});
const CADDY = JSON.stringify({
  level: 'info',
  ts: 1646861401.5241024,
  logger: 'http.log.access.log0',
  msg: 'handled request',
  request: {
    remote_ip: '127.0.0.1',
    remote_port: '41342',
    client_ip: '127.0.0.1',
    proto: 'HTTP/2.0',
    method: 'GET',
    host: 'localhost',
    uri: '/records?id=7',
    headers: { 'User-Agent': ['curl/7.82.0'], Accept: ['*/*'], Authorization: ['REDACTED'] },
  },
  bytes_read: 0,
  user_id: '',
  duration: 0.000929675,
  size: 10900,
  status: 200,
  resp_headers: { Server: ['Caddy'] },
});
const TRAEFIK = JSON.stringify({
  ClientAddr: '10.0.0.1:54321',
  ClientHost: '10.0.0.1',
  DownstreamContentSize: 19,
  DownstreamStatus: 404,
  Duration: 1500000,
  RequestMethod: 'GET',
  RequestPath: '/p?q=1',
  RequestHost: 'app.example',
  StartUTC: '2020-05-01T12:00:00.123456789Z',
  'request_User-Agent': 'Go-http-client/1.1',
  request_Referer: 'https://app.example/',
  level: 'info',
  msg: '',
  time: '2020-05-01T12:00:00Z',
});
const IIS = JSON.stringify({
  date: '2024-01-02',
  time: '03:04:05',
  's-ip': '10.0.0.2',
  'cs-method': 'GET',
  'cs-uri-stem': '/portal/login.aspx',
  'cs-uri-query': 'ret=1',
  'cs-username': 'CORP\\alice',
  'c-ip': '198.51.100.4',
  'cs(User-Agent)': 'Mozilla/5.0',
  'sc-status': 200,
  'sc-bytes': 4321,
  'time-taken': 15,
});
const FLUENT_BIT = JSON.stringify({
  date: 1599637382.123,
  remote: '172.16.0.9',
  host: '-',
  user: '-',
  method: 'GET',
  path: '/index.html',
  code: '200',
  size: '612',
  referer: '-',
  agent: 'curl/7.68',
});

test('default mapping: nginx escape=json', () => {
  const r = one(jsonAccessFormat.create(), NGINX_JSON);
  assert.deepEqual(r, {
    tsMs: Date.UTC(2024, 4, 1, 4, 30),
    sourceKind: 'web',
    clientIp: '2001:db8::5',
    forwardedFor: ['203.0.113.7', '10.0.0.1'],
    user: 'dr.who',
    dbUser: null,
    userAgent: 'okhttp/4.9 "quoted"',
    referer: null,
    method: 'POST',
    target: '/api/patients/12/notes?draft=1',
    sql: null,
    dbOperation: null,
    tables: [],
    status: 201,
    bytesOut: 1234,
    rowsOut: null,
    durationMs: 250,
    headers: { 'x-api-key': 'key-1', 'x-forwarded-for': '203.0.113.7, 10.0.0.1' },
    cookies: { session: 's-1' },
    sessionId: null,
    apiKey: null,
    authenticated: null,
    attrs: { host: 'ehr.example.org', request_id: 'abc' },
  });
});

test('default mapping: Caddy, Traefik, IIS, Fluent Bit', () => {
  const p = jsonAccessFormat.create();
  const c = one(p, CADDY);
  assert.equal(c.tsMs, 1646861401524);
  assert.equal(c.clientIp, '127.0.0.1');
  assert.equal(c.method, 'GET');
  assert.equal(c.target, '/records?id=7');
  assert.equal(c.userAgent, 'curl/7.82.0');
  assert.equal(c.status, 200);
  assert.equal(c.bytesOut, 10900);
  assert.ok(Math.abs((c.durationMs ?? 0) - 0.929675) < 1e-9);
  assert.equal(c.user, null);
  assert.deepEqual(c.headers, { accept: '*/*', authorization: 'REDACTED' });
  const t = one(p, TRAEFIK);
  assert.equal(t.tsMs, Date.UTC(2020, 4, 1, 12));
  assert.equal(t.clientIp, '10.0.0.1');
  assert.equal(t.target, '/p?q=1');
  assert.equal(t.status, 404);
  assert.equal(t.durationMs, 1.5);
  assert.equal(t.userAgent, 'Go-http-client/1.1');
  assert.equal(t.referer, 'https://app.example/');
  assert.deepEqual(t.attrs, { host: 'app.example' });
  const i = one(p, IIS);
  assert.equal(i.tsMs, Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(i.clientIp, '198.51.100.4');
  assert.equal(i.user, 'CORP\\alice');
  assert.equal(i.target, '/portal/login.aspx?ret=1');
  assert.equal(i.bytesOut, 4321);
  assert.equal(i.durationMs, 15);
  const f = one(p, FLUENT_BIT);
  assert.equal(f.tsMs, 1599637382123);
  assert.equal(f.clientIp, '172.16.0.9');
  assert.equal(f.status, 200);
  assert.equal(f.bytesOut, 612);
  assert.equal(f.user, null);
  assert.equal(f.userAgent, 'curl/7.68');
});

test('timestamps: ISO zones, epoch magnitudes, time_local, across DST and the year', () => {
  const p = jsonAccessFormat.create();
  const ts = (v: unknown) => one(p, JSON.stringify({ time: v, status: 200 })).tsMs;
  assert.equal(ts('2025-12-31T23:59:59-01:00'), Date.parse('2026-01-01T00:59:59Z'));
  assert.equal(ts('31/Dec/2025:23:59:59 -0100'), Date.parse('2026-01-01T00:59:59Z'));
  assert.equal(ts('2025-11-02T01:30:00-05:00') - ts('2025-11-02T01:30:00-04:00'), 3_600_000);
  assert.equal(ts('2024-03-10T07:30:00.5+0530'), Date.UTC(2024, 2, 10, 2, 0, 0, 500));
  assert.equal(ts(1431857103), 1431857103000);
  assert.equal(ts(1431857103.123), 1431857103123);
  assert.equal(ts(1431857103123), 1431857103123);
  assert.equal(ts(1431857103123456), 1431857103123);
  assert.equal(ts(1431857103123e6), 1431857103123);
  assert.equal(ts('1431857103.123'), 1431857103123);
  assert.equal(rejectOf(p, '{"time":"2020-10-19 19:21:33"}').code, ParseBadTimestamp.code); // no zone
  assert.equal(rejectOf(p, '{"time":"yesterday"}').code, ParseBadTimestamp.code);
  assert.match(rejectOf(p, '{"status":200}').message, /no_timestamp/);
});

test('rejects and skips', () => {
  const p = jsonAccessFormat.create();
  for (const bad of [
    'not json',
    '[1,2]',
    '"str"',
    '{"a":',
    'null',
    '{"time":"2024-01-01T00:00:00Z"',
    '\uFFFD{}',
  ]) {
    const r = rejectOf(p, bad);
    assert.equal(r.code, ParseMalformedLine.code, bad);
    assert.match(r.message, /not_json_object/);
  }
  // CRLF, leading blanks and U+FFFD inside values are fine.
  assert.equal(one(p, ` ${NGINX_JSON}\r`).status, 201);
  assert.equal(one(p, '{"time":1431857103,"user_agent":"bad \uFFFD"}').userAgent, 'bad \uFFFD');
  // A truncated last line is not JSON.
  assert.match(rejectOf(p, NGINX_JSON.slice(0, 80)).message, /not_json_object/);
  assert.deepEqual(
    results(p, ['', '\r']).map((r) => r.ok),
    ['skip', 'skip'],
  );
  // An 8 KB URL
  const long = `/q?x=${'a'.repeat(8192)}`;
  assert.equal(one(p, JSON.stringify({ time: 1, request_uri: long })).target, long);
  // prototype keys in the data do not leak into the record's prototype
  const proto = one(p, '{"time":1,"http___proto__":"x","cookie___proto__":"y","__proto__":{"status":1}}');
  assert.equal(Object.getPrototypeOf(proto.headers), Object.prototype);
  assert.equal(proto.status, null);
});

test('option fields: explicit paths, arrays, headers and cookies, durationUnit', () => {
  const p = jsonAccessFormat.create({
    fields: {
      ts: 'meta.at',
      clientIp: 'net.peers[1]',
      user: 'auth.sub',
      method: 'http.verb',
      target: 'http.url',
      status: 'http.code',
      bytesOut: 'http.out',
      durationMs: 'http.took',
      userAgent: 'http.headers.User-Agent[0]',
      'headers.X-Api-Key': 'http.headers.X-Api-Key[0]',
      'cookies.sid': 'http.cookies.sid',
      sessionId: 'auth.session',
      apiKey: 'auth.key',
      host: 'http.host',
    },
    durationUnit: 'us',
  });
  const r = one(
    p,
    JSON.stringify({
      meta: { at: '2024-01-01T00:00:00Z' },
      net: { peers: ['10.0.0.1', '198.51.100.9'] },
      auth: { sub: 'u1', session: 'S', key: 'AK' },
      http: {
        verb: 'DELETE',
        url: '/x/1',
        code: 204,
        out: 0,
        took: 2500,
        host: 'h',
        headers: { 'User-Agent': ['ua'], 'X-Api-Key': ['k'] },
        cookies: { sid: 'c' },
      },
      time: '1999-01-01T00:00:00Z',
    }),
  );
  assert.equal(r.tsMs, Date.UTC(2024, 0, 1));
  assert.equal(r.clientIp, '198.51.100.9');
  assert.equal(r.user, 'u1');
  assert.equal(r.method, 'DELETE');
  assert.equal(r.target, '/x/1');
  assert.equal(r.status, 204);
  assert.equal(r.durationMs, 2.5);
  assert.equal(r.userAgent, 'ua');
  assert.deepEqual(r.headers, { 'x-api-key': 'k' });
  assert.deepEqual(r.cookies, { sid: 'c' });
  assert.equal(r.sessionId, 'S');
  assert.equal(r.apiKey, 'AK');
  assert.deepEqual(r.attrs, { host: 'h' });
  assert.deepEqual(parsePath('a.b[0][2].c'), ['a', 'b', 0, 2, 'c']);
  for (const bad of ['', 'a..b', 'a[x]', 'a[', 'a]']) assert.equal(parsePath(bad), null, bad);
});

test('bad options throw ConfigInvalid listing every problem', () => {
  assert.throws(
    () =>
      jsonAccessFormat.create({
        fields: { tss: 'a', clientIp: 'a..b', 'headers.': 'x' },
        durationUnit: 'min' as never,
        extra: 1,
      } as never),
    (e: unknown) => {
      assert.ok(e instanceof Error && (e as { code?: string }).code === ConfigInvalid.code);
      for (const w of [
        /unknown option "extra"/,
        /durationUnit/,
        /fields\.tss: unknown field/,
        /fields\.clientIp/,
        /fields\.headers\./,
      ])
        assert.match(e.message, w);
      return true;
    },
  );
});

// ---- sniff ----------------------------------------------------------------------------------------

/** The one entry of a zip archive (stored or deflated), for the OTRF CloudTrail sample. */
function unzipFirst(path: string): string {
  const buf = readFileSync(path);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const cd = buf.readUInt32LE(eocd + 16);
  const method = buf.readUInt16LE(cd + 10);
  const size = buf.readUInt32LE(cd + 20);
  const local = buf.readUInt32LE(cd + 42);
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  const data = buf.subarray(start, start + size);
  return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
}

test('sniff: generic HTTP JSON high, other JSON and text formats low', () => {
  assert.ok(jsonAccessFormat.sniff([NGINX_JSON, CADDY, TRAEFIK, IIS, FLUENT_BIT]) >= 0.8);
  assert.ok(jsonAccessFormat.sniff([CADDY]) >= 0.8);
  assert.ok(nginxFormat.sniff([CADDY]) < 0.3 && apacheFormat.sniff([CADDY]) < 0.3);
  const crafted = [
    ['# Time: 071218 11:48:27'],
    ['2020-03-11 20:40:43 CET::@:[27212]:LOG:  database system is ready to accept connections'],
    [
      '{"eventVersion":"1.08","eventTime":"2018-11-28T22:31:59Z","eventName":"GetObject","userAgent":"aws-cli","sourceIPAddress":"1.2.3.4"}',
    ],
    ['{"level":"info","ts":1669575482.09,"msg":"record","record":{"user_name":"postgres"}}'],
  ];
  for (const lines of crafted) assert.ok(jsonAccessFormat.sniff(lines) < 0.3, lines[0]);
  const others = [
    'cloudtrail-flaws2/653711331788_CloudTrail_us-east-1_20181128T2235Z_cR9ra7OH1rytWyXY.json.gz',
    'postgresql-pgbadger/cnpg.log.gz',
    'postgresql-pgbadger/cloudsql.log.gz',
    'postgresql-pgbadger/rds.log.bz2',
    'mysql-enterprise-audit-elastic-beats/mysql_audit_test.log',
    's3access-elastic-integrations/test-s3-server-access.log',
    'mysql-percona-toolkit/slowlogs/slow002.txt',
    'mysql-percona-toolkit/genlog005.txt',
    'pgaudit-pgaudit/postgresql-2015-08-12_161343.csv',
    ...REAL_WEB_LOGS,
  ];
  for (const rel of others) {
    const path = realLogPath(rel);
    if (path === null) continue;
    const head = readRealLines(path).slice(0, 20);
    const s = jsonAccessFormat.sniff(head);
    assert.ok(s < 0.3, `${rel}: ${s}`);
    if (!(REAL_WEB_LOGS as readonly string[]).includes(rel)) {
      assert.ok(nginxFormat.sniff(head) < 0.3, `nginx on ${rel}`);
      assert.ok(apacheFormat.sniff(head) < 0.3, `apache on ${rel}`);
    }
  }
  const otrf = realLogPath('cloudtrail-otrf-security-datasets/ec2_proxy_s3_exfiltration.zip');
  if (otrf !== null) {
    const head = unzipFirst(otrf).split('\n').slice(0, 20);
    assert.ok(head.length > 1 && head[0]?.startsWith('{'));
    assert.ok(jsonAccessFormat.sniff(head) < 0.3, 'OTRF CloudTrail NDJSON');
  }
});

test('property: the json parsers never throw, and account for every line', () => {
  const parsers = () => [
    jsonAccessFormat.create(),
    jsonAccessFormat.create({
      fields: { ts: 'a.b[0]', 'headers.x': 'h.x', durationMs: 'd' },
      durationUnit: 'ns',
    }),
  ];
  const keys = fc.constantFrom(
    'time',
    'ts',
    'status',
    'request',
    'remote_addr',
    'size',
    'duration',
    'request_time',
    'date',
    'http_x',
    'cookie_c',
    'a',
    'b',
    'h',
    'd',
    '__proto__',
  );
  const obj = fc
    .dictionary(keys, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 })
    .map((o) => JSON.stringify(o));
  const line = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 3 }), obj);
  oneResultPerLine(line, parsers, (lines) => jsonAccessFormat.sniff(lines));
});
