import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { createStreamInput } from './stream-input.js';

test('stdin: lines with byte offsets across chunk boundaries, source stdin', async () => {
  const stream = Readable.from([Buffer.from('ab'), Buffer.from('c\r\nd\n\ne'), Buffer.from('f')]);
  const input = createStreamInput(stream, { batchSize: 2 });
  const got = [];
  for await (const b of input.batches(new AbortController().signal)) {
    assert.equal(b.source, 'stdin');
    await b.commit();
    got.push(...b.lines);
  }
  assert.deepEqual(got, [
    { offset: 0, text: 'abc' },
    { offset: 5, text: 'd' },
    { offset: 7, text: '' },
    { offset: 8, text: 'ef' },
  ]);
});

test('stdin: abort ends a stream that is still open', async () => {
  const stream = new PassThrough();
  const input = createStreamInput(stream, { batchSize: 10 });
  const ac = new AbortController();
  const got: string[] = [];
  stream.write('x\n');
  for await (const b of input.batches(ac.signal)) {
    got.push(...b.lines.map((l) => l.text));
    ac.abort();
  }
  await input.close();
  assert.deepEqual(got, ['x']);
});
