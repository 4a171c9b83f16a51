import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  createHttpIngestInput,
  type HttpIngestInput,
  type HttpIngestOptions,
  parseBody,
} from './http-ingest.js';
import type { SourceBatch } from './types.js';

const TOKEN = 'secret-token-0123456789';

async function start(more: Partial<HttpIngestOptions> = {}) {
  const input = await createHttpIngestInput({
    port: 0,
    tokens: [{ name: 'fluentbit-web1', token: TOKEN }],
    batchSize: 100,
    ...more,
  });
  const url = `http://127.0.0.1:${input.address().port}/v1/ingest`;
  return { input, url };
}

function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', ...headers },
  });
}

const errorOf = async (r: Response) => (await r.json()) as { error: string; message: string };

/** A consumer that commits every batch it takes (optionally after a delay), recording them. */
function consume(input: HttpIngestInput, delayMs = 0) {
  const ac = new AbortController();
  const got: SourceBatch[] = [];
  const done = (async () => {
    for await (const b of input.batches(ac.signal)) {
      got.push(b);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      await b.commit();
    }
  })();
  return {
    got,
    async stop() {
      ac.abort();
      await done;
    },
  };
}

test('NDJSON of strings and Fluent Bit / Vector records: 200 only after commit, lines in order', async () => {
  const { input, url } = await start();
  const c = consume(input, 30);
  const body = [
    JSON.stringify('plain line'),
    JSON.stringify({ date: 1700000000.1, log: 'from fluent bit' }),
    '',
    JSON.stringify({ message: 'from vector\nsecond physical line', host: 'web1' }),
  ].join('\n');
  const t0 = Date.now();
  const res = await post(url, body);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { accepted: 4 });
  assert.ok(Date.now() - t0 >= 25, 'answered after the consumer committed');
  await c.stop();
  await input.close();
  assert.equal(c.got.length, 1);
  assert.equal(c.got[0]!.source, 'http:fluentbit-web1');
  assert.deepEqual(
    c.got[0]!.lines.map((l) => l.text),
    ['plain line', 'from fluent bit', 'from vector', 'second physical line'],
  );
});

test('a retried request gets the same positions; different requests get different ones', async () => {
  const { input, url } = await start({ batchSize: 2 });
  const c = consume(input);
  const body = ['"a"', '"a"', '"b"'].join('\n');
  assert.equal((await post(url, body)).status, 200);
  assert.equal((await post(url, body, { 'content-type': 'application/json' })).status, 200);
  assert.equal((await post(url, '["a", "c"]', { 'content-type': 'application/json' })).status, 200);
  await c.stop();
  await input.close();
  const positions = c.got.map((b) => b.lines.map((l) => l.offset));
  // request 1 split into 2 batches; request 2 is its retry
  assert.deepEqual([...positions[0]!, ...positions[1]!], [...positions[2]!, ...positions[3]!]);
  const first = [...positions[0]!, ...positions[1]!];
  assert.equal(new Set(first).size, 3, 'identical lines in one request stay distinct');
  for (const p of positions[4]!) assert.ok(!first.includes(p));
  for (const p of first) assert.ok(Number.isSafeInteger(p) && p >= 0);
});

test('auth: 401 without a token or with a wrong one', async () => {
  const { input, url } = await start();
  const none = await fetch(url, {
    method: 'POST',
    body: '"x"',
    headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assert.equal((await errorOf(none)).error, 'LW_ERR_API_UNAUTHORIZED');
  const wrong = await post(url, '"x"', { authorization: 'Bearer nope' });
  assert.equal(wrong.status, 401);
  await input.close();
});

test('bad requests: 400 body, 413 size, 415 type, 404 and 405 routes', async () => {
  const { input, url } = await start({ maxBodyBytes: 100 });
  const bad = await post(url, '{"log": 1}');
  assert.equal(bad.status, 400);
  const badBody = await errorOf(bad);
  assert.equal(badBody.error, 'LW_ERR_INGEST_BAD_BODY');
  assert.match(badBody.message, /record 1/);
  assert.equal((await post(url, '"ok"\n{not json')).status, 400);
  const big = await post(url, JSON.stringify('x'.repeat(200)));
  assert.equal(big.status, 413);
  assert.match((await errorOf(big)).message, /100 bytes/);
  // the limit holds after decompression too
  assert.equal(
    (await post(url, gzipSync(JSON.stringify('y'.repeat(500))), { 'content-encoding': 'gzip' })).status,
    413,
  );
  assert.equal((await post(url, 'x', { 'content-type': 'application/msgpack' })).status, 415);
  assert.equal((await post(url.replace('/v1/ingest', '/other'), '"x"')).status, 404);
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
  await input.close();
});

test('gzip and text/plain bodies are accepted', async () => {
  const { input, url } = await start();
  const c = consume(input);
  assert.equal((await post(url, gzipSync('"zipped"\n'), { 'content-encoding': 'gzip' })).status, 200);
  assert.equal((await post(url, 'raw one\r\nraw two\n', { 'content-type': 'text/plain' })).status, 200);
  await c.stop();
  await input.close();
  assert.deepEqual(
    c.got.flatMap((b) => b.lines.map((l) => l.text)),
    ['zipped', 'raw one', 'raw two'],
  );
});

test('back-pressure: held requests beyond the limit get 503 + Retry-After; uncommitted ones time out with 503', async () => {
  const { input, url } = await start({ maxPendingRequests: 1, commitTimeoutMs: 150, retryAfterSeconds: 2 });
  // no consumer yet: the first request is held
  const first = post(url, '"one"');
  await new Promise((r) => setTimeout(r, 30));
  const second = await post(url, '"two"');
  assert.equal(second.status, 503);
  assert.equal(second.headers.get('retry-after'), '2');
  assert.equal((await errorOf(second)).error, 'LW_ERR_INGEST_BUSY');
  const timedOut = await first;
  assert.equal(timedOut.status, 503);
  // the timed-out batch was withdrawn: a consumer starting now does not see it
  const c = consume(input);
  assert.equal((await post(url, '"three"')).status, 200);
  await c.stop();
  await input.close();
  assert.deepEqual(
    c.got.flatMap((b) => b.lines.map((l) => l.text)),
    ['three'],
  );
});

test('parseBody: a JSON array of strings and records', () => {
  assert.deepEqual(parseBody('[{"log":"a"},"b",{"message":"c"}]', 'json'), ['a', 'b', 'c']);
  assert.equal((parseBody('[1]', 'json') as Error & { code: string }).code, 'LW_ERR_INGEST_BAD_BODY');
});
