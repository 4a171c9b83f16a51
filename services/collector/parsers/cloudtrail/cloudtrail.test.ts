import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { ParseBadTimestamp, ParseLineTooLong, ParseMalformedLine } from '#shared/errors.js';
import { feed } from '../../../../test/support/feed.js';
import { readRealLines, realLogPath, sharedDir } from '../../../../test/support/real-logs.js';
import { FORMATS } from '../../formats/registry.js';
import { parseIsoTimestamp } from '../lib/iso-time.js';
import type { AccessRecord, RecordResult } from '../types.js';
import { cloudtrailFormat, encodeKey, statusForErrorCode } from './cloudtrail.js';

// Other formats, through the registry (a format's folder imports no other format's).
const apiJsonFormat = FORMATS['api-json'];
const s3AccessFormat = FORMATS.s3;

function run(lines: string[], options = {}): RecordResult[] {
  return feed(cloudtrailFormat.create(options), lines);
}

function one(ev: unknown): AccessRecord {
  const [r, ...rest] = run([JSON.stringify(ev)]);
  assert.equal(rest.length, 0);
  if (r?.ok !== true) assert.fail(`not parsed: ${JSON.stringify(r)}`);
  return r.record;
}

const S3_GET = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:alice',
    arn: 'arn:aws:sts::111122223333:assumed-role/clinic-reader/alice',
    accountId: '111122223333',
    accessKeyId: 'ASIAEXAMPLEKEYID0001',
    sessionContext: {
      sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/clinic-reader' },
      attributes: { creationDate: '2024-03-01T09:00:00Z', mfaAuthenticated: 'true' },
    },
  },
  eventTime: '2024-03-01T10:15:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '203.0.113.7',
  userAgent: '[aws-cli/2.15.0 Python/3.11]',
  requestParameters: {
    bucketName: 'clinic-scans',
    key: 'patients/Jane Doe/2024 scan #1.pdf',
    Host: 'clinic-scans.s3.eu-west-1.amazonaws.com',
  },
  additionalEventData: { bytesTransferredIn: 0, bytesTransferredOut: 482133.0 },
  requestID: 'R1',
  eventID: 'E1',
  readOnly: true,
  eventType: 'AwsApiCall',
  managementEvent: false,
  recipientAccountId: '111122223333',
  eventCategory: 'Data',
};

test('an S3 data event (NDJSON line)', () => {
  const r = one(S3_GET);
  assert.equal(r.tsMs, Date.UTC(2024, 2, 1, 10, 15, 0));
  assert.equal(r.sourceKind, 'storage');
  assert.equal(r.clientIp, '203.0.113.7');
  assert.equal(r.user, 'arn:aws:sts::111122223333:assumed-role/clinic-reader/alice');
  assert.equal(r.apiKey, 'ASIAEXAMPLEKEYID0001');
  assert.equal(r.authenticated, true);
  assert.equal(r.userAgent, 'aws-cli/2.15.0 Python/3.11');
  assert.equal(r.method, 'GetObject');
  assert.equal(r.target, '/clinic-scans/patients/Jane%20Doe/2024%20scan%20%231.pdf');
  assert.equal(r.bytesOut, 482133);
  assert.equal(r.status, 200); // served: an S3 data event without an error
  assert.deepEqual(r.headers, { host: 'clinic-scans.s3.eu-west-1.amazonaws.com' });
  assert.deepEqual(r.attrs, {
    event_source: 's3.amazonaws.com',
    aws_region: 'eu-west-1',
    event_id: 'E1',
    request_id: 'R1',
    event_type: 'AwsApiCall',
    event_category: 'Data',
    read_only: 'true',
    identity_type: 'AssumedRole',
    account_id: '111122223333',
    session_issuer: 'arn:aws:iam::111122223333:role/clinic-reader',
    mfa_authenticated: 'true',
    bucket: 'clinic-scans',
  });
});

test('a native delivery line: one record per event, positions offset:index', () => {
  const line = JSON.stringify({
    Records: [S3_GET, { ...S3_GET, eventName: 'PutObject', eventID: 'E2' }, { eventTime: 'x' }],
  });
  const out = run(['', line]);
  assert.equal(out.length, 4);
  assert.deepEqual(out[0], { ok: 'skip', kind: 'blank', position: '0', lines: 1 });
  assert.deepEqual(
    out.map((r) => r.position),
    ['0', '1:0', '1:1', '1:2'],
  );
  assert.equal(out[2]?.ok === true && out[2].record.method, 'PutObject');
  const bad = out[3];
  assert.ok(bad?.ok === false && bad.error.message.endsWith('no_event_name'));
  assert.equal(bad.text, '{"eventTime":"x"}', 'the rejected event alone is the text');
  // A bare array (`jq -c .Records`) reads the same way; a one-event delivery is still offset:0.
  assert.deepEqual(
    run([JSON.stringify([S3_GET])]).map((r) => r.position),
    ['0:0'],
  );
  assert.deepEqual(
    run([JSON.stringify({ Records: [S3_GET] })]).map((r) => r.position),
    ['0:0'],
  );
});

test('identities, sources, errors', () => {
  const anon = one({
    ...S3_GET,
    userIdentity: { type: 'AWSAccount', principalId: '', accountId: 'ANONYMOUS_PRINCIPAL' },
  });
  assert.equal(anon.user, null);
  assert.equal(anon.authenticated, false);
  assert.equal(anon.apiKey, null);

  const crossAccount = one({
    ...S3_GET,
    userIdentity: { type: 'AWSAccount', principalId: 'AIDAX', accountId: '9' },
  });
  assert.equal(crossAccount.user, 'AIDAX');
  assert.equal(crossAccount.authenticated, true);

  const service = one({
    eventTime: '2018-11-28T22:31:59Z',
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    sourceIPAddress: 'ecs-tasks.amazonaws.com',
    userIdentity: { type: 'AWSService', invokedBy: 'ecs-tasks.amazonaws.com' },
  });
  assert.equal(service.clientIp, null);
  assert.equal(service.attrs['via'], 'ecs-tasks.amazonaws.com');
  assert.equal(service.user, 'ecs-tasks.amazonaws.com');
  assert.equal(service.target, '/sts.amazonaws.com/AssumeRole');
  assert.equal(service.sourceKind, 'api');

  const denied = one({ ...S3_GET, errorCode: 'AccessDenied', errorMessage: 'Access Denied for arn:...' });
  assert.equal(denied.status, 403);
  assert.equal(denied.attrs['error_code'], 'AccessDenied');
  assert.ok(
    !Object.values(denied.attrs).some((v) => v.includes('Access Denied for')),
    'errorMessage not kept',
  );
  assert.equal(one({ ...S3_GET, errorCode: 'NoSuchKey' }).status, 404);
  assert.equal(one({ ...S3_GET, errorCode: 'ThrottlingException' }).status, null);
  assert.equal(statusForErrorCode('Client.UnauthorizedOperation'), 403);
  assert.equal(statusForErrorCode('AccessDeniedException'), 403);
  assert.equal(statusForErrorCode('ExpiredToken'), 403);

  const list = one({
    ...S3_GET,
    eventName: 'ListObjects',
    requestParameters: { bucketName: 'b', prefix: 'pat/J' },
  });
  assert.equal(list.target, '/b?prefix=pat/J');
  const bucketOnly = one({ ...S3_GET, eventName: 'GetBucketAcl', requestParameters: { bucketName: 'b' } });
  assert.equal(bucketOnly.target, '/b');
  const mgmt = one({
    ...S3_GET,
    eventName: 'GetBucketPolicy',
    managementEvent: true,
    eventCategory: 'Management',
    requestParameters: { bucketName: 'b', policy: '' },
  });
  assert.equal(mgmt.sourceKind, 'api');
  const listBuckets = one({ ...S3_GET, eventName: 'ListBuckets', requestParameters: null });
  assert.equal(listBuckets.target, '/s3.amazonaws.com/ListBuckets');
  assert.equal(listBuckets.sourceKind, 'api');
  const ipv6 = one({ ...S3_GET, sourceIPAddress: '2001:db8::5' });
  assert.equal(ipv6.clientIp, '2001:db8::5');
  const internal = one({ ...S3_GET, sourceIPAddress: 'AWS Internal' });
  assert.equal(internal.clientIp, null);
  assert.equal(internal.attrs['via'], 'AWS Internal');
  const noIdentity = one({
    eventTime: '2024-01-01T00:00:00Z',
    eventName: 'X',
    eventSource: 'y.amazonaws.com',
  });
  assert.equal(noIdentity.authenticated, null);
  assert.equal(noIdentity.user, null);
  // Prototype keys are never read as fields.
  const proto = one({ eventTime: '2024-01-01T00:00:00Z', eventName: 'X', userIdentity: { type: 'IAMUser' } });
  assert.equal(proto.user, null);
});

test('other envelopes: Logstash @timestamp, lookup-events, EventBridge; digests and insights skipped', () => {
  const { eventTime: _, ...noTime } = S3_GET;
  const logstash = one({ ...noTime, '@timestamp': '2020-09-14T00:44:23.000Z', '@version': '1' });
  assert.equal(logstash.tsMs, Date.UTC(2020, 8, 14, 0, 44, 23));
  const lookup = one({ EventId: 'E1', EventName: 'GetObject', CloudTrailEvent: JSON.stringify(S3_GET) });
  assert.equal(lookup.method, 'GetObject');
  const bridge = one({
    version: '0',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.s3',
    detail: S3_GET,
  });
  assert.equal(bridge.target, '/clinic-scans/patients/Jane%20Doe/2024%20scan%20%231.pdf');
  const out = run([
    '{"Records":[]}',
    JSON.stringify({ awsAccountId: '1', digestStartTime: '2024-01-01T00:00:00Z', logFiles: [] }),
    JSON.stringify({ ...S3_GET, eventType: 'AwsCloudTrailInsight' }),
    JSON.stringify({ Records: [{ ...S3_GET, eventType: 'AwsCloudTrailInsight' }] }),
  ]);
  assert.deepEqual(
    out.map((r) => (r.ok === 'skip' ? `${r.kind}/${r.lines}` : 'x')),
    ['empty_delivery/1', 'digest/1', 'insight/1', 'insight/0'],
  );
});

test('rejects with typed errors', () => {
  const m = ParseMalformedLine.code;
  const cases: Array<[string, string, string]> = [
    ['not json', m, 'bad_json'],
    ['{"Records":[{"eventTime":"2018-11-28T22:31:59Z"', m, 'bad_json'],
    ['"a string"', m, 'not_object'],
    ['42', m, 'not_object'],
    ['{"eventTime":"2024-01-01T00:00:00Z"}', m, 'no_event_name'],
    ['{"eventName":"GetObject"}', m, 'no_event_time'],
    ['{"CloudTrailEvent":"{broken"}', m, 'bad_json'],
    ['{"eventName":"GetObject","eventTime":"28/Nov/2018"}', ParseBadTimestamp.code, ''],
    ['{"eventName":"GetObject","eventTime":"2018-02-30T00:00:00Z"}', ParseBadTimestamp.code, ''],
  ];
  for (const [line, code, reason] of cases) {
    const [r] = run([line]);
    assert.ok(r?.ok === false, line);
    assert.equal(r.error.code, code, line);
    if (reason !== '') assert.ok(r.error.message.endsWith(reason), `${r.error.message} for ${line}`);
    assert.equal(r.position, '0');
  }
  const [nested] = run(['[1]']);
  assert.ok(nested?.ok === false && nested.position === '0:0' && nested.error.message.endsWith('not_object'));
  const [long] = run([JSON.stringify({ ...S3_GET, pad: 'x'.repeat(2000) })], { maxLineChars: 1000 });
  assert.ok(long?.ok === false && long.error.code === ParseLineTooLong.code);
  assert.throws(() => cloudtrailFormat.create({ maxLineChars: 3.5 }), /maxLineChars/);
  assert.throws(() => cloudtrailFormat.create({ nope: true } as never), /unknown option nope/);
});

test('parseIsoTimestamp agrees with Date for many times, and rejects bad ones', () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const ms = rnd(2 ** 31) * 1000 + rnd(1000) + rnd(3) * 1000 * 2 ** 31;
    const iso = new Date(ms).toISOString();
    assert.equal(parseIsoTimestamp(iso), ms, iso);
    assert.equal(parseIsoTimestamp(iso.replace('.', ',').replace('Z', '+00:00')), ms);
    const offMin = (rnd(27) - 12) * 60 + (rnd(2) ? 30 : 0);
    const local = new Date(ms + offMin * 60000).toISOString().slice(0, 23);
    const a = Math.abs(offMin);
    const zone = `${offMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
    assert.equal(parseIsoTimestamp(local + zone), ms, local + zone);
    assert.equal(parseIsoTimestamp(local + zone.replace(':', '')), ms);
  }
  assert.equal(parseIsoTimestamp('2018-11-28T22:31:59Z'), Date.UTC(2018, 10, 28, 22, 31, 59));
  assert.equal(parseIsoTimestamp('2018-11-28 22:31:59'), Date.UTC(2018, 10, 28, 22, 31, 59), 'no zone = UTC');
  assert.equal(parseIsoTimestamp('2018-11-28T22:31Z'), Date.UTC(2018, 10, 28, 22, 31));
  assert.equal(parseIsoTimestamp('2018-11-28T22:31:59.123456789Z'), Date.UTC(2018, 10, 28, 22, 31, 59, 123));
  assert.equal(parseIsoTimestamp('2018-11-28T22:31:59+05'), Date.UTC(2018, 10, 28, 17, 31, 59));
  for (const bad of [
    '',
    '2018-11-28',
    '2018-13-01T00:00:00Z',
    '2019-02-29T00:00:00Z',
    '2018-11-28T24:00:00Z',
    '2018-11-28T22:31:59Q',
    '2018-11-28T22:31:59+5:00',
    '2018-11-28T22:31:59.Z',
    '2018-11-28T22:31:59Zjunk',
    'Nov 28, 2018 10:31:59 PM',
  ]) {
    assert.ok(Number.isNaN(parseIsoTimestamp(bad)), bad);
  }
});

test('encodeKey percent-encodes like an S3 request line', () => {
  assert.equal(encodeKey('a/b-c_d.e~f'), 'a/b-c_d.e~f');
  assert.equal(encodeKey('Jane Doe/ü+?.pdf'), 'Jane%20Doe/%C3%BC%2B%3F.pdf');
  assert.equal(encodeKey('\ud800x'), '%EF%BF%BDx', 'lone surrogate does not throw');
});

// ---- sniffing --------------------------------------------------------------------------------------

const OTHER_FORMAT_SAMPLES: Record<string, string[]> = {
  nginx: [
    '93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3"',
  ],
  'mysql-slow': ['# Time: 071218 11:48:27', '# User@Host: [SQL_SLAVE] @  []', 'SET timestamp=1197996507;'],
  json: [
    '{"time_local":"17/May/2015:08:05:32 +0000","remote_addr":"93.180.71.3","request":"GET / HTTP/1.1","status":200}',
  ],
  s3: [
    '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57 REST.GET.OBJECT k "GET /b/k HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -',
  ],
  'api-json': [
    '{"ts":"2024-03-01T10:15:00Z","method":"GET","path":"/wp-json/wc/v3/orders","status":200,"rows":100,"consumer_key":"ck_0123456789abcdef0123456789abcdef01234567"}',
  ],
  'honeybucket csv': [
    'Event Type,Event Name,Request ID,User ID,Request Parameters,Alert,Event ID,Event DateTime,Alarm DateTime,Source IP,Request User Agent,Repeated Attempts',
    `AwsApiCall,ListObjects,E2E91AQVN6DJHZ91,"{'type': 'AWSAccount', 'principalId': '', 'accountId': 'ANONYMOUS_PRINCIPAL'}","{'bucketName': 'microsoft-devtest'}",x`,
  ],
};

test('sniff: high on CloudTrail, low on other formats', () => {
  assert.ok(cloudtrailFormat.sniff([JSON.stringify({ Records: [S3_GET] })]) >= 0.8);
  assert.ok(cloudtrailFormat.sniff([JSON.stringify(S3_GET), JSON.stringify(S3_GET)]) >= 0.8);
  // A sniff sample cut short (a huge delivery line) still counts.
  assert.ok(cloudtrailFormat.sniff([JSON.stringify({ Records: [S3_GET, S3_GET] }).slice(0, 300)]) >= 0.8);
  for (const [name, lines] of Object.entries(OTHER_FORMAT_SAMPLES)) {
    assert.ok(cloudtrailFormat.sniff(lines) < 0.3, `cloudtrail sniff on ${name}`);
  }
  assert.ok(s3AccessFormat.sniff([JSON.stringify(S3_GET)]) < 0.3);
  assert.ok(apiJsonFormat.sniff([JSON.stringify(S3_GET), JSON.stringify({ Records: [S3_GET] })]) < 0.3);
});

// ---- never throws: properties ----------------------------------------------------------------------

const jsonish = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        eventTime: fc.oneof(fc.string(), fc.constant('2024-03-01T10:15:00Z'), fc.integer()),
        '@timestamp': fc.string(),
        eventName: fc.oneof(fc.string(), fc.jsonValue()),
        eventSource: fc.oneof(fc.constant('s3.amazonaws.com'), fc.string()),
        sourceIPAddress: fc.oneof(fc.string(), fc.jsonValue()),
        userIdentity: fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              type: fc.string(),
              arn: fc.jsonValue(),
              accessKeyId: fc.jsonValue(),
              sessionContext: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        requestParameters: fc.oneof(
          fc.jsonValue(),
          fc.record(
            { bucketName: fc.jsonValue(), key: fc.string({ unit: 'binary' }), prefix: fc.string() },
            {
              requiredKeys: [],
            },
          ),
        ),
        additionalEventData: fc.record({ bytesTransferredOut: fc.jsonValue() }, { requiredKeys: [] }),
        errorCode: fc.jsonValue(),
        CloudTrailEvent: fc.string(),
        detail: fc.jsonValue(),
        'detail-type': fc.string(),
      },
      { requiredKeys: [] },
    )
    .chain((ev) => fc.constantFrom(JSON.stringify(ev), JSON.stringify({ Records: [ev, ev] }))),
);
const anyLine = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), jsonish);

function wellFormed(r: RecordResult): void {
  if (r.ok === true) {
    assert.ok(Number.isFinite(r.record.tsMs));
    assert.ok(Number.isInteger(r.record.bytesOut) && r.record.bytesOut >= 0);
    for (const v of Object.values(r.record.attrs)) assert.equal(typeof v, 'string');
  } else if (r.ok === false) {
    assert.ok(r.error.code.startsWith('LW_ERR_PARSE_'));
    assert.ok(r.text.length <= 8192);
  }
}

test('property: any line never throws and yields well-formed results', () => {
  fc.assert(
    fc.property(anyLine, (s) => {
      const out = cloudtrailFormat.create().push({ offset: 3, text: s });
      assert.ok(out.length >= 1);
      for (const r of out) {
        assert.ok(r.position === '3' || r.position.startsWith('3:'));
        wellFormed(r);
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: any line sequence never throws; positions are unique', () => {
  fc.assert(
    fc.property(fc.array(anyLine, { maxLength: 15 }), (lines) => {
      const out = run(lines);
      assert.ok(out.length >= lines.length);
      assert.equal(new Set(out.map((r) => r.position)).size, out.length);
      for (const r of out) wellFormed(r);
      const s = cloudtrailFormat.sniff(lines);
      assert.ok(s >= 0 && s <= 1);
    }),
    { numRuns: 1000 },
  );
});

// ---- real files --------------------------------------------------------------------------------------

/**
 * Minimal zip reader for the OTRF test data (no dependency): the end-of-central-directory record,
 * then each central-directory entry, its local header and the stored or deflated data.
 */
function readZip(path: string): Map<string, Buffer> {
  const buf = readFileSync(path);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw new Error(`${path}: no end of central directory`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${path}: bad central directory entry`);
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + size);
    if (method === 0) out.set(name, data);
    else if (method === 8) out.set(name, inflateRawSync(data));
    else throw new Error(`${path}: ${name}: compression method ${method}`);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function zipLines(path: string): string[] {
  const [data] = readZip(path).values();
  assert.ok(data);
  const lines = data.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface Tally {
  records: AccessRecord[];
  skipped: string[];
  rejected: string[];
}

function tally(lines: string[]): Tally {
  const t: Tally = { records: [], skipped: [], rejected: [] };
  for (const r of run(lines)) {
    if (r.ok === true) t.records.push(r.record);
    else if (r.ok === 'skip') t.skipped.push(r.kind);
    else t.rejected.push(`${r.error.message}: ${r.text.slice(0, 120)}`);
  }
  return t;
}

const FLAWS = 'cloudtrail-flaws2';
const flawsDir = realLogPath(FLAWS);
const noShared = `not found under ${sharedDir()}/data/real (set LEAKWATCH_SHARED_DIR)`;

test(`real logs ${FLAWS}/*.json.gz: 8 delivery files, 37 events, all parsed`, {
  skip: flawsDir === null && noShared,
}, () => {
  const files = readdirSync(flawsDir as string)
    .filter((f) => f.endsWith('.json.gz'))
    .sort();
  assert.equal(files.length, 8);
  const all: AccessRecord[] = [];
  let events = 0;
  for (const f of files) {
    const lines = readRealLines(join(flawsDir as string, f));
    assert.equal(lines.length, 1, 'native delivery: one line');
    assert.ok(cloudtrailFormat.sniff(lines) >= 0.8, f);
    assert.ok(s3AccessFormat.sniff(lines) < 0.3 && apiJsonFormat.sniff(lines) < 0.3, f);
    // Every event of the line, counted independently of the parser.
    const n = (JSON.parse(lines[0] as string) as { Records: unknown[] }).Records.length;
    events += n;
    const t = tally(lines);
    // Parsed + skipped + rejected accounts for every event; there are no rejects or skips.
    assert.equal(t.records.length + t.skipped.length + t.rejected.length, n, f);
    assert.deepEqual(t.rejected, [], f);
    assert.deepEqual(t.skipped, [], f);
    all.push(...t.records);
  }
  console.log(
    `# ${FLAWS}: ${files.length} files, ${events} events, ${all.length} parsed, 0 skipped, 0 rejected`,
  );
  assert.equal(events, 37);
  assert.equal(all.length, 37);

  // The first event of the first file: ECS assuming role level3 (a service, no IP).
  const first = all[0];
  assert.ok(first);
  assert.equal(first.tsMs, Date.UTC(2018, 10, 28, 22, 31, 59));
  assert.equal(first.method, 'AssumeRole');
  assert.equal(first.clientIp, null);
  assert.equal(first.attrs['via'], 'ecs-tasks.amazonaws.com');
  assert.equal(first.user, 'ecs-tasks.amazonaws.com');

  // The attacker's ListBuckets with the stolen level3 role session.
  const lb = all.filter((r) => r.method === 'ListBuckets');
  assert.equal(lb.length, 1);
  assert.equal(lb[0]?.tsMs, Date.UTC(2018, 10, 28, 23, 9, 28));
  assert.equal(lb[0]?.clientIp, '104.102.221.250');
  assert.equal(
    lb[0]?.user,
    'arn:aws:sts::653711331788:assumed-role/level3/d190d14a-2404-45d6-9113-4eda22d7f2c7',
  );
  assert.equal(lb[0]?.apiKey, 'ASIAZQNB3KHGNXWXBSJS');
  assert.equal(lb[0]?.authenticated, true);

  // Anonymous website reads of the public buckets.
  const gets = all.filter((r) => r.method === 'GetObject');
  assert.equal(gets.length, 22);
  assert.ok(gets.every((r) => r.authenticated === false && r.user === null && r.sourceKind === 'storage'));
  assert.ok(
    gets.some((r) => r.target === '/level1.flaws2.cloud/secret-ppxVFdwV4DDtZm8vbQRvhxL8mE6wxNco.html'),
  );
  assert.equal(gets.filter((r) => r.status === 404 && r.attrs['error_code'] === 'NoSuchKey').length, 2);

  // The level1 lambda role denied CreateLogStream.
  const denied = all.filter((r) => r.attrs['error_code'] === 'AccessDenied');
  assert.equal(denied.length, 5);
  assert.ok(denied.every((r) => r.status === 403 && r.clientIp === '34.234.236.212'));
});

const OTRF = 'cloudtrail-otrf-security-datasets/ec2_proxy_s3_exfiltration.zip';
const otrfPath = realLogPath(OTRF);

test(`real log ${OTRF}: 103 Logstash-flattened lines, all parsed`, {
  skip: otrfPath === null && noShared,
}, () => {
  const lines = zipLines(otrfPath as string);
  assert.equal(lines.length, 103);
  assert.ok(cloudtrailFormat.sniff(lines.slice(0, 20)) >= 0.8);
  assert.ok(apiJsonFormat.sniff(lines.slice(0, 20)) < 0.3);
  const t = tally(lines);
  console.log(
    `# ${OTRF}: ${lines.length} lines, ${t.records.length} parsed, ${t.skipped.length} skipped, ${t.rejected.length} rejected`,
  );
  assert.equal(t.records.length + t.skipped.length + t.rejected.length, lines.length);
  // No rejects: every line is one event; eventTime is absent, @timestamp carries the time.
  assert.deepEqual(t.rejected, []);
  assert.deepEqual(t.skipped, []);

  const first = t.records[0];
  assert.ok(first);
  assert.equal(first.tsMs, Date.UTC(2020, 8, 14, 0, 44, 23));
  assert.equal(first.method, 'DescribeInstanceTypes');
  assert.equal(first.user, 'arn:aws:iam::123456789123:user/pedro');
  assert.equal(first.apiKey, 'ASIA5FLZVX4OI4ZDQJOL');
  assert.equal(first.clientIp, '1.2.3.4');
  assert.equal(first.target, '/ec2.amazonaws.com/DescribeInstanceTypes');
  assert.equal(first.sourceKind, 'api');
  assert.equal(first.attrs['mfa_authenticated'], 'true');

  // The exfiltration: the WAF role's session reads ring.txt from the bucket.
  const exfil = t.records.filter((r) => r.method === 'GetObject');
  assert.equal(exfil.length, 2);
  for (const r of exfil) {
    assert.equal(r.target, '/mordors3stack-s3bucket-llp2yingx64a/ring.txt');
    assert.equal(r.bytesOut, 89);
    assert.equal(r.sourceKind, 'storage');
    assert.equal(
      r.user,
      'arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40',
    );
    assert.equal(r.apiKey, 'ASIA5FLZVX4OPVKKVBMX');
    assert.equal(r.headers['host'], 'mordors3stack-s3bucket-llp2yingx64a.s3.amazonaws.com');
  }
  assert.equal(exfil[0]?.tsMs, Date.UTC(2020, 8, 14, 1, 2, 34));
  const lists = t.records.filter((r) => r.method === 'ListObjects');
  assert.equal(lists.length, 7);
  assert.deepEqual([...new Set(lists.map((r) => r.bytesOut))].sort(), [500, 524]);
});

const HONEY = 'cloudtrail-otrf-security-datasets/aws_s3_honeybucketlogs.zip';
const honeyPath = realLogPath(HONEY);

test(`${HONEY} is a CSV export, not CloudTrail: sniffs 0 (not parsed by this format)`, {
  skip: honeyPath === null && noShared,
}, () => {
  const lines = zipLines(honeyPath as string).slice(0, 20);
  assert.equal(cloudtrailFormat.sniff(lines), 0);
  assert.equal(apiJsonFormat.sniff(lines), 0);
  assert.equal(s3AccessFormat.sniff(lines), 0);
});
