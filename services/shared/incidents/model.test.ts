import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEMBER_T, memberRow } from '../../../test/support/incidents.js';
import {
  actorOf,
  alertRisk,
  applyStatus,
  canTransition,
  currentMembership,
  deadlinesOf,
  type IncidentRow,
  rebaseIncident,
  summarize,
} from './model.js';

const H = 3_600_000;
const T = MEMBER_T;

const member = memberRow;

describe('risk', () => {
  it('weights severity and the square root of the score clamped to [1, 10]', () => {
    assert.equal(alertRisk('high', 4), 20);
    assert.equal(alertRisk('critical', 100), 20 * Math.sqrt(10));
    assert.equal(alertRisk('info', 0), 1);
    assert.equal(alertRisk('medium', Number.NaN), 5);
  });
  it('grows with every alert', () => {
    const one = summarize([member({})]);
    const two = summarize([member({}), member({ alert_id: 'a2', severity: 'low', score: 1 })]);
    assert.equal(one.risk_score, 20);
    assert.equal(two.risk_score, 22);
    assert.equal(two.severity, 'high');
    assert.equal(two.alert_count, 2);
  });
});

describe('actorOf', () => {
  it('is the entity for principal alerts and the route for route-keyed ones', () => {
    assert.equal(actorOf({ entity: { type: 'api_key', value: 'k1' }, labels: {} }).key, 'api_key:k1');
    assert.equal(
      actorOf({
        entity: { type: 'route', value: '/x/{id}' },
        labels: { route: '/x/{id}', resource_kind: 'order' },
      }).key,
      'route:/x/{id}',
    );
  });
});

describe('currentMembership', () => {
  it('the newest join wins (a person moving an alert), ties by incident id', () => {
    const m = currentMembership([
      member({ incident_id: 'auto', joined_at_ms: T }),
      member({ incident_id: 'manual', joined_at_ms: T + 10 }),
      member({ alert_id: 'a2', incident_id: 'x', joined_at_ms: T }),
      member({ alert_id: 'a2', incident_id: 'y', joined_at_ms: T }),
    ]);
    assert.equal(m.get('a1')!.incident_id, 'manual');
    assert.equal(m.get('a2')!.incident_id, 'y');
  });
});

function incident(over: Partial<IncidentRow> = {}): IncidentRow {
  return {
    incident_id: 'i1',
    tenant: 'shop',
    title: 't',
    status: 'open',
    owner: '',
    severity: 'high',
    risk_score: 1,
    actor_type: 'user',
    actor_value: 'u1',
    actor_keys: ['user:u1'],
    rules: ['egress'],
    alert_count: 1,
    first_seen_ms: T - H,
    last_seen_ms: T,
    opened_at_ms: T,
    discovered_at_ms: T,
    confirmed_at_ms: 0,
    notified_at_ms: 0,
    closed_at_ms: 0,
    version: T,
    updated_by: 'incidents',
    ...over,
  };
}

describe('status model', () => {
  it('allows forward moves, contained back to investigating, and reopening a closed incident', () => {
    assert.ok(canTransition('open', 'investigating'));
    assert.ok(canTransition('open', 'closed'));
    assert.ok(canTransition('contained', 'investigating'));
    assert.ok(canTransition('closed', 'open'));
    assert.ok(!canTransition('notified', 'open'));
    assert.ok(!canTransition('investigating', 'open'));
    assert.ok(!canTransition('open', 'open'));
  });
  it('confirmation is recorded once and never moves the clock', () => {
    const a = applyStatus(incident(), 'investigating', T + H, 'alice');
    assert.equal(a.confirmed_at_ms, T + H);
    assert.equal(a.discovered_at_ms, T);
    const b = applyStatus(a, 'contained', T + 2 * H, 'bob');
    assert.equal(b.confirmed_at_ms, T + H);
    const c = applyStatus(b, 'closed', T + 3 * H, 'bob');
    assert.equal(c.closed_at_ms, T + 3 * H);
    assert.equal(applyStatus(c, 'open', T + 4 * H, 'bob').closed_at_ms, 0);
  });
});

describe('deadlines', () => {
  const cfg = [
    { name: '72h', hours: 72 },
    { name: 'hipaa', hours: 1440 },
  ];
  it('count from discovered_at, remaining and overdue at the injected now', () => {
    const d = deadlinesOf(incident(), cfg, T + 10 * H);
    assert.deepEqual(d[0], {
      name: '72h',
      hours: 72,
      due_at: T + 72 * H,
      remaining_s: 62 * 3600,
      overdue: false,
      stopped_at: null,
    });
    assert.equal(d[1]!.due_at, T + 1440 * H);
    const late = deadlinesOf(incident(), cfg, T + 73 * H);
    assert.equal(late[0]!.overdue, true);
    assert.equal(late[0]!.remaining_s, -3600);
    assert.equal(late[1]!.overdue, false);
  });
  it('stop at notified: a notice in time is never overdue', () => {
    const n = applyStatus(incident(), 'notified', T + 48 * H, 'alice');
    const d = deadlinesOf(n, cfg, T + 100 * H);
    assert.equal(d[0]!.overdue, false);
    assert.equal(d[0]!.remaining_s, 24 * 3600);
    assert.equal(d[0]!.stopped_at, T + 48 * H);
  });
});

describe("rebaseIncident: concurrent writers keep each other's changes", () => {
  const base = incident();
  // a person set the status (and its clock mark) after the grouper read the incident
  const person = { ...applyStatus(base, 'investigating', T + 5, 'alice'), version: T + 5 };
  // the grouper, from what it read, adds a member
  const grouper = {
    ...base,
    alert_count: 2,
    last_seen_ms: T + 9,
    rules: ['egress', 'id-probing'],
    version: T + 3,
  };

  it("the grouper's write keeps the person's status, clock mark and owner, and its own facts", () => {
    const out = rebaseIncident(grouper, base, { ...person, owner: 'alice' });
    assert.equal(out.status, 'investigating');
    assert.equal(out.confirmed_at_ms, T + 5);
    assert.equal(out.owner, 'alice');
    assert.equal(out.alert_count, 2);
    assert.deepEqual(out.rules, ['egress', 'id-probing']);
    assert.equal(out.updated_by, 'incidents');
    assert.equal(out.version, T + 6, 'after the stored version, so it is the current one');
  });

  it("a person's write keeps the grouper's member count", () => {
    const stored = { ...grouper, version: T + 3 };
    const mine = { ...applyStatus(base, 'contained', T + 4, 'bob'), version: T + 4 };
    const out = rebaseIncident(mine, base, stored);
    assert.equal(out.status, 'contained');
    assert.equal(out.alert_count, 2);
    assert.equal(out.last_seen_ms, T + 9);
    assert.equal(out.version, T + 4);
  });

  it("a field both changed keeps this write's value; actor keys both changed are united", () => {
    const stored = { ...base, alert_count: 5, actor_keys: ['user:u1', 'ip:10.0.0.1'], version: T + 2 };
    const mine = { ...base, alert_count: 3, actor_keys: ['user:u1', 'session:s'], version: T + 1 };
    const out = rebaseIncident(mine, base, stored);
    assert.equal(out.alert_count, 3);
    assert.deepEqual(out.actor_keys, ['user:u1', 'ip:10.0.0.1', 'session:s']);
  });

  it('nothing stored since the read, or nothing read: the write as it is', () => {
    assert.equal(rebaseIncident(grouper, base, base), grouper);
    assert.equal(rebaseIncident(grouper, undefined, person), grouper);
    assert.equal(rebaseIncident(grouper, base, undefined), grouper);
  });
});
