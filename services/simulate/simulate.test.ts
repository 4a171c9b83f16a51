import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { realLogPath } from '../../test/support/real-logs.js';
import { readBackground } from './background.js';
import { formatTimeLocal, renderLine, SIM_LOG_FORMAT } from './format.js';
import { parseLabels } from './labels.js';
import { mulberry32 } from './prng.js';
import { CLASS_IDS } from './scenarios/index.js';
import { DEFAULT_START_MS, simulate, writeSimulation } from './simulate.js';

const Q = '"((?:[^"\\\\]|\\\\.)*)"';
/** SIM_LOG_FORMAT, field by field. */
export const SIM_LINE_RE = new RegExp(
  `^(\\S+) - (\\S+) \\[(\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000)\\] ${Q} (\\d{3}|-) (\\d+) ${Q} ${Q} ${Q} ${Q} ${Q}$`,
);

test('mulberry32 is a fixed sequence per seed', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, mulberry32(43)));
});

test('SIM_LOG_FORMAT is the contract format', () => {
  assert.equal(
    SIM_LOG_FORMAT,
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" "$cookie_PHPSESSID" "$http_x_break_glass"',
  );
  assert.equal(formatTimeLocal(Date.UTC(2025, 10, 3, 14, 5, 9, 999)), '03/Nov/2025:14:05:09 +0000');
  const l = renderLine({
    ts: Date.UTC(2025, 0, 2, 3, 4, 5),
    ip: '203.0.113.9',
    user: null,
    request: 'GET /a?q="x" HTTP/1.1',
    status: 200,
    bytes: 12,
    referer: null,
    ua: 'curl/8.5.0',
    xff: null,
    session: 'abc',
    breakGlass: '1',
  });
  assert.equal(
    l,
    '203.0.113.9 - - [02/Jan/2025:03:04:05 +0000] "GET /a?q=\\"x\\" HTTP/1.1" 200 12 "-" "curl/8.5.0" "-" "abc" "1"',
  );
  assert.match(l, SIM_LINE_RE);
});

test('same seed, same files; another seed, another log', () => {
  const a = simulate({ seed: 7, hours: 12 });
  const b = simulate({ seed: 7, hours: 12 });
  const c = simulate({ seed: 8, hours: 12 });
  const text = (s: typeof a) => s.lines.map(renderLine).join('\n');
  assert.equal(text(a), text(b));
  assert.deepEqual(a.scenarios, b.scenarios);
  assert.deepEqual(a.header, b.header);
  assert.notEqual(text(a), text(c));
});

test('every line has the SIM_LOG_FORMAT shape; lines are in event-time order; labels add up', () => {
  const sim = simulate({ seed: 1 });
  let prev = 0;
  for (const l of sim.lines) {
    assert.match(renderLine(l), SIM_LINE_RE);
    assert.ok(l.ts >= prev, 'sorted by time');
    assert.equal(l.ts % 1000, 0, 'whole seconds');
    prev = l.ts;
  }
  assert.equal(sim.header.total_lines, sim.lines.length);
  assert.equal(sim.header.background_lines, sim.lines.length - sim.attackOf.size);
  assert.ok(sim.header.background_lines > 15_000, `background ${sim.header.background_lines}`);
  assert.equal(
    sim.scenarios.reduce((n, s) => n + s.lines, 0),
    sim.attackOf.size,
  );
  // every class, 2+ variants on 2+ platforms; scenario names unique
  assert.deepEqual([...new Set(sim.scenarios.map((s) => s.class))].sort(), [...CLASS_IDS].sort());
  for (const c of CLASS_IDS) {
    const rows = sim.scenarios.filter((s) => s.class === c);
    assert.ok(rows.length >= 2, c);
    assert.ok(new Set(rows.map((s) => s.platform)).size >= 2, `${c} platforms`);
    for (const r of rows) {
      assert.equal(r.rules[0], c);
      assert.ok(r.start_ts >= sim.header.start_ts! && r.end_ts < sim.header.end_ts! + 3_600_000, r.scenario);
    }
  }
  assert.equal(new Set(sim.scenarios.map((s) => s.scenario)).size, sim.scenarios.length);
  const slowish = sim.scenarios.filter(
    (s) => /slow|spread|distributed/.test(s.intensity) || s.class === 'distributed-enumeration',
  );
  assert.ok(slowish.length >= 8);
  // attack lines are interleaved with background, not appended
  const firstAttack = sim.lines.findIndex((l) => sim.attackOf.has(l));
  assert.ok(firstAttack > 1000);
});

test('--classes keeps a subset of the full simulation', () => {
  const all = simulate({ seed: 3, hours: 10 });
  const some = simulate({ seed: 3, hours: 10, classes: ['phi-in-url', 'egress'] });
  assert.deepEqual(
    some.scenarios,
    all.scenarios.filter((s) => s.class === 'phi-in-url' || s.class === 'egress'),
  );
  assert.throws(() => simulate({ seed: 3, classes: ['nope'] }), /unknown scenario class nope/);
});

test('a short simulation still fits every scenario in its span', () => {
  const sim = simulate({ seed: 5, hours: 2, start: Date.UTC(2025, 5, 1, 9) });
  for (const s of sim.scenarios) {
    assert.ok(s.start_ts >= Date.UTC(2025, 5, 1, 9), s.scenario);
    assert.ok(s.end_ts <= Date.UTC(2025, 5, 1, 11), `${s.scenario} ends ${new Date(s.end_ts).toISOString()}`);
  }
});

test('writeSimulation writes the log and a labels file eval can read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-sim-'));
  try {
    const w = writeSimulation(dir, { seed: 2, hours: 6, classes: ['session-sharing'], tenant: 'acme' });
    const log = readFileSync(w.logPath, 'utf8').trimEnd().split('\n');
    assert.equal(log.length, w.simulation.header.total_lines);
    const labels = parseLabels(readFileSync(w.labelsPath, 'utf8'));
    assert.equal(labels.header.seed, 2);
    assert.equal(labels.header.tenant, 'acme');
    assert.ok(
      labels.header.scan_hint.startsWith(`leakwatch scan ${w.logPath} --format nginx --log-format '`),
    );
    assert.ok(labels.header.scan_hint.endsWith("' --dev"));
    assert.equal(labels.scenarios.length, 3);
    assert.equal(labels.scenarios[0]?.tenant, 'acme');
    assert.equal(w.simulation.header.start_ts, DEFAULT_START_MS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const APACHE = realLogPath('apache-elastic-examples/apache_logs');

test('a real log as background: re-rendered, time order kept, shifted to --start', {
  skip: APACHE === null,
}, () => {
  const path = APACHE as string;
  const start = Date.UTC(2025, 10, 3);
  const bg = readBackground(path, { startMs: start });
  assert.equal(bg.skipped, 0);
  assert.equal(bg.lines.length, 10_000);
  assert.equal(bg.firstTs, start);
  const first = bg.lines[0];
  assert.equal(first?.ip, '83.149.9.216');
  // 17/May/2015:10:05:03; the log's earliest line (a few seconds earlier, logged later) is at start
  assert.ok(first !== undefined && first.ts >= start && first.ts < start + 60_000);
  assert.equal(Math.min(...bg.lines.map((l) => l.ts)), start);
  assert.equal(first?.session, null);
  const sim = simulate({ seed: 1, background: path, start });
  let prev = 0;
  let bgCount = 0;
  for (const l of sim.lines) {
    assert.match(renderLine(l), SIM_LINE_RE);
    assert.ok(l.ts >= prev);
    prev = l.ts;
    if (!sim.attackOf.has(l) && l.request.includes('/presentations/')) bgCount++;
  }
  assert.ok(bgCount > 1000);
  assert.equal(sim.header.background, path);
  // --hours keeps only the first hours of the real log
  const short = readBackground(path, { startMs: start, hours: 1 });
  assert.ok(short.lines.length < 1000 && short.lines.length > 0);
  assert.ok(short.lines.every((l) => l.ts < start + 3_600_000));
});
