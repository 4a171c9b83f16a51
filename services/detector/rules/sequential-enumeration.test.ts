import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { createEngine } from '../engine/engine.js';
import { EntityWindow } from '../engine/window-state.js';
import {
  longestRun,
  SEQUENTIAL_ENUMERATION_DEFAULTS,
  sequentialEnumeration,
} from './sequential-enumeration.js';

// Golden cases: rules/testdata/sequential-enumeration/<case>.json = events in → alerts out.
// Events are partial AccessEvents (ts as ISO text); the test fills the other fields. `expect`
// holds, per alert_id, every emission (event index + observed) and the last emitted Alert.
// UPDATE_GOLDEN=1 rewrites `expect` from the current code (review the diff before committing).

const DIR = join(PACKAGE_ROOT, 'services', 'detector', 'rules', 'testdata', 'sequential-enumeration');

interface GoldenEvent extends Partial<Omit<AccessEvent, 'ts'>> {
  ts: string;
}

interface Expected {
  alert_id: string;
  emissions: Array<{ at: number; observed: number }>;
  last: Alert;
}

interface GoldenCase {
  description: string;
  config?: Record<string, unknown>;
  windowMs?: number;
  events: GoldenEvent[];
  expect: Expected[];
}

function toEvent(g: GoldenEvent, i: number): AccessEvent {
  return accessEventWith({
    event_id: `ev-${String(i).padStart(4, '0')}`,
    source: 'golden',
    tenant: 'clinic-a',
    bytes_out: 100,
    ...g,
    ts: Date.parse(g.ts),
  });
}

function run(c: GoldenCase): Expected[] {
  const engine = createEngine({
    rules: [sequentialEnumeration],
    config: c.config ? { [sequentialEnumeration.id]: c.config } : undefined,
    windowMs: c.windowMs,
  });
  const byId = new Map<string, Expected>();
  c.events.forEach((g, i) => {
    for (const a of engine.process(toEvent(g, i))) {
      let x = byId.get(a.alert_id);
      if (x === undefined) {
        x = { alert_id: a.alert_id, emissions: [], last: a };
        byId.set(a.alert_id, x);
      }
      x.emissions.push({ at: i, observed: a.explanation.observed });
      x.last = a;
    }
  });
  return [...byId.values()];
}

/** Pretty JSON with one event per line, so a fixture reads like a log. */
function formatCase(c: GoldenCase): string {
  const { events, expect, ...head } = c;
  const headText = JSON.stringify(head, null, 2).slice(0, -2);
  const ev = events.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  const ex = JSON.stringify(expect, null, 2).replace(/\n/g, '\n  ');
  return `${headText},\n  "events": [\n${ev}\n  ],\n  "expect": ${ex}\n}\n`;
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('golden cases exist, including quiet ones', () => {
  assert.ok(files.length >= 4);
  const quiet = files.filter(
    (f) => (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as GoldenCase).expect.length === 0,
  );
  assert.ok(quiet.length >= 3, `quiet cases: ${quiet.join(', ')}`);
});

for (const f of files) {
  test(`golden ${f}`, () => {
    const path = join(DIR, f);
    const c = JSON.parse(readFileSync(path, 'utf8')) as GoldenCase;
    const got = run(c);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      writeFileSync(path, formatCase({ ...c, expect: got }));
      return;
    }
    assert.deepEqual(got, c.expect, c.description);
    for (const x of got) {
      // Re-emitted only when observed grows; never more than 10 samples.
      for (let k = 1; k < x.emissions.length; k++) {
        assert.ok(
          (x.emissions[k] as { observed: number }).observed >
            (x.emissions[k - 1] as { observed: number }).observed,
        );
      }
      assert.ok(x.last.explanation.sample_event_ids.length <= 10);
    }
  });
}

test('longestRun: gaps up to maxGap, shuffles do not matter once sorted', () => {
  assert.deepEqual(longestRun([], 0, 3), { from: 0, to: -1, length: 0 });
  assert.deepEqual(longestRun([5], 1, 3), { from: 0, to: 0, length: 1 });
  assert.deepEqual(longestRun([1, 2, 3, 10, 11, 12, 13, 14], 8, 3), { from: 3, to: 7, length: 5 });
  assert.deepEqual(longestRun([1, 4, 7, 10, 15], 5, 3), { from: 0, to: 3, length: 4 });
  assert.deepEqual(longestRun([1, 5, 9], 3, 3), { from: 0, to: 0, length: 1 });
});

test('evaluate on a full view reads every route and picks the longest run', () => {
  const w = new EntityWindow(
    { type: 'client_ip', value: '1.2.3.4' },
    { maxIdsPerRoute: 4096, maxRoutes: 64, idHorizonMs: 6 * 3_600_000 },
    {
      idsDropped: 0,
      routesDropped: 0,
    },
  );
  w.reset(0, 600_000, 't');
  for (let i = 0; i < 25; i++)
    w.add(toEvent({ ts: '1970-01-01T00:00:01Z', route: '/a/{id}', resource_id: String(i) }, i));
  for (let i = 0; i < 30; i++)
    w.add(
      toEvent({ ts: '1970-01-01T00:00:02Z', route: '/b/{id}', resource_id: String(100 + i * 2) }, 100 + i),
    );
  const [f, ...rest] = sequentialEnumeration.evaluate(
    w.fullView(),
    undefined,
    SEQUENTIAL_ENUMERATION_DEFAULTS,
  );
  assert.equal(rest.length, 0);
  assert.equal(f?.observed, 30);
  assert.deepEqual(f?.topResources, ['/b/{id} ids 100..158']);
  assert.equal(f?.title, 'Sequential ID walk on /b/{id} by ip:1.2.3.4 (30 ids)');
});
