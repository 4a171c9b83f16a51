import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyRecord } from '../parsers/types.js';
import { derivedTableKind, summarizeDb } from './db.js';
import { compileNormalizeOptions } from './options.js';
import { createRedactor } from './redact.js';

const options = compileNormalizeOptions();
const redactor = createRedactor(Buffer.alloc(32, 9), options.redactor);

function kindOf(sql: string): [string | null, string | null] {
  const r = emptyRecord(0, 'db');
  r.sql = sql;
  const d = summarizeDb(r, redactor, options);
  return [d.resourceKind, d.resourceId];
}

test('plugin tables of healthcare shops have their kinds', () => {
  assert.deepEqual(kindOf('SELECT * FROM wp_gf_entry WHERE id = 381'), ['form_entry', '381']);
  assert.deepEqual(kindOf('SELECT * FROM wp_wpforms_entries WHERE entry_id = 12'), ['form_entry', '12']);
  assert.deepEqual(kindOf('SELECT * FROM wp_amelia_customer_bookings WHERE id = 17'), ['booking', '17']);
  assert.deepEqual(kindOf('SELECT * FROM lab_results WHERE id = 5'), ['lab_result', '5']);
});

test('an id on a table outside the map is an id route: the kind of its table', () => {
  assert.deepEqual(kindOf('SELECT * FROM wp_clinic_referrals WHERE id = 5'), ['clinic_referral', '5']);
  assert.deepEqual(kindOf('SELECT name FROM shop.`dental_charts` WHERE chart_id = 9'), ['dental_chart', '9']);
  // no id: no kind
  assert.deepEqual(kindOf("SELECT option_value FROM wp_options WHERE option_name = 'siteurl'"), [null, null]);
  assert.equal(derivedTableKind('wp2_entries'), 'entry');
  assert.equal(derivedTableKind('t1'), null);
});
