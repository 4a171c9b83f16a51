// File generations: offsets repeat after a rotation or a copytruncate, (generation, offset) must not,
// and a restart must give the same line the same generation (hence the same event_id).
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventId } from '#shared/event-id.js';
import { createFilesInput, type FilesInputOptions } from './files-input.js';
import type { SourceBatch } from './types.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = () => mkdtempSync(join(tmpdir(), 'lw-gen-'));
const lines = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}\n`).join('');

interface Seen {
  text: string;
  offset: number;
  generation: string;
}

const seen = (batches: SourceBatch[]): Seen[] =>
  batches.flatMap((b) =>
    b.lines.map((l) => ({ text: l.text, offset: l.offset, generation: b.generation ?? '(none)' })),
  );
const ids = (s: Seen[]) => s.map((x) => eventId(x.generation, String(x.offset)));

function opts(paths: string[], more: Partial<FilesInputOptions> = {}): FilesInputOptions {
  return {
    paths,
    follow: true,
    fromStart: true,
    batchSize: 4,
    pollMs: 5,
    rescanMs: 20,
    rotateGraceMs: 40,
    ...more,
  };
}

/** Reads in the background, committing the first `maxCommits` batches, or until told to stop committing. */
function reader(o: FilesInputOptions, maxCommits = Number.POSITIVE_INFINITY) {
  const ac = new AbortController();
  const input = createFilesInput(o);
  const got: SourceBatch[] = [];
  let committing = true;
  const done = (async () => {
    for await (const b of input.batches(ac.signal)) {
      got.push(b);
      if (committing && got.length <= maxCommits) await b.commit();
    }
  })();
  return {
    got,
    seen: () => seen(got),
    stopCommitting() {
      committing = false;
    },
    async until(pred: () => boolean, ms = 5000) {
      const t0 = Date.now();
      while (!pred()) {
        if (Date.now() - t0 > ms) {
          ac.abort(); // fail rather than leave a reader running
          await done.catch(() => {});
          throw new Error(`timed out; saw ${JSON.stringify(seen(got).map((s) => s.text))}`);
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

function assertUniqueIds(s: Seen[]): void {
  assert.equal(new Set(ids(s)).size, s.length, 'every line has its own event id');
}

test('rotation by rename: the new file repeats offsets but not (generation, offset)', async () => {
  const dir = tmp();
  const log = join(dir, 'access.log');
  writeFileSync(log, lines('a', 6));
  const r = reader(opts([log], { checkpointFile: join(dir, 'cp.json') }));
  await r.until(() => r.seen().length === 6);
  renameSync(log, `${log}.1`);
  writeFileSync(log, lines('b', 6));
  await r.until(() => r.seen().length === 12);
  await r.stop();
  const s = r.seen();
  assert.deepEqual(
    s.map((x) => x.text),
    [...lines('a', 6).trim().split('\n'), ...lines('b', 6).trim().split('\n')],
  );
  const gens = [...new Set(s.map((x) => x.generation))];
  assert.equal(gens.length, 2, 'one generation per file');
  assert.equal(s[0]!.offset, s[6]!.offset, 'offsets restart at 0 in the new file');
  assertUniqueIds(s);
  // the generation names the path the file was first read under
  for (const g of gens) assert.ok(g.startsWith(`${log}\n`));
});

test('copytruncate: each truncation starts a new generation, kept in the checkpoint', async () => {
  const dir = tmp();
  const log = join(dir, 'app.log');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(log, lines('x', 5));
  const r = reader(opts([log], { checkpointFile }));
  await r.until(() => r.seen().length === 5);
  truncateSync(log, 0);
  await pause(30);
  appendFileSync(log, lines('y', 5));
  await r.until(() => r.seen().length === 10);
  truncateSync(log, 0);
  await pause(30);
  appendFileSync(log, lines('z', 3));
  await r.until(() => r.seen().length === 13);
  await r.stop();
  const s = r.seen();
  const gens = [...new Set(s.map((x) => x.generation))];
  assert.equal(gens.length, 3);
  assert.deepEqual(
    gens.map((g) => g.split(':').pop()),
    ['0', '1', '2'],
    'resets counted on the same inode',
  );
  assertUniqueIds(s);
  const state = JSON.parse(readFileSync(checkpointFile, 'utf8')) as {
    files: Array<{ generation: string; resets: number }>;
  };
  assert.equal(state.files.length, 1);
  assert.equal(state.files[0]!.resets, 2);
  assert.equal(state.files[0]!.generation, gens[2]);
});

test('restart: lines read again get the same generation as before (same ids), in every generation', async () => {
  const dir = tmp();
  const log = join(dir, 'access.log');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(log, lines('p', 6));
  const o = opts([log], { checkpointFile });

  // run 1: first generation read and committed; truncate; the new generation read, half committed
  const r1 = reader(o);
  await r1.until(() => r1.seen().length === 6);
  truncateSync(log, 0);
  await pause(30);
  appendFileSync(log, lines('q', 4));
  await r1.until(() => r1.seen().length === 10);
  r1.stopCommitting();
  appendFileSync(log, lines('q2', 4));
  await r1.until(() => r1.seen().length === 14);
  await r1.stop(); // "crash": q2-* were read (maybe published) but not committed

  // run 2: resumes in the truncated generation, re-reads q2-* with the ids run 1 gave them
  const r2 = reader(o);
  await r2.until(() => r2.seen().length === 4);
  await r2.stop();
  const before = new Map(r1.seen().map((x, i) => [x.text, ids(r1.seen())[i]]));
  const again = r2.seen();
  assert.deepEqual(
    again.map((x) => x.text),
    lines('q2', 4).trim().split('\n'),
  );
  ids(again).forEach((id, i) => {
    assert.equal(id, before.get(again[i]!.text), again[i]!.text);
  });
});

test('truncated while down: a new generation, read from 0 even without fromStart', async () => {
  const dir = tmp();
  const log = join(dir, 'access.log');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(log, lines('old', 5));
  const o = opts([log], { checkpointFile, fromStart: false });
  const r1 = reader({ ...o, fromStart: true });
  await r1.until(() => r1.seen().length === 5);
  await r1.stop();

  writeFileSync(log, lines('new', 3)); // same inode, other content (also what a recycled inode looks like)
  const r2 = reader(o);
  await r2.until(() => r2.seen().length === 3);
  await r2.stop();
  const s2 = r2.seen();
  assert.deepEqual(
    s2.map((x) => x.text),
    lines('new', 3).trim().split('\n'),
  );
  assert.notEqual(s2[0]!.generation, r1.seen()[0]!.generation);
  assertUniqueIds([...r1.seen(), ...s2]);
});

test('rotated while down: the old file keeps its ids under its new name; the new file is read from 0', async () => {
  const dir = tmp();
  const log = join(dir, 'access.log');
  const checkpointFile = join(dir, 'cp.json');
  writeFileSync(log, lines('a', 8));
  const o = opts([join(dir, 'access.log*')], { checkpointFile, fromStart: false });

  const r1 = reader({ ...o, fromStart: true }, 1);
  await r1.until(() => r1.seen().length === 8);
  await r1.stop();
  const committedUpTo = 4; // the first batch (batchSize 4) was committed

  renameSync(log, `${log}.1`);
  writeFileSync(log, lines('b', 3));
  const r2 = reader(o);
  await r2.until(() => r2.seen().length === 8 - committedUpTo + 3);
  await r2.stop();

  const first = new Map(r1.seen().map((x, i) => [x.text, ids(r1.seen())[i]]));
  const s2 = r2.seen();
  const again = s2.filter((x) => x.text.startsWith('a-'));
  assert.equal(again.length, 8 - committedUpTo);
  ids(again).forEach((id, i) => {
    assert.equal(id, first.get(again[i]!.text));
  });
  const fresh = s2.filter((x) => x.text.startsWith('b-'));
  assert.deepEqual(
    fresh.map((x) => x.text),
    lines('b', 3).trim().split('\n'),
  );
  assertUniqueIds([...r1.seen(), ...fresh]);
});
