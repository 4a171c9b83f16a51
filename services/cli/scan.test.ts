// `scan` parses in a second thread (scan-worker.ts): the same alerts, summary and errors as when
// everything runs in one thread (the `worker: false` path, which stdin always takes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
