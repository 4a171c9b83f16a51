import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Line, readLines, type TailChunk, tailFile } from './file.js';

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

test('a file read once over many chunks: every line and offset exact, and stopping early closes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'big.log');
  // ~1.2 MB of lines of varying length, so chunk boundaries (256 KiB, read one ahead) cut lines
  const want: Line[] = [];
  let text = '';
  for (let i = 0; text.length < 1_200_000; i++) {
    const line = `${i} ${'x'.repeat(i % 377)}`;
    want.push({ offset: text.length, text: line });
    text += `${line}\n`;
  }
  writeFileSync(p, text);
  assert.deepEqual(await collect(readLines({ path: p, follow: false, batchSize: 500 })), want);
  // a consumer that stops after the first batch, while the next chunk is being read
  for await (const b of readLines({ path: p, follow: false, batchSize: 500 })) {
    assert.deepEqual(b, want.slice(0, 500));
    break;
  }
});

test('an over-long line is cut, not buffered whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'c.log');
  writeFileSync(p, `${'a'.repeat(5000)}\nok\n`);
  const lines = await collect(readLines({ path: p, follow: false, batchSize: 10, maxLineBytes: 100 }));
  assert.equal(lines[0]!.text.length, 100);
  assert.deepEqual(lines[1], { offset: 5001, text: 'ok' });
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a follow-mode tail in the background, collecting chunks until stopped. */
function follow(path: string, extra: { maxLineBytes?: number; rotateGraceMs?: number } = {}) {
  const ac = new AbortController();
  const chunks: TailChunk[] = [];
  const done = (async () => {
    for await (const c of tailFile({
      path,
      follow: true,
      batchSize: 3,
      pollMs: 5,
      signal: ac.signal,
      ...extra,
    }))
      chunks.push(c);
  })();
  return {
    chunks,
    lines: () => chunks.flatMap((c) => c.lines),
    async until(pred: () => boolean, ms = 3000) {
      const t0 = Date.now();
      while (!pred()) {
        if (Date.now() - t0 > ms) {
          ac.abort();
          throw new Error('timed out');
        }
        await pause(5);
      }
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}

test('rotation by rename: the old file is read to its end, then the new one from 0, no line lost or repeated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'access.log');
  writeFileSync(p, 'a1\na2\n');
  const t = follow(p, { rotateGraceMs: 60 });
  await t.until(() => t.lines().length === 2);
  renameSync(p, join(dir, 'access.log.1'));
  // the writer still has the old file open until it is told to reopen
  appendFileSync(join(dir, 'access.log.1'), 'a3\na4');
  writeFileSync(p, 'b1\n');
  await pause(20);
  appendFileSync(join(dir, 'access.log.1'), '\n');
  appendFileSync(p, 'b2\n');
  await t.until(() => t.lines().length === 6);
  await pause(30);
  await t.stop();
  assert.deepEqual(
    t.lines().map((l) => [l.offset, l.text]),
    [
      [0, 'a1'],
      [3, 'a2'],
      [6, 'a3'],
      [9, 'a4'],
      [0, 'b1'],
      [3, 'b2'],
    ],
  );
  // each chunk says which file it came from and where to resume
  const last = t.chunks[t.chunks.length - 1]!;
  assert.equal(last.end, 6);
  assert.notEqual(t.chunks[0]!.file.ino, last.file.ino);
});

test('copytruncate: a file that shrinks is read again from 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'x.log');
  writeFileSync(p, 'one\ntwo\n');
  const t = follow(p);
  await t.until(() => t.lines().length === 2);
  truncateSync(p, 0);
  await pause(20);
  appendFileSync(p, 'three\n');
  await t.until(() => t.lines().length === 3);
  await t.stop();
  assert.deepEqual(t.lines()[2], { offset: 0, text: 'three' });
});

test('follow: a partial last line without newline is held bounded, cut, and offsets stay exact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'y.log');
  writeFileSync(p, '');
  const t = follow(p, { maxLineBytes: 10 });
  for (let i = 0; i < 20; i++) {
    appendFileSync(p, 'z'.repeat(1000));
    await pause(2);
  }
  appendFileSync(p, '\nnext\n');
  await t.until(() => t.lines().length === 2);
  await t.stop();
  assert.deepEqual(t.lines(), [
    { offset: 0, text: 'z'.repeat(10), tooLong: { bytes: 20000, limit: 10 } },
    { offset: 20001, text: 'next' },
  ]);
});

test('tailFile starts where onOpen says: an offset, or after the last complete line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-file-'));
  const p = join(dir, 'z.log');
  writeFileSync(p, 'aa\nbb\ncc');
  const from = async (start: number | 'end' | 'skip') => {
    const out: TailChunk[] = [];
    for await (const c of tailFile({ path: p, follow: false, batchSize: 10, onOpen: async () => start }))
      out.push(c);
    return out;
  };
  assert.deepEqual(
    (await from(3)).flatMap((c) => c.lines),
    [
      { offset: 3, text: 'bb' },
      { offset: 6, text: 'cc' },
    ],
  );
  assert.deepEqual(
    (await from('end')).flatMap((c) => c.lines),
    [{ offset: 6, text: 'cc' }],
  );
  assert.deepEqual(await from('skip'), []);
  const all = await from(0);
  assert.equal(all[all.length - 1]!.end, 8);
  assert.equal(all[0]!.file.fpLen, 8);
});
