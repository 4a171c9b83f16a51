import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { eventId } from '../collector/index.js';
import { type EventBatch, EventDecoder, EventEncoder, LazyIdEvent } from './event-batch.js';

function event(i: number): AccessEvent {
  return {
    event_id: `${i.toString(16).padStart(32, '0')}`,
    ts: 1_700_000_000_000 + i * 1000,
    source_kind: i % 3 === 0 ? 'db' : 'web',
    source: '/var/log/x.log',
    tenant: 't',
    user_id: i % 2 ? `user-${i % 5}` : null,
    session_hash: i % 4 ? null : `tok_session_${i}`,
    api_key_id: null,
    client_ip: `10.0.0.${i % 7}`,
    user_agent: i % 5 ? 'curl/8' : null,
    db_user: i % 3 === 0 ? 'app' : null,
    authenticated: i % 2 === 1,
    emergency_access: i % 11 === 0,
    http_method: i % 3 === 0 ? null : 'GET',
    db_operation: i % 3 === 0 ? 'SELECT' : null,
    route: `/patients/{id}`,
    resource_id: i % 6 ? String(i) : null,
    resource_kind: i % 6 ? 'patient' : null,
    status: i % 8 ? 200 + (i % 3) : null,
    bytes_out: i % 9 ? i * 17 : -0,
    rows_out: i % 3 === 0 ? i : null,
    duration_ms: i % 4 ? i / 7 : null,
    findings: i % 5 === 0 ? ['ssn', `email-${i % 2}`] : [],
    attrs: i % 2 ? { referer_host: 'a.example', '10': 'x', host: `h${i % 3}` } : {},
  };
}

const roundTrip = (b: EventBatch) => structuredClone(b, { transfer: [] });

test('decode(encode(events)) gives equal events, same key order, -0 and nulls kept', () => {
  const enc = new EventEncoder();
  const dec = new EventDecoder();
  const events = Array.from({ length: 500 }, (_, i) => event(i));
  for (const e of events) enc.add(e);
  const out = dec.decode(roundTrip(enc.take()));
  assert.deepStrictEqual(out, events);
  assert.equal(JSON.stringify(out), JSON.stringify(events));
  assert.ok(Object.is(out[0]?.bytes_out, -0));
});

test('the string table starts again on both sides when full, between batches', () => {
  const enc = new EventEncoder(8);
  const dec = new EventDecoder();
  let i = 0;
  for (let batch = 0; batch < 6; batch++) {
    const events = Array.from({ length: 7 + batch }, () => event(i++));
    for (const e of events) enc.add(e);
    const b = enc.take();
    if (batch > 0) assert.equal(b.reset, true);
    assert.deepStrictEqual(dec.decode(roundTrip(b)), events);
  }
  assert.equal(enc.size, 0);
  assert.equal(enc.take().n, 0);
});

test('an event without its id (eventIds false) gets eventId(source, position) when read, the rest equal', () => {
  const enc = new EventEncoder();
  const dec = new EventDecoder();
  const events = Array.from({ length: 50 }, (_, i) => event(i));
  events.forEach((e, i) => {
    enc.add({ ...e, event_id: '' }, String(i * 100));
  });
  const out = dec.decode(roundTrip(enc.take()));
  out.forEach((d, i) => {
    assert.ok(d instanceof LazyIdEvent);
    const { event_id: _, ...rest } = events[i] as AccessEvent;
    assert.deepStrictEqual({ ...d }, rest);
    assert.deepEqual(Object.keys(d), Object.keys(rest));
    assert.equal(d.event_id, eventId(rest.source, String(i * 100)));
  });
});

test('positions: byte offsets cross as numbers, any other position as written; same ids either way', () => {
  const enc = new EventEncoder();
  const dec = new EventDecoder();
  const positions = ['0', '7', '123456789012345', '1234567890123456', '007', '12:3', '-1', '1e3', ' 1', ''];
  const events = positions.map((_, i) => event(i));
  events.forEach((e, i) => {
    enc.add({ ...e, event_id: '' }, positions[i]);
  });
  enc.add(event(99)); // with its own id, between lazy ones
  enc.add({ ...event(100), event_id: '' }, '42');
  const b = enc.take();
  assert.equal(b.ids.length, 8); // 7 positions that are not offsets, 1 event_id
  const out = dec.decode(roundTrip(b));
  positions.forEach((p, i) => {
    assert.equal(out[i]?.event_id, eventId((events[i] as AccessEvent).source, p));
  });
  assert.equal(out[10]?.event_id, event(99).event_id);
  assert.equal(out[11]?.event_id, eventId(event(100).source, '42'));
});
