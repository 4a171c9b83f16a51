// Each class's lines look like the attack they simulate (one default 24 h simulation, seed 1,
// and a second seed to avoid passing by luck).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestRunLength } from '../../../test/support/scenarios.js';
import { createRedactor, findPhi, safeDecode } from '../../collector/index.js';
import type { SimLine } from '../format.js';
import type { ScenarioLabel } from '../labels.js';
import { type Simulation, simulate } from '../simulate.js';

const SIMS: Simulation[] = [simulate({ seed: 1 }), simulate({ seed: 99 })];

interface Case {
  label: ScenarioLabel;
  attack: SimLine[];
  sim: Simulation;
}

function cases(cls: string): Case[] {
  const out: Case[] = [];
  for (const sim of SIMS) {
    // id routes outside the route table have their own test (id-routes.test.ts)
    for (const label of sim.scenarios.filter((s) => s.class === cls && s.intensity !== 'outside-table')) {
      const attack = sim.lines.filter((l) => sim.attackOf.get(l) === label.scenario);
      assert.equal(attack.length, label.lines, label.scenario);
      out.push({ label, attack, sim });
    }
  }
  assert.ok(out.length >= 4, cls);
  return out;
}

function target(l: SimLine): string {
  return l.request.split(' ')[1] as string;
}

function path(l: SimLine): string {
  return target(l).split('?')[0] as string;
}

/** The principal normalisation will derive (user > api key > session > ip), raw. */
function principal(l: SimLine): string {
  if (l.user !== null) return `user:${l.user}`;
  const ck = /[?&](?:consumer_key|api_key)=([^&]+)/.exec(target(l));
  if (ck !== null) return `api_key:${ck[1]}`;
  if (l.session !== null) return `session:${l.session}`;
  return `ip:${l.ip}`;
}

function labelled(c: Case): Set<string> {
  return new Set(c.label.entities.map((e) => `${e.type === 'client_ip' ? 'ip' : e.type}:${e.raw}`));
}

/** Numeric id in the last path segment (`/orders/1234`, `/customers/77.json`, `/view-order/5/`). */
function idOf(l: SimLine): number {
  const m = /\/(\d+)(?:\.json)?\/?$/.exec(path(l));
  assert.ok(m !== null, `no id in ${target(l)}`);
  return Number(m[1]);
}

function durationS(a: SimLine[]): number {
  return ((a[a.length - 1] as SimLine).ts - (a[0] as SimLine).ts) / 1000;
}

function medianGapS(a: SimLine[]): number {
  const g = a.slice(1).map((l, i) => (l.ts - (a[i] as SimLine).ts) / 1000);
  g.sort((x, y) => x - y);
  return g[g.length >> 1] as number;
}

function onePrincipal(c: Case): string {
  const ps = new Set(c.attack.map(principal));
  assert.equal(ps.size, 1, `${c.label.scenario}: one principal, got ${[...ps].join(', ')}`);
  const p = [...ps][0] as string;
  assert.ok(labelled(c).has(p), `${c.label.scenario}: principal ${p} is a labelled entity`);
  return p;
}

test('egress: hours of small polls, then 20-100x the usual bytes per 10 minutes through bulk pages', () => {
  for (const c of cases('egress')) {
    const p = onePrincipal(c);
    const history = c.sim.lines.filter((l) => !c.sim.attackOf.has(l) && principal(l) === p);
    const before = history.filter((l) => l.ts < c.label.start_ts);
    assert.ok(
      c.label.start_ts - (before[0] as SimLine).ts >= 6 * 3600_000,
      `${c.label.scenario}: 6 h+ of history`,
    );
    const usual =
      (before.reduce((s, l) => s + l.bytes, 0) / (c.label.start_ts - (before[0] as SimLine).ts)) * 600_000;
    // bytes in the attack's first 10 minutes
    const first = c.attack.filter((l) => l.ts < c.label.start_ts + 600_000).reduce((s, l) => s + l.bytes, 0);
    const ratio = first / usual;
    assert.ok(ratio >= 15 && ratio <= 130, `${c.label.scenario}: ${ratio.toFixed(1)}x`);
    for (const l of c.attack) {
      assert.match(target(l), /per_page=100|searchCriteria\[pageSize\]=100|limit=250/);
      assert.equal(l.status, 200);
    }
  }
});

test('sequential-enumeration: one principal walks near-sequential ids; fast 1-3 req/s, slow 30-120 s apart', () => {
  for (const c of cases('sequential-enumeration')) {
    onePrincipal(c);
    assert.equal(new Set(c.attack.map((l) => path(l).replace(/\d+/g, '#'))).size, 1, 'one route');
    const ids = [...new Set(c.attack.map(idOf))];
    assert.ok(ids.length >= 80, `${c.label.scenario}: ${ids.length} ids`);
    assert.ok(longestRunLength(ids, 3) >= 0.95 * ids.length, 'near-sequential');
    const inOrder = c.attack.map(idOf).filter((id, i, a) => i > 0 && id < (a[i - 1] as number)).length;
    assert.ok(
      inOrder > 0 && inOrder < 0.15 * c.attack.length,
      `${c.label.scenario}: small shuffles (${inOrder})`,
    );
    const rate = c.attack.length / Math.max(1, durationS(c.attack));
    if (c.label.intensity === 'fast')
      assert.ok(rate >= 0.9 && rate <= 3.5, `${c.label.scenario}: ${rate} req/s`);
    else {
      const g = medianGapS(c.attack);
      assert.ok(g >= 30 && g <= 120, `${c.label.scenario}: median gap ${g}s`);
      assert.ok(durationS(c.attack) >= 2 * 3600, 'over hours');
    }
  }
});

test('distinct-resource-burst: 100+ distinct, non-sequential records quickly', () => {
  for (const c of cases('distinct-resource-burst')) {
    onePrincipal(c);
    const res = new Set(c.attack.map(path));
    assert.ok(res.size >= 100 && res.size === c.attack.length, `${c.label.scenario}: ${res.size}`);
    const numeric = c.attack.filter((l) => /\/\d+(\.json)?$/.test(path(l)));
    if (numeric.length > 0)
      assert.ok(longestRunLength([...new Set(numeric.map(idOf))], 3) < 10, 'not sequential');
    else
      assert.ok(
        c.attack.every((l) => /\/[0-9a-f-]{36}$/.test(path(l))),
        'UUIDs',
      );
    assert.ok(durationS(c.attack) <= 25 * 60);
    assert.ok(c.attack.every((l) => l.status === 200));
  }
});

test('id-probing: ID routes answered mostly 404/403', () => {
  for (const c of cases('id-probing')) {
    onePrincipal(c);
    const denied = c.attack.filter((l) => l.status === 404 || l.status === 403).length / c.attack.length;
    assert.ok(denied >= 0.75, `${c.label.scenario}: ${denied}`);
    assert.ok(c.attack.length >= 50);
    assert.ok(c.attack.every((l) => Number.isFinite(idOf(l))));
  }
});

test('media-enumeration: recordings by predictable name, in order, large 200s', () => {
  for (const c of cases('media-enumeration')) {
    onePrincipal(c);
    const nums = c.attack.map((l) => Number(/-(\d{4,6})\.mp4$/.exec(path(l))?.[1]));
    assert.ok(
      nums.every((n, i) => i === 0 || n === (nums[i - 1] as number) + 1),
      'consecutive names',
    );
    const ok = c.attack.filter((l) => l.status === 200);
    assert.ok(ok.length >= 0.85 * c.attack.length);
    assert.ok(ok.every((l) => l.bytes > 10_000_000));
  }
});

test('distributed-enumeration: one walk, consecutive requests from different IPs out of 20-200', () => {
  for (const c of cases('distributed-enumeration')) {
    const ips = new Set(c.attack.map((l) => l.ip));
    assert.ok(ips.size >= 20 && ips.size <= 200, `${c.label.scenario}: ${ips.size} IPs`);
    for (let i = 1; i < c.attack.length; i++) assert.notEqual(c.attack[i]?.ip, c.attack[i - 1]?.ip);
    assert.equal(new Set(c.attack.map((l) => path(l).replace(/\d+/g, '#'))).size, 1, 'one route');
    const ids = [...new Set(c.attack.map(idOf))];
    assert.ok(longestRunLength(ids, 3) >= 0.95 * ids.length);
    const route = c.label.entities.find((e) => e.type === 'route');
    assert.ok(route?.raw.includes('{id}'));
    assert.ok(c.attack.every((l) => principal(l).startsWith('ip:')));
    assert.ok(new Set(c.attack.map((l) => l.ua)).size >= 2, 'several user agents');
  }
});

test('unauthenticated-sensitive: exports, recordings, patient records served 200 with no user, key or session', () => {
  for (const c of cases('unauthenticated-sensitive')) {
    for (const l of c.attack) {
      assert.equal(l.user, null);
      assert.equal(l.session, null);
      assert.doesNotMatch(target(l), /consumer_key|api_key/);
      assert.equal(l.status, 200);
      assert.match(path(l), /exports\/|recordings\/|\/patients\//);
    }
    onePrincipal(c);
  }
});

test('phi-in-url: every attack URL carries PHI; SSNs pass the redactor SSN detector', () => {
  const redactor = createRedactor(Buffer.alloc(32, 7));
  let ssns = 0;
  for (const c of cases('phi-in-url')) {
    for (const l of c.attack) {
      const q = safeDecode(target(l).split('?')[1] ?? '');
      const findings = redactor.redactTarget(target(l)).findings;
      assert.ok(findings.length > 0, `${c.label.scenario}: no PHI found in ${target(l)}`);
      for (const m of q.matchAll(/\b\d{3}-\d{2}-\d{4}\b/g)) {
        ssns++;
        assert.ok(
          findPhi(q).some((f) => f.kind === 'ssn' && f.norm === m[0]),
          `SSN ${m[0]} not detected`,
        );
      }
      assert.ok(labelled(c).has(principal(l)));
    }
  }
  assert.ok(ssns >= 3, `${ssns} SSNs`);
});

test('session-sharing: one PHPSESSID from 5-30 IPs and several user agents within minutes', () => {
  for (const c of cases('session-sharing')) {
    onePrincipal(c);
    const ips = new Set(c.attack.map((l) => l.ip));
    assert.ok(ips.size >= 5 && ips.size <= 30, `${c.label.scenario}: ${ips.size}`);
    assert.ok(new Set(c.attack.map((l) => l.ua)).size >= 2);
    assert.ok(durationS(c.attack) <= 30 * 60);
    // the owner used it before, from one address
    const before = c.sim.lines.filter((l) => !c.sim.attackOf.has(l) && l.session === c.attack[0]?.session);
    assert.ok(before.length >= 3 && new Set(before.map((l) => l.ip)).size === 1);
  }
});

test('break-glass: emergency access far above the usual few charts an hour, or outside patient routes', () => {
  for (const c of cases('break-glass')) {
    const p = onePrincipal(c);
    assert.ok(p.startsWith('user:'));
    assert.ok(c.attack.every((l) => l.breakGlass === '1'));
    const history = c.sim.lines.filter((l) => !c.sim.attackOf.has(l) && principal(l) === p);
    assert.ok(
      history.length >= 20 && history.every((l) => l.breakGlass === null),
      'normal history without break-glass',
    );
    if (c.label.intensity === 'scope') {
      assert.ok(
        c.attack.every((l) => !/\/patients\/\d+$/.test(path(l))),
        'outside patient routes',
      );
      continue;
    }
    const charts = new Set(c.attack.map(path));
    assert.ok(charts.size >= 50 && charts.size <= 500, `${c.label.scenario}: ${charts.size}`);
    const perHour = charts.size / Math.max(1, durationS(c.attack) / 3600);
    assert.ok(perHour >= 15, `${c.label.scenario}: ${perHour}/h`);
  }
});

test('realistic clients: known user agents, attackers not all on one UA across scenarios', () => {
  const uas = new Set<string>();
  for (const sim of SIMS) for (const l of sim.lines) if (sim.attackOf.has(l) && l.ua !== null) uas.add(l.ua);
  assert.ok(uas.size >= 10, `${uas.size} attack user agents`);
  assert.ok([...uas].some((u) => u.startsWith('Mozilla/5.0')));
  assert.ok([...uas].some((u) => /curl|python-requests|Go-http-client|Wget/.test(u)));
});
