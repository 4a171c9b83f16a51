import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickHouseError } from '@clickhouse/client';
import { isLeakwatchError } from '../errors.js';
import { clickHouseErrorCode, wrapError } from './client.js';

const unavailable = (err: unknown) => {
  const w = wrapError(err);
  return isLeakwatchError(w) && w.code === 'LW_ERR_CLICKHOUSE_UNAVAILABLE' && w.retriable && w.cause === err;
};

test('connection failures are matched on their code: unavailable (retriable), the cause kept', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) {
    assert.ok(unavailable(Object.assign(new Error('whatever text'), { code })), code);
  }
});

test("the client's own request timeout (a plain Error, no code) is unavailable; a look-alike is not", () => {
  assert.ok(unavailable(new Error('Timeout error.')));
  class Other extends Error {}
  const lookAlike = new Other('Timeout error.');
  assert.equal(wrapError(lookAlike), lookAlike);
});

test('server codes 159 and 160 (over max_execution_time) are unavailable with the code in details', () => {
  const on24 = new ClickHouseError({ message: 'Timeout exceeded', code: '159', type: 'TIMEOUT_EXCEEDED' });
  const on1816 = new Error(
    'Code: 160, e.displayText() = DB::Exception: Estimated query execution time is too long, e.what() = DB::Exception',
  );
  for (const [err, code] of [
    [on24, 159],
    [on1816, 160],
  ] as const) {
    const w = wrapError(err);
    assert.ok(isLeakwatchError(w) && w.code === 'LW_ERR_CLICKHOUSE_UNAVAILABLE');
    assert.deepEqual(w.details, { clickhouseCode: code });
  }
});

test('other SQL errors stay as they are, with their server code readable', () => {
  const on24 = new ClickHouseError({ message: "Table x doesn't exist", code: '60', type: 'UNKNOWN_TABLE' });
  const on1816 = new Error(
    "Code: 60, e.displayText() = DB::Exception: Table x doesn't exist., e.what() = DB::Exception",
  );
  assert.equal(wrapError(on24), on24);
  assert.equal(wrapError(on1816), on1816);
  assert.equal(clickHouseErrorCode(on24), 60);
  assert.equal(clickHouseErrorCode(on1816), 60);
  assert.equal(clickHouseErrorCode(new Error('socket hang up')), undefined);
  assert.equal(clickHouseErrorCode('Code: 60'), undefined);
});
