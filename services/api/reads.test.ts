import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  beforeCursor,
  checkRange,
  csvField,
  decodeCursor,
  encodeCursor,
  splitPrincipal,
  timeLimit,
  toCsv,
} from './reads.js';

test('a cursor round-trips and anything else is a 400', () => {
  const c = { ts: 1714564800123, id: "e'1\\x" };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  for (const bad of [
    '!!',
    'bm90IGpzb24',
    Buffer.from('[1]').toString('base64url'),
    Buffer.from('[-1,"a"]').toString('base64url'),
    Buffer.from('[1.5,"a"]').toString('base64url'),
  ])
    assert.throws(() => decodeCursor(bad), { code: 'LW_ERR_API_BAD_REQUEST' });
  assert.equal(
    beforeCursor(c).text,
    "(ts_ms < 1714564800123 OR (ts_ms = 1714564800123 AND event_id < 'e\\'1\\\\x'))",
  );
});

test('ranges: from <= to, at most maxDays', () => {
  assert.deepEqual(checkRange(0, 31 * 86_400_000, 31), { from: 0, to: 31 * 86_400_000 });
  assert.throws(() => checkRange(0, 31 * 86_400_000 + 1, 31), /time range too large: 31\.0 days; at most 31/);
  assert.throws(() => checkRange(2, 1, 31), /from \(2\) must be <= to \(1\)/);
});

test('the time limit is a SETTINGS clause of whole seconds', () => {
  assert.equal(timeLimit(10).text, 'SETTINGS max_execution_time = 10');
  assert.equal(timeLimit(0.2).text, 'SETTINGS max_execution_time = 1');
});

test('CSV: RFC 4180 quoting, formulas neutralised, numbers as they are', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvField(-5), '-5');
  assert.equal(csvField(null), '');
  assert.equal(csvField(true), 'true');
  assert.equal(csvField(['GET', 'POST']), 'GET POST');
  assert.equal(toCsv(['a', 'b'], [{ a: 1, b: 'x,y' }]), 'a,b\r\n1,"x,y"\r\n');
});

test('principal keys name alert entity types (ip -> client_ip)', () => {
  assert.deepEqual(splitPrincipal('ip:2001:db8::7'), { type: 'client_ip', value: '2001:db8::7' });
  assert.deepEqual(splitPrincipal('user:a:b'), { type: 'user', value: 'a:b' });
});
