import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponsePolicy } from './response-policy.js';

const alert = (
  over: Partial<{ alert_id: string; tenant: string; rule: string; type: string; value: string }> = {},
) => ({
  alert_id: over.alert_id ?? 'a1',
  tenant: over.tenant ?? 'shop',
  rule: over.rule ?? 'egress',
  entity: { type: over.type ?? 'client_ip', value: over.value ?? '203.0.113.7' },
});

test('an allow entry drops its rule on its entity only, until it expires', () => {
  const p = new ResponsePolicy(
    [
      {
        tenant: 'shop',
        rule: 'egress',
        entity_type: 'client_ip',
        entity_value: '203.0.113.7',
        expires_at_ms: 1000,
      },
    ],
    [],
  );
  assert.equal(p.verdict(alert(), 999), 'drop');
  assert.equal(p.verdict(alert(), 1000), 'pass');
  assert.equal(p.verdict(alert({ value: '203.0.113.8' }), 10), 'pass');
  assert.equal(p.verdict(alert({ rule: 'sequential-enumeration' }), 10), 'pass');
  assert.equal(p.verdict(alert({ tenant: 'other' }), 10), 'pass');
});

test('suppressions by alert, by rule and entity, and by entity mark alerts suppressed', () => {
  const base = { tenant: 'shop', expires_at_ms: 1000, suppression_id: 's', rule: '', alert_id: '' };
  const p = new ResponsePolicy(
    [],
    [
      { ...base, scope: 'alert', alert_id: 'a9', entity_type: 'user', entity_value: 'x' },
      {
        ...base,
        scope: 'rule-entity',
        rule: 'id-probing',
        entity_type: 'client_ip',
        entity_value: '1.1.1.1',
      },
      { ...base, scope: 'entity', entity_type: 'api_key', entity_value: 'ck_1' },
    ],
  );
  assert.equal(p.verdict(alert({ alert_id: 'a9' }), 5), 'suppress');
  assert.equal(p.verdict(alert({ rule: 'id-probing', value: '1.1.1.1' }), 5), 'suppress');
  assert.equal(p.verdict(alert({ rule: 'egress', value: '1.1.1.1' }), 5), 'pass');
  assert.equal(p.verdict(alert({ type: 'api_key', value: 'ck_1', rule: 'anything' }), 5), 'suppress');
  assert.equal(p.verdict(alert({ type: 'api_key', value: 'ck_1' }), 1001), 'pass');
  assert.equal(new ResponsePolicy([], []).verdict(alert(), 0), 'pass');
});
