import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '#shared/avro/generated/alert.js';
import { alertRisk, incidentIdOf, type MemberRow } from '#shared/incidents/model.js';
import { type GroupingState, groupAlerts } from './grouping.js';
import { alertWith } from './testing.js';

const H = 3_600_000;
const GAP = 24 * H;
const T = Date.UTC(2026, 10, 20, 9);

function empty(): GroupingState {
  return { incidents: new Map(), members: new Map() };
}

function run(state: GroupingState, alerts: Alert[], now = T + 1000) {
  return groupAlerts(state, alerts, { gapMs: GAP, now });
}

describe('groupAlerts: route findings (anonymous reads of a sensitive route)', () => {
  const ROUTE = '/rest/V1/orders/{id}';
  const anon = (id: string, ip: string, at: number): Alert =>
    alertWith({
      alert_id: id,
      first_seen: at,
      last_seen: at + 60_000,
      rule: 'unauthenticated-sensitive',
      entity: { type: 'client_ip', value: ip },
      labels: { route: ROUTE, resource_kind: 'order' },
    });

  it('many anonymous readers of one route and its distributed walk are one incident keyed by the route', () => {
    const s = empty();
    const readers = Array.from({ length: 9 }, (_, i) => anon(`u${i}`, `198.51.100.${i + 1}`, T + i * 60_000));
    const walk = alertWith({
      alert_id: 'd1',
      first_seen: T + 5 * 60_000,
      last_seen: T + 20 * 60_000,
      rule: 'distributed-enumeration',
      entity: { type: 'route', value: ROUTE },
      labels: { route: ROUTE, resource_kind: 'order' },
    });
    const r = run(s, [...readers.slice(0, 5), walk, ...readers.slice(5)]);
    assert.equal(r.incidents.length, 1);
    const inc = r.incidents[0]!;
    assert.equal(inc.incident_id, incidentIdOf('shop', `route:${ROUTE}`, 'u0'));
    assert.equal(inc.actor_type, 'route');
    assert.equal(inc.alert_count, 10);
    // each reader stays a member with its own entity: affected records are computed per reader
    const members = r.members.filter((m) => m.rule === 'unauthenticated-sensitive');
    assert.deepEqual(members.map((m) => m.entity_value).sort(), readers.map((a) => a.entity.value).sort());
    assert.ok(inc.actor_keys.includes('client_ip:198.51.100.3'));
  });

  it('a reader that also walked ids is one incident, whichever alert comes first', () => {
    const walkOf = (id: string, at: number) =>
      alertWith({
        alert_id: id,
        first_seen: at,
        last_seen: at + 60_000,
        entity: { type: 'client_ip', value: '203.0.113.9' },
      });
    const anonFirst = run(empty(), [anon('u1', '203.0.113.9', T), walkOf('w1', T + H)]);
    assert.equal(anonFirst.incidents.length, 1);
    assert.deepEqual(anonFirst.incidents[0]!.rules, ['sequential-enumeration', 'unauthenticated-sensitive']);
    const walkFirst = run(empty(), [walkOf('w1', T), anon('u1', '203.0.113.9', T + H)]);
    assert.equal(walkFirst.incidents.length, 1);
    assert.equal(walkFirst.incidents[0]!.actor_type, 'client_ip', 'the walker opened it');
  });

  it('readers of different routes, or of one route a gap apart, are different incidents', () => {
    const other = alertWith({
      alert_id: 'o1',
      first_seen: T,
      last_seen: T + 1000,
      rule: 'unauthenticated-sensitive',
      entity: { type: 'client_ip', value: '198.51.100.200' },
      labels: { route: '/wp-json/telehealth/v1/patients/{id}', resource_kind: 'patient' },
    });
    const r = run(empty(), [
      anon('u1', '198.51.100.1', T),
      other,
      anon('u2', '198.51.100.2', T + GAP + 2 * H),
    ]);
    assert.equal(r.incidents.length, 3);
  });
});

describe('groupAlerts', () => {
  it('opens one incident per actor with a deterministic id, and joins later alerts of the actor', () => {
    const s = empty();
    const a1 = alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 60_000 });
    const a2 = alertWith({ alert_id: 'a2', first_seen: T + H, last_seen: T + H + 60_000, rule: 'egress' });
    const b1 = alertWith({
      alert_id: 'b1',
      first_seen: T,
      last_seen: T + 1000,
      entity: { type: 'user', value: 'u-7' },
    });
    const r = run(s, [a1, a2, b1]);
    const ipId = incidentIdOf('shop', 'client_ip:203.0.113.9', 'a1');
    const userId = incidentIdOf('shop', 'user:u-7', 'b1');
    assert.deepEqual(r.incidents.map((i) => i.incident_id).sort(), [ipId, userId].sort());
    const ip = r.incidents.find((i) => i.incident_id === ipId)!;
    assert.equal(ip.alert_count, 2);
    assert.deepEqual(ip.rules, ['egress', 'sequential-enumeration']);
    assert.equal(ip.first_seen_ms, T);
    assert.equal(ip.last_seen_ms, T + H + 60_000);
    assert.equal(ip.opened_at_ms, T + 1000);
    assert.equal(ip.discovered_at_ms, ip.opened_at_ms);
    assert.deepEqual(
      r.changes.map((c) => [c.incident_id, c.action, c.alert_ids]),
      [
        [ipId, 'open', ['a1', 'a2']],
        [userId, 'open', ['b1']],
      ],
    );
    assert.equal(r.events.length, 2);
    // a later batch: joins, announced as 'join'
    const a3 = alertWith({ alert_id: 'a3', first_seen: T + 2 * H, last_seen: T + 2 * H });
    const r2 = run(s, [a3], T + 5000);
    assert.deepEqual(
      r2.changes.map((c) => [c.incident_id, c.action, c.alert_ids]),
      [[ipId, 'join', ['a3']]],
    );
    assert.equal(r2.incidents[0]!.alert_count, 3);
    assert.equal(r2.incidents[0]!.opened_at_ms, T + 1000, 'opened_at stays');
    assert.ok(r2.incidents[0]!.version > r.incidents[0]!.version);
  });

  it('an alert after the gap opens a new incident; one just inside the gap joins', () => {
    const s = empty();
    run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 1000 })]);
    const inside = alertWith({ alert_id: 'a2', first_seen: T + 1000 + GAP, last_seen: T + 2000 + GAP });
    const r = run(s, [inside]);
    assert.equal(r.changes[0]!.action, 'join');
    const after = alertWith({
      alert_id: 'a3',
      first_seen: T + 2001 + 2 * GAP,
      last_seen: T + 3000 + 2 * GAP,
    });
    const r2 = run(s, [after]);
    assert.equal(r2.changes[0]!.action, 'open');
    assert.equal(r2.changes[0]!.incident_id, incidentIdOf('shop', 'client_ip:203.0.113.9', 'a3'));
    assert.equal(s.incidents.size, 2);
  });

  it('a re-emitted alert updates its incident (last_seen, severity, risk) and announces nothing', () => {
    const s = empty();
    const r1 = run(s, [
      alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 1000, severity: 'medium', score: 1 }),
    ]);
    const id = r1.incidents[0]!.incident_id;
    assert.equal(r1.incidents[0]!.risk_score, Math.round(alertRisk('medium', 1) * 100) / 100);
    const grown = alertWith({
      alert_id: 'a1',
      first_seen: T,
      last_seen: T + 9 * 60_000,
      severity: 'critical',
      score: 4,
    });
    const r2 = run(s, [grown], T + 2000);
    assert.equal(r2.changes.length, 0);
    assert.equal(r2.events.length, 0);
    assert.equal(r2.incidents.length, 1);
    const inc = r2.incidents[0]!;
    assert.equal(inc.incident_id, id);
    assert.equal(inc.alert_count, 1);
    assert.equal(inc.severity, 'critical');
    assert.equal(inc.last_seen_ms, T + 9 * 60_000);
    assert.equal(inc.risk_score, 40);
    assert.equal(r2.members[0]!.joined_at_ms, T + 1000, 'joined_at kept');
    assert.ok(r2.members[0]!.version > r1.members[0]!.version);
  });

  it('a re-emitted alert never moves, even to a newer open incident of its actor', () => {
    const s = empty();
    run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 1000 })]);
    const first = [...s.incidents.keys()][0]!;
    run(s, [alertWith({ alert_id: 'a2', first_seen: T + 3 * GAP, last_seen: T + 3 * GAP })]);
    assert.equal(s.incidents.size, 2);
    const r = run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 3 * GAP + 5 })]);
    assert.equal(r.members[0]!.incident_id, first);
    assert.equal(s.members.get('a1')!.incident_id, first);
  });

  it('an alert a person moved stays where the person put it', () => {
    const s = empty();
    run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 1000 })]);
    // the person's move: a later membership row in a manual incident (loaded from ClickHouse)
    const manual = {
      ...[...s.incidents.values()][0]!,
      incident_id: 'manual-1',
      actor_keys: ['client_ip:203.0.113.9'],
    };
    s.incidents.set('manual-1', manual);
    const moved: MemberRow = {
      ...s.members.get('a1')!,
      incident_id: 'manual-1',
      joined_at_ms: T + 50_000,
      joined_by: 'alice',
    };
    s.members.set('a1', moved);
    const r = run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 2000 })], T + 60_000);
    assert.equal(r.members[0]!.incident_id, 'manual-1');
    assert.equal(r.members[0]!.joined_by, 'alice');
    assert.deepEqual(
      r.incidents.map((i) => i.incident_id),
      ['manual-1'],
    );
  });

  it('a closed incident is not joined: a new one opens', () => {
    const s = empty();
    run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 1000 })]);
    const inc = [...s.incidents.values()][0]!;
    s.incidents.set(inc.incident_id, { ...inc, status: 'closed', closed_at_ms: T + 2000 });
    const r = run(s, [alertWith({ alert_id: 'a2', first_seen: T + 3000, last_seen: T + 4000 })]);
    assert.equal(r.changes[0]!.action, 'open');
    assert.notEqual(r.changes[0]!.incident_id, inc.incident_id);
  });

  it('route-keyed alerts group by the route, not by principals', () => {
    const s = empty();
    const route = '/wp-json/wc/v3/customers/{id}';
    const mk = (id: string, t: number) =>
      alertWith({
        alert_id: id,
        first_seen: t,
        last_seen: t + 1000,
        rule: 'distributed-enumeration',
        entity: { type: 'route', value: route },
        labels: { route, resource_kind: 'customer' },
      });
    const r = run(s, [mk('d1', T), mk('d2', T + H)]);
    assert.equal(r.incidents.length, 1);
    const inc = r.incidents[0]!;
    assert.equal(inc.actor_type, 'route');
    assert.equal(inc.actor_value, route);
    assert.equal(inc.incident_id, incidentIdOf('shop', `route:${route}`, 'd1'));
    assert.equal(r.members[0]!.resource_kind, 'customer');
    // a principal alert in the same window is another actor
    const r2 = run(s, [alertWith({ alert_id: 'p1', first_seen: T, last_seen: T })]);
    assert.equal(r2.changes[0]!.action, 'open');
  });

  it('tenants never share incidents', () => {
    const s = empty();
    const r = run(s, [
      alertWith({ alert_id: 'a1', first_seen: T, last_seen: T }),
      alertWith({ alert_id: 'a2', first_seen: T, last_seen: T, tenant: 'other' }),
    ]);
    assert.equal(r.incidents.length, 2);
  });

  it('the same alerts grouped again from the same state give the same ids (replay)', () => {
    const alerts = [
      alertWith({ alert_id: 'a1', first_seen: T, last_seen: T }),
      alertWith({ alert_id: 'a2', first_seen: T + 2 * GAP, last_seen: T + 2 * GAP }),
      alertWith({ alert_id: 'b1', first_seen: T, last_seen: T, entity: { type: 'session', value: 's1' } }),
    ];
    const one = run(empty(), alerts, T + 1).incidents.map((i) => i.incident_id);
    const two = run(empty(), alerts, T + 999_999).incidents.map((i) => i.incident_id);
    assert.deepEqual(one, two);
    assert.equal(new Set(one).size, 3);
  });
  it('a suppressed alert opens and joins nothing; a grouped one that becomes suppressed stays and updates', () => {
    const s = empty();
    const r = run(s, [alertWith({ alert_id: 'q1', first_seen: T, last_seen: T, status: 'suppressed' })]);
    assert.deepEqual(r, { incidents: [], members: [], events: [], changes: [] });
    run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T })]);
    const r2 = run(s, [alertWith({ alert_id: 'a1', first_seen: T, last_seen: T + 5, status: 'suppressed' })]);
    assert.equal(r2.members.length, 1);
    assert.equal(r2.incidents[0]!.last_seen_ms, T + 5);
  });
});
