import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createFilesInput, type FilesInputOptions } from './files-input.js';
import type { SourceBatch } from './types.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = () => mkdtempSync(join(tmpdir(), 'lw-files-'));
const numbered = (n: number, prefix = 'line') =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}\n`).join('');

function base(paths: string[], more: Partial<FilesInputOptions> = {}): FilesInputOptions {
  return { paths, follow: false, fromStart: true, batchSize: 10, pollMs: 5, rescanMs: 20, ...more };
}

async function readAll(opts: FilesInputOptions, commit = true): Promise<SourceBatch[]> {
  const input = createFilesInput(opts);
  const out: SourceBatch[] = [];
  for await (const b of input.batches(new AbortController().signal)) {
    out.push(b);
    if (commit) await b.commit();
  }
  await input.close();
  return out;
}

/** Follow-mode reader in the background: collects and commits batches until stopped. */
function follow(opts: FilesInputOptions) {
  const ac = new AbortController();
  const input = createFilesInput({ ...opts, follow: true });
  const got: SourceBatch[] = [];
  const done = (async () => {
    for await (const b of input.batches(ac.signal)) {
      got.push(b);
      await b.commit();
    }
  })();
  return {
    got,
    texts: () => got.flatMap((b) => b.lines.map((l) => l.text)),
    async until(pred: () => boolean, ms = 4000) {
      const t0 = Date.now();
      while (!pred()) {
        if (Date.now() - t0 > ms) {
          ac.abort(); // do not leave the follower running: the test fails instead of hanging
          throw new Error(`timed out; got ${JSON.stringify(got.map((b) => b.lines))}`);
        }
        await pause(5);
      }
    },
    async stop() {
      ac.abort();
      await done;
      await input.close();
    },
  };
}

test('crash and restart: committed lines are not read again, uncommitted ones are, each line once by offset', async () => {
  const dir = tmp();
  const log = join(dir, 'a.log');
  const checkpointFile = join(dir, 'checkpoints.json');
  writeFileSync(log, numbered(100));
  const opts = base([log], { checkpointFile });

  // first run: commit 5 batches, read 2 more without committing, then "crash"
  const first = createFilesInput(opts);
  const committed: number[] = [];
  let read = 0;
  for await (const b of first.batches(new AbortController().signal)) {
    read++;
    if (read <= 5) {
      await b.commit();
      committed.push(...b.lines.map((l) => l.offset));
    }
    if (read === 7) break;
  }
  await first.close();
  const state = JSON.parse(readFileSync(checkpointFile, 'utf8'));
  assert.equal(state.files.length, 1);
  assert.equal(state.files[0].path, log);
  assert.equal(state.files[0].offset, 50 * 9);
  assert.match(state.files[0].fp, /^[0-9a-f]{64}$/);

  const reread = (await readAll(opts)).flatMap((b) => b.lines.map((l) => l.offset));
  const all = (await readAll(base([log]))).flatMap((b) => b.lines.map((l) => l.offset));
  assert.equal(all.length, 100);
  assert.deepEqual([...committed, ...reread], all);
  // a third run finds nothing new
  assert.deepEqual(await readAll(opts), []);
});

test('a different file at the checkpointed path is read from 0 (fingerprint mismatch)', async () => {
  const dir = tmp();
  const log = join(dir, 'a.log');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(log, numbered(20));
  await readAll(base([log], { checkpointFile }));
  writeFileSync(log, numbered(30, 'other')); // same path (same inode, even), other content
  const again = (await readAll(base([log], { checkpointFile }))).flatMap((b) => b.lines);
  assert.equal(again.length, 30);
  assert.equal(again[0]!.offset, 0);
});

test('fromStart false: without a checkpoint only appended lines are read; with one, it wins', async () => {
  const dir = tmp();
  const log = join(dir, 'a.log');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(log, 'old1\nold2\n');
  const t = follow(base([log], { fromStart: false, checkpointFile }));
  // the reader opens the file at some point after start: append probes until one is read
  let probes = 0;
  while (t.texts().length === 0 && probes < 300) {
    appendFileSync(log, `probe${probes++}\n`);
    await pause(10);
  }
  await t.until(() => t.texts().includes(`probe${probes - 1}`));
  await t.stop();
  const seen = t.texts();
  assert.ok(seen.length > 0);
  assert.ok(!seen.includes('old1') && !seen.includes('old2'), 'lines present at start are not read');
  const first = Number(seen[0]!.slice('probe'.length));
  assert.deepEqual(
    seen,
    seen.map((_, i) => `probe${first + i}`),
  );
  appendFileSync(log, 'new2\n');
  const after = await readAll(base([log], { fromStart: false, checkpointFile }));
  assert.deepEqual(
    after.flatMap((b) => b.lines.map((l) => l.text)),
    ['new2'],
  );
});

test('globs: rotation by rename with log.1 matching the glob is not read twice; new files are picked up', async () => {
  const dir = tmp();
  const log = join(dir, 'access.log');
  writeFileSync(log, numbered(5, 'a'));
  const t = follow(base([join(dir, '*.log*')], { rotateGraceMs: 40 }));
  await t.until(() => t.texts().length === 5);
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, 'a-late\n');
  writeFileSync(log, numbered(3, 'b'));
  writeFileSync(join(dir, 'other.log'), 'o1\n');
  await t.until(() => t.texts().length === 10);
  await pause(100); // several re-scans: access.log.1 must stay ignored
  await t.stop();
  const texts = t.texts();
  assert.equal(new Set(texts).size, texts.length, 'no duplicates');
  assert.equal(texts.length, 10);
  const bySource = (s: string) =>
    t.got.filter((b) => b.source === s).flatMap((b) => b.lines.map((l) => l.text));
  assert.deepEqual(bySource(log), [
    ...numbered(5, 'a').trim().split('\n'),
    'a-late',
    ...numbered(3, 'b').trim().split('\n'),
  ]);
  assert.deepEqual(bySource(join(dir, 'other.log')), ['o1']);
  assert.deepEqual(bySource(`${log}.1`), []);
});

test('rotated while stopped: the renamed file resumes from its checkpoint under its new name', async () => {
  const dir = tmp();
  const log = join(dir, 'access.log');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(log, numbered(20, 'a'));
  await readAll(base([join(dir, 'access.log*')], { checkpointFile }));
  appendFileSync(log, 'a-after\n');
  renameSync(log, `${log}.1`);
  writeFileSync(log, 'b1\n');
  const got = await readAll(base([join(dir, 'access.log*')], { checkpointFile }));
  const lines = got.flatMap((b) => b.lines.map((l) => [b.source, l.offset, l.text])).sort();
  assert.deepEqual(lines, [
    [log, 0, 'b1'],
    [`${log}.1`, 20 * 6, 'a-after'],
  ]);
});

test('gzip files present at start are backfilled and checkpointed', async () => {
  const dir = tmp();
  const gz = join(dir, 'old.log.gz');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(gz, gzipSync(numbered(25)));
  const first = await readAll(base([join(dir, '*.gz')], { checkpointFile }));
  assert.equal(first.flatMap((b) => b.lines).length, 25);
  assert.deepEqual(await readAll(base([join(dir, '*.gz')], { checkpointFile })), []);
});

test('a missing literal path without follow is an error', async () => {
  const dir = tmp();
  await assert.rejects(readAll(base([join(dir, 'nope.log')])), { code: 'LW_ERR_INPUT_NOT_FOUND' });
});

test('a corrupt checkpoint file is refused, not silently reset', async () => {
  const dir = tmp();
  const log = join(dir, 'a.log');
  writeFileSync(log, 'x\n');
  writeFileSync(join(dir, 'cp.json'), '{not json');
  await assert.rejects(readAll(base([log], { checkpointFile: join(dir, 'cp.json') })), {
    code: 'LW_ERR_CHECKPOINT_INVALID',
  });
});

test('a .gz that ends early: its whole lines are read, the damage is reported, the other inputs go on', async () => {
  const dir = tmp();
  const gz = gzipSync(Buffer.from(numbered(3000, 'zipped')));
  writeFileSync(join(dir, 'cut.log.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  writeFileSync(join(dir, 'plain.log'), numbered(25, 'plain'));
  const damaged: { path: string; code: string; offset: unknown }[] = [];
  const batches = await readAll(
    base([join(dir, '*')], {
      onDamaged: (path, err) =>
        damaged.push({
          path,
          code: (err as unknown as { code: string }).code,
          offset: (err as { details?: { offset?: number } }).details?.offset,
        }),
    }),
  );
  const lines = batches.flatMap((b) => b.lines.map((l) => l.text));
  assert.equal(lines.filter((l) => l.startsWith('plain')).length, 25);
  const zipped = lines.filter((l) => l.startsWith('zipped'));
  assert.ok(zipped.length > 100 && zipped.length < 3000, `${zipped.length} whole lines before the damage`);
  assert.deepEqual(
    zipped,
    zipped.map((_, i) => `zipped-${String(i).padStart(3, '0')}`),
  );
  assert.equal(damaged.length, 1);
  assert.equal(damaged[0]!.path, join(dir, 'cut.log.gz'));
  assert.equal(damaged[0]!.code, 'LW_ERR_INPUT_DAMAGED');
  assert.equal(
    damaged[0]!.offset,
    zipped.reduce((n, l) => n + l.length + 1, 0),
  );
});
