import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { createEngine } from '../engine/engine.js';
import { unauthenticatedSensitive } from '../rules/unauthenticated-sensitive.js';
import { BucketHistory } from './bucket-history.js';

const T0 = Date.parse('2025-04-17T08:00:00Z');
let n = 0;

function read(over: Partial<AccessEvent>): AccessEvent {
  n++;
  return accessEventWith({
    event_id: `ev-${n}`,
    source: 'test',
    tenant: 'clinic-a',
    source_kind: 'storage',
    ts: T0 + n * 1000,
    http_method: 'GET',
    route: '/clinic-docs/files/3f2a.pdf',
    status: 200,
    bytes_out: 1000,
    attrs: { bucket: 'clinic-docs' },
    ...over,
  });
}

const signed = (o: Partial<AccessEvent> = {}) =>
  read({ user_id: 'arn:aws:iam::1:user/signer', api_key_id: 'AKIA1', authenticated: true, ...o });
const anonymous = (o: Partial<AccessEvent> = {}) => read({ client_ip: '203.0.113.7', ...o });

test('counts successful reads by credentials, per tenant and bucket; refusals, writes and other logs teach nothing', () => {
  const h = new BucketHistory();
  h.observe(signed());
  h.observe(signed({ api_key_id: null, user_id: null, authenticated: false, session_hash: 's' }));
  h.observe(anonymous());
  h.observe(anonymous({ status: 403 }));
  h.observe(anonymous({ http_method: 'PUT' }));
  h.observe(anonymous({ source_kind: 'web' }));
  h.observe(signed({ tenant: 'clinic-b' }));
  h.observe(signed({ attrs: {} }));
  assert.deepEqual(h.get(anonymous()), { authenticated: 2, anonymous: 1 });
  assert.equal(h.get(anonymous({ tenant: 'clinic-b' }))?.authenticated, 1);
  assert.equal(h.get(anonymous({ attrs: { bucket: 'other' } })), undefined);
  assert.equal(h.get(anonymous({ source_kind: 'web' })), undefined);
  // CloudTrail data events name the operation
  h.observe(anonymous({ http_method: 'GetObject', attrs: { bucket: 'ct' } }));
  assert.equal(h.get(anonymous({ attrs: { bucket: 'ct' } }))?.anonymous, 1);
});

test('bounded: the least recently read bucket is dropped, counts are halved at halveAt', () => {
  const h = new BucketHistory({ maxBuckets: 2, halveAt: 10 });
  h.observe(signed({ attrs: { bucket: 'a' } }));
  h.observe(signed({ attrs: { bucket: 'b' } }));
  h.observe(signed({ attrs: { bucket: 'a' } }));
  h.observe(signed({ attrs: { bucket: 'c' } }));
  assert.equal(h.size, 2);
  assert.equal(h.get(signed({ attrs: { bucket: 'b' } })), undefined);
  for (let i = 0; i < 8; i++) h.observe(signed({ attrs: { bucket: 'a' } }));
  assert.equal(h.get(signed({ attrs: { bucket: 'a' } }))?.authenticated, 5);
});

test('engines sharing one history (the detector partitions) see what one engine would', () => {
  // The signer's reads land on one partition's engine, the anonymous reader's on another.
  const buckets = new BucketHistory();
  const a = createEngine({ rules: [unauthenticatedSensitive], buckets });
  const b = createEngine({ rules: [unauthenticatedSensitive], buckets });
  for (let i = 0; i < 25; i++) assert.equal(a.process(signed()).length, 0);
  const alerts = b.process(anonymous());
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]?.labels['bucket_class'], 'private');
  // An engine with a history of its own never saw the signer: quiet.
  const alone = createEngine({ rules: [unauthenticatedSensitive] });
  assert.equal(alone.process(anonymous({ client_ip: '203.0.113.8' })).length, 0);
});
