// The id-route scenarios use routes the built-in table does not name, and normalisation still
// makes them id routes with the kind of their collection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRouteTable, DEFAULT_ROUTE_TABLE, normalizeRoute } from '../../collector/index.js';
import { simulate } from '../simulate.js';

const TABLE_ONLY = compileRouteTable({
  paths: DEFAULT_ROUTE_TABLE.paths,
  queryIds: DEFAULT_ROUTE_TABLE.queryIds,
  fileCollections: [],
  deriveKinds: false,
});

test('outside-table scenarios: one per id rule, on routes the table does not name, with derived kinds', () => {
  const sim = simulate({ seed: 5 });
  const labels = sim.scenarios.filter((s) => s.intensity === 'outside-table');
  assert.deepEqual(labels.map((l) => l.class).sort(), [
    'distinct-resource-burst',
    'distributed-enumeration',
    'id-probing',
    'sequential-enumeration',
    'unauthenticated-sensitive',
  ]);
  const kinds = new Set<string>();
  for (const label of labels) {
    const attack = sim.lines.filter((l) => sim.attackOf.get(l) === label.scenario);
    assert.equal(attack.length, label.lines);
    for (const l of attack) {
      const target = l.request.split(' ')[1] as string;
      assert.equal(normalizeRoute(target, TABLE_ONLY).resourceKind, null, `${target} is in the table`);
      const r = normalizeRoute(target);
      assert.ok(r.resourceId !== null && r.resourceKind !== null, target);
      kinds.add(r.resourceKind);
    }
  }
  for (const k of ['booking', 'lab_result', 'prescription', 'invoice', 'subscription'])
    assert.ok(kinds.has(k), k);
});
