import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '#shared/config.js';
import { NORMALIZE_DEFAULTS } from './defaults.js';

test('NORMALIZE_DEFAULTS is config.ts DEFAULTS.collector.normalize (change both together)', () => {
  assert.deepStrictEqual(NORMALIZE_DEFAULTS, DEFAULTS.collector.normalize);
});
