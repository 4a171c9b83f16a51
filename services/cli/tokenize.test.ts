import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEV_REDACTION_KEY } from '#shared/env.js';
import { createPipeline, formatById, redactorForKey } from '../collector/index.js';
import { scanNormalizeOptions } from './log-input.js';
import { checkKind, tokenize, tokenizeRedactor } from './tokenize.js';

const redactor = redactorForKey(DEV_REDACTION_KEY);

/** resource_id the collector's pipeline stores for one nginx line requesting `target`. */
function storedId(target: string): string | null {
  const p = createPipeline({
    format: formatById('nginx'),
    formatOptions: undefined,
    source: 't',
    tenant: 't',
    redactor: redactorForKey(DEV_REDACTION_KEY),
    normalize: scanNormalizeOptions(),
  });
  const [o] = p.pushAll([
    {
      offset: 0,
      text: `203.0.113.9 - - [17/May/2015:10:05:03 +0000] "GET ${target} HTTP/1.1" 200 512 "-" "curl/8"`,
    },
  ]);
  assert.equal(o?.kind, 'event');
  return o.kind === 'event' ? o.event.resource_id : null;
}

test('the token of a value is the resource_id the collector stores for it', () => {
  const mrn = tokenize(redactor, 'MRN0012345', 'mrn');
  assert.deepEqual(mrn, { ok: true, token: storedId('/api/patients/MRN0012345/chart') });
  assert.match(mrn.ok ? mrn.token : '', /^tok_mrn_[0-9a-f]{16}$/);
  // normalised as the detector does: an e-mail is lowercased, surrounding blanks ignored
  const email = tokenize(redactor, '  Jane.Doe@Example.ORG ', 'email');
  assert.deepEqual(email, tokenize(redactor, 'jane.doe@example.org'));
  assert.deepEqual(email, { ok: true, token: redactor.token('email', 'jane.doe@example.org') });
  // sessions and API keys: the value exactly as logged
  assert.deepEqual(tokenize(redactor, 'abc123', 'session'), {
    ok: true,
    token: redactor.token('session', 'abc123'),
  });
});

test('a value its kind’s detector does not read has no token, and says why', () => {
  assert.deepEqual(tokenize(redactor, 'hello', 'mrn'), {
    ok: false,
    why: "not read as one mrn by the collector's detector",
  });
  assert.equal(tokenize(redactor, 'no phi here').ok, false);
  assert.equal(tokenize(redactor, '   ', 'email').ok, false);
  const other = tokenize(redactor, 'jane@example.org', 'ssn');
  assert.equal(other.ok, false);
});

test('a key is required (a random one would match nothing); unknown kinds are refused', () => {
  const saved = process.env['COLLECTOR_REDACTION_KEY'];
  delete process.env['COLLECTOR_REDACTION_KEY'];
  try {
    assert.throws(() => tokenizeRedactor({}), /set COLLECTOR_REDACTION_KEY/);
    assert.throws(() => tokenizeRedactor({ redactionKey: 'short' }), /at least 16 characters/);
    const dev = tokenizeRedactor({ dev: true });
    assert.equal(dev.token('mrn', 'x'), redactor.token('mrn', 'x'));
  } finally {
    if (saved !== undefined) process.env['COLLECTOR_REDACTION_KEY'] = saved;
  }
  assert.throws(() => checkKind('passport'), /unknown --kind passport; one of ssn, email/);
  checkKind('api_key');
});
