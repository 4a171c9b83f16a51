import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entity } from '#shared/avro/generated/alert.js';
import type { BaselineStore } from '../rules/types.js';
import { HourOfDayStore } from './hour-of-day.js';

const job: Entity = { type: 'user', value: 'backup-agent' };
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 10, 3, 2, 0); // Monday 02:00
const heavy = { events: 6, bytes_out: 6e9, rows_out: 0, distinct_resources: 0 };

test('hour-of-day: earlier days at this hour (±1 h) only, counted by distinct day', () => {
  const s = new HourOfDayStore(undefined);
  assert.equal(s.get(job, 't', T0, 'none'), undefined);
  s.observe(job, 't', T0, 'none', heavy);
  s.observe(job, 't', T0 + 600_000, 'none', heavy); // same night, second window
  assert.equal(
    s.get(job, 't', T0 + 1_200_000, 'none')?.atHour,
    undefined,
    'a night never vouches for itself',
  );
  const next = s.get(job, 't', T0 + DAY + 3_600_000, 'none'); // 03:00 the next day: within 1 h
  assert.equal(next?.atHour?.days, 1);
  assert.equal(next?.atHour?.features['bytes_out']?.n, 2);
  assert.equal(next?.source, 'global', 'no store answer: no features a rule would read');
  assert.deepEqual(next?.features, {});
  assert.equal(s.get(job, 't', T0 + DAY + 3 * 3_600_000, 'none')?.atHour, undefined, '05:00 is another hour');
  s.observe(job, 't', T0 + DAY, 'none', heavy);
  assert.equal(s.get(job, 't', T0 + 2 * DAY, 'none')?.atHour?.days, 2);
  // around midnight: 23:00 and 00:00 are neighbours
  s.observe(job, 't', Date.UTC(2025, 10, 3, 23, 30), 'none', heavy);
  assert.equal(s.get(job, 't', Date.UTC(2025, 10, 5, 0, 10), 'none')?.atHour?.days, 1);
});

test('hour-of-day: light windows are not kept; the inner store answers and learns as before', () => {
  const seen: number[] = [];
  const inner: BaselineStore = {
    get: () => ({ source: 'entity', features: { bytes_out: { p50: 1, p95: 2, mad: 0, n: 12 } } }),
    observe: (_e, _t, ws) => seen.push(ws),
  };
  const s = new HourOfDayStore(inner);
  s.observe(job, 't', T0, 'none', { ...heavy, bytes_out: 1000 });
  assert.deepEqual(seen, [T0]);
  assert.equal(s.size, 0);
  assert.equal(s.get(job, 't', T0 + DAY, 'none')?.atHour, undefined);
  s.observe(job, 't', T0, 'none', { ...heavy, bytes_out: 0, rows_out: 10_000 });
  const b = s.get(job, 't', T0 + DAY, 'none');
  assert.equal(b?.source, 'entity');
  assert.equal(b?.atHour?.features['rows_out']?.p50, 10_000);
});

test('hour-of-day: bounded per entity and in entities', () => {
  const s = new HourOfDayStore(undefined, { windowsPerEntity: 3, maxEntities: 2 });
  for (let d = 0; d < 5; d++) s.observe(job, 't', T0 + d * DAY, 'none', heavy);
  assert.equal(s.get(job, 't', T0 + 5 * DAY, 'none')?.atHour?.days, 3);
  s.observe({ type: 'user', value: 'b' }, 't', T0, 'none', heavy);
  s.observe({ type: 'user', value: 'c' }, 't', T0, 'none', heavy);
  assert.equal(s.size, 2);
  assert.equal(s.get(job, 't', T0 + 5 * DAY, 'none'), undefined, 'the least recently updated went first');
});

test('hour-of-day: the same parts give the same answer object; a changed part gives a new one', () => {
  const ip: Entity = { type: 'client_ip', value: '192.0.2.9' };
  const s = new HourOfDayStore(undefined);
  s.observe(job, 't', T0, 'none', heavy);
  s.observe(ip, 't', T0, 'none', heavy);
  const at = T0 + 3_600_000;
  const a = s.get(job, 't', at, 'none');
  assert.equal(a?.horizon?.windows, 1);
  assert.equal(s.get(job, 't', at, 'none'), a, 'user: horizon and hour unchanged');
  const i = s.get(ip, 't', T0 + DAY, 'none');
  assert.equal(i?.atHour?.days, 1);
  assert.equal(s.get(ip, 't', T0 + DAY, 'none'), i, 'address: hour unchanged');
  s.observe(job, 't', at - 600_000, 'none', heavy);
  const b = s.get(job, 't', at, 'none');
  assert.notEqual(b, a);
  assert.equal(b?.horizon?.windows, 2);
  assert.equal(a?.horizon?.windows, 1, 'an answer already given does not change');
});
