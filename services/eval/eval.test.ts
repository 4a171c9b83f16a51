import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { createRedactor } from '../collector/index.js';
import {
  type Labels,
  LabelsInvalid,
  parseLabels,
  type ScenarioLabel,
  serializeLabels,
} from '../simulate/labels.js';
import {
  AlertsInvalid,
  DEV_REDACTION_KEY,
  entityValue,
  evaluate,
  median,
  parseAlerts,
  redactorFor,
  renderMarkdown,
} from './eval.js';

const T0 = Date.UTC(2025, 10, 3, 12);
const MIN = 60_000;
const CK = `ck_${'ab'.repeat(20)}`;
const SESS = 'k2j4h5g6f7d8s9a0q1w2e3r4t5';

function scenario(
  p: Partial<ScenarioLabel> & Pick<ScenarioLabel, 'scenario' | 'class' | 'entities'>,
): ScenarioLabel {
  return {
    intensity: 'fast',
    platform: 'woocommerce',
    rules: [p.class],
    start_ts: T0,
    end_ts: T0 + 5 * MIN,
    lines: 10,
    description: '',
    ...p,
  };
}

const LABELS: Labels = {
  header: {
    kind: 'header',
    log_format: 'x',
    background_lines: 20_000,
    total_lines: 20_500,
    seed: 1,
    scan_hint: 'leakwatch scan sim.log',
  },
  scenarios: [
    scenario({
      scenario: 'sequential-enumeration/fast/woo',
      class: 'sequential-enumeration',
      entities: [
        { type: 'api_key', raw: CK },
        { type: 'route', raw: '/wp-json/wc/v3/orders/{id}' },
      ],
    }),
    scenario({
      scenario: 'sequential-enumeration/slow/magento',
      class: 'sequential-enumeration',
      intensity: 'slow',
      entities: [{ type: 'client_ip', raw: '198.51.100.7' }],
      start_ts: T0 + 60 * MIN,
      end_ts: T0 + 240 * MIN,
    }),
    scenario({
      scenario: 'session-sharing/fast/woo',
      class: 'session-sharing',
      entities: [{ type: 'session', raw: SESS }],
      start_ts: T0 + 10 * MIN,
      end_ts: T0 + 15 * MIN,
    }),
    scenario({
      scenario: 'break-glass/fast/telehealth',
      class: 'break-glass',
      entities: [{ type: 'user', raw: 'dr.vasquez' }],
    }),
  ],
};

const red = redactorFor(DEV_REDACTION_KEY);

function alert(id: string, rule: string, type: string, value: string, first: number, last: number): string {
  return JSON.stringify({
    alert_id: id,
    fingerprint: `f${id}`,
    rule,
    severity: 'high',
    entity: { type, value },
    tenant: 'default',
    first_seen: first,
    last_seen: last,
    status: 'open',
    title: 't',
    explanation: {},
    labels: {},
  });
}

test('redactorFor builds the collector key (sha256 of the text) and maps raw entities to alert values', () => {
  const direct = createRedactor(createHash('sha256').update(DEV_REDACTION_KEY).digest());
  assert.equal(entityValue({ type: 'api_key', raw: CK }, red), direct.token('api_key', CK));
  assert.equal(entityValue({ type: 'session', raw: SESS }, red), direct.token('session', SESS));
  assert.equal(entityValue({ type: 'client_ip', raw: '1.2.3.4' }, red), '1.2.3.4');
  assert.equal(entityValue({ type: 'route', raw: '/a/{id}' }, red), '/a/{id}');
  assert.equal(entityValue({ type: 'user', raw: 'dr.vasquez' }, red), 'dr.vasquez');
  assert.notEqual(
    entityValue({ type: 'session', raw: SESS }, redactorFor('another-key-of-16+chars')),
    direct.token('session', SESS),
  );
});

test('recall, median time to detect (first firing), false alerts per 10k background lines', () => {
  const apiKey = red.token('api_key', CK);
  const alerts = [
    // detection of the fast walk: fires at +12 s, later updates do not move the TTD
    alert('a1', 'sequential-enumeration', 'api_key', apiKey, T0, T0 + 12_000),
    alert('a1', 'sequential-enumeration', 'api_key', apiKey, T0, T0 + 90_000),
    // the slow walk: fired 30 min in
    alert('a2', 'sequential-enumeration', 'client_ip', '198.51.100.7', T0 + 61 * MIN, T0 + 90 * MIN),
    // route-keyed alert on the fast walk's route from another rule: not a detection of it, not false
    alert('a3', 'distributed-enumeration', 'route', '/wp-json/wc/v3/orders/{id}', T0 + 1000, T0 + 20_000),
    // session-sharing on the right session but another rule: not a detection, not false
    alert('a4', 'egress', 'session', red.token('session', SESS), T0 + 11 * MIN, T0 + 12 * MIN),
    // right entity, 20 minutes after the scenario ended (beyond the 15 min slack): false
    alert('a5', 'break-glass', 'user', 'dr.vasquez', T0 + 25 * MIN, T0 + 26 * MIN),
    // unknown entity: false
    alert('a6', 'id-probing', 'client_ip', '66.249.66.1', T0, T0 + MIN),
  ].join('\n');
  const r = evaluate(LABELS, parseAlerts(alerts), red);
  const seq = r.classes.find((c) => c.class === 'sequential-enumeration');
  assert.deepEqual(seq, {
    class: 'sequential-enumeration',
    scenarios: 2,
    detected: 2,
    recall: 1,
    median_ttd_s: (12 + 30 * 60) / 2,
  });
  assert.deepEqual(
    r.classes.find((c) => c.class === 'session-sharing'),
    {
      class: 'session-sharing',
      scenarios: 1,
      detected: 0,
      recall: 0,
      median_ttd_s: null,
    },
  );
  assert.equal(r.classes.find((c) => c.class === 'break-glass')?.detected, 0);
  assert.deepEqual(
    r.scenarios.map((s) => [s.scenario, s.detected, s.ttd_s]),
    [
      ['sequential-enumeration/fast/woo', true, 12],
      ['sequential-enumeration/slow/magento', true, 1800],
      ['session-sharing/fast/woo', false, null],
      ['break-glass/fast/telehealth', false, null],
    ],
  );
  assert.equal(r.alerts, 6);
  assert.deepEqual(r.false_alerts, {
    count: 2,
    per_10k_background_lines: 1,
    background_lines: 20_000,
    by_rule: { 'break-glass': 1, 'id-probing': 1 },
  });
  const md = renderMarkdown(r);
  assert.match(md, /^\| class \| scenarios \| detected \| recall \| median TTD \(s\) \|$/m);
  assert.match(md, /^\| sequential-enumeration \| 2 \| 2 \| 1\.00 \| 906 \|$/m);
  assert.match(md, /^\| session-sharing \| 1 \| 0 \| 0\.00 \| – \|$/m);
  assert.match(md, /False alerts \(match no scenario\): 2 of 6 alerts, 1\.00 per 10,000 background lines/);
  assert.match(md, /Missed: session-sharing\/fast\/woo, break-glass\/fast\/telehealth/);
});

test('an alert within the 15 minute slack matches; one that fired before the start counts 0 s', () => {
  const alerts = [
    alert('b1', 'break-glass', 'user', 'dr.vasquez', T0 - 20 * MIN, T0 - 14 * MIN),
    alert('b2', 'session-sharing', 'session', red.token('session', SESS), T0 + 29 * MIN, T0 + 29 * MIN),
  ].join('\n');
  const r = evaluate(LABELS, parseAlerts(alerts), red);
  const bg = r.scenarios.find((s) => s.class === 'break-glass');
  assert.equal(bg?.detected, true);
  assert.equal(bg?.ttd_s, 0);
  assert.equal(r.scenarios.find((s) => s.class === 'session-sharing')?.detected, true);
  assert.equal(r.false_alerts.count, 0);
});

test('tokens of another kind are recognised; a different redaction key does not match', () => {
  const alerts = alert('c1', 'sequential-enumeration', 'api_key', red.token('key', CK), T0, T0 + 5000);
  assert.equal(evaluate(LABELS, parseAlerts(alerts), red).scenarios[0]?.detected, true);
  const other = redactorFor('some-other-secret-key');
  const r = evaluate(LABELS, parseAlerts(alerts), other);
  assert.equal(r.scenarios[0]?.detected, false);
  assert.equal(r.false_alerts.count, 1);
});

test('labels round-trip; bad labels and alerts are rejected with the line number', () => {
  assert.deepEqual(parseLabels(serializeLabels(LABELS)).scenarios.length, 4);
  assert.throws(() => parseLabels(''), LabelsInvalid);
  assert.throws(() => parseLabels('{"scenario":"x"}'), /line 1: the first line must be the header/);
  const head = JSON.stringify(LABELS.header);
  assert.throws(() => parseLabels(`${head}\nnot json`), /labels line 2: not JSON/);
  assert.throws(
    () =>
      parseLabels(
        `${head}\n${JSON.stringify({ ...LABELS.scenarios[0], entities: [{ type: 'ip', raw: '1' }] })}`,
      ),
    /entities\[0\]/,
  );
  assert.throws(() => parseAlerts('{"alert_id":"a"}'), AlertsInvalid);
  assert.throws(() => parseAlerts(`\n${alert('a', 'r', 'client_ip', 'x', 1, 2)}\n[1]`), /alerts line 3/);
  assert.deepEqual(parseAlerts('\n\n'), []);
});

test('median', () => {
  assert.equal(median([]), null);
  assert.equal(median([5]), 5);
  assert.equal(median([9, 1, 4]), 4);
  assert.equal(median([1, 2, 3, 10]), 2.5);
});
