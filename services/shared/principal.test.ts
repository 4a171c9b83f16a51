import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PrincipalFields, principalKey, principalKeyMemo } from './principal.js';

const none: PrincipalFields = { user_id: null, api_key_id: null, session_hash: null, client_ip: null };

test('principalKeyMemo gives principalKey for every kind of principal', () => {
  const key = principalKeyMemo();
  const events: PrincipalFields[] = [
    { ...none, client_ip: '10.0.0.1' },
    { ...none, client_ip: '10.0.0.1', session_hash: 's1' },
    { ...none, api_key_id: 'k1', session_hash: 's1' },
    { ...none, user_id: 'u1', api_key_id: 'k1' },
    { ...none, user_id: '10.0.0.1' }, // same value, another type
    none,
  ];
  for (const e of events) assert.equal(key(e), principalKey(e));
  // a value cut from a line, then the same value again (remembered): the same key
  const line = 'GET 10.0.0.2 - x';
  assert.equal(key({ ...none, client_ip: line.slice(4, 12) }), 'ip:10.0.0.2');
  assert.equal(key({ ...none, client_ip: '10.0.0.2' }), 'ip:10.0.0.2');
});

test('principalKeyMemo stays right past its bound', () => {
  const key = principalKeyMemo();
  for (let i = 0; i < 70_000; i++) {
    const e = { ...none, client_ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` };
    assert.equal(key(e), principalKey(e));
  }
  assert.equal(key({ ...none, client_ip: '10.0.0.0' }), 'ip:10.0.0.0');
});
