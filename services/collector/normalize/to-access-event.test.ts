import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { eventId } from '#shared/event-id.js';
import { REAL_WEB_LOGS, readRealLines, realLogPath, sharedDir } from '../../../test/support/real-logs.js';
import { parseNginxCombined } from '../parsers/lib/combined-line.js';
import { createRedactor } from './redact.js';
import { clientIpOf, isPrivateIp, principalKey, refererHost, toAccessEvent } from './to-access-event.js';

const redactor = createRedactor(Buffer.from('k'.repeat(32)));
const ctx = { source: '/var/log/nginx/access.log', tenant: 'shop-a', position: 1234, redactor };

function parse(line: string) {
  const r = parseNginxCombined(line);
  if (!r.ok) throw r.error;
  return r.value;
}

test('a WooCommerce order read becomes a redacted AccessEvent', () => {
  const e = toAccessEvent(
    parse(
      '203.0.113.9 - - [17/May/2015:10:05:03 +0000] "GET /wp-json/wc/v3/orders/1234?email=jane%40example.org&context=view HTTP/1.1" 200 5120 "https://shop.example.com:8443/my-account/?token=secret" "curl/8.0"',
    ),
    ctx,
  );
  assert.deepEqual(e, {
    event_id: createHash('sha256').update('/var/log/nginx/access.log\n1234').digest('hex').slice(0, 32),
    ts: Date.UTC(2015, 4, 17, 10, 5, 3),
    source_kind: 'web',
    source: '/var/log/nginx/access.log',
    tenant: 'shop-a',
    user_id: null,
    session_hash: null,
    api_key_id: null,
    client_ip: '203.0.113.9',
    user_agent: 'curl/8.0',
    db_user: null,
    authenticated: false,
    emergency_access: false,
    http_method: 'GET',
    db_operation: null,
    route: '/wp-json/wc/v3/orders/{id}',
    resource_id: '1234',
    resource_kind: 'order',
    status: 200,
    bytes_out: 5120,
    rows_out: null,
    duration_ms: null,
    findings: ['phi_in_url:email'],
    attrs: { referer_host: 'shop.example.com' },
  });
  assert.ok(!JSON.stringify(e).includes('jane'));
  assert.ok(!JSON.stringify(e).includes('secret'));
  assert.equal(principalKey(e), 'ip:203.0.113.9');
});

test('authenticated user; e-mail user names are tokenised; garbage requests', () => {
  const e = toAccessEvent(
    parse('10.1.1.1 - alice [17/May/2015:10:05:03 +0000] "GET /patients/7 HTTP/1.1" 200 1 "-" "-"'),
    ctx,
  );
  assert.equal(e.user_id, 'alice');
  assert.equal(e.authenticated, true);
  assert.equal(e.resource_kind, 'patient');
  assert.equal(principalKey(e), 'user:alice');
  assert.deepEqual(e.attrs, {});

  const m = toAccessEvent(
    parse('10.1.1.1 - jane@clinic.example [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "-"'),
    ctx,
  );
  assert.equal(m.user_id, redactor.token('email', 'jane@clinic.example'));

  const g = toAccessEvent(
    parse('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "\\x16\\x03\\x01" 400 0 "-" "-"'),
    ctx,
  );
  assert.equal(g.route, '{unparsed}');
  assert.equal(g.http_method, null);
  assert.equal(g.resource_id, null);
});

test('query ids, SSN in path', () => {
  const e = toAccessEvent(
    parse('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /?p=123&s=x HTTP/1.1" 200 1 "-" "-"'),
    ctx,
  );
  assert.equal(e.route, '/?p={id}');
  assert.equal(e.resource_id, '123');
  const s = toAccessEvent(
    parse('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /patients/123-45-6789 HTTP/1.1" 200 1 "-" "-"'),
    ctx,
  );
  assert.equal(s.route, '/patients/{id}');
  assert.equal(s.resource_id, redactor.token('ssn', '123-45-6789'));
  assert.deepEqual(s.findings, ['phi_in_url:ssn']);
});

test('event_id is deterministic from source + position', () => {
  assert.equal(eventId('a', 1), eventId('a', 1));
  assert.notEqual(eventId('a', 1), eventId('a', 2));
  assert.equal(eventId('a', 10n), eventId('a', 10));
  assert.match(eventId('a', 1), /^[0-9a-f]{32}$/);
});

test('principalKey precedence', () => {
  const base = { user_id: null, api_key_id: null, session_hash: null, client_ip: '1.2.3.4' };
  assert.equal(principalKey(base), 'ip:1.2.3.4');
  assert.equal(principalKey({ ...base, session_hash: 'h' }), 'session:h');
  assert.equal(principalKey({ ...base, session_hash: 'h', api_key_id: 'k' }), 'api_key:k');
  assert.equal(principalKey({ ...base, session_hash: 'h', api_key_id: 'k', user_id: 'u' }), 'user:u');
  assert.equal(principalKey({ ...base, client_ip: null }), 'ip:-');
});

test('client ip behind private proxies, referer host', () => {
  assert.equal(clientIpOf({ clientIp: '85.1.1.1', forwardedFor: ['10.0.0.1'] }), '85.1.1.1');
  assert.equal(
    clientIpOf({ clientIp: '10.2.1.185', forwardedFor: ['10.5.102.222', '199.96.1.1', '204.246.1.1'] }),
    '204.246.1.1',
  );
  assert.equal(clientIpOf({ clientIp: '127.0.0.1', forwardedFor: ['10.0.0.2', '10.0.0.1'] }), '10.0.0.2');
  assert.equal(clientIpOf({ clientIp: '10.0.0.1', forwardedFor: [] }), '10.0.0.1');
  for (const ip of [
    '10.1.2.3',
    '127.0.0.1',
    '172.16.0.1',
    '172.31.9.9',
    '192.168.1.1',
    '169.254.1.1',
    '100.64.0.1',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:10.0.0.1',
  ]) {
    assert.ok(isPrivateIp(ip), ip);
  }
  for (const ip of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:db8::1', '100.128.0.1'])
    assert.ok(!isPrivateIp(ip), ip);
  assert.equal(refererHost('https://User:pw@Shop.Example.com:8443/a?b#c'), 'shop.example.com');
  assert.equal(refererHost('http://[2001:db8::1]:80/x'), '2001:db8::1');
  assert.equal(refererHost('android-app://com.google.android.gm/'), 'com.google.android.gm');
  assert.equal(refererHost('-'), null);
  assert.equal(refererHost('/relative'), null);
  assert.equal(refererHost('http://bad host/'), null);
});

const PHI_PATTERNS: Array<[string, RegExp]> = [
  ['ssn', /(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/],
  ['email', /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}\.[A-Za-z]{2,}/],
];

for (const rel of REAL_WEB_LOGS) {
  const path = realLogPath(rel);
  test(`real log ${rel}: every parsed line normalises; ids unique; no PHI pattern in events`, {
    skip: path === null && `not found under ${sharedDir()}/data/real`,
  }, () => {
    const lines = readRealLines(path as string);
    const ids = new Set<string>();
    const routes = new Map<string, number>();
    const kinds = new Map<string, number>();
    const findings = new Map<string, number>();
    let n = 0;
    lines.forEach((line, i) => {
      const r = parseNginxCombined(line);
      if (!r.ok) return;
      const e = toAccessEvent(r.value, { source: rel, tenant: 't', position: i, redactor });
      n++;
      ids.add(e.event_id);
      routes.set(e.route, (routes.get(e.route) ?? 0) + 1);
      if (e.resource_kind) kinds.set(e.resource_kind, (kinds.get(e.resource_kind) ?? 0) + 1);
      for (const f of e.findings) findings.set(f, (findings.get(f) ?? 0) + 1);
      const text = [e.route, e.resource_id ?? '', e.user_id ?? '', ...Object.values(e.attrs)].join(' ');
      for (const [kind, re] of PHI_PATTERNS)
        assert.ok(!re.test(text), `${kind} in event from line ${i + 1}: ${text}`);
      assert.ok(!e.route.includes('?') || /\?[a-z_]+=\{id\}$/.test(e.route), `query in route: ${e.route}`);
    });
    assert.equal(ids.size, n);
    const top = [...routes].sort((a, b) => b[1] - a[1]).slice(0, 5);
    console.log(
      `# ${rel}: ${n} events, ${routes.size} routes; top ${JSON.stringify(top)}; kinds ${JSON.stringify([...kinds])}; findings ${JSON.stringify([...findings])}`,
    );
  });
}
