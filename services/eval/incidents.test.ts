import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessEventWith } from '#shared/avro/access-event-defaults.js';
import type { Labels, ScenarioLabel } from '../simulate/labels.js';
import { redactorFor } from './eval.js';
import { evaluateIncidents, renderIncidentReport } from './incidents.js';

const T0 = Date.UTC(2026, 10, 20, 9);
const labels: Labels = {
  header: { kind: 'header', log_format: '', background_lines: 100, total_lines: 200, seed: 1, scan_hint: '' },
  scenarios: [
    {
      scenario: 'sequential-enumeration/fast/woo',
      class: 'sequential-enumeration',
      intensity: 'fast',
      platform: 'woocommerce',
      rules: ['sequential-enumeration'],
      entities: [
        { type: 'client_ip', raw: '203.0.113.9' },
        { type: 'route', raw: '/wp-json/wc/v3/orders/{id}' },
      ],
      start_ts: T0,
      end_ts: T0 + 60_000,
      lines: 4,
      description: '',
    },
    {
      scenario: 'distributed-enumeration/fast/woo',
      class: 'distributed-enumeration',
      intensity: 'fast',
      platform: 'woocommerce',
      rules: ['distributed-enumeration'],
      entities: [{ type: 'route', raw: '/wp-json/wc/v3/customers/{id}' }],
      start_ts: T0,
      end_ts: T0 + 60_000,
      lines: 40,
      description: '',
    },
  ],
};

const served = (ip: string, id: string, status = 200, ts = T0 + 1000) =>
  accessEventWith({
    event_id: `${ip}-${id}-${ts}`,
    client_ip: ip,
    resource_kind: 'order',
    resource_id: id,
    status,
    ts,
  });

test('incidents per attack, route incidents apart, and affected precision/recall against what the attacker was served', () => {
  const events = [
    served('203.0.113.9', '1'),
    served('203.0.113.9', '2'),
    served('203.0.113.9', '3'),
    served('203.0.113.9', '4', 404), // denied: not served
    served('203.0.113.9', '5', 200, T0 - 3_600_000), // before the attack
    served('198.51.100.1', '6'), // someone else
  ];
  const r = evaluateIncidents(
    labels,
    [
      {
        incident_id: 'i1',
        entities: [{ type: 'client_ip', value: '203.0.113.9' }],
        disclosed: ['1', '2', '9'].map((id) => ({ resource_kind: 'order', resource_id: id })),
      },
      {
        incident_id: 'i2',
        entities: [{ type: 'route', value: '/wp-json/wc/v3/customers/{id}' }],
        disclosed: [],
      },
      { incident_id: 'i3', entities: [{ type: 'client_ip', value: '192.0.2.1' }], disclosed: [] },
    ],
    events,
    redactorFor('k'.repeat(32)),
  );
  assert.equal(r.incidentsPerAttack, 1);
  assert.equal(r.routeIncidents, 1);
  assert.equal(r.multiActorScenarios, 1);
  assert.equal(r.falseIncidents, 1);
  const s = r.scenarios[0]!;
  assert.equal(s.truth, 3);
  assert.equal(s.listed, 3);
  assert.equal(s.precision, 2 / 3);
  assert.equal(s.recall, 2 / 3);
  assert.match(renderIncidentReport(r), /1\.00 per attack/);
});

test('an incident holding two attacks (two walkers of one route) lists both: precision counts any attacker of the incident, recall stays per scenario', () => {
  const second: ScenarioLabel = {
    ...labels.scenarios[0]!,
    scenario: 'sequential-enumeration/slow/woo',
    entities: [
      { type: 'client_ip', raw: '198.51.100.7' },
      { type: 'route', raw: '/wp-json/wc/v3/orders/{id}' },
    ],
  };
  const both: Labels = { ...labels, scenarios: [labels.scenarios[0]!, second] };
  const events = [served('203.0.113.9', '1'), served('198.51.100.7', '2'), served('192.0.2.50', '3')];
  const r = evaluateIncidents(
    both,
    [
      {
        incident_id: 'route',
        actor: { type: 'route', value: '/wp-json/wc/v3/orders/{id}' },
        entities: [
          { type: 'client_ip', value: '203.0.113.9' },
          { type: 'client_ip', value: '198.51.100.7' },
        ],
        // 3: served to a bystander, in no attack: still wrong
        disclosed: ['1', '2', '3'].map((id) => ({ resource_kind: 'order', resource_id: id })),
      },
    ],
    events,
    redactorFor('k'.repeat(32)),
  );
  assert.equal(r.routeIncidents, 1);
  for (const s of r.scenarios) {
    assert.equal(s.recall, 1, s.scenario);
    assert.equal(s.precision, 2 / 3, s.scenario);
  }
});
