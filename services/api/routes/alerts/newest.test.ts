import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClickHouseClient } from '#shared/clickhouse/client.js';
import { NewestAlerts } from './newest.js';

/** A client that answers the newest-alert query from a list of last_seen values and records each query. */
function store(values: number[]) {
  const asked: string[] = [];
  const ch = {
    async query({ query }: { query: string }) {
      asked.push(query);
      const since = /last_seen >= toDateTime\((\d+)\)/.exec(query);
      const rows = values.filter((v) => since === null || v >= Number(since[1]));
      return {
        json: async () => [{ newest_s: rows.length ? Math.max(...rows) : 0, n: rows.length }],
      };
    },
  } as unknown as ClickHouseClient;
  return { ch, asked, values };
}

test('asks once, then answers from memory until refreshMs; a refresh reads only rows since the last answer', async () => {
  let now = 1_000;
  const s = store([100, 200]);
  const n = new NewestAlerts(s.ch, 'db', 2000, 10, () => now);
  assert.equal(await n.newestS({ tenant: 'a' }), 200);
  assert.equal(await n.newestS({ tenant: 'a' }), 200);
  assert.equal(s.asked.length, 1);
  assert.doesNotMatch(s.asked[0]!, /last_seen >=/);
  s.values.push(300);
  now += 2001;
  // past refreshMs: the remembered answer now, the new one asked in the background
  assert.equal(await n.newestS({ tenant: 'a' }), 200);
  await new Promise((r) => setImmediate(r));
  assert.equal(await n.newestS({ tenant: 'a' }), 300);
  assert.equal(s.asked.length, 2);
  assert.match(s.asked[1]!, /last_seen >= toDateTime\(200\)/);
});

test('each filter has its own answer; the oldest filter is forgotten past maxKeys', async () => {
  const s = store([50]);
  const n = new NewestAlerts(s.ch, 'db', 60_000, 2);
  await n.newestS({ tenant: 'a' });
  await n.newestS({ tenant: 'a', rule: 'egress' });
  await n.newestS({ tenant: 'b' });
  assert.equal(s.asked.length, 3);
  await n.newestS({ tenant: 'b' });
  assert.equal(s.asked.length, 3);
  await n.newestS({ tenant: 'a' });
  assert.equal(s.asked.length, 4, 'tenant a was forgotten');
});

test('nothing since the remembered answer (rows dropped): asks over everything again', async () => {
  let now = 1000;
  const s = store([500]);
  const n = new NewestAlerts(s.ch, 'db', 10, 10, () => now);
  assert.equal(await n.newestS({}), 500);
  s.values.splice(0, 1, 400);
  now = 1100;
  await n.newestS({});
  await new Promise((r) => setImmediate(r));
  assert.equal(await n.newestS({}), 400);
  assert.match(s.asked[1]!, /last_seen >= toDateTime\(500\)/);
  assert.doesNotMatch(s.asked[2]!, /last_seen >=/);
});

test('a failed first answer is not remembered', async () => {
  let fail = true;
  const ch = {
    async query() {
      if (fail) throw new Error('down');
      return { json: async () => [{ newest_s: 7, n: 1 }] };
    },
  } as unknown as ClickHouseClient;
  const n = new NewestAlerts(ch, 'db');
  await assert.rejects(n.newestS({}));
  fail = false;
  assert.equal(await n.newestS({}), 7);
});
