// `scan` parses in a second thread (scan-worker.ts): the same alerts, summary and errors as when
// everything runs in one thread (the `worker: false` path, which stdin always takes).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const scanModule = pathToFileURL(join(import.meta.dirname, 'scan.js')).href;

/** runScan in a child process: stdout, and stderr with the timing taken out. */
function scan(files: string[], format: string, worker: boolean) {
  const code = `
    const { runScan } = await import(${JSON.stringify(scanModule)});
    try {
      const s = await runScan(${JSON.stringify(files)}, { format: ${JSON.stringify(format)}, tenant: 'default', dev: true, progress: false, worker: ${worker} });
      process.stderr.write('RESULT ' + JSON.stringify({ ...s, seconds: 0 }) + '\\n');
    } catch (err) {
      process.stderr.write('ERROR ' + err.constructor.name + ' ' + err.code + ' ' + err.message + '\\n');
    }`;
  const script = join(dir, `scan-${worker}.mjs`);
  writeFileSync(script, code);
  const r = spawnSync(process.execPath, [script], {
    encoding: 'utf8',
    env: { ...process.env, LEAKWATCH_SENSITIVE_KINDS: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr.replace(/; [\d.]+ s, \d+ lines\/s/g, '') };
}

const dir = mkdtempSync(join(tmpdir(), 'lw-scan-'));
const t0 = Date.UTC(2026, 10, 20, 9);
const stamp = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/Nov/2026:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
};
// background shop traffic, then one address walking patient records in order (5,000 lines)
const lines: string[] = [];
for (let i = 0; i < 5000; i++) {
  const walk = i > 3000 && i % 3 === 0;
  const ip = walk ? '203.0.113.9' : `198.51.100.${i % 40}`;
  const path = walk ? `/api/patients/${1000 + i}` : `/shop/item-${i % 97}?ref=${i % 13}`;
  lines.push(
    `${ip} - - [${stamp(t0 + i * 1500)}] "GET ${path} HTTP/1.1" ${i % 17 ? 200 : 404} ${500 + (i % 300)} "https://shop.example/" "Mozilla/5.0 (${i % 5})"`,
  );
}
const plain = join(dir, 'access.log');
writeFileSync(plain, `${lines.join('\n')}\n`);
const gz = gzipSync(Buffer.from(`${lines.join('\n')}\n`));
const cut = join(dir, 'cut.log.gz');
writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.7)));
const garbage = join(dir, 'garbage.txt');
writeFileSync(garbage, 'hello\nworld\n');

test('the parsing thread gives the same alerts and summary as one thread (and alerts there are)', () => {
  const a = scan([plain], 'auto', true);
  const b = scan([plain], 'auto', false);
  assert.ok(a.stdout.split('\n').length > 2, a.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.equal(a.stderr, b.stderr);
});

test('a damaged .gz among other files: same alerts, tallies and damage line either way', () => {
  const a = scan([cut, plain], 'nginx', true);
  const b = scan([cut, plain], 'nginx', false);
  assert.match(a.stderr, /LW_ERR_INPUT_DAMAGED|ends early|damaged/);
  assert.equal(a.stdout, b.stdout);
  assert.equal(a.stderr, b.stderr);
});

test('an error in the parsing thread is the same LeakwatchError as in one thread', () => {
  const a = scan([garbage], 'auto', true);
  const b = scan([garbage], 'auto', false);
  assert.match(a.stderr, /ERROR LeakwatchError LW_ERR_CONFIG_INVALID .*cannot tell the log format/);
  assert.equal(a.stderr, b.stderr);
});

// Many addresses each walking patient ids: hundreds of alerts, more than a pipe holds.
const walkers: string[] = [];
for (let i = 0; i < 18_000; i++) {
  const who = i % 300;
  walkers.push(
    `203.0.${113 + (who >> 8)}.${who & 255} - - [${stamp(t0 + i * 100)}] "GET /api/patients/${5000 + Math.floor(i / 300)} HTTP/1.1" 200 900 "-" "curl/8.${who}"`,
  );
}
const walks = join(dir, 'walks.log');
writeFileSync(walks, `${walkers.join('\n')}\n`);

/**
 * `leakwatch CMD … | head -1`: the CLI with a reader that takes the first chunk of stdout and goes
 * away. Resolves with the exit code and stderr, or rejects if the process is still running after 30 s.
 */
function firstLineOnly(
  args: string[],
  stdinFile?: string,
): Promise<{ code: number | null; stderr: string; first: string }> {
  const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'leakwatch.js');
  const stdin = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
  const child = spawn(process.execPath, [bin, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
  if (typeof stdin === 'number') closeSync(stdin);
  const out = child.stdout as Readable;
  let stderr = '';
  let first = '';
  (child.stderr as Readable).setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  out.once('data', (d: Buffer) => {
    first = d.toString('utf8').split('\n')[0] ?? '';
    out.destroy();
  });
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running 30 s after its reader went away; stderr: ${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, stderr, first });
    });
  });
}

for (const worker of [true, false]) {
  test(`scan stops when the reader of its alerts goes away (| head), ${worker ? 'with' : 'without'} the parsing thread`, async () => {
    const r = await firstLineOnly(
      ['scan', '--dev', '--no-progress', '--format', 'nginx', worker ? walks : '-'],
      worker ? undefined : walks,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.first, /^\{"alert_id":/);
    assert.match(r.stderr, /stopped reading: stdout was closed by its reader, after \d+ events judged/);
    assert.doesNotMatch(r.stderr, /Error|at /);
  });
}

test('parse stops when the reader of its events goes away (| head)', async () => {
  const r = await firstLineOnly(['parse', '--dev', '--format', 'nginx', walks]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.first, /^\{"event_id":/);
  assert.match(r.stderr, /stopped reading .*walks\.log: stdout was closed by its reader, after \d+ lines/);
});

test('an empty or over-long --tenant is refused before any input is read', () => {
  const bin = join(import.meta.dirname, '../../../bin/leakwatch.js');
  for (const cmd of ['scan', 'parse']) {
    for (const tenant of ['', 'x'.repeat(201)]) {
      const r = spawnSync(process.execPath, [bin, cmd, '--dev', '--tenant', tenant, plain], {
        encoding: 'utf8',
      });
      assert.notEqual(r.status, 0, `${cmd} --tenant of ${tenant.length} characters`);
      assert.match(r.stderr, /--tenant .* is invalid\. a tenant is 1 to 200 characters/);
      assert.equal(r.stdout, '', 'nothing scanned');
    }
  }
});
