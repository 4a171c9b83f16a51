import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Static, Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { installErrorHandler, validationMessage } from './errors.js';

test('a bad choice among literals is one line naming the allowed values; other errors keep their message', async () => {
  const app = Fastify();
  installErrorHandler(app);
  const Q = Type.Object({
    severity: Type.Optional(Type.Array(Type.Union(['low', 'high'].map((s) => Type.Literal(s))))),
    limit: Type.Optional(Type.Integer({ maximum: 10 })),
  });
  app.get<{ Querystring: Static<typeof Q> }>('/x', { schema: { querystring: Q } }, async () => ({
    ok: true,
  }));
  const bad = await app.inject({ url: '/x?severity=urgent' });
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(bad.json(), {
    error: 'LW_ERR_API_BAD_REQUEST',
    message: 'querystring/severity/0 must be one of low, high',
  });
  const big = await app.inject({ url: '/x?limit=11' });
  assert.equal(big.json().message, 'querystring/limit must be <= 10');
  assert.equal((await app.inject({ url: '/x?severity=high&limit=3' })).statusCode, 200);
  await app.close();
  assert.equal(validationMessage([], 'body'), '');
});
