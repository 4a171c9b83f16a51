import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ParseBadTimestamp, ParseLineTooLong, ParseMalformedLine } from '#shared/errors.js';
import { readRealLines, realLogPath, sharedDir } from '../../../../test/support/real-logs.js';
import { FORMATS } from '../../formats/registry.js';
import type { AccessRecord, RecordResult } from '../types.js';
import { parseS3Line, presignedKeyId, s3AccessFormat } from './s3-access.js';

// Other formats, through the registry (a format's folder imports no other format's).
const apiJsonFormat = FORMATS['api-json'];
const cloudtrailFormat = FORMATS.cloudtrail;

const OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';
const T = Date.UTC(2019, 1, 6, 0, 0, 38);
const HOSTID = 's9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=';
/** An AWS documentation example line (all 26 fields). */
const FULL =
  `${OWNER} DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 ${OWNER} 3E57427F3EXAMPLE ` +
  `REST.GET.VERSIONING - "GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - ` +
  `${HOSTID} SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com ` +
  `TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes`;

function parsed(line: string): AccessRecord {
  const r = parseS3Line(line, '0');
  if (r.ok !== true) assert.fail(`not parsed (${JSON.stringify(r)}): ${line}`);
  return r.record;
}

function rejectOf(line: string): { code: string; message: string } {
  const r = parseS3Line(line, '7');
  if (r.ok !== false) assert.fail(`not rejected: ${line}`);
  assert.equal(r.position, '7');
  return { code: r.error.code, message: r.error.message };
}

test('a full current-generation line', () => {
  const r = parsed(FULL);
  assert.equal(r.tsMs, T);
  assert.equal(r.sourceKind, 'storage');
  assert.equal(r.clientIp, '192.0.2.3');
  assert.equal(r.user, OWNER);
  assert.equal(r.authenticated, true);
  assert.equal(r.method, 'GET');
  assert.equal(r.target, '/DOC-EXAMPLE-BUCKET1?versioning');
  assert.equal(r.status, 200);
  assert.equal(r.bytesOut, 113);
  assert.equal(r.durationMs, 7);
  assert.equal(r.referer, null);
  assert.equal(r.userAgent, 'S3Console/0.4');
  assert.deepEqual(r.headers, { host: 'DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com' });
  assert.deepEqual(r.attrs, {
    bucket: 'DOC-EXAMPLE-BUCKET1',
    operation: 'REST.GET.VERSIONING',
    bucket_owner: OWNER,
    request_id: '3E57427F3EXAMPLE',
    signature_version: 'SigV4',
    cipher_suite: 'ECDHE-RSA-AES128-GCM-SHA256',
    auth_type: 'AuthHeader',
    tls_version: 'TLSV1.2',
    access_point_arn: 'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP',
    acl_required: 'Yes',
  });
});

const BASE = `${OWNER} phi-bucket [06/Feb/2019:00:00:38 +0000]`;

test('table of real-world shapes', () => {
  const cases: Array<[string, string, Partial<AccessRecord>]> = [
    [
      'anonymous GET of an object, key from the request-URI with its query',
      `${BASE} 198.51.100.9 - 3E57427F3EXAMPLE REST.GET.OBJECT scans/patient%20123.pdf "GET /phi-bucket/scans/patient%20123.pdf?response-content-disposition=attachment HTTP/1.1" 200 - 204800 204800 35 12 "https://portal.example/records" "Mozilla/5.0 (X11; Linux x86_64)" - ${HOSTID} - - - phi-bucket.s3.amazonaws.com TLSv1.3`,
      {
        user: null,
        authenticated: false,
        target: '/phi-bucket/scans/patient%20123.pdf?response-content-disposition=attachment',
        bytesOut: 204800,
        durationMs: 35,
        referer: 'https://portal.example/records',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      },
    ],
    [
      'presigned URL (SigV4 query auth): the access key id becomes apiKey',
      `${BASE} 203.0.113.4 arn:aws:iam::123456789012:user/report-bot 1F2E REST.GET.OBJECT r/1.csv "GET /r/1.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20190206%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc HTTP/1.1" 200 - 10 10 3 2 "-" "curl/8.0" - ${HOSTID} SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString phi-bucket.s3.amazonaws.com TLSv1.2 - -`,
      {
        apiKey: 'AKIAIOSFODNN7EXAMPLE',
        user: 'arn:aws:iam::123456789012:user/report-bot',
        target:
          '/r/1.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20190206%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc',
      },
    ],
    [
      'old generation line (nothing after version id), no request-URI: /bucket/key',
      `${BASE} 192.0.2.3 ${OWNER} A1 BATCH.DELETE.OBJECT notes/a.txt - 204 - - 5 - - "-" "-" -`,
      { method: 'DELETE', target: '/phi-bucket/notes/a.txt', status: 204, bytesOut: 0, userAgent: null },
    ],
    [
      'WEBSITE endpoint operation, IPv6 client, error code, status 404',
      `${BASE} 2001:db8::7 - A2 WEBSITE.GET.OBJECT missing.html "GET /missing.html HTTP/1.1" 404 NoSuchKey 290 - 9 - "-" "Go-http-client/1.1" -`,
      { clientIp: '2001:db8::7', method: 'GET', status: 404, bytesOut: 290 },
    ],
    [
      'status and bytes `-`, key `-`, no request-URI: /bucket',
      `${BASE} - svc:logging.s3.amazonaws.com A3 REST.PUT.BUCKETPOLICY - - - - - - - - "-" "-"`,
      { clientIp: null, status: null, bytesOut: 0, target: '/phi-bucket', method: 'PUT' },
    ],
    [
      'an operation without an HTTP verb keeps the operation as method',
      `${BASE} 192.0.2.3 ${OWNER} A4 REST.COPY.OBJECT_GET a/b "PUT /phi-bucket/a/c HTTP/1.1" 200 - 0 10 5 5 "-" "-"`,
      { method: 'PUT', target: '/phi-bucket/a/c' },
    ],
    [
      'an unescaped quote (not followed by a space) inside the user agent; CRLF',
      `${BASE} 192.0.2.3 - A5 REST.HEAD.OBJECT a "HEAD /phi-bucket/a HTTP/1.1" 200 - 0 10 1 1 "-" "agent "x"/1.0" -\r\n`,
      { userAgent: 'agent "x"/1.0', method: 'HEAD' },
    ],
    [
      'HTTP/2-less request-URI (no protocol) and a truncated user agent',
      `${BASE} 192.0.2.3 - A6 REST.GET.OBJECT a "GET /phi-bucket/a" 200 - 1 1 1 1 "-" "Mozilla/5.0 (trunc`,
      { target: '/phi-bucket/a', userAgent: 'Mozilla/5.0 (trunc' },
    ],
    [
      'source region and unknown future fields are tolerated',
      `${FULL} us-east-2 future-field another`,
      { status: 200, target: '/DOC-EXAMPLE-BUCKET1?versioning' },
    ],
  ];
  for (const [name, line, want] of cases) {
    const r = parsed(line);
    for (const [k, v] of Object.entries(want))
      assert.deepEqual(r[k as keyof AccessRecord], v, `${name}: ${k}`);
  }
  assert.equal(parsed(`${FULL} us-east-2`).attrs['source_region'], 'us-east-2');
});

test('lifecycle actions and blank lines are skipped', () => {
  for (const op of [
    'S3.EXPIRE.OBJECT',
    'S3.TRANSITION_SIA.OBJECT',
    'S3.CREATE.DELETEMARKER',
    'S3.DELETE.UPLOAD',
  ]) {
    const r = parseS3Line(`${BASE} - AmazonS3 X1 ${op} k "-" - - - 10 - - "-" "-" -`, '3');
    assert.deepEqual(r, { ok: 'skip', kind: 'lifecycle', position: '3', lines: 1 }, op);
  }
  // Any `S3.` operation by S3 itself, even one not in the list.
  assert.equal(
    parseS3Line(`${BASE} - AmazonS3 X1 S3.RESTORE.OBJECT k "-" - - - 10 - - "-" "-"`, '0').ok,
    'skip',
  );
  // A principal's REST call stays a record.
  assert.equal(parseS3Line(`${BASE} - - X1 REST.GET.OBJECT k "-" 200 - 1 1 1 1 "-" "-"`, '0').ok, true);
  for (const blank of ['', '   ', '\r', '\t \r\n']) {
    assert.deepEqual(parseS3Line(blank, '9'), { ok: 'skip', kind: 'blank', position: '9', lines: 1 });
  }
});

test('rejects with typed errors', () => {
  const m = ParseMalformedLine.code;
  const nginx =
    '93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3"';
  const cases: Array<[string, string, string]> = [
    [nginx, m, 'no_timestamp'],
    ['garbage', m, 'too_few_fields'],
    [`${BASE} 1.2.3.4 - X REST.GET.OBJECT k "GET /k HTTP/1.1" 200`, m, 'too_few_fields'],
    [`${BASE} 1.2.3.4 - X rest-get k "-" 200 - 1 1 1 1 "-" "-"`, m, 'bad_operation'],
    [`${BASE} 1.2.3.4 - X REST.GET.OBJECT k "-" OK - 1 1 1 1 "-" "-"`, m, 'bad_status'],
    [`${BASE} 1.2.3.4 - X REST.GET.OBJECT k "-" 2000 - 1 1 1 1 "-" "-"`, m, 'bad_status'],
    [`${BASE} 1.2.3.4 - X REST.GET.OBJECT k "-" 200 - 1x 1 1 1 "-" "-"`, m, 'bad_bytes'],
    [
      `${OWNER} b [06/Feb/2019:25:00:38 +0000] 1.2.3.4 - X REST.GET.OBJECT k "-" 200 - 1 1 1 1 "-" "-"`,
      ParseBadTimestamp.code,
      '',
    ],
    [
      `${OWNER} b [2019-02-06T00:00:38Z] 1.2.3.4 - X REST.GET.OBJECT k "-" 200 - 1 1 1 1 "-" "-"`,
      ParseBadTimestamp.code,
      '',
    ],
  ];
  for (const [line, code, reason] of cases) {
    const r = rejectOf(line);
    assert.equal(r.code, code, line);
    if (reason !== '') assert.ok(r.message.endsWith(`: ${reason}`), `${r.message} for ${line}`);
  }
  const long = parseS3Line(`${FULL} ${'x'.repeat(70_000)}`, '0');
  assert.ok(long.ok === false && long.error.code === ParseLineTooLong.code);
  assert.ok(long.ok === false && long.text.length <= 8192, 'rejected text is cut');
});

test('hostile inputs stay linear', () => {
  for (const s of [
    '"'.repeat(60_000),
    '['.repeat(60_000),
    `a b [${'1'.repeat(60_000)}`,
    '" '.repeat(30_000),
  ]) {
    const t0 = performance.now();
    assert.equal(parseS3Line(s, '0').ok, false);
    assert.ok(performance.now() - t0 < 200, 'linear time');
  }
});

test('presignedKeyId', () => {
  assert.equal(presignedKeyId('/k?AWSAccessKeyId=AKIAEXAMPLE&Expires=1&Signature=x'), 'AKIAEXAMPLE');
  assert.equal(
    presignedKeyId('/k?X-Amz-Credential=ASIAEXAMPLE/20190206/us-east-1/s3/aws4_request'),
    'ASIAEXAMPLE',
  );
  assert.equal(presignedKeyId('/k?x=1'), null);
  assert.equal(presignedKeyId('/k?X-Amz-Credential=&a=1'), null);
});

// ---- sniffing --------------------------------------------------------------------------------------

const OTHER_FORMAT_SAMPLES: Record<string, string[]> = {
  nginx: [
    '93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3"',
    '93.180.71.3 - - [17/May/2015:08:05:23 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3"',
  ],
  'mysql-slow': [
    '# Time: 071218 11:48:27',
    '# User@Host: [SQL_SLAVE] @  []',
    '# Query_time: 0.000012  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0',
    'SET timestamp=1197996507;',
    'BEGIN;',
  ],
  json: [
    '{"time_local":"17/May/2015:08:05:32 +0000","remote_addr":"93.180.71.3","remote_user":"-","request":"GET / HTTP/1.1","status":200,"body_bytes_sent":0,"http_referer":"-","http_user_agent":"curl/8.0"}',
  ],
  cloudtrail: [
    '{"Records":[{"eventVersion":"1.05","eventTime":"2018-11-28T22:31:59Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}]}',
  ],
  'api-json': [
    '{"ts":"2024-03-01T10:15:00Z","method":"GET","path":"/wp-json/wc/v3/orders","status":200,"rows":100,"consumer_key":"ck_0123456789abcdef0123456789abcdef01234567"}',
  ],
};

test('sniff: high on S3 access logs, low on other formats', () => {
  assert.ok(s3AccessFormat.sniff([FULL]) >= 0.8);
  assert.ok(s3AccessFormat.sniff([FULL, `${BASE} - - X REST.GET.OBJECT k "-" 200 - 1 1 1 1 "-" "-"`]) >= 0.8);
  for (const [name, lines] of Object.entries(OTHER_FORMAT_SAMPLES)) {
    assert.ok(s3AccessFormat.sniff(lines) < 0.3, `s3 sniff on ${name}`);
  }
  assert.ok(cloudtrailFormat.sniff([FULL]) < 0.3);
  assert.ok(apiJsonFormat.sniff([FULL]) < 0.3);
  assert.equal(s3AccessFormat.sniff([]), 0);
  assert.equal(s3AccessFormat.sniff(['', '  ']), 0);
});

test('create() validates options', () => {
  assert.throws(() => s3AccessFormat.create({ maxLineChars: -1 }), /maxLineChars/);
  assert.throws(() => s3AccessFormat.create({ bogus: 1 } as never), /unknown option bogus/);
  const p = s3AccessFormat.create({ maxLineChars: 1000 });
  const [r] = p.push({ offset: 5, text: FULL });
  assert.equal(r?.ok, true);
  assert.equal(r?.position, '5');
  assert.deepEqual(p.end(), []);
});

// ---- never throws: properties ----------------------------------------------------------------------

function wellFormed(r: RecordResult, position: string): void {
  assert.equal(r.position, position);
  if (r.ok === true) {
    assert.ok(Number.isFinite(r.record.tsMs));
    assert.ok(Number.isInteger(r.record.bytesOut) && r.record.bytesOut >= 0);
    assert.equal(typeof r.record.target, 'string');
  } else if (r.ok === false) {
    assert.ok(r.error.code.startsWith('LW_ERR_PARSE_'));
    assert.ok(r.text.length <= 8192);
  } else {
    assert.equal(typeof r.kind, 'string');
  }
}

/** Real-looking lines with random edits: exercises the deep paths, not only early rejects. */
const mutatedLine = fc
  .tuple(
    fc.constantFrom(FULL, `${BASE} - - X REST.GET.OBJECT k "GET /k HTTP/1.1" 200 - 1 1 1 1 "-" "ua"`),
    fc.nat(),
    fc.nat({ max: 20 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
  )
  .map(([base, at, del, ins]) => {
    const i = at % (base.length + 1);
    return base.slice(0, i) + ins + base.slice(i + del);
  });
const anyLine = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), mutatedLine);

test('property: parseS3Line never throws, on any string', () => {
  fc.assert(
    fc.property(anyLine, (s) => {
      wellFormed(parseS3Line(s, '1'), '1');
    }),
    { numRuns: 1000 },
  );
});

test('property: a parser fed any line sequence returns one result per line, never throws', () => {
  fc.assert(
    fc.property(fc.array(anyLine, { maxLength: 20 }), (lines) => {
      const p = s3AccessFormat.create();
      let offset = 0;
      let n = 0;
      for (const text of lines) {
        const out = p.push({ offset, text });
        assert.equal(out.length, 1);
        wellFormed(out[0] as RecordResult, String(offset));
        offset += text.length + 1;
        n++;
      }
      assert.deepEqual(p.end(), []);
      assert.equal(n, lines.length);
      const s = s3AccessFormat.sniff(lines);
      assert.ok(s >= 0 && s <= 1);
    }),
    { numRuns: 1000 },
  );
});

// ---- the real file ---------------------------------------------------------------------------------

const REAL = 's3access-elastic-integrations/test-s3-server-access.log';
const realPath = realLogPath(REAL);

test(`real log ${REAL}: parsed + skipped + rejected = lines read`, {
  skip: realPath === null && `not found under ${sharedDir()}/data/real (set LEAKWATCH_SHARED_DIR)`,
}, () => {
  const lines = readRealLines(realPath as string);
  assert.ok(s3AccessFormat.sniff(lines.slice(0, 20)) >= 0.8);
  const p = s3AccessFormat.create();
  const records: AccessRecord[] = [];
  const skipped: string[] = [];
  const rejected: string[] = [];
  let offset = 0;
  for (const text of lines) {
    for (const r of p.push({ offset, text })) {
      if (r.ok === true) records.push(r.record);
      else if (r.ok === 'skip') skipped.push(r.kind);
      else rejected.push(`${r.error.message}: ${r.text.slice(0, 120)}`);
    }
    offset += Buffer.byteLength(text) + 1;
  }
  console.log(
    `# ${REAL}: ${lines.length} lines, ${records.length} parsed, ${skipped.length} skipped, ${rejected.length} rejected`,
  );
  assert.equal(records.length + skipped.length + rejected.length, lines.length);
  // No rejects: every line is a well-formed S3 access log line.
  assert.deepEqual(rejected, []);
  // The last line is S3.EXPIRE.OBJECT by AmazonS3: a lifecycle expiry, not an access by a principal.
  assert.deepEqual(skipped, ['lifecycle']);
  assert.equal(records.length, 9);

  const [first] = records;
  assert.ok(first);
  assert.equal(first.tsMs, Date.UTC(2019, 7, 1, 0, 24, 41));
  assert.equal(first.clientIp, '89.160.20.156');
  assert.equal(
    first.user,
    'arn:aws:sts::123456:assumed-role/AWSServiceRoleForTrustedAdvisor/TrustedAdvisor_627959692251_784ab70b-8cc9-4d37-a2ec-2ff4d0c08af9',
  );
  assert.equal(first.method, 'GET');
  assert.equal(first.target, '/test-s3-ks/?location&aws-account=627959692251');
  assert.equal(first.bytesOut, 142);
  assert.equal(first.durationMs, 17);
  assert.equal(first.attrs['operation'], 'REST.GET.LOCATION');
  assert.equal(first.attrs['request_id'], '44EE8651683CB4DA');

  const batch = records[4];
  assert.ok(batch);
  assert.equal(batch.tsMs, Date.UTC(2019, 8, 10, 15, 11, 7));
  assert.equal(batch.user, 'arn:aws:iam::123456:user/test@elastic.co');
  assert.equal(batch.method, 'DELETE');
  assert.equal(batch.target, '/jsoriano-s3-test/jolokia-war-1.5.0.war');
  assert.equal(batch.status, 204);
  assert.equal(batch.attrs['object_size'], '344017');

  const delivery = records[7];
  assert.ok(delivery);
  assert.equal(delivery.tsMs, Date.UTC(2021, 6, 14, 18, 57, 31));
  assert.equal(delivery.clientIp, null);
  assert.equal(delivery.user, 'svc:delivery.logs.amazonaws.com');
  assert.equal(delivery.method, 'PUT');
  assert.equal(delivery.durationMs, 103);
  assert.equal(
    delivery.attrs['access_point_arn'],
    'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP',
  );
  assert.equal(delivery.attrs['acl_required'], 'Yes');
  assert.equal(records[8]?.status, null, 'status `-`');
});
