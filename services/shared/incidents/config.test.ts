// The incidents block of the configuration (services/shared/config.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config.js';

test('incident defaults: 24 h gap, one 72 h deadline, 6 h lookback, 10 min window', () => {
  const c = loadConfig({ env: {} }).incidents;
  assert.equal(c.groupId, 'leakwatch-incidents');
  assert.equal(c.httpPort, 9104);
  assert.equal(c.groupingGapMs, 86_400_000);
  assert.deepEqual(c.deadlines, [{ name: '72h', hours: 72 }]);
  assert.equal(c.affectedLookbackMs, 21_600_000);
  assert.equal(c.affectedWindowMs, 600_000);
  assert.deepEqual(c.subjectKinds, ['patient', 'customer', 'user', 'member']);
});

test('INCIDENTS_DEADLINES is name:hours,…; a bad entry is reported with the variable', () => {
  const c = loadConfig({
    env: {
      INCIDENTS_DEADLINES: '72h-state:72,hipaa:1440',
      INCIDENTS_GROUP_ID: 'g',
      INCIDENTS_SUBJECT_KINDS: 'patient',
    },
  }).incidents;
  assert.deepEqual(c.deadlines, [
    { name: '72h-state', hours: 72 },
    { name: 'hipaa', hours: 1440 },
  ]);
  assert.equal(c.groupId, 'g');
  assert.deepEqual(c.subjectKinds, ['patient']);
  assert.throws(() => loadConfig({ env: { INCIDENTS_DEADLINES: 'hipaa' } }), /INCIDENTS_DEADLINES/);
  assert.throws(() => loadConfig({ env: { INCIDENTS_DEADLINES: 'x:-1' } }), /incidents\.deadlines/);
});
