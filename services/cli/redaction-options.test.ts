import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseRedactionKey } from './redaction-options.js';

test('a short redaction key is a one-line configuration error naming where it came from', () => {
  const saved = process.env['COLLECTOR_REDACTION_KEY'];
  try {
    delete process.env['COLLECTOR_REDACTION_KEY'];
    assert.throws(
      () => chooseRedactionKey({ redactionKey: 'short' }),
      (err: Error & { code?: string }) =>
        err.code === 'LW_ERR_CONFIG_INVALID' && /--redaction-key\) must be at least 16/.test(err.message),
    );
    process.env['COLLECTOR_REDACTION_KEY'] = 'short';
    assert.throws(() => chooseRedactionKey({}), /COLLECTOR_REDACTION_KEY\) must be at least 16/);
    assert.equal(chooseRedactionKey({ redactionKey: 'k'.repeat(16) }).key, 'k'.repeat(16));
    delete process.env['COLLECTOR_REDACTION_KEY'];
    assert.match(chooseRedactionKey({ dev: true }).note ?? '', /NOT secret/);
  } finally {
    if (saved === undefined) delete process.env['COLLECTOR_REDACTION_KEY'];
    else process.env['COLLECTOR_REDACTION_KEY'] = saved;
  }
});
