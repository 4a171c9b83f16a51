import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { compileNormalizeOptions, createPipeline, createRedactor, formatById } from '../collector/index.js';
import { APP_HOST, simulateDb } from './db-log.js';
import { parseLabels } from './labels.js';
import { DB_NIGHTLY_USER } from './scenarios/db-nightly.js';

/** The lines through the collector's pipeline for `format`: events, rejected lines, skipped lines. */
function parse(
  format: string,
  lines: readonly string[],
): { evs: AccessEvent[]; rejected: string[]; skipped: number } {
  const p = createPipeline({
    format: formatById(format),
    source: 'sim',
    tenant: 'default',
    redactor: createRedactor(Buffer.alloc(32, 5)),
    normalize: compileNormalizeOptions(),
  });
  const evs: AccessEvent[] = [];
  const rejected: string[] = [];
  let skipped = 0;
  let offset = 0;
  const take = (outs: ReturnType<typeof p.end>) => {
    for (const o of outs) {
      if (o.kind === 'event') evs.push(o.event);
      else if (o.kind === 'rejected') rejected.push(o.text);
      else skipped++;
    }
  };
  for (const text of lines) {
    take(p.push({ offset, text }));
    offset += text.length + 1;
  }
  take(p.end());
  return { evs, rejected, skipped };
}

test('the simulated general log parses; attacks are id routes on tables outside the map', () => {
  const sim = simulateDb({ seed: 3, hours: 8 });
  assert.deepEqual(sim.scenarios.map((s) => s.class).sort(), [
    'distinct-resource-burst',
    'sequential-enumeration',
  ]);
  assert.equal(sim.header.total_lines, sim.lines.length);
  assert.equal(sim.header.background_lines + sim.attackLines, sim.lines.length);
  const p = createPipeline({
    format: formatById('mysql-general'),
    source: 'sim',
    tenant: 'default',
    redactor: createRedactor(Buffer.alloc(32, 5)),
    normalize: compileNormalizeOptions(),
  });
  const evs: AccessEvent[] = [];
  let offset = 0;
  for (const text of sim.lines) {
    for (const o of p.push({ offset, text })) {
      assert.notEqual(o.kind, 'rejected', text);
      if (o.kind === 'event') evs.push(o.event);
    }
    offset += text.length + 1;
  }
  for (const o of p.end()) if (o.kind === 'event') evs.push(o.event);
  assert.equal(evs.length, sim.lines.length);
  const attackers = new Set(sim.scenarios.map((s) => s.entities[0]?.raw));
  const kinds = new Set(evs.filter((e) => attackers.has(e.client_ip ?? '')).map((e) => e.resource_kind));
  assert.deepEqual([...kinds].map(String).sort(), ['clinic_referral', 'gf_entry_note', 'null']); // null: CONNECT, QUIT
  assert.ok(evs.some((e) => e.client_ip === APP_HOST && e.resource_kind === 'post'));
});

test('the general log is byte-identical to what it was before the slow family (seed 3, 8 h)', () => {
  const sim = simulateDb({ seed: 3, hours: 8 });
  assert.equal(sim.lines.length, 1372);
  assert.equal(
    createHash('sha256').update(sim.lines.join('\n')).digest('hex'),
    'e6ce74e6433da99bb95d7f6d2fb8f5236efb5a1eee3bea856dfd90c7d6da1e0c',
  );
});

test('the simulated slow log parses: one record per statement, with the rows it was written with', () => {
  const general = simulateDb({ seed: 3, hours: 8 });
  const sim = simulateDb({ seed: 3, hours: 8 }, 'mysql-slow.log', 'slow');
  assert.equal(sim.header.log_format, 'mysql-slow');
  assert.equal(sim.header.total_lines, sim.lines.length);
  assert.equal(sim.header.background_lines + sim.attackLines, sim.lines.length);
  assert.deepEqual(
    sim.scenarios.map((s) => s.scenario),
    [...general.scenarios.map((s) => s.scenario), 'egress/dump/mysql'], // no nightly job in 8 hours
  );
  assert.equal(
    sim.scenarios.reduce((n, s) => n + s.lines, 0),
    sim.attackLines,
  );
  // the same leaks, from the same hosts, in both renderings
  assert.deepEqual(
    sim.scenarios.slice(0, 2),
    general.scenarios.map((s, i) => ({ ...s, lines: sim.scenarios[i]?.lines as number })),
  );
  const r = parse('mysql-slow', sim.lines);
  assert.deepEqual(r.rejected, []);
  assert.equal(r.skipped, 3); // the server banner
  assert.equal(r.evs.length, sim.lines.filter((l) => l.startsWith('# Time: ')).length);
  // in the order the server wrote them (when each statement ended): start times within a second of order
  assert.ok(r.evs.every((e, i) => i === 0 || e.ts >= (r.evs[i - 1] as AccessEvent).ts - 1000));
  const dump = sim.scenarios.find((s) => s.scenario === 'egress/dump/mysql');
  const host = dump?.entities[0]?.raw;
  const rows = r.evs.filter((e) => e.client_ip === host).reduce((n, e) => n + (e.rows_out ?? 0), 0);
  assert.ok(rows >= 200_000, `dump rows ${rows}`);
  assert.match(dump?.description ?? '', new RegExp(`\\(${rows} rows`));
  const app = r.evs.filter((e) => e.client_ip === APP_HOST);
  assert.ok(app.length > 0 && app.every((e) => e.rows_out === 1 || e.rows_out === 318));
});

test('the nightly export: 8 nights at 03:00 (the last one 3x, labelled), left out of a shorter simulation', () => {
  const sim = simulateDb({ seed: 1, hours: 192, classes: ['egress'] }, 'mysql-slow.log', 'slow');
  const label = sim.scenarios.find((s) => s.scenario === 'egress/nightly/mysql');
  assert.ok(label);
  const r = parse('mysql-slow', sim.lines);
  const host = label.entities[0]?.raw;
  const byNight = new Map<string, number>();
  for (const e of r.evs.filter((x) => x.client_ip === host)) {
    const day = new Date(e.ts).toISOString().slice(0, 13);
    byNight.set(day, (byNight.get(day) ?? 0) + (e.rows_out ?? 0));
  }
  const nights = [...byNight.entries()];
  assert.equal(nights.length, 8);
  assert.ok(nights.every(([h]) => h.endsWith('T03')));
  const usual = nights.slice(0, 7).map(([, n]) => n);
  assert.ok(Math.max(...usual) / Math.min(...usual) < 1.05, `stable: ${usual}`);
  assert.ok(Math.min(...usual) > 200_000); // above the absolute limit: nights 1-2 alert (nothing learnt)
  const last = nights[7]?.[1] as number;
  assert.ok(last > 2.8 * Math.max(...usual) && last < 3.2 * Math.min(...usual));
  assert.ok(
    label.start_ts >= Date.parse('2025-11-10T03:00:00Z') && label.end_ts < Date.parse('2025-11-10T03:10:00Z'),
  );
  assert.equal(label.lines, 4 * 5);
  assert.ok(sim.lines.some((l) => l.includes(`${DB_NIGHTLY_USER}[${DB_NIGHTLY_USER}]`)));
  const seven = simulateDb({ seed: 1, hours: 168, classes: ['egress'] }, 'mysql-slow.log', 'slow');
  assert.deepEqual(
    seven.scenarios.map((s) => s.scenario),
    ['egress/dump/mysql'],
  );
});

test('simulate --family mysql-slow --hours 192 then scan: the job alerts on nights 1, 2 and the 3x night only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-dbnight-'));
  try {
    const cli = join(PACKAGE_ROOT, 'bin', 'leakwatch.js');
    const run = (args: string[]) =>
      execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    run(['simulate', '--family', 'mysql-slow', '--hours', '192', '--classes', 'egress', '--out', dir]);
    const log = join(dir, 'mysql-slow.log');
    const alerts = run(['scan', log, '--format', 'mysql-slow', '--dev', '--no-progress'])
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { rule: string; entity: { value: string }; first_seen: number });
    const labels = parseLabels(readFileSync(join(dir, 'mysql-slow.labels.ndjson'), 'utf8'));
    const job = labels.scenarios.find((s) => s.scenario === 'egress/nightly/mysql')?.entities[0]?.raw;
    const days = [
      ...new Set(
        alerts
          .filter((a) => a.rule === 'egress' && a.entity.value === job)
          .map((a) => new Date(a.first_seen).toISOString().slice(0, 13)),
      ),
    ].sort();
    assert.deepEqual(days, ['2025-11-03T03', '2025-11-04T03', '2025-11-10T03']);
    const dump = labels.scenarios.find((s) => s.scenario === 'egress/dump/mysql')?.entities[0]?.raw;
    assert.ok(alerts.some((a) => a.rule === 'egress' && a.entity.value === dump));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
