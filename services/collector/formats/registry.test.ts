import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORMAT_IDS, isFormatChoice } from '#shared/log-formats.js';
import { FORMATS, formatById } from './registry.js';

test('FORMAT_IDS is the registry: every format under its own id, in registry order', () => {
  // the names (shared/log-formats.ts) and the table list the same formats in the same order
  assert.deepEqual(Object.keys(FORMATS), FORMAT_IDS);
  for (const id of FORMAT_IDS) {
    assert.equal(FORMATS[id].id, id);
    assert.equal(formatById(id), FORMATS[id]);
    assert.ok(isFormatChoice(id));
  }
  assert.ok(isFormatChoice('auto'));
  assert.ok(!isFormatChoice('toString'));
  assert.throws(() => formatById('toString'), /unknown log format toString/);
});
