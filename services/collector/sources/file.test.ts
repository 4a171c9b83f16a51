import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Line, readLines } from './file.js';

async function collect(it: AsyncGenerator<Line[]>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

test('lines carry their byte offsets; CRLF and a last line without newline are handled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'a.log');
  writeFileSync(p, 'one\r\ntwo\nthree');
  const lines = await collect(readLines({ path: p, follow: false, batchSize: 2 }));
  assert.deepEqual(lines, [
    { offset: 0, text: 'one' },
    { offset: 5, text: 'two' },
    { offset: 9, text: 'three' },
  ]);
});

test('gzip files are read with offsets into the decompressed stream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'a.log.gz');
  writeFileSync(p, gzipSync('a\nbb\nccc\n'));
  const lines = await collect(readLines({ path: p, follow: false, batchSize: 10 }));
  assert.deepEqual(
    lines.map((l) => [l.offset, l.text]),
    [
      [0, 'a'],
      [2, 'bb'],
      [5, 'ccc'],
    ],
  );
});

test('follow mode picks up appended lines and stops on abort', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'b.log');
  writeFileSync(p, 'x\n');
  const ac = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    for await (const b of readLines({
      path: p,
      follow: true,
      batchSize: 10,
      pollMs: 10,
      signal: ac.signal,
    })) {
      for (const l of b) seen.push(l.text);
      if (seen.length === 3) ac.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(p, 'y\nz');
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(p, '\n');
  await done;
  assert.deepEqual(seen, ['x', 'y', 'z']);
});

test('an over-long line is cut, not buffered whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'c.log');
  writeFileSync(p, `${'a'.repeat(5000)}\nok\n`);
  const lines = await collect(readLines({ path: p, follow: false, batchSize: 10, maxLineBytes: 100 }));
  assert.equal(lines[0]!.text.length, 100);
  assert.deepEqual(lines[1], { offset: 5001, text: 'ok' });
});
