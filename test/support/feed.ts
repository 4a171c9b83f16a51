// Test support for line-fed parsers: push lines with their byte offsets (as the file source does),
// then end. Shared by the web and cloud parser tests; the database ones also account for every
// line (line-accounting.ts).
import assert from 'node:assert/strict';
import type { AccessRecord, RecordParser, RecordResult } from '../../services/collector/parsers/types.js';

export function feed(p: RecordParser, lines: readonly string[]): RecordResult[] {
  const out: RecordResult[] = [];
  let offset = 0;
  for (const text of lines) {
    out.push(...p.push({ offset, text }));
    offset += Buffer.byteLength(text) + 1;
  }
  out.push(...p.end());
  return out;
}

/** The record one line parses to; fails the test when it gives anything else. */
export function parsedOne(p: RecordParser, line: string): AccessRecord {
  const [r, ...rest] = feed(p, [line]);
  assert.equal(rest.length, 0);
  if (r?.ok !== true) assert.fail(`not parsed (${r?.ok === false ? r.error.message : r?.ok}): ${line}`);
  return r.record;
}

/** The error one line is rejected with; fails the test when it is not rejected. */
export function rejectedOne(p: RecordParser, line: string): { code: string; message: string } {
  const [r] = feed(p, [line]);
  if (r?.ok !== false) assert.fail(`not rejected: ${line}`);
  return { code: r.error.code, message: r.error.message };
}
