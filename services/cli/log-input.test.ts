import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { compileNormalizeOptions, redactorForKey } from '../collector/index.js';
import { checkInputs, isDamagedInput, parseMaxLineBytes } from './input-limits.js';
import { binaryReason, readLogOutcomes } from './log-input.js';

const line = (i: number) =>
  `198.51.100.7 - - [20/Nov/2026:09:00:${String(i % 60).padStart(2, '0')} +0000] "GET /shop/item-${i} HTTP/1.1" 200 512 "-" "curl/8"\n`;

async function outcomesOf(path: string) {
  const normalize = compileNormalizeOptions();
  const events: number[] = [];
  let error: unknown;
  try {
    for await (const batch of readLogOutcomes(path, {
      format: 'nginx',
      tenant: 't',
      redactor: redactorForKey('k'.repeat(32), normalize.redactor),
      normalize,
    })) {
      for (const o of batch) if (o.kind === 'event') events.push(o.event.ts);
    }
  } catch (err) {
    error = err;
  }
  return { events, error };
}

test('a truncated .gz: every whole line before the damage becomes an event, then one error naming the file and offset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-input-'));
  const text = Array.from({ length: 4000 }, (_, i) => line(i)).join('');
  const gz = gzipSync(Buffer.from(text));
  const path = join(dir, 'access.log.gz');
  writeFileSync(path, gz.subarray(0, Math.floor(gz.length * 0.6)));
  const { events, error } = await outcomesOf(path);
  assert.ok(isDamagedInput(error));
  assert.equal((error as unknown as { code: string }).code, 'LW_ERR_INPUT_DAMAGED');
  assert.ok(events.length > 1000 && events.length < 4000, `${events.length} events`);
  const offset = text.split('\n').slice(0, events.length).join('\n').length + 1;
  assert.match(
    (error as Error).message,
    new RegExp(`^${path.replace(/[.]/g, '\\.')}: .* after byte ${offset} of its text`),
  );
});

test('a binary file is named as such and yields nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-input-'));
  const path = join(dir, 'not-a-log');
  writeFileSync(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 10, 0, 0, 65]));
  const { events, error } = await outcomesOf(path);
  assert.equal(events.length, 0);
  assert.equal((error as { code: string }).code, 'LW_ERR_INPUT_BINARY');
  assert.match((error as Error).message, /not-a-log: a binary file, not a text log \(NUL bytes/);
});

test('binaryReason: text passes, NUL or mostly undecodable bytes do not', () => {
  const l = (text: string) => ({ text, offset: 0 });
  assert.equal(binaryReason([l('GET / 200'), l('é ü 中文 emoji 😀')]), null);
  assert.match(binaryReason([l('a\u0000b')]) ?? '', /NUL/);
  assert.match(binaryReason([l('\uFFFD\uFFFD\uFFFDab')]) ?? '', /not UTF-8/);
});

test('an over-long line is rejected line_too_long with its length and offset, counted, and reading goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-input-'));
  const long = line(1).replace('curl/8', 'x'.repeat(5000));
  const text = line(0) + long + line(2) + line(3);
  const path = join(dir, 'access.log');
  writeFileSync(path, text);
  const normalize = compileNormalizeOptions();
  const outcomes = [];
  let tally:
    | { lines: number; parsed: number; rejected: number; rejectReasons: Record<string, number> }
    | undefined;
  for await (const batch of readLogOutcomes(
    path,
    {
      format: 'nginx',
      tenant: 't',
      redactor: redactorForKey('k'.repeat(32), normalize.redactor),
      normalize,
      maxLineBytes: 1024,
    },
    (p) => {
      tally = p.tally;
    },
  ))
    outcomes.push(...batch);
  assert.deepEqual(
    outcomes.map((o) => o.kind),
    ['event', 'rejected', 'event', 'event'],
  );
  const r = outcomes[1];
  assert.ok(r?.kind === 'rejected');
  assert.equal(r.error.code, 'LW_ERR_PARSE_LINE_TOO_LONG');
  assert.equal(r.error.message, 'line longer than 1024 bytes');
  assert.deepEqual(r.error.details, {
    reason: 'line_too_long',
    bytes: long.length - 1,
    offset: line(0).length,
  });
  assert.equal(r.position, String(line(0).length));
  assert.equal(r.text.length, 1024, 'only the first maxLineBytes bytes are kept');
  assert.deepEqual(
    { lines: tally?.lines, parsed: tally?.parsed, rejected: tally?.rejected, reasons: tally?.rejectReasons },
    { lines: 4, parsed: 3, rejected: 1, reasons: { line_too_long: 1 } },
  );
  // the default keeps it: 64 MiB
  const all = [];
  for await (const batch of readLogOutcomes(path, {
    format: 'nginx',
    tenant: 't',
    redactor: redactorForKey('k'.repeat(32), normalize.redactor),
    normalize,
  }))
    all.push(...batch);
  assert.deepEqual(
    all.map((o) => o.kind),
    ['event', 'event', 'event', 'event'],
  );
});

test('--max-line-bytes: whole bytes >= 256, default 64 MiB', () => {
  assert.equal(parseMaxLineBytes(undefined), 64 * 1024 * 1024);
  assert.equal(parseMaxLineBytes('4096'), 4096);
  for (const bad of ['100', '1e6', 'abc', '-5', ''])
    assert.throws(() => parseMaxLineBytes(bad), /max-line-bytes/);
});

test('every input is checked before any is read: missing files and directories named in one error', async () => {
  const d = mkdtempSync(join(tmpdir(), 'lw-inputs-'));
  const ok = join(d, 'ok.log');
  writeFileSync(ok, 'x\n');
  await checkInputs([ok, '-']);
  await assert.rejects(checkInputs([ok, join(d, 'gone.log'), d]), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'LW_ERR_INPUT_UNREADABLE');
    assert.equal(
      err.message,
      `cannot read ${join(d, 'gone.log')} (no such file), ${d} (a directory: give the log files in it, for example ${join(d, '*.log')}); nothing was read`,
    );
    return true;
  });
});
