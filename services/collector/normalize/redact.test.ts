import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { createPhiDetectors, createRedactor, findPhi } from './redact.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const red = createRedactor(KEY);

function expectedToken(kind: string, value: string): string {
  return `tok_${kind}_${createHmac('sha256', KEY).update(`${kind}:${value}`).digest('hex').slice(0, 16)}`;
}

/** Asserts none of the secrets survives in any form a reader could recover. */
function assertGone(out: string, secrets: string[]): void {
  const forms = (s: string) => [s, encodeURIComponent(s), s.replace(/[-\s]/g, ''), s.toLowerCase()];
  for (const s of secrets)
    for (const f of forms(s)) assert.ok(!out.includes(f), `${JSON.stringify(f)} survived in ${out}`);
}

test('token is HMAC-SHA256(key, kind:value), first 16 hex, deterministic', () => {
  assert.equal(red.token('ssn', '123-45-6789'), expectedToken('ssn', '123-45-6789'));
  assert.equal(red.token('ssn', '123-45-6789'), red.token('ssn', '123-45-6789'));
  assert.notEqual(red.token('ssn', '123-45-6789'), red.token('email', '123-45-6789'));
  assert.match(red.token('q', 'x'), /^tok_q_[0-9a-f]{16}$/);
  // another key, another token
  assert.notEqual(createRedactor(Buffer.alloc(32, 1)).token('q', 'x'), red.token('q', 'x'));
  assert.throws(() => red.token('Bad Kind', 'x'), TypeError);
  assert.throws(() => createRedactor(Buffer.alloc(4)), TypeError);
});

test('every query value is tokenised; keys are kept', () => {
  const r = red.redactTarget('/search?q=flu+shot&page=2&empty=&flag');
  assert.equal(
    r.target,
    `/search?q=${expectedToken('q', 'flu shot')}&page=${expectedToken('q', '2')}&empty=&flag`,
  );
  assert.deepEqual(r.findings, []);
});

test('numeric resource ids under id keys are kept (configurable)', () => {
  assert.equal(red.redactTarget('/?p=123').target, '/?p=123');
  assert.equal(
    red.redactTarget('/track?order_id=5001&email=x').target,
    `/track?order_id=5001&email=${expectedToken('q', 'x')}`,
  );
  // long numbers under id keys are not ids: tokenised
  assert.equal(red.redactTarget('/?p=1234567890123').target, `/?p=${expectedToken('q', '1234567890123')}`);
  const strict = createRedactor(KEY, { idQueryKeys: [] });
  assert.equal(strict.redactTarget('/?p=123').target, `/?p=${expectedToken('q', '123')}`);
});

test('PHI in the path and query is tokenised and reported', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['/patients/123-45-6789/chart', ['123-45-6789'], ['phi_in_url:ssn']],
    ['/lookup?ssn=123-45-6789', ['123-45-6789'], ['phi_in_url:ssn']],
    ['/lookup?note=ssn%20123-45-6789%20ok', ['123-45-6789'], ['phi_in_url:ssn']],
    ['/users/Jane.Doe@Example.org/orders', ['Jane.Doe@Example.org'], ['phi_in_url:email']],
    ['/reset?email=jane.doe%40example.org', ['jane.doe@example.org'], ['phi_in_url:email']],
    ['/pay?cc=4111111111111111', ['4111111111111111'], ['phi_in_url:card']],
    ['/pay/4111-1111-1111-1111/ok', ['4111-1111-1111-1111'], ['phi_in_url:card']],
    ['/pay?cc=4111+1111+1111+1111', ['4111 1111 1111 1111'], ['phi_in_url:card']],
    ['/p/5500%200000%200000%200004', ['5500 0000 0000 0004'], ['phi_in_url:card']],
    [
      '/x/john@ex.com/123-45-6789?cc=378282246310005',
      ['john@ex.com', '123-45-6789', '378282246310005'],
      ['phi_in_url:ssn', 'phi_in_url:email', 'phi_in_url:card'],
    ],
    ['/bare?123-45-6789', ['123-45-6789'], ['phi_in_url:ssn']],
    ['/key?jane@example.org=1', ['jane@example.org'], ['phi_in_url:email']],
  ];
  for (const [target, secrets, findings] of cases) {
    const r = red.redactTarget(target);
    assertGone(r.target, secrets);
    assert.deepEqual([...r.findings], findings, target);
    // idempotent: redacting again changes nothing
    const again = red.redactTarget(r.target);
    assert.equal(again.target, r.target, `idempotent: ${target}`);
  }
});

test('a value that is one PHI item gets a token of that kind, joinable across places', () => {
  const a = red.redactTarget('/users/Jane.Doe@Example.org').target;
  const b = red.redactTarget('/reset?email=jane.doe%40example.org').target;
  const t = expectedToken('email', 'jane.doe@example.org');
  assert.equal(a, `/users/${t}`);
  assert.equal(b, `/reset?email=${t}`);
  assert.equal(
    red.redactTarget('/pay?cc=4111-1111-1111-1111').target,
    `/pay?cc=${expectedToken('card', '4111111111111111')}`,
  );
});

test('no false positives on common URL shapes', () => {
  const quiet = [
    '/wp-cron.php?doing_wp_cron=1744863228.0052878856658935546875',
    '/assets/app.js?_=1699999999999',
    '/blog/2024-01-05/post',
    '/phone/555-123-4567',
    '/ssn-like/000-12-3456',
    '/ssn-like/666-12-3456',
    '/ssn-like/123-45-67890',
    '/card/4111111111111112',
    '/card/1234567890123456',
    '/x?signature=6dd7bfa80df589b55b6bc359289153600164cfb73325ce031c9a730c2a083f43',
    '/mail/user@localhost',
    '/mail/@example.com',
    '/presentations/logstash-monitorama-2013/images/kibana-search.png',
  ];
  for (const t of quiet) {
    const path = t.split('?')[0] as string;
    const r = red.redactTarget(t);
    assert.deepEqual([...r.findings], [], t);
    assert.ok(r.target.startsWith(path), t);
  }
});

test('hostile inputs stay linear', () => {
  const inputs = [
    'a'.repeat(100_000) + '@',
    `${'a.'.repeat(50_000)}@x`,
    '@'.repeat(100_000),
    '-'.repeat(100_000),
    '1-'.repeat(50_000),
    '4'.repeat(100_000),
    `/?${'a=b&'.repeat(10_000)}`,
  ];
  for (const s of inputs) {
    const t0 = performance.now();
    red.redactTarget(s);
    red.redactText(s);
    assert.ok(performance.now() - t0 < 1000, `slow on ${s.slice(0, 10)}`);
  }
});

test('redactText replaces PHI in free text and keeps the rest', () => {
  const r = red.redactText('Mozilla/5.0 (contact: bot-admin@crawler.example)');
  assert.equal(r.text, `Mozilla/5.0 (contact: ${expectedToken('email', 'bot-admin@crawler.example')})`);
  assert.deepEqual([...r.kinds], ['email']);
  const plain = 'Mozilla/5.0 (X11; Linux x86_64)';
  assert.equal(red.redactText(plain).text, plain);
});

test('findPhi resolves overlaps and orders by position', () => {
  const m = findPhi('a@b.co 123-45-6789 4111111111111111');
  assert.deepEqual(
    m.map((x) => x.kind),
    ['email', 'ssn', 'card'],
  );
});

// ---- named PHI kinds (dob, mrn, icd10, phone, name) ------------------------------------------------

test('dates of birth under named parameters, ISO / US / European, normalised to ISO', () => {
  const t = expectedToken('dob', '1980-04-02');
  for (const target of [
    '/register?dob=1980-04-02',
    '/register?birthdate=4/2/1980',
    '/register?birth_date=04%2F02%2F1980',
    '/register?date_of_birth=02.04.1980',
    '/register?DateOfBirth=1980-04-02',
    '/checkout?billing_dob=1980-04-02T00:00:00',
    '/m?customer%5Bdob%5D=1980-04-02',
  ]) {
    const r = red.redactTarget(target);
    assert.deepEqual([...r.findings], ['phi_in_url:dob'], target);
    assert.ok(r.target.endsWith(`=${t}`), `${target} → ${r.target}`);
  }
  // in free text as `name=value` / `name: value`
  assert.deepEqual([...red.redactText('x (dob: 1980-04-02)').kinds], ['dob']);
  // near misses: not a date, not a real day, a date under another name, a date in a path
  for (const quiet of [
    '/register?dob=unknown',
    '/register?dob=1980-02-30',
    '/register?dob=2024-13-01',
    '/register?dob=80-04-02',
    '/register?dob=1780-04-02',
    '/register?dobby=1980-04-02',
    '/register?date=1980-04-02',
    '/blog/1980-04-02/post',
  ]) {
    assert.deepEqual([...red.redactTarget(quiet).findings], [], quiet);
  }
});

test('MRNs: values of MRN parameters, and MRN<digits> in free text (one token for both)', () => {
  const r = red.redactTarget('/chart?mrn=00123456');
  assert.equal(r.target, `/chart?mrn=${expectedToken('mrn', '00123456')}`);
  assert.deepEqual([...r.findings], ['phi_in_url:mrn']);
  assert.deepEqual([...red.redactTarget('/chart?patient_mrn=AB-77812').findings], ['phi_in_url:mrn']);
  assert.deepEqual([...red.redactTarget('/chart?chart_number=998877').findings], ['phi_in_url:mrn']);
  const p = red.redactTarget('/notes/MRN-00123456/view');
  assert.equal(p.target, `/notes/${expectedToken('mrn', '00123456')}/view`);
  assert.equal(
    red.redactText('lookup mrn:00123456 ok').text,
    `lookup ${expectedToken('mrn', '00123456')} ok`,
  );
  for (const quiet of [
    '/notes/MRN-12345/view', // too short
    '/notes/MRN-12345678901/view', // too long
    '/notes/XMRN1234567/view', // glued to a word
    '/chart?mrn=abc', // no digit
    '/chart?mrn=12', // too short
    '/chart?mrnx=00123456',
  ]) {
    assert.deepEqual([...red.redactTarget(quiet).findings], [], quiet);
  }
});

test('MRN pattern and parameter names are configurable', () => {
  const custom = createRedactor(KEY, {
    detectors: createPhiDetectors({ mrnPattern: 'PT(\\d{5})', extraParams: { mrn: ['record_no'] } }),
  });
  assert.deepEqual([...custom.redactTarget('/x/PT12345').findings], ['phi_in_url:mrn']);
  assert.deepEqual([...custom.redactTarget('/x?record_no=44556').findings], ['phi_in_url:mrn']);
  assert.deepEqual([...custom.redactTarget('/x/MRN-00123456').findings], []);
  assert.throws(() => createPhiDetectors({ mrnPattern: '(' }), SyntaxError);
});

test('ICD-10 codes under diagnosis parameters (lists too)', () => {
  const r = red.redactTarget('/visit?dx=E11.9');
  assert.equal(r.target, `/visit?dx=${expectedToken('icd10', 'E11.9')}`);
  assert.deepEqual([...r.findings], ['phi_in_url:icd10']);
  for (const t of [
    '/v?icd10=e11.9',
    '/v?diagnosis_code=F32.A',
    '/v?icd=I10',
    '/v?diagnosis=E11.9,I10',
    '/v?dx=S72.001A',
  ]) {
    assert.deepEqual([...red.redactTarget(t).findings], ['phi_in_url:icd10'], t);
  }
  for (const quiet of [
    '/v?dx=U07.1',
    '/v?dx=E1',
    '/v?dx=11.9',
    '/v?dx=E11.',
    '/v?dx=hello',
    '/v?code=E11.9',
    '/E11.9/x',
  ]) {
    assert.deepEqual([...red.redactTarget(quiet).findings], [], quiet);
  }
});

test('phone numbers: phone parameters, and E.164 anywhere', () => {
  const r = red.redactTarget('/checkout?billing_phone=(555)+123-4567');
  assert.equal(r.target, `/checkout?billing_phone=${expectedToken('phone', '5551234567')}`);
  assert.deepEqual([...r.findings], ['phi_in_url:phone']);
  for (const t of [
    '/c?phone=555.123.4567',
    '/c?tel=%2B44+20+7946+0958',
    '/c?mobile=5551234567',
    '/sms/+15551234567/send',
    '/c?q=%2B4915112345678',
  ]) {
    assert.deepEqual([...red.redactTarget(t).findings], ['phi_in_url:phone'], t);
  }
  assertGone(red.redactTarget('/sms/+15551234567/send').target, ['+15551234567', '15551234567']);
  for (const quiet of [
    '/c?phone=12345', // too short
    '/c?phone=call-me',
    '/c?phone=1234567890123456', // too long
    '/v/1.0+12345678', // glued
    '/x/+1234567', // E.164 too short
    '/x/+1234567890123456', // too long
    '/phone/555-123-4567', // no + and not a phone parameter
    '/c?page=5551234567',
  ]) {
    assert.deepEqual([...red.redactTarget(quiet).findings], [], quiet);
  }
});

test('names under name parameters', () => {
  const r = red.redactTarget('/checkout?billing_first_name=Jane&billing_last_name=O%27Neil-Smith');
  assert.equal(
    r.target,
    `/checkout?billing_first_name=${expectedToken('name', 'jane')}&billing_last_name=${expectedToken('name', "o'neil-smith")}`,
  );
  assert.deepEqual([...r.findings], ['phi_in_url:name']);
  for (const t of [
    '/p?patient_name=Jane+Q.+Doe',
    '/p?fname=Zoë',
    '/p?name=Jane',
    '/p?shipping_last_name=Doe',
    '/p?full_name=Jean-Luc%20Picard',
  ]) {
    assert.deepEqual([...red.redactTarget(t).findings], ['phi_in_url:name'], t);
  }
  for (const quiet of [
    '/p?name=',
    '/p?name=123',
    '/p?name=J',
    '/p?name=item_42',
    '/resolve?name=dnsscan.shadowserver.org&type=A',
    '/p?username=jdoe',
    '/p?first_name_label=Jane',
  ]) {
    assert.deepEqual([...red.redactTarget(quiet).findings], [], quiet);
  }
  // an e-mail under a name parameter is an e-mail
  assert.deepEqual([...red.redactTarget('/p?name=jane%40example.org').findings], ['phi_in_url:email']);
});

test('findings follow the catalogue order; every kind at once; idempotent', () => {
  const r = red.redactTarget(
    '/p/123-45-6789?email=a%40b.org&cc=4111111111111111&dob=1980-04-02&mrn=00123456&dx=E11.9&phone=5551234567&first_name=Jane',
  );
  assert.deepEqual(
    [...r.findings],
    ['ssn', 'email', 'card', 'dob', 'mrn', 'icd10', 'phone', 'name'].map((k) => `phi_in_url:${k}`),
  );
  assert.equal(red.redactTarget(r.target).target, r.target);
  assertGone(r.target, [
    '123-45-6789',
    'a@b.org',
    '4111111111111111',
    '1980-04-02',
    '00123456',
    'E11.9',
    '5551234567',
    'Jane',
  ]);
});

test('redactText with a parameter name reads the value as that parameter', () => {
  assert.deepEqual([...red.redactText('1980-04-02', 'dob').kinds], ['dob']);
  assert.deepEqual([...red.redactText('Jane', 'first_name').kinds], ['name']);
  assert.deepEqual([...red.redactText('Jane', 'product').kinds], []);
  assert.equal(red.redactText('Jane', 'first_name').text, expectedToken('name', 'jane'));
});

test('named detectors stay linear on hostile input', () => {
  for (const s of [
    'dob='.repeat(50_000),
    `${'a'.repeat(100_000)}=`,
    ':'.repeat(100_000),
    '+1'.repeat(50_000),
    'MRN'.repeat(50_000),
  ]) {
    const t0 = performance.now();
    red.redactText(s);
    red.redactTarget(`/?${s}`);
    assert.ok(performance.now() - t0 < 1000, `slow on ${s.slice(0, 10)}`);
  }
});
