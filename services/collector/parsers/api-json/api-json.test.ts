import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ParseBadTimestamp, ParseLineTooLong, ParseMalformedLine } from '#shared/errors.js';
import { FORMATS } from '../../formats/registry.js';
import type { AccessRecord, RecordResult } from '../types.js';
import { apiJsonFormat, epochToMs, parseApiJsonLine, queryString, splitUrl } from './api-json.js';

// Other formats, through the registry (a format's folder imports no other format's).
const cloudtrailFormat = FORMATS.cloudtrail;
const s3AccessFormat = FORMATS.s3;

// There are no public real logs of this format: these lines are crafted after what each platform
// and its usual gateways/plugins write (header names and ids as the platforms document them).
const CK = 'ck_2d4f0c1b9a8e7d6c5b4a39281706f5e4d3c2b1a0';

const WOO_REST = {
  ts: '2024-03-01T10:15:00.250+01:00',
  platform: 'woocommerce',
  shop: 'pharmacy.example',
  method: 'GET',
  path: '/wp-json/wc/v3/orders',
  query: { per_page: 100, page: 3, status: 'completed' },
  status: 200,
  bytes: 481233,
  rows: 100,
  duration_ms: 412,
  client_ip: '10.0.0.5',
  forwarded_for: '203.0.113.50, 10.0.0.2',
  consumer_key: CK,
  user_id: 7,
  user_agent: 'CRM-Sync/2.1',
  request_id: 'req-9f1',
};

/** A WooCommerce webhook delivery as WC_Webhook::log_delivery records it, flattened by a log shipper. */
const WOO_WEBHOOK = {
  timestamp: '2024-03-01T10:16:02+00:00',
  webhook_id: 12,
  request_method: 'POST',
  request_url: 'https://crm.example.net/hooks/woo?token=abc',
  request_headers: {
    'User-Agent': 'WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)',
    'Content-Type': 'application/json',
    'X-WC-Webhook-Source': 'https://pharmacy.example/',
    'X-WC-Webhook-Topic': 'order.created',
    'X-WC-Webhook-Resource': 'order',
    'X-WC-Webhook-Event': 'created',
    'X-WC-Webhook-Signature': 'c2lnbmF0dXJl',
    'X-WC-Webhook-ID': 12,
    'X-WC-Webhook-Delivery-ID': 'b1946ac92492d2347c6235b4d2611184',
  },
  payload_size: 3311,
  response_code: 200,
  duration: 0.27512,
};

/** A Shopify webhook as received and logged by the app (headers as Shopify sends them). */
const SHOPIFY_WEBHOOK = {
  ts: 1709288100123,
  method: 'POST',
  path: '/webhooks/shopify',
  status: 200,
  bytes: 5120,
  rows: 1,
  client_ip: '34.66.1.2',
  headers: {
    'X-Shopify-Topic': 'orders/create',
    'X-Shopify-Shop-Domain': 'wellness-shop.myshopify.com',
    'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
    'X-Shopify-Hmac-Sha256': 'XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=',
    'X-Shopify-API-Version': '2024-01',
  },
};

/** Shopify Admin REST call by a custom app, logged by the app's API client. */
const SHOPIFY_REST = {
  ts: 1709288100,
  method: 'GET',
  url: 'https://wellness-shop.myshopify.com/admin/api/2024-01/customers.json?limit=250&page_info=abc',
  status: 200,
  bytes: 250331,
  count: 250,
  api_client_id: '5882817',
  duration: 0.9,
};

/** Magento 2 REST (webapi) call, as a Magento logging module writes it. */
const MAGENTO_REST = {
  time: '2024-03-01 10:17:45',
  request_method: 'GET',
  request_path: '/rest/default/V1/customers/search',
  query: 'searchCriteria[pageSize]=500&searchCriteria[currentPage]=1',
  response_code: '200',
  response_size: 912334,
  records: 500,
  remote_ip: '198.51.100.23',
  integration_id: 3,
  customer_id: null,
  admin_user: 'ops-integration',
};

const CUSTOM = {
  ts: '2024-03-01T10:20:00Z',
  platform: 'custom',
  method: 'get',
  path: '/api/v1/prescriptions/88812?include=patient',
  query: '?fields=all',
  status: 200,
  bytes: 2048,
  rows: 1,
  user: { id: 42, email: 'dr.house@clinic.example' },
  session_id: 'sess-77',
  emergency_access: true,
  authenticated: true,
  referer: 'https://portal.example/patients',
};

function parsed(o: unknown): AccessRecord {
  const r = parseApiJsonLine(JSON.stringify(o), '0');
  if (r.ok !== true) assert.fail(`not parsed: ${JSON.stringify(r)}`);
  return r.record;
}

test('WooCommerce REST call', () => {
  const r = parsed(WOO_REST);
  assert.equal(r.tsMs, Date.UTC(2024, 2, 1, 9, 15, 0, 250));
  assert.equal(r.sourceKind, 'api');
  assert.equal(r.method, 'GET');
  assert.equal(r.target, '/wp-json/wc/v3/orders?per_page=100&page=3&status=completed');
  assert.equal(r.status, 200);
  assert.equal(r.bytesOut, 481233);
  assert.equal(r.rowsOut, 100);
  assert.equal(r.durationMs, 412);
  assert.equal(r.clientIp, '10.0.0.5');
  assert.deepEqual(r.forwardedFor, ['203.0.113.50', '10.0.0.2']);
  assert.equal(r.apiKey, CK, 'the consumer key is passed raw; normalisation hashes it');
  assert.equal(r.user, '7');
  assert.equal(r.userAgent, 'CRM-Sync/2.1');
  assert.equal(r.authenticated, null);
  assert.deepEqual(r.attrs, {
    user_id: '7',
    platform: 'woocommerce',
    shop: 'pharmacy.example',
    request_id: 'req-9f1',
  });
});

test('WooCommerce webhook delivery: outgoing payload to the delivery URL', () => {
  const r = parsed(WOO_WEBHOOK);
  assert.equal(r.tsMs, Date.UTC(2024, 2, 1, 10, 16, 2));
  assert.equal(r.method, 'POST');
  assert.equal(r.target, '/hooks/woo?token=abc');
  assert.equal(r.status, 200);
  assert.equal(r.bytesOut, 3311, 'the payload size, not the response');
  assert.equal(r.durationMs, 275.12);
  assert.equal(r.userAgent, 'WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)');
  assert.equal(r.headers['x-wc-webhook-id'], '12');
  assert.deepEqual(r.attrs, {
    topic: 'order.created',
    direction: 'outgoing',
    delivery_host: 'crm.example.net',
    platform: 'woocommerce',
    shop: 'https://pharmacy.example/',
    webhook_id: '12',
    delivery_id: 'b1946ac92492d2347c6235b4d2611184',
  });
});

test('Shopify webhook (headers) and Shopify Admin REST (absolute URL, epoch seconds)', () => {
  const w = parsed(SHOPIFY_WEBHOOK);
  assert.equal(w.tsMs, 1709288100123);
  assert.equal(w.target, '/webhooks/shopify');
  assert.equal(w.rowsOut, 1);
  assert.deepEqual(w.attrs, {
    topic: 'orders/create',
    direction: 'outgoing',
    platform: 'shopify',
    shop: 'wellness-shop.myshopify.com',
    webhook_id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    delivery_id: '98880550-7158-44d4-b7cd-2c97c8a091b5',
  });
  const r = parsed(SHOPIFY_REST);
  assert.equal(r.tsMs, 1709288100000);
  assert.equal(r.target, '/admin/api/2024-01/customers.json?limit=250&page_info=abc');
  assert.equal(r.headers['host'], 'wellness-shop.myshopify.com');
  assert.equal(r.rowsOut, 250);
  assert.equal(r.apiKey, '5882817');
  assert.equal(r.durationMs, 900);
  assert.equal(r.attrs['platform'], 'shopify');
});

test('Magento REST (request_path, string status, records, remote_ip, zone-less time)', () => {
  const r = parsed(MAGENTO_REST);
  assert.equal(r.tsMs, Date.UTC(2024, 2, 1, 10, 17, 45));
  assert.equal(r.method, 'GET');
  assert.equal(
    r.target,
    '/rest/default/V1/customers/search?searchCriteria[pageSize]=500&searchCriteria[currentPage]=1',
  );
  assert.equal(r.status, 200);
  assert.equal(r.bytesOut, 912334);
  assert.equal(r.rowsOut, 500);
  assert.equal(r.clientIp, '198.51.100.23');
  assert.equal(r.apiKey, '3');
  assert.equal(r.user, 'ops-integration');
  assert.equal(r.attrs['platform'], 'magento');
  assert.equal(r.attrs['user_id'], undefined, 'null customer_id is absent');
});

test('custom app: user object, session, emergency access, query string appended', () => {
  const r = parsed(CUSTOM);
  assert.equal(r.method, 'get', 'method as logged');
  assert.equal(r.target, '/api/v1/prescriptions/88812?include=patient&fields=all');
  assert.equal(r.user, 'dr.house@clinic.example', 'raw: normalisation redacts PHI users');
  assert.equal(r.sessionId, 'sess-77');
  assert.equal(r.authenticated, true);
  assert.equal(r.referer, 'https://portal.example/patients');
  assert.equal(r.attrs['emergency_access'], 'true');
  assert.equal(r.attrs['platform'], 'custom');
});

test('aliases and edge values', () => {
  const base = { ts: '2024-03-01T10:00:00Z', method: 'GET', path: '/x' };
  const cases: Array<[string, object, Partial<AccessRecord>]> = [
    ['epoch ms string', { ...base, ts: '1709287200000' }, { tsMs: 1709287200000 }],
    ['epoch µs', { ...base, ts: 1709287200000123 }, { tsMs: 1709287200000 }],
    ['epoch ns', { ...base, ts: 1709287200000123400 }, { tsMs: 1709287200000 }],
    ['epoch float seconds', { ...base, ts: 1709287200.5 }, { tsMs: 1709287200500 }],
    [
      '@timestamp',
      { method: 'GET', path: '/x', '@timestamp': '2024-03-01T10:00:00.000Z' },
      { tsMs: 1709287200000 },
    ],
    ['garbled status dropped', { ...base, status: 'abc' }, { status: null }],
    ['out-of-range status dropped', { ...base, status: 42 }, { status: null }],
    ['negative bytes dropped', { ...base, bytes: -5 }, { bytesOut: 0 }],
    ['bytes alias response_size as string', { ...base, response_size: '77' }, { bytesOut: 77 }],
    ['forwarded_for array', { ...base, forwarded_for: ['1.1.1.1', 2, ''] }, { forwardedFor: ['1.1.1.1'] }],
    [
      'x-forwarded-for header',
      { ...base, headers: { 'X-Forwarded-For': '1.1.1.1,2.2.2.2' } },
      { forwardedFor: ['1.1.1.1', '2.2.2.2'] },
    ],
    ['authenticated false', { ...base, authenticated: false }, { authenticated: false }],
    [
      'api_key_id preferred to consumer_key',
      { ...base, api_key_id: 'key_1', consumer_key: CK },
      { apiKey: 'key_1' },
    ],
    [
      'path with its own query plus query object',
      { ...base, path: '/x?a=1', query: { b: ['2', 3] } },
      { target: '/x?a=1&b=2&b=3' },
    ],
    [
      'webhook with only a topic',
      { ts: 1709287200, topic: 'orders/paid' },
      { method: 'POST', target: '/webhooks/orders/paid' },
    ],
    ['url without a path', { ...base, path: 'https://shop.example' }, { target: '/' }],
    ['request_time seconds', { ...base, request_time: '0.042' }, { durationMs: 42 }],
  ];
  for (const [name, o, want] of cases) {
    const r = parsed(o);
    for (const [k, v] of Object.entries(want))
      assert.deepEqual(r[k as keyof AccessRecord], v, `${name}: ${k}`);
  }
});

test('rejects with typed errors; blank lines skipped', () => {
  const m = ParseMalformedLine.code;
  const cases: Array<[string, string, string]> = [
    ['not json', m, 'bad_json'],
    ['[1,2]', m, 'not_object'],
    ['null', m, 'not_object'],
    ['{"method":"GET","path":"/x"}', m, 'no_timestamp'],
    ['{"ts":"2024-03-01T10:00:00Z","status":200}', m, 'no_request'],
    ['{"ts":"2024-03-01T10:00:00Z","path":"/x"}', m, 'no_request'],
    ['{"ts":"2024-03-01T10:00:00Z","method":"GET"}', m, 'no_request'],
    ['{"ts":"yesterday","method":"GET","path":"/x"}', ParseBadTimestamp.code, ''],
    ['{"ts":-5,"method":"GET","path":"/x"}', ParseBadTimestamp.code, ''],
    ['{"ts":{"a":1},"method":"GET","path":"/x"}', ParseBadTimestamp.code, ''],
    ['{"ts":1e300,"method":"GET","path":"/x"}', ParseBadTimestamp.code, ''],
  ];
  for (const [line, code, reason] of cases) {
    const r = parseApiJsonLine(line, '4');
    assert.ok(r.ok === false, line);
    assert.equal(r.error.code, code, line);
    assert.equal(r.position, '4');
    if (reason !== '') assert.ok(r.error.message.endsWith(reason), `${r.error.message} for ${line}`);
  }
  const long = parseApiJsonLine(JSON.stringify({ ...WOO_REST, pad: 'x'.repeat(3000) }), '0', 1000);
  assert.ok(long.ok === false && long.error.code === ParseLineTooLong.code);
  assert.deepEqual(parseApiJsonLine(' \r', '2'), { ok: 'skip', kind: 'blank', position: '2', lines: 1 });
  assert.throws(() => apiJsonFormat.create({ maxLineChars: 10 }), /maxLineChars/);
});

test('helpers', () => {
  assert.equal(epochToMs(1e10), 1e13);
  assert.ok(Number.isNaN(epochToMs(Number.NaN)));
  assert.equal(queryString('?'), null);
  assert.equal(queryString({ 'a b': 'ü&', n: null, o: { x: 1 } }), 'a%20b=%C3%BC%26&n=&o=%7B%22x%22%3A1%7D');
  assert.equal(queryString({ s: '\ud800' }), 's=%EF%BF%BD', 'lone surrogate does not throw');
  assert.deepEqual(splitUrl('https://u:p@h.example:8443/a?b#c'), { host: 'h.example:8443', rest: '/a?b' });
  assert.deepEqual(splitUrl('/a'), { host: null, rest: '/a' });
  assert.deepEqual(splitUrl('https://h?x=1'), { host: 'h', rest: '/?x=1' });
});

// ---- sniffing --------------------------------------------------------------------------------------

const OTHER_FORMAT_SAMPLES: Record<string, string[]> = {
  nginx: [
    '93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3"',
  ],
  'mysql-slow': ['# Time: 071218 11:48:27', '# User@Host: [SQL_SLAVE] @  []', 'SET timestamp=1197996507;'],
  json: [
    '{"time_local":"17/May/2015:08:05:32 +0000","remote_addr":"93.180.71.3","request":"GET / HTTP/1.1","status":200}',
    '{"time_local":"17/May/2015:08:05:33 +0000","remote_addr":"93.180.71.3","remote_user":"-","request":"GET /wp-json/wc/v3/orders HTTP/1.1","status":200,"body_bytes_sent":512,"http_user_agent":"curl"}',
    '{"time_iso8601":"2015-05-17T08:05:34+00:00","remote_addr":"93.180.71.3","request_method":"GET","uri":"/","request_uri":"/?a=1","status":"200","body_bytes_sent":"0","request_time":"0.001"}',
  ],
  cloudtrail: [
    '{"Records":[{"eventVersion":"1.05","eventTime":"2018-11-28T22:31:59Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}]}',
    '{"eventVersion":"1.05","eventTime":"2018-11-28T22:31:59Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"b","key":"k"}}',
  ],
  s3: [
    '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57 REST.GET.OBJECT k "GET /b/k HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -',
  ],
};

test('sniff: high on API events, low on nginx JSON, CloudTrail and the rest', () => {
  const mine = [WOO_REST, WOO_WEBHOOK, SHOPIFY_WEBHOOK, MAGENTO_REST, CUSTOM, SHOPIFY_REST].map((o) =>
    JSON.stringify(o),
  );
  const score = apiJsonFormat.sniff(mine);
  assert.ok(score >= 0.8, `own lines: ${score}`);
  for (const l of [WOO_REST, WOO_WEBHOOK, MAGENTO_REST, CUSTOM]) {
    assert.equal(apiJsonFormat.sniff([JSON.stringify(l)]), 1, JSON.stringify(l));
  }
  for (const [name, lines] of Object.entries(OTHER_FORMAT_SAMPLES)) {
    assert.ok(apiJsonFormat.sniff(lines) < 0.3, `api-json sniff on ${name}`);
  }
  assert.ok(cloudtrailFormat.sniff(mine) < 0.3);
  assert.ok(s3AccessFormat.sniff(mine) < 0.3);
});

// ---- never throws: properties ----------------------------------------------------------------------

const KEYS = [
  'ts',
  'timestamp',
  'method',
  'path',
  'url',
  'query',
  'status',
  'bytes',
  'rows',
  'duration',
  'duration_ms',
  'client_ip',
  'forwarded_for',
  'user',
  'user_id',
  'consumer_key',
  'api_key_id',
  'topic',
  'headers',
  'delivery_url',
  'platform',
  'emergency_access',
  'authenticated',
  '__proto__',
  'constructor',
];
const value = fc.oneof(
  fc.jsonValue(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('2024-03-01T10:00:00Z', 'https://h/x?y', 1709287200, 'GET', '/p'),
  fc.dictionary(
    fc.constantFrom('X-Shopify-Topic', 'x-wc-webhook-id', 'X-Forwarded-For', 'host'),
    fc.jsonValue(),
  ),
);
const apiish = fc.dictionary(fc.constantFrom(...KEYS), value).map((o) => JSON.stringify(o));
const anyLine = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  apiish,
);

function wellFormed(r: RecordResult, position: string): void {
  assert.equal(r.position, position);
  if (r.ok === true) {
    assert.ok(Number.isFinite(r.record.tsMs));
    assert.ok(Number.isInteger(r.record.bytesOut) && r.record.bytesOut >= 0);
    assert.equal(typeof r.record.target, 'string');
    for (const v of Object.values(r.record.attrs)) assert.equal(typeof v, 'string');
    for (const v of Object.values(r.record.headers)) assert.equal(typeof v, 'string');
  } else if (r.ok === false) {
    assert.ok(r.error.code.startsWith('LW_ERR_PARSE_'));
    assert.ok(r.text.length <= 8192);
  }
}

test('property: any line never throws', () => {
  fc.assert(
    fc.property(anyLine, (s) => {
      wellFormed(parseApiJsonLine(s, '1'), '1');
    }),
    { numRuns: 1000 },
  );
});

test('property: any line sequence never throws, one result per line', () => {
  fc.assert(
    fc.property(fc.array(anyLine, { maxLength: 20 }), (lines) => {
      const p = apiJsonFormat.create();
      let offset = 0;
      for (const text of lines) {
        const out = p.push({ offset, text });
        assert.equal(out.length, 1);
        wellFormed(out[0] as RecordResult, String(offset));
        offset += text.length + 1;
      }
      assert.deepEqual(p.end(), []);
      const s = apiJsonFormat.sniff(lines);
      assert.ok(s >= 0 && s <= 1);
    }),
    { numRuns: 1000 },
  );
});
