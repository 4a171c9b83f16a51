import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { compileNormalizeOptions, createPipeline, createRedactor, formatById } from '../collector/index.js';
import { APP_HOST, simulateDb } from './db-log.js';

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
