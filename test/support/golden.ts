// Golden cases for rules: rules/testdata/<rule-id>/<case>.json = events (+ baselines) in → alerts out.
// Events are partial AccessEvents (ts as ISO text); the harness fills the other fields. `expect`
// holds, per alert_id, every emission (event index + observed) and the last emitted Alert.
// `baselines` gives a fixed BaselineStore (by entity key `ip:1.2.3.4`); `learn: true` uses the
// in-memory store that learns from the events instead.
// UPDATE_GOLDEN=1 rewrites `expect` from the current code (review the diff before committing).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import type { Alert } from '#shared/avro/generated/alert.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { entityKey } from '#shared/principal.js';
import { MemoryBaselineStore } from '../../services/detector/baselines/memory-store.js';
import { createEngine } from '../../services/detector/engine/engine.js';
import type { AnyRule, Baseline, BaselineStore } from '../../services/detector/rules/types.js';

export interface GoldenEvent extends Partial<Omit<AccessEvent, 'ts'>> {
  ts: string;
}

export interface Expected {
  alert_id: string;
  emissions: Array<{ at: number; observed: number }>;
  last: Alert;
}

export interface GoldenCase {
  description: string;
  config?: Record<string, unknown>;
  windowMs?: number;
  baselines?: Record<string, Baseline>;
  learn?: boolean;
  events: GoldenEvent[];
  expect: Expected[];
}

export function toEvent(g: GoldenEvent, i: number): AccessEvent {
  return accessEventWith({
    event_id: `ev-${String(i).padStart(4, '0')}`,
    source: 'golden',
    tenant: 'clinic-a',
    bytes_out: 100,
    ...g,
    ts: Date.parse(g.ts),
  });
}

function storeFor(c: GoldenCase): BaselineStore | undefined {
  if (c.learn) return new MemoryBaselineStore();
  const fixed = c.baselines;
  if (fixed === undefined) return undefined;
  return { get: (entity) => fixed[entityKey(entity)] };
}

export function runCase(rule: AnyRule, c: GoldenCase): Expected[] {
  const engine = createEngine({
    rules: [rule],
    config: c.config ? { [rule.id]: c.config } : undefined,
    windowMs: c.windowMs,
    baselines: storeFor(c),
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

/** Registers one test per golden case of the rule, plus one that there are firing and quiet cases. */
export function goldenSuite(rule: AnyRule, minQuiet = 1): void {
  const dir = join(PACKAGE_ROOT, 'services', 'detector', 'rules', 'testdata', rule.id);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as GoldenCase;

  test(`${rule.id}: golden cases exist, firing and quiet`, () => {
    const quiet = files.filter((f) => load(f).expect.length === 0);
    assert.ok(quiet.length >= minQuiet, `quiet cases: ${quiet.join(', ')}`);
    assert.ok(files.length > quiet.length, 'at least one case fires');
  });

  for (const f of files) {
    test(`${rule.id}: golden ${f}`, () => {
      const c = load(f);
      const got = runCase(rule, c);
      if (process.env['UPDATE_GOLDEN'] === '1') {
        writeFileSync(join(dir, f), formatCase({ ...c, expect: got }));
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
}
