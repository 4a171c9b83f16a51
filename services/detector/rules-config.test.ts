import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import { ConfigInvalid } from '#shared/errors.js';
import { createEngine } from './engine/engine.js';
import { defaultRulesYaml, loadRulesSetup, rulesSetupFrom } from './rules-config.js';

test('defaults: every rule, crawler allow-list on public pages', () => {
  const s = loadRulesSetup();
  assert.equal(s.rules.length, 10);
  const allow = s.engine.allow?.['*'];
  assert.ok(allow);
  const bot = {
    event_id: 'e',
    ts: 0,
    user_agent: 'Mozilla/5.0 (compatible; Googlebot/2.1)',
    route: '/blog/{id}',
    resource_kind: 'post',
  };
  assert.equal(allow(accessEventWith(bot)), true);
  assert.equal(
    allow(accessEventWith({ ...bot, route: '/wp-json/wc/v3/orders/{id}', resource_kind: 'order' })),
    false,
  );
  assert.equal(allow(accessEventWith({ ...bot, user_agent: 'curl/8' })), false);
});

test('the defaults YAML round-trips and builds an engine', () => {
  const s = rulesSetupFrom(parse(defaultRulesYaml()));
  assert.equal(s.rules.length, 10);
  createEngine({ rules: s.rules, ...s.engine });
});

test('overrides, disabling, per-rule allow-lists and the memory budget', () => {
  const s = rulesSetupFrom({
    engine: { memoryBudgetMb: 64, windowMs: 300000 },
    rules: {
      'sequential-enumeration': {
        minRun: 10,
        severity: 'critical',
        allow: [{ principals: ['ip:10.0.0.*'] }],
      },
      'session-sharing': { enabled: false },
    },
  });
  assert.equal(s.rules.length, 9);
  assert.ok(!s.rules.some((r) => r.id === 'session-sharing'));
  assert.deepEqual(s.engine.config?.['sequential-enumeration'], { minRun: 10, severity: 'critical' });
  assert.equal(s.engine.windowMs, 300000);
  assert.equal(s.engine.maxEntities, 32768);
  const allow = s.engine.allow?.['sequential-enumeration'];
  assert.equal(allow?.(accessEventWith({ event_id: 'e', ts: 0, client_ip: '10.0.0.7' })), true);
  assert.equal(allow?.(accessEventWith({ event_id: 'e', ts: 0, client_ip: '10.0.1.7' })), false);
});

test('a bad file is refused with every problem listed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-rules-'));
  const path = join(dir, 'rules.yaml');
  writeFileSync(
    path,
    [
      'engine: { windowMs: -5, speed: 3 }',
      'alow: []',
      'allow: [{ userAgents: [1] }]',
      'rules:',
      '  sequential-enumeration: { minRun: "20", typo: 1, severity: urgent }',
      '  nope: {}',
      '  egress: { enabled: maybe }',
    ].join('\n'),
  );
  assert.throws(
    () => loadRulesSetup(path),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, ConfigInvalid.code);
      for (const p of [
        'engine.windowMs',
        'engine: unknown setting speed',
        'unknown top-level key alow',
        'allow[0].userAgents',
        'rules.sequential-enumeration.minRun: must be a number',
        'rules.sequential-enumeration.typo: unknown setting',
        'rules.sequential-enumeration.severity: must be one of',
        'rules.nope: unknown rule',
        'rules.egress.enabled',
      ])
        assert.ok(err.message.includes(p), `missing "${p}" in:\n${err.message}`);
      assert.match(err.message, /9 problem/);
      return true;
    },
  );
  writeFileSync(path, 'rules: [unclosed');
  assert.throws(() => loadRulesSetup(path), /not valid YAML/);
  assert.throws(() => loadRulesSetup(join(dir, 'missing.yaml')), /cannot read rules file/);
});

test('crawlers stay allowed on every id route that is not sensitive, kinds derived or not; LEAKWATCH_SENSITIVE_KINDS adds kinds', () => {
  const bot = {
    event_id: 'e',
    ts: 0,
    user_agent: 'Mozilla/5.0 (compatible; Googlebot/2.1)',
    route: '/doctors/{id}/',
    resource_kind: 'doctor',
  };
  const allow = loadRulesSetup().engine.allow?.['*'];
  assert.equal(allow?.(accessEventWith(bot)), true); // a derived kind, not sensitive
  for (const kind of [
    'booking',
    'form_entry',
    'lab_result',
    'prescription',
    'invoice',
    'subscription',
    'recording',
  ])
    assert.equal(allow?.(accessEventWith({ ...bot, resource_kind: kind })), false, kind);
  const extra = loadRulesSetup(undefined, ['doctor']);
  assert.equal(extra.engine.allow?.['*']?.(accessEventWith(bot)), false);
  const us = extra.engine.config?.['unauthenticated-sensitive'] as { apiKinds: string[] };
  assert.ok(us.apiKinds.includes('doctor') && us.apiKinds.includes('booking'));
  // a rules file's own apiKinds are kept, the extra kinds added
  const own = rulesSetupFrom(
    { rules: { 'unauthenticated-sensitive': { apiKinds: ['order'] } } },
    'rules file',
    ['dental_chart'],
  );
  const ownUs = own.engine.config?.['unauthenticated-sensitive'] as { apiKinds: string[] } | undefined;
  assert.deepEqual(ownUs?.apiKinds, ['order', 'dental_chart']);
});
