import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.js';
import { FILE_SENSITIVE_KINDS, RECORD_SENSITIVE_KINDS, sensitiveKinds } from './sensitive-kinds.js';

test('what healthcare shops run is sensitive; public pages are not', () => {
  const s = sensitiveKinds();
  for (const k of [
    'appointment',
    'booking',
    'form_entry',
    'prescription',
    'lab_result',
    'invoice',
    'subscription',
    'medical_record',
    'recording',
    'export',
    'bucket_listing',
  ])
    assert.ok(s.has(k), k);
  for (const k of ['post', 'page', 'product', 'attachment', 'resource', 'doctor', 'event'])
    assert.ok(!s.has(k), k);
  assert.ok(sensitiveKinds(['dental_chart']).has('dental_chart'));
  assert.ok(Object.isFrozen(FILE_SENSITIVE_KINDS) && Object.isFrozen(RECORD_SENSITIVE_KINDS));
});

test('LEAKWATCH_SENSITIVE_KINDS: a list of lowercase kind names', () => {
  assert.deepEqual(loadConfig({ env: {} }).detection.sensitiveKinds, []);
  assert.deepEqual(
    loadConfig({ env: { LEAKWATCH_SENSITIVE_KINDS: 'dental_chart, referral' } }).detection.sensitiveKinds,
    ['dental_chart', 'referral'],
  );
  assert.throws(() => loadConfig({ env: { LEAKWATCH_SENSITIVE_KINDS: 'Bad Kind' } }), /sensitiveKinds/);
});
