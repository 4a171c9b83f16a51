import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AccessRecord, emptyRecord } from '../parsers/types.js';
import { literalNames, tableKind } from './db.js';
import { cleanIp, compileCidrs, inCidrs, resolveClientIp } from './net.js';
import { compileNormalizeOptions, DEFAULT_TABLE_KINDS } from './options.js';
import { createRedactor } from './redact.js';
import { compileRouteTable } from './route.js';
import { type NormalizeContext, recordToAccessEvent } from './to-access-event.js';

const options = compileNormalizeOptions();
const redactor = createRedactor(Buffer.from('r'.repeat(32)), options.redactor);
const ctx: NormalizeContext = { source: 's', tenant: 't', position: '7', redactor, options };
const TS = Date.UTC(2024, 0, 2, 3, 4, 5);

function web(over: Partial<AccessRecord>): AccessRecord {
  return {
    ...emptyRecord(TS, 'web'),
    clientIp: '203.0.113.9',
    method: 'GET',
    target: '/',
    status: 200,
    ...over,
  };
}

test('client ip: trusted proxies, spoofed prepends, IPv6, ports, garbage', () => {
  const cases: Array<[string, string[], string, string[]?]> = [
    ['203.0.113.9', ['10.0.0.1'], '203.0.113.9'], // untrusted peer: XFF ignored
    ['10.0.0.1', ['198.51.100.7'], '198.51.100.7'],
    ['10.0.0.1', ['1.1.1.1', '198.51.100.7'], '198.51.100.7'], // spoofed prepend 1.1.1.1 never reached
    ['10.0.0.1', ['1.1.1.1', '198.51.100.7', '10.0.0.2', '127.0.0.1'], '198.51.100.7'],
    ['127.0.0.1', ['10.0.0.2', '10.0.0.1'], '10.0.0.2'], // every hop trusted: left-most
    ['::1', ['2001:db8::5'], '2001:db8::5'],
    ['fd00::1', ['[2001:db8::5]:443', 'fd00::2'], '2001:db8::5'],
    ['::ffff:10.1.1.1', ['198.51.100.7:5555'], '198.51.100.7'],
    ['10.0.0.1', ['unknown', '10.0.0.3'], '10.0.0.3'], // garbage stops the walk
    ['10.0.0.1', [], '10.0.0.1'],
    ['proxy.internal', ['198.51.100.7'], 'proxy.internal'], // host name peer: not trusted
    // a configured public load balancer is trusted, a private address is not
    ['34.1.1.1', ['10.9.9.9', '198.51.100.7'], '198.51.100.7', ['34.1.1.0/24']],
    ['34.1.1.1', ['198.51.100.7', '10.9.9.9'], '10.9.9.9', ['34.1.1.0/24']],
  ];
  for (const [peer, xff, want, cidrs] of cases) {
    const set = cidrs === undefined ? options.trustedProxies : compileCidrs(cidrs);
    assert.equal(resolveClientIp(peer, xff, set), want, `${peer} ${xff.join(',')}`);
  }
  // from the X-Forwarded-For header when the parser did not split it
  const e = recordToAccessEvent(
    web({ clientIp: '10.0.0.1', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } }),
    ctx,
  );
  assert.equal(e.client_ip, '198.51.100.7');
  assert.equal(cleanIp(' [2001:DB8::1]:80 '), '2001:db8::1');
  assert.equal(cleanIp('1.2.3.4.5'), null);
  assert.ok(inCidrs(compileCidrs(['2001:db8::/32']), '2001:db8:ffff::1'));
  assert.ok(!inCidrs(compileCidrs(['2001:db8::/32']), '2001:db9::1'));
  assert.throws(() => compileNormalizeOptions({ trustedProxies: ['10.0.0.0/33'] }), /bad prefix/);
  assert.throws(() => compileNormalizeOptions({ trustedProxies: ['nope'] }), /not an IP/);
});

test('session: cookie (prefix match, configured order), header, hashed exactly as token(session, raw)', () => {
  const cases: Array<[Partial<AccessRecord>, string | null]> = [
    [{ cookies: { PHPSESSID: 'abc123' } }, 'abc123'],
    [{ cookies: { wordpress_logged_in_5f4dcc3b: 'jane|1700000000|tok' } }, 'jane|1700000000|tok'],
    [{ cookies: { wordpress_logged_in_: 'x', PHPSESSID: 'first' } }, 'first'], // configured order
    [{ cookies: { other: 'x' }, headers: { 'x-session-id': 'hdr-1' } }, 'hdr-1'],
    [{ cookies: { PHPSESSID: '' } }, null],
    [{ cookies: { phpsessid: 'lower' } }, null], // cookie names are case-sensitive
    [{ sessionId: 'sess-9' }, 'sess-9'],
  ];
  for (const [over, raw] of cases) {
    const e = recordToAccessEvent(web(over), ctx);
    assert.equal(e.session_hash, raw === null ? null : redactor.token('session', raw), JSON.stringify(over));
    if (raw !== null) assert.ok(!JSON.stringify(e).includes(raw));
  }
});

test('API keys: ids kept, secrets hashed as token(api_key, raw), never in the output', () => {
  const cases: Array<[Partial<AccessRecord>, string, boolean]> = [
    [{ apiKey: 'AKIAIOSFODNN7EXAMPLE' }, 'AKIAIOSFODNN7EXAMPLE', true],
    [{ apiKey: 'ASIAY34FZKBOKMUTVV7A' }, 'ASIAY34FZKBOKMUTVV7A', true],
    [{ apiKey: '42' }, '42', true], // Magento integration id
    [
      {
        target: '/wp-json/wc/v3/orders?consumer_key=ck_0123456789abcdef&consumer_secret=cs_fedcba9876543210',
      },
      'ck_0123456789abcdef',
      false,
    ],
    [{ target: '/api?API_KEY=sk_live_abcdefgh' }, 'sk_live_abcdefgh', false],
    [
      { headers: { 'x-shopify-access-token': 'shpat_0123456789abcdef0123456789abcdef' } },
      'shpat_0123456789abcdef0123456789abcdef',
      false,
    ],
    [{ headers: { authorization: 'Bearer eyJhbGciOi.secret.sig' } }, 'Bearer eyJhbGciOi.secret.sig', false],
    [{ headers: { 'x-api-key': 'AKIAIOSFODNN7EXAMPLE' } }, 'AKIAIOSFODNN7EXAMPLE', false], // from a header: hashed
  ];
  for (const [over, raw, kept] of cases) {
    const e = recordToAccessEvent(web(over), ctx);
    assert.equal(e.api_key_id, kept ? raw : redactor.token('api_key', raw), JSON.stringify(over));
    assert.equal(e.authenticated, true);
    if (!kept) {
      const out = JSON.stringify(e);
      for (const secret of [raw, 'ck_0123456789abcdef', 'cs_fedcba9876543210', 'eyJhbGciOi', 'sk_live'])
        assert.ok(!out.includes(secret), `${secret} in ${out}`);
    }
  }
  const wc = recordToAccessEvent(
    web({ target: '/wp-json/wc/v3/orders/12?consumer_key=ck_x1&consumer_secret=cs_y2' }),
    ctx,
  );
  assert.equal(wc.route, '/wp-json/wc/v3/orders/{id}');
  assert.equal(wc.resource_id, '12');
});

test('authenticated and emergency access signals', () => {
  const a = (over: Partial<AccessRecord>) => recordToAccessEvent(web(over), ctx);
  assert.equal(a({}).authenticated, false);
  assert.equal(a({ user: 'alice' }).authenticated, true);
  assert.equal(a({ user: 'alice', status: 401 }).authenticated, false); // refused credentials
  assert.equal(a({ authenticated: false, user: 'alice' }).authenticated, false); // the log knows
  assert.equal(a({ authenticated: true }).authenticated, true);
  const withSignal = compileNormalizeOptions({
    sessionCookies: [],
    authenticatedSignals: {
      cookies: ['wordpress_logged_in_*'],
      headers: ['x-user-token'],
      unauthorizedStatuses: [401],
    },
  });
  const b = (over: Partial<AccessRecord>) => recordToAccessEvent(web(over), { ...ctx, options: withSignal });
  assert.equal(b({ cookies: { wordpress_logged_in_abc: 'v' } }).authenticated, true);
  assert.equal(b({ cookies: { wordpress_logged_in_abc: 'v' } }).session_hash, null);
  assert.equal(b({ headers: { 'x-user-token': 'v' } }).authenticated, true);

  const em: Array<[Partial<AccessRecord>, boolean]> = [
    [{ headers: { 'x-break-glass': 'true' } }, true],
    [{ headers: { 'x-emergency-access': '1' } }, true],
    [{ headers: { 'x-break-glass': '0' } }, false],
    [{ target: '/patients/7?break_glass=1' }, true],
    [{ target: '/patients/7?Emergency_Access' }, true],
    [{ target: '/patients/7?break_glass=false' }, false],
    [{ target: '/emergency/patients/7' }, true],
    [{ target: '/Break-Glass/records/7' }, true],
    [{ target: '/patients/emergency/7' }, false],
    [{}, false],
  ];
  for (const [over, want] of em) assert.equal(a(over).emergency_access, want, JSON.stringify(over));
  const users = compileNormalizeOptions({
    emergencySignals: { headers: [], queryParams: [], routePrefixes: [], users: ['BreakGlass'] },
  });
  assert.equal(
    recordToAccessEvent(web({ user: 'breakglass' }), { ...ctx, options: users }).emergency_access,
    true,
  );
  assert.equal(
    recordToAccessEvent(web({ headers: { 'x-break-glass': '1' } }), { ...ctx, options: users })
      .emergency_access,
    false,
  );
});

function db(over: Partial<AccessRecord>): AccessRecord {
  return { ...emptyRecord(TS, 'db'), clientIp: '10.0.0.5', dbUser: 'wp', user: 'wp', ...over };
}

test('DB record → event: route, kind, resource id, template, no literal in attrs or route', () => {
  const e = recordToAccessEvent(
    db({
      sql: "SELECT p.*, m.meta_value FROM wp_posts p JOIN wp_postmeta m ON m.post_id = p.ID WHERE p.ID = 4711 AND m.meta_key = '_billing_email' AND m.meta_value = 'jane@example.org'",
      sessionId: '8812',
      rowsOut: 3,
      durationMs: 1.25,
      attrs: { database: 'shop' },
    }),
    ctx,
  );
  assert.equal(e.source_kind, 'db');
  assert.equal(e.db_operation, 'SELECT');
  assert.equal(e.route, 'SELECT wp_postmeta,wp_posts');
  assert.equal(e.http_method, null);
  assert.equal(e.rows_out, 3);
  assert.equal(e.duration_ms, 1.25);
  assert.equal(e.session_hash, null);
  assert.equal(e.attrs['connection_id'], '8812');
  assert.equal(e.attrs['database'], 'shop');
  assert.deepEqual(e.findings, ['phi_in_sql:email']);
  assert.ok(e.attrs['sql']?.startsWith('SELECT'));
  assert.ok(!JSON.stringify(e).includes('jane'));
  assert.ok(!e.attrs['sql']?.includes('4711'));

  const o = recordToAccessEvent(db({ sql: 'SELECT * FROM wp_wc_orders WHERE id = 1234' }), ctx);
  assert.equal(o.route, 'SELECT wp_wc_orders');
  assert.equal(o.resource_kind, 'order');
  assert.equal(o.resource_id, '1234');
  const m = recordToAccessEvent(
    db({ sql: 'UPDATE sales_order SET status = ? WHERE entity_id = 9', dbOperation: 'update' }),
    ctx,
  );
  assert.equal(m.route, 'UPDATE sales_order');
  assert.equal(m.resource_kind, 'order');
  assert.equal(m.resource_id, '9');
  const c = recordToAccessEvent(db({ sql: null, dbOperation: 'CONNECT' }), ctx);
  assert.equal(c.route, 'CONNECT');
  assert.equal(c.attrs['sql'], undefined);
  const t = recordToAccessEvent(
    db({ sql: 'SELECT 1', tables: ['public.Patients'], dbOperation: 'READ' }),
    ctx,
  );
  assert.equal(t.route, 'READ public.patients');
  assert.equal(t.resource_kind, 'patient');
  assert.equal(recordToAccessEvent(db({}), ctx).route, 'UNKNOWN');
  // a PHI resource id is tokenised
  const p = recordToAccessEvent(db({ sql: "SELECT * FROM patients WHERE patient_id = '123-45-6789'" }), ctx);
  assert.equal(p.resource_id, redactor.token('ssn', '123-45-6789'));
  assert.deepEqual(p.findings, ['phi_in_sql:ssn']);
  // e-mail db user
  assert.equal(
    recordToAccessEvent(db({ dbUser: 'jane@example.org' }), ctx).db_user,
    redactor.token('email', 'jane@example.org'),
  );
});

test('SQL literals are read as the value of their column or meta key', () => {
  const e = recordToAccessEvent(
    db({
      sql: "SELECT * FROM patients WHERE dob = '1980-04-02' AND last_name LIKE 'Doe' AND dx = 'E11.9' AND note = 'MRN 00123456'",
    }),
    ctx,
  );
  assert.deepEqual(e.findings, ['phi_in_sql:dob', 'phi_in_sql:mrn', 'phi_in_sql:icd10', 'phi_in_sql:name']);
  const w = recordToAccessEvent(
    db({
      sql: "SELECT post_id FROM wp_postmeta WHERE meta_key = '_billing_phone' AND meta_value = '(555) 123-4567'",
    }),
    ctx,
  );
  assert.deepEqual(w.findings, ['phi_in_sql:phone']);
  assert.deepEqual(literalNames('a = ? AND b.c LIKE ? OR d > ?', ['1', '2', '3']), ['a', 'c', null]);
  assert.equal(literalNames('a IN (?+)', ['1', '2']), null);
  assert.equal(tableKind('wp2_users', options.tableKinds), 'user');
  assert.equal(tableKind('shop.customer_entity', options.tableKinds), 'customer');
  assert.equal(tableKind('wp_posts', options.tableKinds), null);
  const more = compileNormalizeOptions({ tableKinds: { lab_results: 'lab_result' } });
  assert.equal(tableKind('lab_results', more.tableKinds), 'lab_result');
  assert.equal(DEFAULT_TABLE_KINDS['orders'], 'order');
});

test('no raw PHI anywhere in the event, from any field', () => {
  const secrets = {
    ssn: '123-45-6789',
    email: 'jane.doe@example.org',
    dob: '1980-04-02',
    card: '4111111111111111',
    phone: '+15551234567',
    name: 'Janeway',
    mrn: '00987654',
  };
  const records: AccessRecord[] = [
    web({
      target: `/patients/${secrets.ssn}?email=${encodeURIComponent(secrets.email)}&dob=${secrets.dob}&cc=${secrets.card}&phone=${encodeURIComponent(secrets.phone)}&first_name=${secrets.name}&mrn=${secrets.mrn}`,
      user: secrets.email,
      userAgent: `Mozilla/5.0 (${secrets.email}; ${secrets.phone}; ssn ${secrets.ssn}; card ${secrets.card}; dob=${secrets.dob}; first_name=${secrets.name})`,
      referer: `https://shop.example/?email=${secrets.email}&ssn=${secrets.ssn}`,
      headers: {
        authorization: `Basic ${secrets.email}`,
        'x-session-id': secrets.ssn,
        host: 'shop.example',
        'x-patient': secrets.name,
        'x-forwarded-for': '198.51.100.7',
      },
      cookies: { PHPSESSID: secrets.card, note: secrets.dob },
      attrs: { request_id: `r-${secrets.ssn}`, first_name: secrets.name },
    }),
    db({
      sql: `INSERT INTO patients (ssn, email, dob, card, phone, first_name) VALUES ('${secrets.ssn}', '${secrets.email}', '${secrets.dob}', '${secrets.card}', '${secrets.phone}', '${secrets.name}')`,
      user: secrets.email,
      dbUser: secrets.email,
      userAgent: `client ${secrets.phone}`,
    }),
    db({
      sql: `SELECT * FROM patients WHERE first_name = '${secrets.name}' AND dob = '${secrets.dob}' AND ssn = '${secrets.ssn}' AND mrn = '${secrets.mrn}'`,
    }),
  ];
  for (const r of records) {
    const e = recordToAccessEvent(r, ctx);
    const out = JSON.stringify(e);
    for (const [kind, v] of Object.entries(secrets)) {
      for (const form of [
        v,
        encodeURIComponent(v),
        v.replace(/\D/g, '').length > 6 ? v.replace(/\D/g, '') : v,
      ])
        assert.ok(!out.includes(form), `${kind} ${form} in ${out}`);
    }
    assert.ok(e.findings.length > 0);
  }
});

test('memoised targets and user agents: per redactor and route table, each event its own findings', () => {
  const other = createRedactor(Buffer.from('o'.repeat(32)), options.redactor);
  const lab = compileRouteTable({ paths: [{ path: '**/lab/{id}', kind: 'lab_result' }], queryIds: [] });
  const r = web({ target: '/portal/lab/77?email=jane%40example.org', userAgent: 'probe jane@example.org' });
  const a1 = recordToAccessEvent(r, ctx);
  const b = recordToAccessEvent(r, { ...ctx, redactor: other });
  const c = recordToAccessEvent(r, { ...ctx, routes: lab });
  const a2 = recordToAccessEvent(r, ctx);
  assert.deepEqual(a2, a1);
  assert.notEqual(a2.findings, a1.findings); // the events do not share a findings array
  assert.deepEqual(a1.findings, ['phi_in_url:email']);
  assert.equal(a1.resource_kind, 'lab'); // an id route outside the table: kind of its collection
  assert.equal(c.resource_kind, 'lab_result'); // other table, other answer
  assert.equal(b.route, a1.route);
  assert.notEqual(b.user_agent, a1.user_agent); // other key, other token
  assert.equal(b.user_agent, `probe ${other.token('email', 'jane@example.org')}`);
  assert.equal(a1.user_agent, `probe ${redactor.token('email', 'jane@example.org')}`);
});

test('archiveAttrs false (scan): no referer_host or host, every other field the same', () => {
  const record = web({
    referer: 'https://shop.example.com/cart',
    headers: { host: 'shop.example.com', 'x-session-id': 'hdr-1' },
    attrs: { bucket: 'recordings' },
  });
  const full = recordToAccessEvent(record, ctx);
  const lean = recordToAccessEvent(record, { ...ctx, options: { ...options, archiveAttrs: false } });
  assert.equal(full.attrs['referer_host'], 'shop.example.com');
  assert.equal(full.attrs['host'], 'shop.example.com');
  assert.deepEqual(lean.attrs, { bucket: 'recordings' }); // what the parser gave stays (rules read attrs.bucket)
  assert.deepEqual({ ...lean, attrs: null }, { ...full, attrs: null });
});
