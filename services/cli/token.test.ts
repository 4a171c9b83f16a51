import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '#shared/config.js';
import { createToken, tokenSha256 } from './token.js';

test('token create: 32 random bytes, an API_TOKENS entry with only its sha256, accepted by the config', () => {
  const a = createToken('grafana', 'viewer');
  const b = createToken('grafana', 'viewer');
  assert.notEqual(a.token, b.token);
  assert.match(a.token, /^lw_[A-Za-z0-9_-]{43}$/);
  assert.equal(a.entry, `grafana:viewer:${tokenSha256(a.token)}`);
  assert.ok(!a.entry.includes(a.token.slice(3)));
  const c = loadConfig({ env: { API_TOKENS: `${a.entry},${createToken('oncall', 'responder').entry}` } });
  assert.equal(c.api.tokens[0]!.sha256, tokenSha256(a.token));
  assert.throws(() => createToken('x', 'root'), /--role must be one of viewer, responder, admin/);
  assert.throws(() => createToken('a b', 'viewer'), /--name/);
});
