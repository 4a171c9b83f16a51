import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { createInputs } from './index.js';
import type { SourceBatch } from './types.js';

test('createInputs merges files, stdin, syslog and HTTP; each batch commits on its own; abort closes all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-inputs-'));
  const log = join(dir, 'a.log');
  writeFileSync(log, 'file1\nfile2\n');
  const checkpointFile = join(dir, 'checkpoints.json');
  const inputs = await createInputs({
    files: [join(dir, '*.log'), '-'],
    follow: true,
    fromStart: true,
    batchSize: 100,
    checkpointFile,
    fileOptions: { pollMs: 5, rescanMs: 20 },
    stdin: Readable.from(['in1\n']),
    syslog: { udp: { port: 0 } },
    http: { port: 0, tokens: ['tok-0123456789abcdef'] },
  });
  const ac = new AbortController();
  const got: SourceBatch[] = [];
  const httpPort = inputs.http!.address().port;
  const udpPort = inputs.syslog!.udpAddress()!.port;
  const consumer = (async () => {
    for await (const b of inputs.batches(ac.signal)) {
      got.push(b);
      await b.commit();
    }
  })();
  const udp = createSocket('udp4');
  udp.send('<190>Nov 24 10:23:45 web1 nginx: sys1', udpPort, '127.0.0.1');
  const res = await fetch(`http://127.0.0.1:${httpPort}/ingest`, {
    method: 'POST',
    headers: { authorization: 'Bearer tok-0123456789abcdef', 'content-type': 'application/x-ndjson' },
    body: '{"log":"http1"}\n',
  });
  assert.equal(res.status, 200);
  const t0 = Date.now();
  while (got.flatMap((b) => b.lines).length < 5 && Date.now() - t0 < 3000)
    await new Promise((r) => setTimeout(r, 5));
  udp.close();
  ac.abort();
  await consumer;
  const bySource = Object.fromEntries(
    got.map((b) => [b.source.replace(/:.*$/, ':*'), b.lines.map((l) => l.text)]),
  );
  assert.deepEqual(bySource[log], ['file1', 'file2']);
  assert.deepEqual(bySource['stdin'], ['in1']);
  assert.deepEqual(bySource['syslog:*'], ['sys1']);
  assert.deepEqual(bySource['http:*'], ['http1']);
  // the file batch's commit wrote its checkpoint
  assert.equal(JSON.parse(readFileSync(checkpointFile, 'utf8')).files[0].offset, 12);
  // listeners are closed after the abort
  await assert.rejects(fetch(`http://127.0.0.1:${httpPort}/ingest`, { method: 'POST' }));
});

test('a consumer that breaks out early also closes the listeners', async () => {
  const inputs = await createInputs({
    follow: true,
    fromStart: true,
    batchSize: 10,
    http: { port: 0, tokens: ['tok-0123456789abcdef'] },
    stdin: Readable.from(['x\n']),
    files: ['-'],
  });
  const port = inputs.http!.address().port;
  for await (const b of inputs.batches(new AbortController().signal)) {
    assert.equal(b.source, 'stdin');
    break;
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST' }));
});
