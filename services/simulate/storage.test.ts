import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessEvent } from '#shared/avro/generated/access-event.js';
import { compileNormalizeOptions, createPipeline, createRedactor, formatById } from '../collector/index.js';
import { createEngine, loadRulesSetup, MemoryBaselineStore } from '../detector/index.js';
import { simulateStorage } from './storage.js';
import { renderStorageLine, STORAGE_FAMILIES, type StorageFamily } from './storage-format.js';

function events(family: StorageFamily, seed = 1, hours = 24): { evs: AccessEvent[]; rejected: number } {
  const sim = simulateStorage({ seed, hours }, family);
  const p = createPipeline({
    format: formatById(family),
    source: 'sim',
    tenant: 'default',
    redactor: createRedactor(Buffer.alloc(32, 3)),
    normalize: compileNormalizeOptions(),
  });
  const evs: AccessEvent[] = [];
  let rejected = 0;
  let offset = 0;
  for (const l of sim.lines) {
    for (const o of p.push({ offset, text: renderStorageLine(l, family) })) {
      if (o.kind === 'event') evs.push(o.event);
      else if (o.kind === 'rejected') rejected++;
    }
    offset += 1000;
  }
  for (const o of p.end()) if (o.kind === 'event') evs.push(o.event);
  return { evs, rejected };
}

test('the same seed gives the same requests in both families, every line parses', () => {
  const s3 = simulateStorage({ seed: 7, hours: 6 }, 's3');
  const ct = simulateStorage({ seed: 7, hours: 6 }, 'cloudtrail');
  assert.equal(s3.lines.length, ct.lines.length);
  assert.deepEqual(
    s3.scenarios.map((s) => [s.class, s.start_ts, s.lines]),
    ct.scenarios.map((s) => [s.class, s.start_ts, s.lines]),
  );
  for (const f of STORAGE_FAMILIES) {
    const { evs, rejected } = events(f, 7, 6);
    assert.equal(rejected, 0, f);
    assert.equal(evs.length, s3.lines.length, f);
  }
});

test('both families read alike: routes, kinds, who asked, status', () => {
  const [a, b] = STORAGE_FAMILIES.map((f) => events(f, 3, 12).evs);
  const view = (e: AccessEvent) => [
    e.route,
    e.resource_kind,
    e.resource_id,
    e.authenticated,
    e.status,
    e.bytes_out,
  ];
  assert.deepEqual((a as AccessEvent[]).map(view), (b as AccessEvent[]).map(view));
  const kinds = new Set((a as AccessEvent[]).map((e) => e.resource_kind));
  for (const k of ['recording', 'export', 'bucket_listing']) assert.ok(kinds.has(k), k);
  const rec = (a as AccessEvent[]).find((e) => e.resource_kind === 'recording' && !e.authenticated);
  assert.ok(rec, 'an anonymous recording read');
  assert.match(rec.route, /^\/clinic-media\/recordings\/\{yyyy\}\/\{mm\}\/\{dd\}\/\{file\}$/);
  assert.match(rec.resource_id ?? '', /^[0-9a-f-]{36}\.mp4$/);
});

test('a private-class bucket read anonymously alerts; the public buckets read anonymously all day do not', () => {
  const { evs } = events('s3', 2, 24);
  const setup = loadRulesSetup();
  const engine = createEngine({ rules: setup.rules, ...setup.engine, baselines: new MemoryBaselineStore() });
  const alerts = evs.flatMap((e) => [...engine.process(e)]);
  const sim = simulateStorage({ seed: 2, hours: 24 }, 's3');
  const generic = sim.scenarios.find((s) => s.intensity === 'private-bucket-generic-objects');
  const ip = generic?.entities[0]?.raw;
  assert.ok(ip !== undefined);
  assert.ok(
    alerts.some((a) => a.entity.value === ip && a.labels['bucket_class'] === 'private'),
    'the anonymous reader of the private media bucket',
  );
  for (const a of alerts) assert.doesNotMatch(a.labels['route'] ?? '', /^\/clinic-(assets|website)\//);
  // the assets bucket has credentialed reads (monitoring) and anonymous ones (browsers) in the log
  const assets = evs.filter((e) => e.attrs['bucket'] === 'clinic-assets' && e.http_method === 'GET');
  assert.ok(assets.some((e) => e.authenticated) && assets.some((e) => !e.authenticated));
});

test('the nightly backup copy is a scenario of 8-night simulations only, labelled for egress on its role', () => {
  assert.equal(
    simulateStorage({ seed: 1, hours: 24 }, 's3').scenarios.some((s) => s.intensity === 'nightly'),
    false,
  );
  const sim = simulateStorage({ seed: 1, hours: 192 }, 's3');
  const nightly = sim.scenarios.find((s) => s.intensity === 'nightly');
  assert.ok(nightly);
  assert.deepEqual(nightly.rules, ['egress']);
  assert.match(nightly.entities[0]?.raw ?? '', /assumed-role\/backup-copy\//);
  // the last night's 02:00 copy is the attack; the seven nights before it are in the log as background
  assert.equal(new Date(nightly.start_ts).getUTCHours(), 2);
  const copies = sim.lines.filter((l) => l.key?.startsWith('backups/'));
  assert.equal(copies.length, 8 * 6);
  const night = (d: number) => copies.slice(d * 6, d * 6 + 6).reduce((a, l) => a + l.bytes, 0);
  assert.ok(night(7) > 2.8 * night(6));
});
