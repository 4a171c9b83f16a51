// Test support for line-fed parsers: push lines with their byte offsets (as the file source does),
// then end. Shared by the web and cloud parser tests; the database ones also account for every
// line (line-accounting.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AccessRecord, RecordParser, RecordResult } from '../../services/collector/parsers/types.js';
import { REAL_WEB_LOGS, readRealLines, realLogPath, sharedDir } from './real-logs.js';

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

/**
 * The web parsers' robustness property: on up to 20 lines drawn from `line`, each parser from
 * `parsers()` gives one result a line and a finite time for every record, and `sniff` does not throw.
 */
export function oneResultPerLine(
  line: fc.Arbitrary<string>,
  parsers: () => RecordParser[],
  sniff: (lines: readonly string[]) => number,
): void {
  fc.assert(
    fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
      for (const p of parsers()) {
        const rs = feed(p, lines);
        assert.equal(rs.length, lines.length);
        for (const r of rs) if (r.ok === true) assert.ok(Number.isFinite(r.record.tsMs));
      }
      sniff(lines);
    }),
    { numRuns: 1000 },
  );
}

/** Skips and rejects per real web log of the combined-line parsers (nginx and apache by default). */
export const REAL_WEB_EXPECTED: Record<string, { skipped: number; rejected: number }> = {
  'apache-elastic-examples/apache_logs': { skipped: 0, rejected: 0 },
  'nginx-hakathon-wap/access.log.gz': { skipped: 0, rejected: 0 },
  'web-advertools/nginx_access.log': { skipped: 0, rejected: 0 },
  'web-advertools/dreamhost_apache_access.log': { skipped: 1, rejected: 0 }, // line 87 is blank
  'nginx-edgecases-elastic-beats/test.log': { skipped: 0, rejected: 0 },
};

/**
 * One test per real web log: `format`'s default parser accounts for every line (parsed + skipped +
 * rejected = lines read) with REAL_WEB_EXPECTED's skips and rejects, and sniffs the first 20 lines
 * at 0.8 or more; then `more` checks what the format adds.
 */
export function realWebLogTests(
  name: string,
  format: { create(): RecordParser; sniff(lines: readonly string[]): number },
  more: (lines: string[], rs: RecordResult[]) => void,
): void {
  for (const rel of REAL_WEB_LOGS) {
    const path = realLogPath(rel);
    test(`real log ${rel} through ${name} (default): parsed + skipped + rejected = lines read`, {
      skip: path === null && `not found under ${sharedDir()}/data/real (set LEAKWATCH_SHARED_DIR)`,
    }, () => {
      const lines = readRealLines(path as string);
      const rs = feed(format.create(), lines);
      let parsed = 0;
      let skipped = 0;
      const rejected: string[] = [];
      for (const r of rs) {
        if (r.ok === true) parsed++;
        else if (r.ok === 'skip') skipped++;
        else rejected.push(`${r.error.message}: ${r.text.slice(0, 120)}`);
      }
      console.log(
        `# ${rel}: ${lines.length} lines, ${parsed} parsed, ${skipped} skipped, ${rejected.length} rejected`,
      );
      assert.equal(parsed + skipped + rejected.length, lines.length);
      assert.deepEqual({ skipped, rejected: rejected.length }, REAL_WEB_EXPECTED[rel], rejected.join('\n'));
      more(lines, rs);
      assert.ok(format.sniff(lines.slice(0, 20)) >= 0.8);
    });
  }
}
