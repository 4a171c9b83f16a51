import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { createSyslogInput, Framer, type SyslogInput } from './syslog.js';
import type { SourceBatch } from './types.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NGINX = '1.2.3.4 - - [24/Nov/2025:10:23:45 +0000] "GET /patients/12 HTTP/1.1" 200 512 "-" "curl/8.0"';

async function take(input: SyslogInput, n: number, ac = new AbortController()): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  let count = 0;
  const timer = setTimeout(() => ac.abort(), 3000);
  for await (const b of input.batches(ac.signal)) {
    out.push(b);
    await b.commit();
    count += b.lines.length;
    if (count >= n) break;
  }
  clearTimeout(timer);
  return out;
}

function tcpClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('UDP: RFC 3164 (nginx) and RFC 5424 datagrams become lines holding only MSG', async () => {
  const input = await createSyslogInput({ udp: { port: 0 }, batchSize: 10 });
  const port = input.udpAddress()!.port;
  const client = createSocket('udp4');
  client.send(`<190>Nov 24 10:23:45 web1 nginx: ${NGINX}`, port, '127.0.0.1');
  client.send('<165>1 2003-10-11T22:14:15.003Z host app - - [a b="c"] second', port, '127.0.0.1');
  const got = await take(input, 2);
  client.close();
  await input.close();
  const lines = got.flatMap((b) => b.lines);
  assert.deepEqual(
    lines.map((l) => l.text),
    [NGINX, 'second'],
  );
  assert.equal(got[0]!.source, 'syslog:127.0.0.1');
  assert.ok(lines[1]!.offset > lines[0]!.offset, 'positions increase');
  assert.ok(lines[0]!.offset > Date.UTC(2020, 0) * 1000, 'positions are seeded from the clock');
  assert.equal(input.stats().received, 2);
});

test('TCP: octet-counting and newline framing, split across packets, on one connection', async () => {
  const input = await createSyslogInput({ tcp: { port: 0 }, batchSize: 100 });
  const s = await tcpClient(input.tcpAddress()!.port);
  const m1 = '<34>1 2003-10-11T22:14:15.003Z h su - ID47 - one\nstill one';
  const frame = `${Buffer.byteLength(m1)} ${m1}`;
  s.write(frame.slice(0, 7));
  await pause(10);
  s.write(frame.slice(7));
  s.write('<13>Nov 24 10:23:45 h app: two\n<13>Nov 24 10:23:45 h app: thr');
  await pause(10);
  s.write('ee\n');
  s.end('<13>Nov 24 10:23:45 h app: four without LF');
  const got = await take(input, 5);
  await input.close();
  assert.deepEqual(
    got.flatMap((b) => b.lines.map((l) => l.text)),
    ['one', 'still one', 'two', 'three', 'four without LF'],
  );
});

test('framer: an oversize octet-counted frame is skipped, an oversize line is cut, both counted', () => {
  const out: string[] = [];
  let oversize = 0;
  const f = new Framer(
    10,
    (m) => out.push(m.toString()),
    () => oversize++,
  );
  f.push(Buffer.from(`20 ${'x'.repeat(20)}5 hello`));
  f.push(Buffer.from(`${'y'.repeat(30)}\nok\n`));
  f.end();
  assert.deepEqual(out, ['hello', 'y'.repeat(10), 'ok']);
  assert.equal(oversize, 2);
});

test('TCP back-pressure: the socket is paused while the consumer is behind, and nothing is lost', async () => {
  const input = await createSyslogInput({ tcp: { port: 0 }, batchSize: 50, maxPendingLines: 20 });
  const s = await tcpClient(input.tcpAddress()!.port);
  const total = 2000;
  let body = '';
  for (let i = 0; i < total; i++) body += `<13>Nov 24 10:23:45 h app: m${i}\n`;
  s.write(body);
  const t0 = Date.now();
  while (input.stats().paused === 0 && Date.now() - t0 < 2000) await pause(5);
  assert.equal(input.stats().paused, 1);
  const got = await take(input, total);
  s.end();
  await input.close();
  const texts = got.flatMap((b) => b.lines.map((l) => l.text));
  assert.equal(texts.length, total);
  assert.equal(texts[total - 1], `m${total - 1}`);
  assert.equal(new Set(got.flatMap((b) => b.lines.map((l) => l.offset))).size, total, 'positions unique');
});

test('UDP cannot push back: datagrams beyond the pending limit are dropped and counted', async () => {
  const input = await createSyslogInput({ udp: { port: 0 }, batchSize: 100, maxPendingLines: 5 });
  const port = input.udpAddress()!.port;
  const client = createSocket('udp4');
  for (let i = 0; i < 20; i++) client.send(`<13>Nov 24 10:23:45 h app: u${i}`, port, '127.0.0.1');
  const t0 = Date.now();
  while (input.stats().received + input.stats().dropped < 20 && Date.now() - t0 < 2000) await pause(5);
  client.close();
  const stats = input.stats();
  assert.equal(stats.received, 5);
  assert.equal(stats.dropped, 15);
  const got = await take(input, 5);
  await input.close();
  assert.equal(got.flatMap((b) => b.lines).length, 5);
});

test('TCP connections beyond maxConnections are refused and counted', async () => {
  const input = await createSyslogInput({ tcp: { port: 0 }, batchSize: 10, maxConnections: 1 });
  const port = input.tcpAddress()!.port;
  const a = await tcpClient(port);
  const b = await tcpClient(port);
  const closed = await new Promise<boolean>((resolve) => {
    b.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 1000);
  });
  assert.equal(closed, true);
  assert.equal(input.stats().refusedConnections, 1);
  a.destroy();
  await input.close();
});
