import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigInvalid } from '#shared/errors.js';
import {
  compileRouteTable,
  GENERIC_KIND,
  isIdLike,
  kindOfCollection,
  normalizeRoute,
  safeDecode,
  singularize,
  tokenKind,
} from './route.js';

type Want = [route: string, resourceId: string | null, kind: string | null, queryKeys?: string[]];

const CASES: Array<[string, Want]> = [
  // generic templating
  ['/', ['/', null, null]],
  ['/about/team', ['/about/team', null, null]],
  ['/music/', ['/music/', null, null]],
  // dates are not ids
  ['/blog/2024/05/hello-world', ['/blog/{yyyy}/{mm}/hello-world', null, null]],
  ['/wp-content/uploads/2019/05/31/cat.jpg', ['/wp-content/uploads/{yyyy}/{mm}/{dd}/cat.jpg', null, null]],
  ['/reports/2026-11-05/summary', ['/reports/{date}/summary', null, null]],
  ['/appointments/2026/11/05', ['/appointments/{yyyy}/{mm}/{dd}', null, null]],
  // id routes outside the table: kind from the collection segment, else generic
  ['/items/42?sort=asc&page=2', ['/items/{id}', '42', 'item', ['sort', 'page']]],
  [
    '/u/3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b/profile',
    ['/u/{id}/profile', '3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b', GENERIC_KIND],
  ],
  ['/files/d41d8cd98f00b204e9800998ecf8427e', ['/files/{id}', 'd41d8cd98f00b204e9800998ecf8427e', 'file']],
  ['/invoice/1001.pdf', ['/invoice/{id}.pdf', '1001', 'invoice']],
  ['/wp-json/amelia/v1/bookings/17', ['/wp-json/amelia/v1/bookings/{id}', '17', 'booking']],
  ['/clinics/3/bookings/17', ['/clinics/{id}/bookings/{id}', '17', 'booking']],
  ['/portal/lab-results/9/pdf', ['/portal/lab-results/{id}/pdf', '9', 'lab_result']],
  ['/api/prescriptions/77', ['/api/prescriptions/{id}', '77', 'prescription']],
  ['/portal/medical-records/12', ['/portal/medical-records/{id}', '12', 'medical_record']],
  ['/wp-json/wc/v3/subscriptions/99', ['/wp-json/wc/v3/subscriptions/{id}', '99', 'subscription']],
  ['/v2/123', ['/v2/{id}', '123', GENERIC_KIND]],
  ['/123', ['/{id}', '123', GENERIC_KIND]],
  ['/index.php/123', ['/index.php/{id}', '123', GENERIC_KIND]],
  // generated file names are ids
  [
    '/files/3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b.pdf',
    ['/files/{id}.pdf', '3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b', 'file'],
  ],
  // form and booking plugins
  ['/wp-json/gf/v2/entries/55', ['/wp-json/gf/v2/entries/{id}', '55', 'form_entry']],
  ['/wp-json/gf/v2/forms/3/entries', ['/wp-json/gf/v2/forms/{id}/entries', '3', 'form_entry']],
  [
    '/wp-admin/admin.php?page=wpforms-entries&view=details&entry_id=12',
    ['/wp-admin/admin.php?entry_id={id}', '12', 'form_entry', ['page', 'view', 'entry_id']],
  ],
  ['/wp-json/wc-bookings/v1/bookings/8', ['/wp-json/wc-bookings/v1/bookings/{id}', '8', 'booking']],
  // recordings and exports in buckets: date folders, the object is the resource
  [
    '/clinic-media/recordings/2026/11/05/3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b.mp4',
    [
      '/clinic-media/recordings/{yyyy}/{mm}/{dd}/{file}',
      '3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b.mp4',
      'recording',
    ],
  ],
  [
    '/recordings/2026/11/session-0001.mp4',
    ['/recordings/{yyyy}/{mm}/{file}', 'session-0001.mp4', 'recording'],
  ],
  ['/exports/clinic-a/2026/11/orders.csv', ['/exports/clinic-a/{yyyy}/{mm}/{file}', 'orders.csv', 'export']],
  ['/wp-json/oembed/1.0/embed', ['/wp-json/oembed/1.0/embed', null, null]],
  ['/api/2.3.4/x', ['/api/2.3.4/x', null, null]],
  ['/short/abc123', ['/short/abc123', null, null]],
  ['/search/tok_email_0123456789abcdef', ['/search/{email}', null, null]],
  // WooCommerce / WordPress
  ['/wp-json/wc/v3/orders/1234', ['/wp-json/wc/v3/orders/{id}', '1234', 'order']],
  [
    '/wp-json/wc/v3/orders/1234?context=view&_fields=id',
    ['/wp-json/wc/v3/orders/{id}', '1234', 'order', ['context', '_fields']],
  ],
  ['/wp-json/wc/v3/orders/1234/notes', ['/wp-json/wc/v3/orders/{id}/notes', '1234', 'order']],
  ['/wp-json/wc/v3/orders/1234/notes/9', ['/wp-json/wc/v3/orders/{id}/notes/{id}', '1234', 'order']],
  ['/wp-json/wc/v2/customers/77', ['/wp-json/wc/v2/customers/{id}', '77', 'customer']],
  // a collection: the kind (a bulk read of orders), no resource id
  ['/wp-json/wc/v3/orders', ['/wp-json/wc/v3/orders', null, 'order']],
  ['/recordings/2025/visit-000123.mp4', ['/recordings/{id}/{file}', 'visit-000123.mp4', 'recording']],
  [
    '/wp-content/uploads/wc-exports/orders-2025-11.csv',
    ['/wp-content/uploads/wc-exports/{file}', 'orders-2025-11.csv', 'export'],
  ],
  ['/WP-JSON/wc/v3/Orders/5', ['/WP-JSON/wc/v3/Orders/{id}', '5', 'order']],
  ['/wp-json/wp/v2/users/1', ['/wp-json/wp/v2/users/{id}', '1', 'user']],
  ['/my-account/view-order/4321/', ['/my-account/view-order/{id}/', '4321', 'order']],
  [
    '/checkout/order-received/4321/?key=wc_order_abc',
    ['/checkout/order-received/{id}/', '4321', 'order', ['key']],
  ],
  ['/?p=123', ['/?p={id}', '123', 'post', ['p']]],
  ['/index.php?p=123&preview=true', ['/index.php?p={id}', '123', 'post', ['p', 'preview']]],
  [
    '/wp-admin/post.php?post=88&action=edit',
    ['/wp-admin/post.php?post={id}', '88', 'post', ['post', 'action']],
  ],
  ['/track?order_id=5001', ['/track?order_id={id}', '5001', 'order', ['order_id']]],
  [
    '/track?order_id=tok_q_0123456789abcdef',
    ['/track?order_id={id}', 'tok_q_0123456789abcdef', 'order', ['order_id']],
  ],
  ['/?p=abc', ['/', null, null, ['p']]],
  ['/?s=hello', ['/', null, null, ['s']]],
  // Magento
  ['/rest/V1/orders/15', ['/rest/V1/orders/{id}', '15', 'order']],
  ['/rest/default/V1/orders/15', ['/rest/default/V1/orders/{id}', '15', 'order']],
  ['/rest/V1/customers/3', ['/rest/V1/customers/{id}', '3', 'customer']],
  [
    '/rest/all/V1/customers/3/billingAddress',
    ['/rest/all/V1/customers/{id}/billingAddress', '3', 'customer'],
  ],
  // Shopify
  [
    '/admin/api/2024-01/orders/450789469.json',
    ['/admin/api/{version}/orders/{id}.json', '450789469', 'order'],
  ],
  [
    '/admin/api/2023-10/customers/207119551.json?fields=id',
    ['/admin/api/{version}/customers/{id}.json', '207119551', 'customer', ['fields']],
  ],
  ['/admin/orders/450789469.json', ['/admin/orders/{id}.json', '450789469', 'order']],
  // Telehealth
  ['/patients/1007', ['/patients/{id}', '1007', 'patient']],
  ['/api/v1/patients/1007/records', ['/api/v1/patients/{id}/records', '1007', 'patient']],
  [
    '/clinic/9/patients/1007/appointments/55',
    ['/clinic/{id}/patients/{id}/appointments/{id}', '55', 'appointment'],
  ],
  [
    '/appointments/8a6e0804-2bd0-4672-b79d-d97027f9071a',
    ['/appointments/{id}', '8a6e0804-2bd0-4672-b79d-d97027f9071a', 'appointment'],
  ],
  ['/patients/tok_ssn_0123456789abcdef', ['/patients/{id}', 'tok_ssn_0123456789abcdef', 'patient']],
  [
    '/wp-content/uploads/recordings/session-0001.mp4',
    ['/wp-content/uploads/recordings/{file}', 'session-0001.mp4', 'recording'],
  ],
  [
    '/wp-content/uploads/recordings/session-0002.mp4?dl=1',
    ['/wp-content/uploads/recordings/{file}', 'session-0002.mp4', 'recording', ['dl']],
  ],
  ['/exports/patients-2024.csv', ['/exports/{file}', 'patients-2024.csv', 'export']],
  // odd targets
  ['http://example.com/wp-json/wc/v3/orders/9?x=1', ['/wp-json/wc/v3/orders/{id}', '9', 'order', ['x']]],
  ['http://example.com', ['/', null, null]],
  ['example.com:443', ['{authority}', null, null]],
  ['*', ['*', null, null]],
  ['/a/%31%32/b', ['/a/{id}/b', '12', GENERIC_KIND]],
  ['/patients/%31%30%30%37', ['/patients/{id}', '1007', 'patient']],
  ['/bad/%E0%A4%A/x', ['/bad/%E0%A4%A/x', null, null]],
  ['/bad/%zz%/x', ['/bad/%zz%/x', null, null]],
  ['/enc/a%2Fb', ['/enc/a%2Fb', null, null]],
  ['/ctl/%00', ['/ctl/%00', null, null]],
  ['//double//slash', ['//double//slash', null, null]],
  ['/frag#x?y', ['/frag', null, null]],
];

test('normalizeRoute table', () => {
  for (const [target, [route, resourceId, kind, keys]] of CASES) {
    const r = normalizeRoute(target);
    assert.deepEqual(
      { route: r.route, resourceId: r.resourceId, kind: r.resourceKind, keys: [...r.queryKeys] },
      { route, resourceId, kind, keys: keys ?? [] },
      target,
    );
  }
});

test('never throws on hostile input, and stays linear', () => {
  const inputs = [
    '%',
    '%%%%',
    '/%',
    '/%E0%80',
    '/\uD800',
    '?&&&==&',
    '/'.repeat(100_000),
    '/1'.repeat(50_000),
    `/${'%'.repeat(100_000)}`,
    `/?${'a=1&'.repeat(20_000)}`,
  ];
  for (const t of inputs) {
    const t0 = performance.now();
    const r = normalizeRoute(t);
    assert.equal(typeof r.route, 'string');
    assert.ok(r.route.length <= 1025);
    assert.ok(r.queryKeys.length <= 64);
    assert.ok(performance.now() - t0 < 500, `slow on ${t.slice(0, 20)}`);
  }
});

test('helpers', () => {
  assert.equal(safeDecode('a%20b'), 'a b');
  assert.equal(safeDecode('%E0%A4%A'), '%E0%A4%A');
  assert.equal(safeDecode('%41%zz%E0'), 'A%zz%E0');
  assert.ok(isIdLike('123'));
  assert.ok(isIdLike('3F2B8C1E-9A4D-4E2F-8B1A-0C9D8E7F6A5B'));
  assert.ok(!isIdLike('deadbeef'));
  assert.ok(!isIdLike('2024-01'));
  assert.equal(tokenKind('tok_ssn_0123456789abcdef'), 'ssn');
  assert.equal(tokenKind('tok__0123456789abcdef'), null);
  assert.equal(tokenKind('tok_ssn_0123456789abcdeg'), null);
});

test('the table is data: more patterns from config, bad ones rejected at load', () => {
  const t = compileRouteTable({
    paths: [{ path: '**/lab-results/{id}/**', kind: 'lab_result' }],
    queryIds: [{ key: 'mrn', kind: 'patient' }],
  });
  assert.deepEqual(normalizeRoute('/portal/lab-results/77/pdf', t), {
    route: '/portal/lab-results/{id}/pdf',
    resourceId: '77',
    resourceKind: 'lab_result',
    queryKeys: [],
  });
  assert.equal(normalizeRoute('/view?mrn=12345', t).route, '/view?mrn={id}');
  // not in this table: an id route all the same, its kind derived from the collection
  assert.equal(normalizeRoute('/wp-json/wc/v3/orders/1', t).resourceKind, 'order');
  const plain = compileRouteTable({ paths: [], queryIds: [], fileCollections: [], deriveKinds: false });
  assert.equal(normalizeRoute('/wp-json/wc/v3/orders/1', plain).resourceKind, null);
  assert.equal(normalizeRoute('/recordings/2026/11/05/a.mp4', plain).resourceKind, null);
  for (const bad of ['orders/{id}', '/a/**/b', '/{id}/{file}', '/{id}', '/a/{Bad-Name}']) {
    assert.throws(
      () => compileRouteTable({ paths: [{ path: bad, kind: 'x' }], queryIds: [] }),
      (e: { code?: string }) => e.code === ConfigInvalid.code,
      bad,
    );
  }
});

test('collection words make kinds, simply singularised', () => {
  assert.equal(singularize('entries'), 'entry');
  assert.equal(singularize('addresses'), 'address');
  assert.equal(singularize('orders'), 'order');
  assert.equal(singularize('status'), 'status');
  assert.equal(kindOfCollection('lab-results'), 'lab_result');
  assert.equal(kindOfCollection('Bookings'), 'booking');
  assert.equal(kindOfCollection('v2'), null);
  assert.equal(kindOfCollection('index.php'), null);
  assert.equal(kindOfCollection('u'), null);
});
