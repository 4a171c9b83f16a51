import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS } from '#shared/config.js';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { loadRouting, route } from './config.js';

const cfg = (over: Partial<typeof DEFAULTS.notifier> = {}) => ({
  notifier: { ...DEFAULTS.notifier, ...over },
});
const env = {
  PD_KEY: 'pd-routing-key-secret-1',
  HOOK_SECRET: 'hook-secret-0123456789abcdef',
  SLACK_URL: 'https://hooks.slack.com/services/T/B/X',
};

const EXAMPLE = `
defaults: {group_wait: 30s, repeat_interval: 4h, rate_per_minute: 20, rate_burst: 5}
receivers:
  - {name: oncall, type: pagerduty, secrets: {routing_key: PD_KEY}}
  - {name: sec, type: webhook, url: "https://hooks.example/lw", secrets: {secret: HOOK_SECRET}}
  - {name: chat, type: slack, secrets: {url: SLACK_URL}, settings: {channel: "#leaks"}}
routes:
  - {receiver: oncall, match: {min_severity: high}, continue: true}
  - {receiver: sec, match: {tenant: [shop-a], labels: {resource_kind: order}}}
  - {receiver: chat}
`;

test('the example routes first match, continue, and matches severity, tenant and labels', () => {
  const r = loadRouting(cfg(), env, EXAMPLE);
  const a = {
    severity: 'critical' as const,
    rule: 'egress',
    tenant: 'shop-a',
    labels: { resource_kind: 'order' },
  };
  assert.deepEqual(
    route(r.routes, a).map((x) => x.receiver),
    ['oncall', 'sec'],
  );
  assert.deepEqual(
    route(r.routes, { ...a, severity: 'low' }).map((x) => x.receiver),
    ['sec'],
  );
  assert.deepEqual(
    route(r.routes, { ...a, tenant: 'b' }).map((x) => x.receiver),
    ['oncall', 'chat'],
  );
  assert.equal(r.routes[0]?.groupWaitMs, 30_000);
  assert.equal(r.receivers[0]?.ratePerMinute, 20);
  assert.equal(r.receivers[2]?.secrets['url'], env.SLACK_URL);
});

test('shorthands add catch-all receivers that continue', () => {
  const r = loadRouting(
    cfg({ alertmanagerUrl: 'http://am:9093', webhookUrl: 'http://sink/x', webhookSecret: 'x'.repeat(16) }),
    {},
  );
  assert.deepEqual(
    r.receivers.map((x) => `${x.name}:${x.type}`),
    ['alertmanager:alertmanager', 'webhook:webhook'],
  );
  assert.deepEqual(
    route(r.routes, { severity: 'info', rule: 'x', tenant: 't', labels: {} }).map((x) => x.receiver),
    ['alertmanager', 'webhook'],
  );
});

// Each invalid routing file is a fixture named by its reason; its first line says what the error must contain.
for (const f of readdirSync(join(PACKAGE_ROOT, 'services/notifier/testdata/invalid'))) {
  test(`invalid routing file: ${f}`, () => {
    const text = readFileSync(join(PACKAGE_ROOT, 'services/notifier/testdata/invalid', f), 'utf8');
    const want = /^# wantErr: (.*)$/m.exec(text)?.[1] as string;
    assert.ok(want, 'fixture has a # wantErr line');
    assert.throws(
      () => loadRouting(cfg(), { PD_KEY: 'pd-routing-key-secret-1' }, text),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'LW_ERR_CONFIG_INVALID');
        assert.ok(err.message.includes(want), `${err.message} should include ${want}`);
        assert.ok(!err.message.includes('pd-routing-key-secret-1'), 'no secret value in the error');
        return true;
      },
    );
  });
}
